"""Who is told what when the desk moves a project: the reviewers who may review a project
just submitted, the staff of a project, each in their own language. Reads only; the
handlers write the messages."""

from __future__ import annotations

from dataclasses import dataclass

from services.core import Services
from services.desk.reviewers import conflicts, judged
from services.walk.view import in_scope


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    lang: str  # zh unless they chose en


def _recipients(users) -> tuple[Recipient, ...]:
    return tuple(Recipient(u.id, u.language or "zh") for u in users if not u.blocked_bot)


async def reviewers_of(svc: Services, project_id: int) -> tuple[Recipient, ...]:
    """The reviewers who may review this project: in scope, no conflict of interest, not
    recused (services/desk/reviewers.py says who may)."""
    async with svc.uow() as uow:
        project = await uow.projects.get(project_id)
        if project is None:
            return ()
        org = await uow.organizations.get(project.organization_id)
        recused = await uow.reviews.recused_from(project_id)
        scoped = [u for u in await uow.users.with_role("reviewer")
                  if u.id not in recused and in_scope(svc, u.id, u, org)]
        conflicted = await conflicts(uow, svc, scoped, [judged(project, org)])
        return _recipients(u for u in scoped if (u.id, project_id) not in conflicted)


async def staff_of(svc: Services, project_id: int) -> tuple[Recipient, ...]:
    """The staff of the project's organisation: its members, whatever their role (a member
    appointed reviewer stays one)."""
    async with svc.uow() as uow:
        project = await uow.projects.get(project_id)
        if project is None:
            return ()
        return _recipients(await uow.users.in_organization(project.organization_id))


async def resubmitted_to(svc: Services, project_id: int,
                         gave_verdicts: frozenset[int]) -> tuple[Recipient, ...]:
    """Who hears that a returned project came back: its reviewers who gave verdicts and
    those it is assigned to."""
    async with svc.uow() as uow:
        assigned = {r for _, r in await uow.assignments.pairs(project_ids=[project_id])}
        ids = set(gave_verdicts) | assigned
        if not ids:
            return ()
        chosen = await uow.users.languages(ids)
    return tuple(Recipient(uid, chosen.get(uid) or "zh") for uid in sorted(ids))
