"""The services container: what every use case needs, built once in bot/app.py.

Every setting comes from bot/settings.py or data/ through bot/app.py: no defaults here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import async_sessionmaker

from domain.districts import Districts
from domain.i18n import Catalog
from domain.reminders import ReminderPolicy
from domain.review import ReviewRules
from domain.rubric import Rubric
from domain.subsidy import SubsidyTable
from services.clock import Clock
from store.evidence_store import EvidenceStore
from store.uow import UnitOfWork

if TYPE_CHECKING:  # the search stack (rapidfuzz, jieba's table) loads on the first question
    from domain.asking import Contact
    from domain.search import SearchIndex


@dataclass
class SearchCache:
    """The policy search index and the newest contact, built on the first question and
    rebuilt when the documents folder's version changes (services/asking/questions.py)."""

    index: SearchIndex | None = None
    contact: Contact | None = None
    version: tuple = ()
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Services:
    sessions: async_sessionmaker
    clock: Clock
    rubric: Rubric
    subsidy_table: SubsidyTable
    catalog: Catalog
    admin_ids: frozenset[int]
    bot_username: str
    evidence: EvidenceStore
    max_file_bytes: int
    allowed_types: frozenset[str]
    service_areas: tuple[str, ...]
    districts: Districts
    reminder_policy: ReminderPolicy
    invite_days: int
    cjk_font: Path  # the chart's and the dossier PDF's font (TrueType, .ttf or .ttc)
    review: ReviewRules = field(default_factory=lambda: ReviewRules(()))
    search: SearchCache = field(default_factory=SearchCache)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def close(self) -> None:
        """Close the database connections (the command line, after its one use)."""
        await self.sessions.kw["bind"].dispose()

    def may_review(self, user_id: int, role: str | None) -> bool:
        """Reviewers and administrators verify, rank, reopen, extend and record honours."""
        return user_id in self.admin_ids or role == "reviewer"
