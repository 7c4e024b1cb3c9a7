"""The append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import AuditEntry
from store.repositories.base import Repo


class AuditLog(Repo):
    """Append-only: `record` adds a row; nothing here updates or deletes one."""

    async def record(self, **values: Any) -> None:
        self.session.add(AuditEntry(**values))

    async def entries(self, project_id: int | None = None,
                      organization_id: int | None = None) -> list[AuditEntry]:
        """In the order they happened (of one project, or one organisation, or all)."""
        query = select(AuditEntry)
        if project_id is not None:
            query = query.where(AuditEntry.project_id == project_id)
        if organization_id is not None:
            query = query.where(AuditEntry.organization_id == organization_id)
        return list(await self.session.scalars(query.order_by(AuditEntry.id)))
