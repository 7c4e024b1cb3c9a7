"""The reviewers' desk, reads: the queue of the open round by state, within the
reviewer's scope, set-based. Scope, recusals and the filters, the search, the counts, the
sort and the paging are SQL (store/repositories/projects.py `Projects.queue`: only the
page's light rows are read); conflicts of interest are decided by
services/desk/reviewers.py over the few projects they can touch and left out by id. The
page shown is listed on its stored totals (services/decisions/totals.py: only an outdated
one is scored again; before a sort or a filter on them, every outdated one is)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.core import Services
from services.decisions.ranking import refresh_totals
from services.decisions.totals import totals
from services.desk.reviewers import conflicted
from services.errors import NotMember
from services.schedule.rounds import open_round
from services.walk.view import scope_district

STATES = ("submitted", "in_review", "returned", "verified")
PAGE = 8
SORTS = ("id", "submitted", "claimed", "verified")  # the web desk's orders (handlers/webpages.py)


@dataclass(frozen=True, slots=True)
class Line:
    """A project as the queue lists it."""

    id: int
    name: str
    district: str
    status: str  # as its view shows it (closed: returned, past its deadline)
    claimed: int
    verified: int
    eligible: bool  # verified eligibility
    blocking: tuple[str, ...]  # the verified blocking issues' codes


@dataclass(frozen=True, slots=True)
class Queue:
    counts: dict[str, int]  # state → projects in scope ("mine": assigned to the reviewer)
    views: tuple[Line, ...]  # this page
    page: int
    pages: int
    round_name: str | None
    state: str = "all"  # the filter shown
    organizations: dict[int, str] = field(default_factory=dict)  # project id → its organisation
    # with `assignees`: project id → its reviewers' names (this page), and every reviewer
    # with an assignment in the reviewer's scope (id → name), for the filter
    assigned: dict[int, tuple[str, ...]] = field(default_factory=dict)
    assignees: dict[int, str] = field(default_factory=dict)
    everything: int = 0  # the projects in scope, those closed too: what "all" lists


def _status(svc: Services, row) -> str:
    """As a ProjectView shows it (services/walk/view.py Loaded.status): a returned
    project past its deadline is closed."""
    if row.status in ("draft", "returned") and row.closes is not None \
            and svc.clock.now() >= row.closes:
        return "closed"
    return row.status


async def queue(svc: Services, user_id: int, state: str | None = None,
                district: str | None = None, page: int = 0, *, search: str = "",
                sort: str = "id", eligible: bool | None = None,
                page_size: int = PAGE, assignees: bool = False,
                assignee: int | None = None) -> Queue:
    """`state` None: the reviewer's own assignments when they have some, else all.
    `search`, `sort` (SORTS), `eligible` (by the stored totals), `page_size`, `assignees`
    (who is assigned what) and `assignee` (only the projects assigned to this reviewer): the
    web desk's table."""
    if sort in ("claimed", "verified") or eligible is not None:
        await refresh_totals(svc)  # filtered and sorted in SQL: on totals that still hold
    current = await open_round(svc)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise NotMember(None)
        round_id = current.id if current else None
        excluded = await conflicted(uow, svc, user, STATES, round_id=round_id, unrounded=True)
        found = await uow.projects.queue(
            STATES, round_id=round_id, unrounded=True, now=svc.clock.now(),
            reviewer_id=user_id, scope=scope_district(svc, user_id, user), excluded=excluded,
            state=state, district=district, assignee=assignee, search=search,
            eligible=eligible, sort=sort if sort in SORTS else "id", page=page,
            page_size=page_size, assignees=assignees)
        listed = found.rows
        pairs = await uow.assignments.pairs(project_ids=[x.id for x in listed]) \
            if (assignees or assignee is not None) and listed else []
        people = await uow.users.names(found.assignees) if assignees else {}
        assigned: dict[int, tuple[str, ...]] = {}
        for p, r in pairs:
            assigned[p] = (*assigned.get(p, ()), people.get(r, str(r)))
    kept = await totals(svc, listed)
    return Queue(found.counts, tuple(Line(x.id, x.name, x.organization.district,
                                          _status(svc, x), kept[x.id].claimed,
                                          kept[x.id].verified, kept[x.id].eligible,
                                          kept[x.id].blocking)
                                     for x in listed), found.page, found.pages,
                 current.name if current else None, found.state,
                 {x.id: x.organization_name for x in listed}, assigned, people,
                 found.everything)
