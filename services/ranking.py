"""The ranking of a round's submitted projects on their verified totals, with the
tie-breaks and the city's selection line from data/ranking.toml (domain/ranking.py).
Set-based: the projects and their evidence in four statements, their ledgers in one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from domain.ranking import Ranked, Selection, rank
from domain.scoring import ScoreReport
from services import ledger as ledgers
from services.core import Services
from services.project_view import Loaded, NotMember, ProjectView, load_many
from services.reviewers import in_scope
from store.datafiles import load_ranking

REVIEWED = ("submitted", "in_review", "returned", "verified")  # every status after a draft


def verified_report(loaded: Loaded | None, claimed: ProjectView) -> ScoreReport:
    """THE score honours and money go by: the reviewers' verified score (accepted evidence
    only, services/project_view.py after issue 11's desk)."""
    return claimed.verified if claimed.verified is not None else claimed.report


@dataclass(frozen=True, slots=True)
class RankedProject:
    """A ranked row with what the exports and the dossier need besides."""

    row: Ranked
    claimed: ScoreReport
    verified: ScoreReport
    ledger: ledgers.ProjectLedger
    round_year: int | None


def selection_line(year: int | None) -> Selection:
    """The city's selection for a round of that year: places and the minimum total."""
    return load_ranking().selection_for(year)


async def may_rank(svc: Services, uow, user_id: int) -> None:
    user = await uow.users.get(user_id)
    if not svc.may_review(user_id, user.role if user else None):
        raise NotMember(None)


def _satisfaction(loaded: Loaded, item: str) -> float | None:
    value = loaded.figures.get(item)
    return value[0] if value else None


async def ranking(svc: Services, user_id: int, district: str | None = None,
                  round_id: int | None = None) -> list[RankedProject]:
    """Submitted (and reviewed) projects of a round (the latest round that has any when
    not given) in one district or all, ranked. Reviewers and administrators only."""
    rules = load_ranking()
    async with svc.uow() as uow:
        await may_rank(svc, uow, user_id)
        user = await uow.users.get(user_id)
        loaded = [x for x in await load_many(uow, svc) if x.project.status in REVIEWED
                  and in_scope(svc, user_id, user, x.organization)]  # a district's reviewer
        if round_id is None:
            rounds = [x.project.round_id for x in loaded if x.project.round_id is not None]
            round_id = max(rounds, default=None)
        loaded = [x for x in loaded if x.project.round_id == round_id
                  and (district is None or x.organization.district == district)]
        books = await ledgers.balances(svc, uow, [(x.project, x.organization) for x in loaded])
        year = None
        if round_id is not None:
            round_ = await uow.rounds.get(round_id)
            year = round_.year if round_ else None
    # scoring thousands of projects is CPU work: off the event loop, in a worker thread
    return await asyncio.to_thread(_ranked, rules, loaded, books, round_id, year)


def _ranked(rules, loaded: list[Loaded], books, round_id: int | None,
            year: int | None) -> list[RankedProject]:
    extra, rows = {}, []
    for x in loaded:
        claimed = x.view()
        verified = verified_report(x, claimed)
        org = x.organization
        rows.append(Ranked(x.project.id, x.project.name, org.name, org.uscc, org.district,
                           round_id, claimed.report.total, verified.total, verified.eligible,
                           _satisfaction(x, rules.satisfaction_item), x.project.submitted_at))
        extra[x.project.id] = (claimed.report, verified)
    return [RankedProject(r, *extra[r.project_id], books[r.project_id], year)
            for r in rank(rules, rows, year)]
