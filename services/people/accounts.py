"""People and organisations: users, invites, joining, roles, language."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from dataclasses import dataclass

from domain.errors import InputError, check_name_length
from domain.uscc import check_character, check_uscc
from services import audit
from services.core import Services
from services.errors import MemberElsewhere, NotAllowed
from store.models import Invite, Organization, User
from store.uow import UnitOfWork

ROLES = ("staff", "reviewer", "admin")
MAX_INVITE_DAYS = 365


@dataclass(frozen=True, slots=True)
class Account:
    user_id: int
    role: str  # guest|staff|reviewer|admin
    lang: str | None  # chosen with /lang, None = follow Telegram
    organization_id: int | None
    organization_name: str | None = None
    # a member who opened a reviewer invite: the administrator who issued it, to be told
    appointed_by: int | None = None


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


def _role(svc: Services, user) -> str:  # noqa: ANN001 - a User or a plain row
    return "admin" if user.id in svc.admin_ids else user.role


async def ensure_account(svc: Services, user_id: int, first_name: str = "",
                         username: str | None = None) -> Account:
    async with svc.uow() as uow:
        row = await uow.users.account(user_id)  # one statement
        if row is None:
            user = User(id=user_id, first_name=first_name, username=username, role="guest")
            uow.users.add(user)
            await uow.commit()
            return Account(user.id, _role(svc, user), user.language, None)
        return Account(row.id, _role(svc, row), row.language, row.organization_id,
                       row.organization_name)


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
        code = _new_invite(uow, svc, org.id, "staff", created_by)
        await uow.commit()
        return NewOrganization(org.id, org.name, org.uscc, org.district, code,
                               invite_link(svc, code))


async def organizations(svc: Services) -> list[OrganizationView]:
    async with svc.uow() as uow:
        return [_org_view(o) for o in await uow.organizations.all()]


async def organizations_page(svc: Services, *, district: str | None = None,
                             text: str | None = None, page: int = 1, per_page: int = 50
                             ) -> tuple[list[OrganizationView], int]:
    """One page (from 1) of the organisations matching, and how many match in all."""
    page, per_page = max(1, page), min(max(1, per_page), 500)
    async with svc.uow() as uow:
        rows, total = await uow.organizations.page(district=district, text=text,
                                                   offset=(page - 1) * per_page,
                                                   limit=per_page)
        return [_org_view(o) for o in rows], total


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
        code = _new_invite(uow, svc, None, "reviewer", created_by, review_district=district)
        await uow.commit()
        return code


_CODE_ALPHABET = string.ascii_letters + string.digits
_CODE_LENGTH = 12  # 71 bits


def new_invite_code() -> str:
    """A fresh invite code: letters and digits only, so that it is one word wherever it is
    typed or pasted (a code starting with "-", which token_urlsafe makes one time in 64,
    was an option to `python -m bot org revoke`)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def _new_invite(uow: UnitOfWork, svc: Services, org_id: int | None, role: str,
                created_by: int | None, *, days: int | None = None, single_use: bool = False,
                lead: bool = False, review_district: str | None = None) -> str:
    days = svc.invite_days if days is None else days
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise InputError("days", "out_of_range", value=days, low=1, high=MAX_INVITE_DAYS)
    code = new_invite_code()
    uow.invites.add(Invite(code=code, organization_id=org_id, role=role, created_by=created_by,
                           expires_at=svc.clock.now() + dt.timedelta(days=days),
                           single_use=single_use, lead=lead,
                           review_district=review_district))
    return code


@dataclass(frozen=True, slots=True)
class InviteView:
    code: str
    organization_id: int | None
    organization_name: str | None
    link: str
    expires_at: dt.datetime | None
    single_use: bool
    lead: bool


async def issue_invite(svc: Services, organization_id: int, *, created_by: int | None = None,
                       days: int | None = None, single_use: bool = False,
                       lead: bool = False) -> InviteView:
    """A new invite code for the organisation (the old ones keep working until they expire
    or are revoked)."""
    async with svc.uow() as uow:
        org = await uow.organizations.get(organization_id)
        if org is None:
            raise InputError("organization", "organization_unknown", value=organization_id)
        code = _new_invite(uow, svc, org.id, "staff", created_by, days=days,
                           single_use=single_use, lead=lead)
        await uow.commit()
        invite = await uow.invites.get(code)
        return _invite_view(svc, invite, org.name)


def _invite_view(svc: Services, invite: Invite, org_name: str | None) -> InviteView:
    until = invite.expires_at.astimezone(svc.clock.tz) if invite.expires_at else None
    return InviteView(invite.code, invite.organization_id, org_name,
                      invite_link(svc, invite.code), until, invite.single_use, invite.lead)


async def revoke_invite(svc: Services, code: str, actor_id: int | None = None) -> InviteView:
    async with svc.uow() as uow:
        invite = await uow.invites.get(code.strip())
        if invite is None:
            raise InputError("code", "invite_unknown")
        invite.revoked = True
        await audit.record(uow, svc, actor_id, "revoke_invite",
                           organization_id=invite.organization_id, subject=invite.code)
        await uow.commit()
        org = (await uow.organizations.get(invite.organization_id)
               if invite.organization_id else None)
        return _invite_view(svc, invite, org.name if org else None)


def _usable(svc: Services, invite: Invite | None) -> Invite:
    """The invite if it can be used now; InputError('code', …) saying why not."""
    if invite is None or invite.revoked:
        raise InputError("code", "invite_unknown")
    if invite.expires_at is not None and invite.expires_at <= svc.clock.now():
        raise InputError("code", "invite_expired")
    if invite.single_use and invite.used_by is not None:
        raise InputError("code", "invite_used")
    return invite


async def join(svc: Services, user_id: int, code: str, first_name: str = "",
               username: str | None = None, *, confirmed: bool = False) -> Account:
    """Join with an invite code. InputError('code', …) for unknown, revoked, expired or used
    codes; MemberElsewhere when the user belongs to another organisation (an administrator
    moves with `confirmed`; nobody else moves by a code)."""
    async with svc.uow() as uow:
        invite = _usable(svc, await uow.invites.get(code.strip()))
        user, current = await uow.users.with_organization(user_id)
        if user is None:
            user = User(id=user_id, first_name=first_name, username=username)
            uow.users.add(user)
        target = await uow.organizations.get(invite.organization_id) if (
            invite.organization_id) else None
        if (current is not None and target is not None and current.id != target.id
                and not (confirmed and user_id in svc.admin_ids)):
            raise MemberElsewhere(current.name, target.name, user_id in svc.admin_ids)
        if invite.role == "reviewer":  # a reviewer invite moves nobody out of anything
            user.role, user.review_district = "reviewer", invite.review_district
            _used(svc, invite, user_id)
            await uow.commit()
            return Account(user.id, _role(svc, user), user.language, user.organization_id,
                           current.name if current else None,
                           appointed_by=invite.created_by if current else None)
        same = user.organization_id == invite.organization_id
        if not same:
            user.current_project_id, user.current_slot = None, None  # not another's walk
            if current is not None:  # an administrator moved: they were a member until now
                await audit.record(uow, svc, user_id, "remove_member",
                                   organization_id=current.id, subject=str(user_id),
                                   old={"role": user.role, "lead": bool(user.lead)})
        user.role = invite.role
        user.organization_id = invite.organization_id
        user.lead = invite.lead or (same and bool(user.lead))  # a lead clicking a link stays
        _used(svc, invite, user_id)
        user.review_district = invite.review_district
        await uow.commit()
        return Account(user.id, _role(svc, user), user.language, user.organization_id,
                       target.name if target else None)


def _used(svc: Services, invite: Invite, user_id: int) -> None:
    if invite.single_use:
        invite.used_by, invite.used_at = user_id, svc.clock.now()


# -- members: listed and removed by administrators and the organisation's lead ---------------
@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    first_name: str
    username: str | None
    role: str
    lead: bool


async def _manager(uow: UnitOfWork, svc: Services, user_id: int | None,
                   organization_id: int) -> Organization:
    """The organisation, if `user_id` may manage its members (None: the command line)."""
    org = await uow.organizations.get(organization_id)
    if org is None:
        raise InputError("organization", "organization_unknown", value=organization_id)
    if user_id is None or user_id in svc.admin_ids:
        return org
    user = await uow.users.get(user_id)
    if user is None or not user.lead or user.organization_id != organization_id:
        raise NotAllowed(user_id)
    return org


async def members(svc: Services, user_id: int | None,
                  organization_id: int) -> tuple[str, list[Member]]:
    """The organisation's name and members (administrators, its lead; None: the CLI)."""
    async with svc.uow() as uow:
        org = await _manager(uow, svc, user_id, organization_id)
        return org.name, [Member(u.id, u.first_name, u.username, u.role, u.lead)
                          for u in await uow.users.in_organization(organization_id)]


async def remove_member(svc: Services, user_id: int | None, organization_id: int,
                        member_id: int) -> tuple[str, Member]:
    """Take a member out of the organisation: from now on they reach none of its projects,
    files or scores (every read checks membership), and get none of its reminders."""
    async with svc.uow() as uow:
        org = await _manager(uow, svc, user_id, organization_id)
        member = await uow.users.get(member_id)
        if member is None or member.organization_id != organization_id:
            raise InputError("member", "not_a_member", value=member_id)
        if member_id == user_id:
            raise InputError("member", "remove_self")
        gone = Member(member.id, member.first_name, member.username, member.role, member.lead)
        member.organization_id, member.role, member.lead = None, "guest", False
        member.current_project_id, member.current_slot = None, None
        await uow.reminders.drop_for_user(member_id)
        await audit.record(uow, svc, user_id, "remove_member", organization_id=organization_id,
                           subject=str(member_id), old={"role": gone.role, "lead": gone.lead})
        await uow.commit()
        return org.name, gone


async def lead_of(svc: Services, user_id: int) -> int | None:
    """The organisation the user leads, if any."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        return user.organization_id if user is not None and user.lead else None


DEMO_USCC_PREFIX = "52370200MJ000000"  # 社会服务机构, 青岛市 (370200); the 17th and 18th follow


async def demo_organization(svc: Services) -> NewOrganization:
    """The demo organisation of the terminal chat (made once, then reused)."""
    first17 = DEMO_USCC_PREFIX + "1"
    uscc = first17 + check_character(first17)
    async with svc.uow() as uow:
        org = await uow.organizations.by_uscc(uscc)
        if org is not None:
            invite = await uow.invites.for_organization(org.id, svc.clock.now())
            code = invite.code if invite else _new_invite(uow, svc, org.id, "staff", None)
            await uow.commit()
            return NewOrganization(org.id, org.name, org.uscc, org.district, code,
                                   invite_link(svc, code))
    return await create_organization(
        svc, name=svc.catalog.t("demo.org_name"), uscc=uscc, district="市南区",
        established_on=svc.clock.today().replace(year=svc.clock.today().year - 5),
        valid_until=svc.clock.today().replace(year=svc.clock.today().year + 3))
