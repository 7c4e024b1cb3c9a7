"""The subsidy ledger's rows."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from store.models import LedgerEntry, Organization, Project
from store.repositories.base import Repo


class Ledger(Repo):
    """Honours, recommendations, outcomes and payments: appended, never changed."""

    async def of_projects(self, project_ids: Collection[int] | None = None
                          ) -> list[LedgerEntry]:
        """The rows of these projects (or of all), oldest first, in one statement."""
        query = select(LedgerEntry).order_by(LedgerEntry.project_id, LedgerEntry.id)
        if project_ids is not None:
            ids = list(project_ids)
            if not ids:
                return []
            query = query.where(LedgerEntry.project_id.in_(ids))
        return list(await self.session.scalars(query))

    async def projects_with_rows(self, organization_id: int | None = None
                                 ) -> list[tuple[Project, Organization]]:
        """The projects that have ledger rows, with their organisations, by id."""
        query = (select(Project, Organization)
                 .join(Organization, Organization.id == Project.organization_id)
                 .where(Project.id.in_(select(LedgerEntry.project_id)))
                 .order_by(Project.id))
        if organization_id is not None:
            query = query.where(Project.organization_id == organization_id)
        return [tuple(row) for row in await self.session.execute(query)]  # type: ignore[misc]
