"""Reviewers: who may review which organisation's projects."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.errors import InputError
from domain.review import excluded
from services import audit
from services.core import Services
from services.errors import NotMember
from services.people.accounts import create_reviewer_invite, invite_link
from services.walk.view import in_scope
from store.models import User
from store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Judged:
    """What the conflict-of-interest rules read of a project to be reviewed."""

    project_id: int
    organization_id: int
    district: str
    round_id: int | None


def judged(project, organization) -> Judged:
    """A project row (ORM or plain) and its organisation, as the rules read them."""
    return Judged(project.id, organization.id, organization.district, project.round_id)


async def conflicts(uow: UnitOfWork, svc: Services, reviewers: Collection[User],
                    projects: Collection[Judged]) -> dict[tuple[int, int], str]:
    """The one place that decides conflicts of interest: (reviewer id, project id) → why
    that reviewer may not review that project (a catalog key), for every pair that
    conflicts. A reviewer who is a member of the project's organisation, or was one during
    its round, or wrote any of its evidence, never reviews it (and, by data/review.toml,
    not their own district). Three statements whatever the numbers."""
    if not reviewers or not projects:
        return {}
    ids = [u.id for u in reviewers]
    left = await uow.reviews.departures(ids)
    authored = await uow.reviews.authored(ids)
    opens = {r.id: r.opens_on for r in (await uow.rounds.of_ids(
        {p.round_id for p in projects if p.round_id is not None})).values()}
    found = {}
    for user in reviewers:
        for p in projects:
            gone = left.get((user.id, p.organization_id))
            why = excluded(svc.review,
                           member_of=None if _playing(svc, user) else user.organization_id,
                           scope=user.review_district, organization_id=p.organization_id,
                           district=p.district,
                           left_on=gone.astimezone(svc.clock.tz).date() if gone else None,
                           round_opens=opens.get(p.round_id),
                           authored=(user.id, p.project_id) in authored
                           and not _playing(svc, user))
            if why is not None:
                found[user.id, p.project_id] = why
    return found


async def conflicted(uow: UnitOfWork, svc: Services, user: User | None,
                     statuses: Collection[str], *, round_id: int | None,
                     unrounded: bool = False) -> set[int]:
    """The projects in these statuses (of the round, and in none with `unrounded`) this
    reviewer may not review for a conflict of interest, as `conflicts` decides; read are
    only the projects a rule of it can touch (of the reviewer's organisation or one they
    left, with evidence they wrote, and with data/review.toml's same-district rule those
    of their district), not the whole round."""
    if user is None:
        return set()
    left = await uow.reviews.departures([user.id])
    authored = await uow.reviews.authored([user.id])
    organizations = {org for _, org in left} | (
        {user.organization_id} if user.organization_id is not None else set())
    touched = await uow.projects.touching(
        statuses, round_id=round_id, unrounded=unrounded, organization_ids=organizations,
        project_ids={pid for _, pid in authored},
        district=user.review_district if svc.review.same_district else None)
    found = await conflicts(uow, svc, [user], [judged(x, x.organization) for x in touched])
    return {pid for _, pid in found}


def _playing(svc: Services, user: User) -> bool:
    """An administrator playing a reviewer (`switch`, /as: the terminal chat's one user
    plays every part) reviews what they wrote as staff of the organisation they stay a
    member of (and so are told what its staff are told)."""
    return user.id in svc.admin_ids and user.role == "reviewer"


async def refusal(uow: UnitOfWork, svc: Services, user_id: int, user,
                  project: Judged) -> str | None:
    """Why this user may not review this project (a catalog key), or None: out of scope,
    or a conflict of interest (`conflicts`)."""
    if not in_scope(svc, user_id, user, project):
        return "desk.out_of_scope"
    if user is None:
        return None
    return (await conflicts(uow, svc, [user], [project])).get((user.id, project.project_id))


@dataclass(frozen=True, slots=True)
class ReviewerView:
    user_id: int
    name: str
    district: str | None  # None: the whole city
    member: bool = False  # a member of an organisation too (staff of its projects)


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
        return [ReviewerView(u.id, u.first_name, u.review_district,
                             member=u.organization_id is not None)
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
                           new={"role": "staff" if user.organization_id else "guest"})
        user.role = "staff" if user.organization_id else "guest"  # a member stays one
        user.review_district = None
        await uow.commit()
        return view


async def switch(svc: Services, admin_id: int, role: str,
                 organization_id: int | None = None) -> None:
    """An administrator acts as a reviewer (of the whole city) or as staff of an
    organisation (the terminal chat's one user plays every part). Playing a reviewer, they
    stay a member of their organisation, as a member appointed reviewer does."""
    _admin(svc, admin_id)
    if role not in ("reviewer", "staff"):
        raise InputError("role", "unknown_choice", value=role, choices="reviewer, staff")
    async with svc.uow() as uow:
        user = await uow.users.get(admin_id)
        if user is None:
            raise NotMember(None)
        user.role, user.review_district = role, None
        if role == "staff" and organization_id is not None:
            user.organization_id = organization_id
        await uow.commit()


async def languages(svc: Services, user_ids: frozenset[int] | set[int]) -> dict[int, str]:
    """The language to write to each of these users in (zh unless they chose en)."""
    async with svc.uow() as uow:
        chosen = await uow.users.languages(user_ids)
    return {uid: chosen.get(uid) or "zh" for uid in user_ids}
