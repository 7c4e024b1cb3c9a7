"""Reviewers: who may review which organisation's projects."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InputError
from domain.review import excluded
from services import audit
from services.accounts import create_reviewer_invite, invite_link
from services.core import Services
from services.project_view import NotMember, in_scope


def refusal(svc: Services, user_id: int, user, org) -> str | None:
    """Why this user may not review this organisation's projects (a catalog key), or
    None: out of scope, or a conflict of interest (data/review.toml)."""
    if not in_scope(svc, user_id, user, org):
        return "desk.out_of_scope"
    return excluded(svc.review, member_of=user.organization_id if user else None,
                    scope=user.review_district if user else None,
                    organization_id=org.id, district=org.district)


@dataclass(frozen=True, slots=True)
class ReviewerView:
    user_id: int
    name: str
    district: str | None  # None: the whole city


@dataclass(frozen=True, slots=True)
class ReviewerInvite:
    code: str
    link: str
    district: str | None


def _admin(svc: Services, user_id: int | None) -> None:
    if user_id is not None and user_id not in svc.admin_ids:
        raise NotMember(None)


async def appoint(svc: Services, admin_id: int | None, district: str | None = None
                  ) -> ReviewerInvite:
    """An invite link that makes whoever opens it a reviewer of the city or one district.
    `admin_id` None: the command line (the operator)."""
    _admin(svc, admin_id)
    code = await create_reviewer_invite(svc, created_by=admin_id, district=district)
    async with svc.uow() as uow:
        invite = await uow.invites.get(code)
        await audit.record(uow, svc, admin_id, "reviewer", subject=f"invite:{code}",
                           new={"role": "reviewer", "district": invite.review_district})
        await uow.commit()
        return ReviewerInvite(code, invite_link(svc, code), invite.review_district)


async def reviewers(svc: Services, admin_id: int | None = None) -> list[ReviewerView]:
    _admin(svc, admin_id)
    async with svc.uow() as uow:
        return [ReviewerView(u.id, u.first_name, u.review_district)
                for u in await uow.users.with_role("reviewer")]


async def scope(svc: Services, user_id: int) -> str | None:
    """A reviewer's district (None: the whole city, or not a reviewer)."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        return user.review_district if user is not None else None


async def remove(svc: Services, admin_id: int | None, user_id: int) -> ReviewerView:
    """The reviewer is a guest again (their verdicts stay on record)."""
    _admin(svc, admin_id)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.role != "reviewer":
            raise InputError("reviewer", "reviewer_unknown", value=user_id)
        view = ReviewerView(user.id, user.first_name, user.review_district)
        await audit.record(uow, svc, admin_id, "reviewer", subject=f"user:{user_id}",
                           old={"role": "reviewer", "district": user.review_district},
                           new={"role": "guest"})
        user.role, user.review_district = "guest", None
        await uow.commit()
        return view


async def switch(svc: Services, admin_id: int, role: str,
                 organization_id: int | None = None) -> None:
    """An administrator acts as a reviewer (of the whole city) or as staff of an
    organisation (the terminal chat's one user plays every part)."""
    _admin(svc, admin_id)
    if role not in ("reviewer", "staff"):
        raise InputError("role", "unknown_choice", value=role, choices="reviewer, staff")
    async with svc.uow() as uow:
        user = await uow.users.get(admin_id)
        if user is None:
            raise NotMember(None)
        user.role, user.review_district = role, None
        user.organization_id = organization_id if role == "staff" else None
        await uow.commit()


async def languages(svc: Services, user_ids: frozenset[int] | set[int]) -> dict[int, str]:
    """The language to write to each of these users in (zh unless they chose en)."""
    async with svc.uow() as uow:
        chosen = await uow.users.languages(user_ids)
    return {uid: chosen.get(uid) or "zh" for uid in user_ids}
