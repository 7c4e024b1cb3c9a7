"""The ranking of a round's submitted projects on their verified totals, with the
tie-breaks and the city's selection line from data/ranking.toml (domain/ranking.py).
Set-based: the ranking reads one light row per project with its stored totals
(services/decisions/totals.py); the projects shown (a page, or all for the workbook) get their
ledgers, and the workbook the detail stored with their totals: no project is loaded or
scored again unless its stored totals are missing or outdated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from domain.ranking import KEYS, Ranked, Selection, rank
from domain.scoring import ScoreReport
from services.core import Services
from services.decisions import ledger as ledgers
from services.decisions.totals import CHUNK, Detail, basis, details, totals
from services.errors import NotMember
from services.walk.view import (
    Loaded,
    ProjectView,
    in_scope,
    reviewed_project,
)
from store.datafiles import load_ranking

REVIEWED = ("submitted", "in_review", "returned", "verified")  # every status after a draft


def verified_report(loaded: Loaded | None, claimed: ProjectView) -> ScoreReport:
    """THE score honours and money go by: the reviewers' verified score (accepted evidence
    only, services/walk/view.py after issue 11's desk)."""
    return claimed.verified if claimed.verified is not None else claimed.report


@dataclass(frozen=True, slots=True)
class RankedProject:
    """A ranked row with what the pages and the workbook need besides."""

    row: Ranked
    ledger: ledgers.ProjectLedger
    round_year: int | None
    detail: Detail = Detail()  # the workbook's only (services/decisions/totals.py)


def selection_line(year: int | None) -> Selection:
    """The city's selection for a round of that year: places and the minimum total."""
    return load_ranking().selection_for(year)


def tie_value(row: Ranked, key: str) -> object:
    """A ranked row's value of a tie-break key, as the ranking compared it ("—": a key
    data/ranking.toml does not define)."""
    rules = load_ranking()
    return rules.value(row, key) if key in rules.points or key in KEYS else "—"


async def may_rank(svc: Services, uow, user_id: int) -> None:
    user = await uow.users.get(user_id)
    if not svc.may_review(user_id, user.role if user else None):
        raise NotMember(None)


@dataclass(frozen=True, slots=True)
class Standing:
    """A round's projects ranked, without their detail: what a page needs to place them."""

    rows: tuple[Ranked, ...]
    round_id: int | None
    round_year: int | None


async def standing(svc: Services, user_id: int, *, district: str | None = None,
                   round_id: int | None = None,
                   slow: Callable[[int], Awaitable[None]] | None = None) -> Standing:
    """Submitted (and reviewed) projects of a round (the latest round that has any when
    not given) in one district or all, ranked on their stored totals (services/decisions/totals.py):
    one statement for the projects with their totals and figure, whatever their number,
    plus the scoring of those whose totals are missing or outdated (`slow(n)` awaited
    first when they are many). Reviewers and administrators only."""
    rules = load_ranking()
    async with svc.uow() as uow:
        await may_rank(svc, uow, user_id)
        user = await uow.users.get(user_id)
        rows = [x for x in await uow.projects.rows(REVIEWED, totals=True,
                                                    figure=rules.satisfaction_item)
                if in_scope(svc, user_id, user, x.organization)]  # a district's reviewer
        if round_id is None:
            round_id = max((x.round_id for x in rows if x.round_id is not None), default=None)
        rows = [x for x in rows if x.round_id == round_id
                and (district is None or x.organization.district == district)]
        year = None
        if round_id is not None:
            round_ = await uow.rounds.get(round_id)
            year = round_.year if round_ else None
    scored = await totals(svc, rows, slow=slow)
    ranked = rank(rules, (Ranked(x.id, x.name, x.organization_name, x.uscc,
                                 x.organization.district, round_id, scored[x.id].claimed,
                                 scored[x.id].verified, scored[x.id].eligible, x.figure,
                                 x.submitted_at, criteria=scored[x.id].criteria,
                                 blocking=scored[x.id].blocking) for x in rows), year)
    return Standing(tuple(ranked), round_id, year)


async def refresh_totals(svc: Services, chunk: int = 500) -> int:
    """Score again the stored totals that a bulk change outdated (a round's dates, an
    organisation's, a new rubric), so that the next /ranking finds them warm. Small chunks:
    the event loop is never held for long. One light statement when none is outdated.
    Returns how many were scored."""
    async with svc.uow() as uow:
        rows = await uow.projects.rows(REVIEWED, totals=True,
                                       outdated=(basis(svc), svc.clock.today()))
    await totals(svc, rows, chunk)
    return len(rows)


async def detail(svc: Services, rows: Sequence[Ranked], year: int | None, *,
                 workbook: bool = False) -> list[RankedProject]:
    """These ranked rows with their ledgers and, for the `workbook`, the detail stored with
    their totals (services/decisions/totals.py), CHUNK at a time: two statements each."""
    out: list[RankedProject] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        async with svc.uow() as uow:
            books = await ledgers.balances(svc, uow, chunk)
            kept = await details(uow, [r.project_id for r in chunk]) if workbook else {}
        out += [RankedProject(r, books[r.project_id], year, kept.get(r.project_id, Detail()))
                for r in chunk]
    return out


@dataclass(frozen=True, slots=True)
class RankingPage:
    count: int  # projects ranked
    round_year: int | None
    page: int  # from 0, within the pages there are
    pages: int
    shown: tuple[RankedProject, ...]  # this page's, with their ledgers


async def ranking_page(svc: Services, user_id: int, *, district: str | None = None,
                       page: int = 0, size: int = 10,
                       slow: Callable[[int], Awaitable[None]] | None = None) -> RankingPage:
    """One page of the ranking (/ranking): every project placed on its stored totals, the
    ledgers of the page's only. `slow(n)`: see `standing`."""
    ranked = await standing(svc, user_id, district=district, slow=slow)
    pages = max(1, -(-len(ranked.rows) // size))
    page = min(max(page, 0), pages - 1)
    shown = await detail(svc, ranked.rows[page * size:(page + 1) * size], ranked.round_year)
    return RankingPage(len(ranked.rows), ranked.round_year, page, pages, tuple(shown))


async def ranking(svc: Services, user_id: int, *, district: str | None = None,
                  round_id: int | None = None) -> list[RankedProject]:
    """The whole ranking with every project's ledger and stored detail (the workbook)."""
    ranked = await standing(svc, user_id, district=district, round_id=round_id)
    return await detail(svc, ranked.rows, ranked.round_year, workbook=True)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a project stands in its round's city-wide ranking, for a decision on it."""

    row: Ranked | None  # None: not ranked (not submitted in a round)
    line: Selection
    count: int

    @property
    def departs(self) -> bool:
        """A decision for it would go against the ranking: not within the selection line."""
        return self.row is None or not self.row.selected

    @property
    def gap(self) -> int:
        """How far its verified total is below the line's minimum (0: not below)."""
        return max(0, self.line.min_total - self.row.verified_total) if self.row else 0


async def placement(svc: Services, user_id: int, project_id: int) -> Placement:
    """The project's place in its round's ranking (the whole city's, as the reviewer's
    scope allows), with the round's selection line."""
    async with svc.uow() as uow:
        project = await reviewed_project(uow, svc, user_id, project_id)
        round_id = project.round_id
    ranked = await standing(svc, user_id, round_id=round_id)
    row = next((r for r in ranked.rows if r.project_id == project_id), None)
    return Placement(row, selection_line(ranked.round_year), len(ranked.rows))


def departure_note(svc: Services, placed: Placement) -> str:
    """What a decision that departs from the ranking says about it on its row (zh: the
    ledger is the federation's record)."""
    t, r = svc.catalog.t, placed.row
    if r is None:
        return t("decide.departs_unranked", "zh")
    return t("decide.departs_note", "zh", place=r.place, verified=r.verified_total,
             places=placed.line.places, min_total=placed.line.min_total,
             eligible="" if r.eligible else t("decide.ineligible", "zh").strip())


async def decide(svc: Services, user_id: int, project_id: int, kind: str, level: str,
                 awarded: bool | None = None) -> ledgers.ProjectLedger:
    """A confirmed decision: an honour, a recommendation upward or a recommendation's
    outcome. One that departs from the ranking says so on its row."""
    if kind == "outcome":
        return await ledgers.outcome(svc, user_id, project_id, level, bool(awarded))
    placed = await placement(svc, user_id, project_id)
    note = departure_note(svc, placed) if placed.departs else ""
    if kind == "honour":
        return await ledgers.honour(svc, user_id, project_id, level, note)
    return await ledgers.recommend(svc, user_id, project_id, level, note)
