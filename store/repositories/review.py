"""Verdicts, recusals and assignments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import func, select, union

from store.models import (
    Assignment,
    AuditEntry,
    EvidenceEntry,
    EvidenceFigure,
    EvidenceFile,
    Project,
    Recusal,
    ReviewNote,
    Verdict,
)
from store.repositories.base import Repo


class Reviews(Repo):
    """Verdicts (one per project, reviewer and target, replaced when the reviewer changes
    their mind) and recusals."""

    async def verdicts(self, project_id: int) -> list[Verdict]:
        return list(await self.session.scalars(select(Verdict).where(
            Verdict.project_id == project_id).order_by(Verdict.id)))

    async def verdicts_of(self, project_ids: Collection[int]) -> list:
        """The verdicts of several projects as plain read-only rows (Core), one query."""
        if not project_ids:
            return []
        v = Verdict.__table__
        return (await self.session.execute(select(v).where(
            v.c.project_id.in_(list(project_ids))).order_by(v.c.id))).all()

    async def verdict(self, project_id: int, reviewer_id: int, target: str) -> Verdict | None:
        return await self.session.scalar(select(Verdict).where(
            Verdict.project_id == project_id, Verdict.reviewer_id == reviewer_id,
            Verdict.target == target))

    async def recusal(self, project_id: int, reviewer_id: int) -> Recusal | None:
        return await self.session.get(Recusal, (project_id, reviewer_id))

    async def recused_of(self, reviewer_id: int) -> set[int]:
        return set(await self.session.scalars(select(Recusal.project_id).where(
            Recusal.reviewer_id == reviewer_id)))

    async def departures(self, user_ids: Collection[int]
                         ) -> dict[tuple[int, int], dt.datetime]:
        """(user, organisation) → when the user last left it (the audit log's
        remove_member entries), for these users: one statement."""
        if not user_ids:
            return {}
        rows = await self.session.execute(
            select(AuditEntry.subject, AuditEntry.organization_id, func.max(AuditEntry.at))
            .where(AuditEntry.action == "remove_member",
                   AuditEntry.subject.in_([str(u) for u in user_ids]),
                   AuditEntry.organization_id.is_not(None))
            .group_by(AuditEntry.subject, AuditEntry.organization_id))
        return {(int(subject), org_id): at for subject, org_id, at in rows}

    async def authored(self, user_ids: Collection[int]) -> set[tuple[int, int]]:
        """(user, project) for every project these users created, submitted or wrote
        evidence of (a file, an entry, a figure): one statement."""
        if not user_ids:
            return set()
        users = list(user_ids)
        p, f = Project.__table__, EvidenceFile.__table__
        e, g = EvidenceEntry.__table__, EvidenceFigure.__table__
        parts = [select(col, p.c.id).where(col.in_(users))
                 for col in (p.c.created_by, p.c.submitted_by)]
        parts += [select(col, table.c.project_id).where(col.in_(users))
                  for table, col in ((f, f.c.uploaded_by), (e, e.c.created_by),
                                     (g, g.c.updated_by))]
        return {(uid, pid) for uid, pid in await self.session.execute(union(*parts))}

    async def recusal_pairs(self, project_ids: Collection[int]) -> set[tuple[int, int]]:
        """(project, reviewer) of every recusal from these projects, one statement."""
        if not project_ids:
            return set()
        rows = await self.session.execute(select(Recusal.project_id, Recusal.reviewer_id)
                                          .where(Recusal.project_id.in_(list(project_ids))))
        return {(p, r) for p, r in rows}

    async def recused_from(self, project_id: int) -> set[int]:
        """The reviewers who recused themselves from this project."""
        return set(await self.session.scalars(select(Recusal.reviewer_id).where(
            Recusal.project_id == project_id)))


class Assignments(Repo):
    """Which reviewer reviews which project (store/models.py Assignment)."""

    async def pairs(self, *, project_ids: Collection[int] | None = None,
                    reviewer_ids: Collection[int] | None = None) -> list[tuple[int, int]]:
        """(project, reviewer) of these projects, or of these reviewers (None: all), in one
        statement."""
        query = select(Assignment.project_id, Assignment.reviewer_id)
        for column, given in ((Assignment.project_id, project_ids),
                              (Assignment.reviewer_id, reviewer_ids)):
            if given is not None:
                if not given:
                    return []
                query = query.where(column.in_(list(given)))
        rows = await self.session.execute(query.order_by(Assignment.project_id,
                                                         Assignment.reviewer_id))
        return [(pid, rid) for pid, rid in rows]

    async def of_reviewer(self, reviewer_id: int) -> set[int]:
        return set(await self.session.scalars(select(Assignment.project_id).where(
            Assignment.reviewer_id == reviewer_id)))

    async def reviewers_in_round(self, round_id: int) -> set[int]:
        """The reviewers with a project of this round."""
        return set(await self.session.scalars(
            select(Assignment.reviewer_id).join(Project, Project.id == Assignment.project_id)
            .where(Project.round_id == round_id).distinct()))

    async def remove(self, project_id: int, reviewer_id: int) -> bool:
        result = await self.session.execute(Assignment.__table__.delete().where(
            Assignment.project_id == project_id, Assignment.reviewer_id == reviewer_id))
        return bool(result.rowcount)


class Notes(Repo):
    """The reviewers' notes on projects (the federation's own), appended."""

    def add(self, note: ReviewNote) -> None:
        self.session.add(note)

    async def of_project(self, project_id: int) -> list[ReviewNote]:
        return list(await self.session.scalars(select(ReviewNote).where(
            ReviewNote.project_id == project_id).order_by(ReviewNote.id)))
