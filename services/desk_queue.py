"""The reviewers' desk, reads: the queue of the open round by state, within the
reviewer's scope, set-based (a handful of statements whatever the number of projects)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core import Services
from services.project_view import NotMember, ProjectView, load_many
from services.reviewers import refusal
from services.rounds import open_round

STATES = ("submitted", "in_review", "returned", "verified")
PAGE = 8


@dataclass(frozen=True, slots=True)
class Queue:
    counts: dict[str, int]  # state → projects in scope
    views: tuple[ProjectView, ...]  # this page
    page: int
    pages: int
    round_name: str | None


async def queue(svc: Services, user_id: int, state: str = "all", district: str | None = None,
                page: int = 0) -> Queue:
    current = await open_round(svc)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise NotMember(None)
        recused = await uow.reviews.recused_of(user_id)
        loaded = [x for x in await load_many(uow, svc)
                  if x.project.status in STATES
                  and (current is None or x.project.round_id in (current.id, None))
                  and x.project.id not in recused
                  and refusal(svc, user_id, user, x.organization) is None]
    views = [x.view() for x in loaded]
    counts = {s: sum(1 for v in views if v.status == s) for s in STATES}
    chosen = [v for v in views if (state == "all" or v.status == state)
              and (district is None or v.district == district)]
    pages = max(1, -(-len(chosen) // PAGE))
    page = min(max(page, 0), pages - 1)
    return Queue(counts, tuple(chosen[page * PAGE:(page + 1) * PAGE]), page, pages,
                 current.name if current else None)
