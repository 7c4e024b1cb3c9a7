"""Scores of an organisation's projects, computed from what is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.scoring import ScoreReport, Submission
from services.core import Services
from services.walk.view import (
    Loaded,
    ProjectView,
    fill,
    load_many,
    submission,
)
from store.models import EvidenceEntry, EvidenceFigure, EvidenceFile, Organization, Project


@dataclass(frozen=True, slots=True)
class ProjectScore:
    project_id: int
    name: str
    status: str
    report: ScoreReport
    verified: ScoreReport | None = None  # once reviewers gave verdicts: accepted evidence only
    view: ProjectView | None = None  # the project as the walk shows it (its verdicts' reasons)


def make_submission(svc: Services, org: Organization, project: Project,
                    files: list[EvidenceFile], entries: list[EvidenceEntry],
                    figures: list[EvidenceFigure], recommended_on: dt.date) -> Submission:
    """What the rubric scores, from a project's stored evidence (already loaded)."""
    loaded = Loaded(svc, 0, None, project, org, None, recommended_on)
    fill(loaded, files, entries, figures)
    return submission(loaded)


async def organization_scores(svc: Services, organization_id: int) -> list[ProjectScore]:
    """Each of the organisation's projects scored, set-based (four statements)."""
    async with svc.uow() as uow:
        views = [(loaded.view(), bool(loaded.verdicts))
                 for loaded in await load_many(uow, svc, organization_id=organization_id)]
    return [ProjectScore(v.id, v.name, v.status, v.report, v.verified if reviewed else None, v)
            for v, reviewed in views]
