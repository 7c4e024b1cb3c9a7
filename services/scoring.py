"""Scores of an organisation's projects, computed from what is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.evidence import EntryRecord, FileRecord, evidence_values
from domain.scoring import ScoreReport, Submission, score
from services.core import Services
from store.models import EvidenceEntry, EvidenceFigure, EvidenceFile, Organization, Project
from store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ProjectScore:
    project_id: int
    name: str
    status: str
    report: ScoreReport


async def submission_of(uow: UnitOfWork, svc: Services, org: Organization, project: Project,
                        today: dt.date) -> Submission:
    files = await uow.projects.files(project.id)
    entries = await uow.projects.entries(project.id)
    figures = await uow.projects.figures(project.id)
    recommended_on = project.recommended_on
    if recommended_on is None and project.round_id is not None:
        recommended_on = (await uow.rounds.get(project.round_id)).recommended_on
    return make_submission(svc, org, project, files, entries, figures, recommended_on or today)


def make_submission(svc: Services, org: Organization, project: Project,
                    files: list[EvidenceFile], entries: list[EvidenceEntry],
                    figures: list[EvidenceFigure], recommended_on: dt.date) -> Submission:
    """What the rubric scores, from a project's stored evidence (already loaded)."""
    supported = {f.entry_id for f in files if f.entry_id is not None}
    evidence = evidence_values(
        svc.rubric,
        [FileRecord(f.item_id, f.kind) for f in files if f.entry_id is None],
        [EntryRecord(e.item_id, e.level, bool(e.link) or e.id in supported) for e in entries],
        {f.item_id: f.value for f in figures},
    )
    facts = {
        "organization.established_on": org.established_on,
        "organization.certificate_valid_until": org.certificate_valid_until,
        "project.completed_on": project.completed_on,
        "project.closed_and_evaluated": project.closed_and_evaluated,
    }
    return Submission(recommended_on=recommended_on, facts=facts, evidence=evidence)


async def project_score(svc: Services, project_id: int) -> ProjectScore | None:
    async with svc.uow() as uow:
        project = await uow.projects.get(project_id)
        if project is None:
            return None
        org = await uow.organizations.get(project.organization_id)
        sub = await submission_of(uow, svc, org, project, svc.clock.today())
        return ProjectScore(project.id, project.name, project.status, score(svc.rubric, sub))


async def organization_scores(svc: Services, organization_id: int) -> list[ProjectScore]:
    async with svc.uow() as uow:
        org = await uow.organizations.get(organization_id)
        if org is None:
            return []
        out = []
        for project in await uow.projects.of_organization(org.id):
            sub = await submission_of(uow, svc, org, project, svc.clock.today())
            out.append(ProjectScore(project.id, project.name, project.status,
                                    score(svc.rubric, sub)))
        return out
