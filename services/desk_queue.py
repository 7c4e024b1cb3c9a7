"""The reviewers' desk, reads: the queue of the open round by state, within the
reviewer's scope, set-based. The candidates are light rows (one statement, no evidence);
scope, conflicts and recusals are applied to those; only the page shown is loaded with its
evidence and scored."""

from __future__ import annotations

from dataclasses import dataclass

from services.core import Services
from services.project_view import NotMember, ProjectView, in_scope, load_many
from services.reviewers import conflicts, judged
from services.rounds import open_round

STATES = ("submitted", "in_review", "returned", "verified")
PAGE = 8


@dataclass(frozen=True, slots=True)
class Queue:
    counts: dict[str, int]  # state → projects in scope ("mine": assigned to the reviewer)
    views: tuple[ProjectView, ...]  # this page
    page: int
    pages: int
    round_name: str | None
    state: str = "all"  # the filter shown


def _status(svc: Services, row) -> str:
    """As a ProjectView shows it (services/project_view.py Loaded.status): a returned
    project past its deadline is closed."""
    if row.status in ("draft", "returned") and row.closes is not None \
            and svc.clock.now() >= row.closes:
        return "closed"
    return row.status


async def queue(svc: Services, user_id: int, state: str | None = None,
                district: str | None = None, page: int = 0) -> Queue:
    """`state` None: the reviewer's own assignments when they have some, else all."""
    current = await open_round(svc)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise NotMember(None)
        recused = await uow.reviews.recused_of(user_id)
        candidates = [x for x in await uow.projects.rows(
                      STATES, round_id=current.id if current else None, unrounded=True)
                      if x.id not in recused and in_scope(svc, user_id, user, x.organization)]
        conflicted = await conflicts(uow, svc, [user] if user else [],
                                     [judged(x, x.organization) for x in candidates])
        rows = [(x, _status(svc, x)) for x in candidates if (user_id, x.id) not in conflicted]
        mine = await uow.assignments.of_reviewer(user_id)
        counts = {"mine": sum(1 for x, _ in rows if x.id in mine)}
        counts |= {s: sum(1 for _, status in rows if status == s) for s in STATES}
        if state is None:
            state = "mine" if counts["mine"] else "all"
        chosen = [x.id for x, status in rows
                  if (state == "all" or status == state or (state == "mine" and x.id in mine))
                  and (district is None or x.organization.district == district)]
        pages = max(1, -(-len(chosen) // PAGE))
        page = min(max(page, 0), pages - 1)
        shown = chosen[page * PAGE:(page + 1) * PAGE]
        loaded = await load_many(uow, svc, ids=shown) if shown else []
    return Queue(counts, tuple(x.view() for x in loaded), page, pages,
                 current.name if current else None, state)
