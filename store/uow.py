"""Unit of work: one transaction, the repositories over it. Commit is explicit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from store.errors import Duplicate, StaleWrite
from store.repositories.audit import AuditLog
from store.repositories.ledger import Ledger
from store.repositories.people import Invites, Organizations, SignIns, Users
from store.repositories.projects import Projects, Totals
from store.repositories.questions import AnswerCards, Feedbacks, GapDigests, QuestionGaps
from store.repositories.review import Assignments, Notes, Reviews
from store.repositories.rounds import Extensions, Reminders, Rounds


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session: AsyncSession = self._sessions()
        self.users = Users(self.session)
        self.organizations = Organizations(self.session)
        self.invites = Invites(self.session)
        self.projects = Projects(self.session)
        self.feedback = Feedbacks(self.session)
        self.gaps = QuestionGaps(self.session)
        self.cards = AnswerCards(self.session)
        self.digests = GapDigests(self.session)
        self.rounds = Rounds(self.session)
        self.extensions = Extensions(self.session)
        self.reminders = Reminders(self.session)
        self.ledger = Ledger(self.session)
        self.totals = Totals(self.session)
        self.audit = AuditLog(self.session)
        self.reviews = Reviews(self.session)
        self.assignments = Assignments(self.session)
        self.notes = Notes(self.session)
        self.signins = SignIns(self.session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.session.close()  # rolls back what was not committed; keeps loaded values

    async def commit(self) -> None:
        """Commit; a unique key raises Duplicate, an outdated version StaleWrite."""
        async with self._translated():
            await self.session.commit()

    async def flush(self) -> None:
        async with self._translated():
            await self.session.flush()

    @asynccontextmanager
    async def _translated(self) -> AsyncIterator[None]:
        """SQLAlchemy's refusals in the store's words; the transaction rolled back."""
        try:
            yield
        except IntegrityError as exc:
            await self.session.rollback()
            raise Duplicate(str(exc.orig)) from exc
        except StaleDataError as exc:
            await self.session.rollback()
            raise StaleWrite(str(exc)) from exc
