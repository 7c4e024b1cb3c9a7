"""People and organisations: users, invites, joining, roles, language."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from domain.errors import InputError, check_name_length
from domain.uscc import check_uscc
from services import audit
from services.core import Services
from store.models import Invite, Organization, User

ROLES = ("staff", "reviewer", "admin")


@dataclass(frozen=True, slots=True)
class Account:
    user_id: int
    role: str  # guest|staff|reviewer|admin
    lang: str | None  # chosen with /lang, None = follow Telegram
    organization_id: int | None
    organization_name: str | None = None


@dataclass(frozen=True, slots=True)
class OrganizationView:
    id: int
    name: str
    uscc: str
    district: str
    established_on: dt.date
    certificate_valid_until: dt.date | None


@dataclass(frozen=True, slots=True)
class NewOrganization:
    id: int
    name: str
    uscc: str
    district: str
    invite_code: str
    link: str


def _role(svc: Services, user: User) -> str:
    return "admin" if user.id in svc.admin_ids else user.role


async def ensure_account(svc: Services, user_id: int, first_name: str = "",
                         username: str | None = None) -> Account:
    async with svc.uow() as uow:
        user, org = await uow.users.with_organization(user_id)  # one statement
        if user is None:
            user = User(id=user_id, first_name=first_name, username=username, role="guest")
            uow.users.add(user)
            await uow.commit()
        return Account(user.id, _role(svc, user), user.language, user.organization_id,
                       org.name if org else None)


async def set_language(svc: Services, user_id: int, lang: str) -> None:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            user = User(id=user_id, role="guest")
            uow.users.add(user)
        user.language = lang
        await uow.commit()


def _org_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InputError("name", "text")
    check_name_length(name)
    return name


def _check_dates(svc: Services, established_on: dt.date, valid_until: dt.date | None) -> None:
    if established_on > svc.clock.today():
        raise InputError("established", "future_date", value=established_on.isoformat())
    if valid_until is not None and valid_until < established_on:
        raise InputError("valid_until", "valid_before_established")


def _org_view(org: Organization) -> OrganizationView:
    return OrganizationView(org.id, org.name, org.uscc, org.district, org.established_on,
                            org.certificate_valid_until)


def invite_link(svc: Services, code: str) -> str:
    return f"https://t.me/{svc.bot_username}?start={code}"


async def create_organization(svc: Services, *, name: str, uscc: str, district: str,
                              established_on: dt.date, valid_until: dt.date | None,
                              created_by: int | None = None) -> NewOrganization:
    name = _org_name(name)
    code_ok = check_uscc(uscc, "uscc")
    district = svc.districts.resolve(district)
    _check_dates(svc, established_on, valid_until)
    async with svc.uow() as uow:
        if await uow.organizations.by_uscc(code_ok):
            raise InputError("uscc", "uscc_taken", value=code_ok)
        org = Organization(name=name, uscc=code_ok, district=district,
                           established_on=established_on, certificate_valid_until=valid_until)
        uow.organizations.add(org)
        await uow.flush()
        code = secrets.token_urlsafe(9)
        uow.invites.add(Invite(code=code, organization_id=org.id, role="staff",
                               created_by=created_by))
        await uow.commit()
        return NewOrganization(org.id, org.name, org.uscc, org.district, code,
                               invite_link(svc, code))


async def organizations(svc: Services) -> list[OrganizationView]:
    async with svc.uow() as uow:
        return [_org_view(o) for o in await uow.organizations.all()]


async def edit_organization(svc: Services, organization_id: int, *, name: str | None = None,
                            district: str | None = None, established_on: dt.date | None = None,
                            valid_until: dt.date | None = None,
                            actor_id: int | None = None) -> OrganizationView:
    """Correct an organisation's facts (the credit code stays). Checked as when it was
    registered; scores and eligibility read them afresh, so they follow at once."""
    if name is not None:
        name = _org_name(name)
    if district is not None:
        district = svc.districts.resolve(district)
    async with svc.uow() as uow:
        org = await uow.organizations.get(organization_id)
        if org is None:
            raise InputError("organization", "organization_unknown", value=organization_id)
        established = established_on or org.established_on
        until = valid_until or org.certificate_valid_until
        if established_on is not None or valid_until is not None:
            _check_dates(svc, established, until)
        old = _org_view(org)
        org.name = name or org.name
        org.district = district or org.district
        org.established_on, org.certificate_valid_until = established, until
        changed = {key: (getattr(old, key), getattr(org, key))
                   for key in ("name", "district", "established_on", "certificate_valid_until")
                   if getattr(old, key) != getattr(org, key)}
        if changed:
            await audit.record(uow, svc, actor_id, "organization", organization_id=org.id,
                               subject=",".join(changed),
                               old={k: v[0] for k, v in changed.items()},
                               new={k: v[1] for k, v in changed.items()})
        await uow.commit()
        return _org_view(org)


async def create_reviewer_invite(svc: Services, created_by: int | None = None,
                                 district: str | None = None) -> str:
    """An invite for a reviewer scoped to one district (None: the whole city)."""
    if district is not None:
        district = svc.districts.resolve(district)
    async with svc.uow() as uow:
        code = secrets.token_urlsafe(9)
        uow.invites.add(Invite(code=code, organization_id=None, role="reviewer",
                               created_by=created_by, review_district=district))
        await uow.commit()
        return code


async def join(svc: Services, user_id: int, code: str, first_name: str = "",
               username: str | None = None) -> Account:
    """Join with an invite code. Raises InputError('code', …) for unknown or revoked codes."""
    async with svc.uow() as uow:
        invite = await uow.invites.get(code.strip())
        if invite is None or invite.revoked:
            raise InputError("code", "invite_unknown")
        user = await uow.users.get(user_id)
        if user is None:
            user = User(id=user_id, first_name=first_name, username=username)
            uow.users.add(user)
        user.role = invite.role
        user.organization_id = invite.organization_id
        user.review_district = invite.review_district
        await uow.commit()
        org_id = invite.organization_id
        org = await uow.organizations.get(org_id) if org_id else None
        return Account(user.id, _role(svc, user), user.language, user.organization_id,
                       org.name if org else None)


DEMO_USCC_PREFIX = "52370200MJ000000"  # 社会服务机构, 青岛市 (370200); the 17th and 18th follow


async def demo_organization(svc: Services) -> NewOrganization:
    """The demo organisation of the terminal chat (made once, then reused)."""
    from domain.uscc import check_character

    first17 = DEMO_USCC_PREFIX + "1"
    uscc = first17 + check_character(first17)
    async with svc.uow() as uow:
        org = await uow.organizations.by_uscc(uscc)
        if org is not None:
            invite = await uow.invites.for_organization(org.id)
            return NewOrganization(org.id, org.name, org.uscc, org.district, invite.code,
                                   invite_link(svc, invite.code))
    return await create_organization(
        svc, name=svc.catalog.t("demo.org_name"), uscc=uscc, district="市南区",
        established_on=svc.clock.today().replace(year=svc.clock.today().year - 5),
        valid_until=svc.clock.today().replace(year=svc.clock.today().year + 3))
