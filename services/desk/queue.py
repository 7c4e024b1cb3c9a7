"""The reviewers' desk, reads: the queue of the open round by state, within the
reviewer's scope, set-based. The candidates are light rows with their stored totals (one
statement, no evidence); scope, conflicts and recusals are applied to those; the page
shown is listed on its stored totals (services/decisions/totals.py: only an outdated one is scored
again)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.core import Services
from services.decisions.totals import totals
from services.desk.reviewers import conflicts, judged
from services.errors import NotMember
from services.schedule.rounds import open_round
from services.walk.view import in_scope

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


def _status(svc: Services, row) -> str:
    """As a ProjectView shows it (services/walk/view.py Loaded.status): a returned
    project past its deadline is closed."""
    if row.status in ("draft", "returned") and row.closes is not None \
            and svc.clock.now() >= row.closes:
        return "closed"
    return row.status


def _stored(row, name: str) -> int:
    stored = row.stored
    value = getattr(stored, name, None) if stored is not None else None
    return value if value is not None else -1


def _sorted(rows: list, sort: str) -> list:
    """`submitted`: the latest first; `claimed` / `verified`: the best stored total first."""
    if sort == "submitted":
        return sorted(rows, key=lambda x: (x.submitted_at is None,
                                           -(x.submitted_at.timestamp() if x.submitted_at
                                             else 0), x.id))
    if sort in ("claimed", "verified"):
        return sorted(rows, key=lambda x: (-_stored(x, f"{sort}_total"), x.id))
    return rows


def _found(row, search: str) -> bool:
    """By the project's or organisation's name, or the credit code."""
    needle = search.casefold()
    return (needle in row.name.casefold() or needle in row.organization_name.casefold()
            or needle in row.uscc.casefold())


async def queue(svc: Services, user_id: int, state: str | None = None,
                district: str | None = None, page: int = 0, *, search: str = "",
                sort: str = "id", eligible: bool | None = None,
                page_size: int = PAGE, assignees: bool = False,
                assignee: int | None = None) -> Queue:
    """`state` None: the reviewer's own assignments when they have some, else all.
    `search`, `sort` (SORTS), `eligible` (by the stored totals), `page_size`, `assignees`
    (who is assigned what) and `assignee` (only the projects assigned to this reviewer): the
    web desk's table."""
    current = await open_round(svc)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise NotMember(None)
        recused = await uow.reviews.recused_of(user_id)
        candidates = [x for x in await uow.projects.rows(
                      STATES, round_id=current.id if current else None, unrounded=True,
                      totals=True)
                      if x.id not in recused and in_scope(svc, user_id, user, x.organization)]
        conflicted = await conflicts(uow, svc, [user] if user else [],
                                     [judged(x, x.organization) for x in candidates])
        rows = [(x, _status(svc, x)) for x in candidates if (user_id, x.id) not in conflicted]
        mine = await uow.assignments.of_reviewer(user_id)
        counts = {"mine": sum(1 for x, _ in rows if x.id in mine)}
        counts |= {s: sum(1 for _, status in rows if status == s) for s in STATES}
        if state is None:
            state = "mine" if counts["mine"] else "all"
        pairs = await uow.assignments.pairs() if assignees or assignee is not None else []
        in_scope_ids = {x.id for x, _ in rows}
        pairs = [(p, r) for p, r in pairs if p in in_scope_ids]
        theirs = {p for p, r in pairs if r == assignee}
        chosen = [x.id for x in _sorted([
            x for x, status in rows
            if (assignee is None or x.id in theirs)
            and (state == "all" or status == state or (state == "mine" and x.id in mine))
            and (district is None or x.organization.district == district)
            and (not search or _found(x, search))
            and (eligible is None or bool(getattr(x.stored, "eligible", False)) == eligible)],
            sort)]
        pages = max(1, -(-len(chosen) // page_size))
        page = min(max(page, 0), pages - 1)
        shown = chosen[page * page_size:(page + 1) * page_size]
        order = {pid: n for n, pid in enumerate(shown)}
        listed = sorted(((x, status) for x, status in rows if x.id in order),
                        key=lambda pair: order[pair[0].id])
        people = await uow.users.names({r for _, r in pairs}) if assignees else {}
        assigned: dict[int, tuple[str, ...]] = {}
        for p, r in pairs:
            if p in order:
                assigned[p] = (*assigned.get(p, ()), people.get(r, str(r)))
    kept = await totals(svc, [x for x, _ in listed])
    return Queue(counts, tuple(Line(x.id, x.name, x.organization.district, status,
                                    kept[x.id].claimed, kept[x.id].verified,
                                    kept[x.id].eligible, kept[x.id].blocking)
                               for x, status in listed), page, pages,
                 current.name if current else None, state,
                 {x.id: x.organization_name for x, _ in listed}, assigned, people)
