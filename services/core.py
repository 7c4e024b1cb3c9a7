"""The services container: what every use case needs, built once in bot/app.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from domain.i18n import Catalog
from domain.rubric import Rubric
from domain.subsidy import SubsidyTable
from services.clock import Clock
from store.evidence_store import EvidenceStore
from store.uow import UnitOfWork


@dataclass
class Services:
    sessions: async_sessionmaker
    clock: Clock
    rubric: Rubric
    subsidy_table: SubsidyTable
    catalog: Catalog
    admin_ids: frozenset[int] = frozenset()
    bot_username: str = "unionbot_bot"
    evidence: EvidenceStore | None = None
    max_file_bytes: int = 20 * 1024 * 1024
    allowed_types: frozenset[str] = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "jpg",
                                               "jpeg", "png"})
    service_areas: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)  # lazily built things (search index)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def may_review(self, user_id: int, role: str | None) -> bool:
        """Reviewers and administrators verify, rank, reopen, extend and record honours."""
        return user_id in self.admin_ids or role == "reviewer"
