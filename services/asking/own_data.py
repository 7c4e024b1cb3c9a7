"""Answers about the asker's own situation, from the database: the open round's deadline
and days left, their project's score and what is missing (best gain first), its status,
the subsidy entitled / paid / due (from the recorded honours), and a reviewer's queue.

Which questions these are is decided from data (data/questions.toml, domain.asking); the
user's data is read only through the other services' functions, all called here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from domain.reminders import days_left
from services.core import Services
from services.decisions.ledger import organization_honours
from services.decisions.subsidy import subsidy_due
from services.errors import NotMember
from services.schedule.rounds import open_deadlines
from services.walk.view import ProjectView, list_projects, organization_names, submitted_projects

MAX_OPEN = 3  # open items named in a "what is missing" answer


@dataclass(frozen=True, slots=True)
class OwnAnswer:
    """An own-data answer: the catalog key of its sentence and the values to fill in (a
    value may be a {"zh": …, "en": …} text), whose data it is and as of when, and the
    button that leads on ("score", "submit" or None)."""

    intent: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    whose: str = ""
    as_of: dt.datetime | None = None
    button: str | None = None


def _current(projects: list[ProjectView]) -> ProjectView | None:
    """The project a question about "our project" means: a draft first, the newest."""
    return min(projects, key=lambda p: (p.status != "draft", -p.id), default=None)


def _named(question: str, names: dict[int, tuple[str, ...]], generic: frozenset[str]
           ) -> int | None:
    """The one project a question names (two characters of its or its organisation's name
    that are not generic words, 海都 in 青岛海都心理健康服务中心), or None."""
    hits = [pid for pid, texts in names.items()
            if any(text[i:i + 2] in question and text[i:i + 2] not in generic
                   for text in texts for i in range(len(text) - 1))]
    return hits[0] if len(hits) == 1 else None


def _moment(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


async def round_deadlines(svc: Services, *, organization_id: int | None = None,
                          whose: str = "") -> OwnAnswer:
    """The deadline of the round open now, and the days left, from the database: the
    organisation's own (its extension) when one is given, else every open round's."""
    now = svc.clock.now()
    found = await open_deadlines(svc, organization_id)
    if not found:
        return OwnAnswer("deadline", "own.no_round", {}, whose, now, None)
    if organization_id is None and len(found) > 1:
        rounds = [{"round": d.round.name, "deadline": _moment(d.deadline_at),
                   "days": days_left(now, d.deadline_at)} for d in found]
        return OwnAnswer("deadline", "own.deadlines", {"rounds": rounds}, whose, now, None)
    first = found[0]
    values = {"round": first.round.name, "deadline": _moment(first.deadline_at),
              "days": days_left(now, first.deadline_at)}
    if first.extended:
        return OwnAnswer("deadline", "own.deadline_extended",
                         {**values, "original": _moment(first.round.deadline_at)},
                         whose, now, "submit")
    return OwnAnswer("deadline", "own.deadline", values, whose, now, "submit")


async def own_answer(svc: Services, user_id: int, organization: str | None, intent: str,
                     reviewer: bool = False, question: str = "",
                     generic: frozenset[str] = frozenset(), *,
                     organization_id: int | None = None) -> OwnAnswer | None:
    """The answer to an own-data question, or None when it has no own-data answer (the
    documents answer it instead)."""
    now = svc.clock.now()
    whose = organization or ""
    if intent == "deadline":
        return await round_deadlines(svc, organization_id=organization_id, whose=whose)
    if intent == "queue":
        if not reviewer:
            return None
        try:
            queue = await submitted_projects(svc, user_id)
        except NotMember:
            return None
        orgs = await organization_names(svc)
        names = {p.id: (p.name, orgs.get(p.organization_id, "")) for p in queue}
        named = _named(question, names, generic)
        if named is not None:
            rank, project = next((n, p) for n, p in enumerate(queue, start=1) if p.id == named)
            return OwnAnswer(intent, "own.rank", {
                "rank": rank, "count": len(queue), "name": project.name,
                "organization": orgs.get(project.organization_id, ""),
                "total": project.report.total}, "", now, None)
        ranked = [{"rank": n, "name": p.name, "total": p.report.total}
                  for n, p in enumerate(queue[:5], start=1)]
        return OwnAnswer(intent, "own.queue", {"count": len(queue), "ranked": ranked},
                         "", now, None)
    if organization is None:
        return OwnAnswer(intent, "own.need_org", {}, "", now, None)
    if intent == "subsidy":
        honoured = await organization_honours(svc, user_id)
        if not honoured:
            return OwnAnswer(intent, "own.subsidy_none", {}, whose, now, "score")
        result = subsidy_due(svc, [h for p in honoured for h in p.honours],
                             sum(p.paid for p in honoured))
        level = svc.subsidy_table.level(result.highest).label if result.highest else ""
        return OwnAnswer(intent, "own.subsidy", {
            "level": level, "entitled": result.entitled, "paid": result.paid,
            "due": result.due}, whose, now, None)
    project = _current(await list_projects(svc, user_id))
    if project is None:
        return OwnAnswer(intent, "own.no_project", {}, whose, now, "submit")
    report = project.report
    base = {"project": project.name, "total": report.total, "max": report.max}
    if intent == "status":
        return OwnAnswer(intent, f"own.status.{project.status}", base, whose, now, "submit")
    if intent == "score":
        return OwnAnswer(intent, "own.score", base, whose, now, "score")
    points = sorted(report.open_points, key=lambda p: -p.gain)
    if not points:
        return OwnAnswer(intent, "own.nothing_missing", base, whose, now, "score")
    items = [{"label": svc.rubric.item(p.item_id).label, "gain": p.gain, "action": p.action}
             for p in points[:MAX_OPEN]]
    return OwnAnswer(intent, "own.missing", {**base, "items": items,
                                             "left": report.max - report.total},
                     whose, now, "submit")
