"""Scores of an organisation's projects, computed from what is stored."""

from __future__ import annotations

from dataclasses import dataclass

from domain.scoring import ScoreReport
from services.core import Services
from services.walk.view import ProjectView, load_many


@dataclass(frozen=True, slots=True)
class ProjectScore:
    project_id: int
    name: str
    status: str
    report: ScoreReport
    verified: ScoreReport | None = None  # once reviewers gave verdicts: accepted evidence only
    view: ProjectView | None = None  # the project as the walk shows it (its verdicts' reasons)


async def organization_scores(svc: Services, organization_id: int) -> list[ProjectScore]:
    """Each of the organisation's projects scored, set-based (five statements)."""
    async with svc.uow() as uow:
        views = [(loaded.view(), bool(loaded.verdicts))
                 for loaded in await load_many(uow, svc, organization_id=organization_id)]
    return [ProjectScore(v.id, v.name, v.status, v.report, v.verified if reviewed else None, v)
            for v, reviewed in views]
