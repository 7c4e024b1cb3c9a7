"""The inbox table: updates from Telegram, kept from their arrival until they were handled."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from store.models import InboxUpdate

log = logging.getLogger("unionbot.inbox")

PENDING, DONE, FAILED = "pending", "done", "failed"


class InboxStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def add(self, update_id: int, payload: dict[str, Any], now: dt.datetime) -> bool:
        """Store an update that just arrived (committed on return). False if it is here
        already: Telegram delivered it again (a webhook retry, a poll after a crash)."""
        try:
            async with self._sessions() as s, s.begin():
                row = await s.get(InboxUpdate, update_id)
                if row is None:
                    s.add(InboxUpdate(update_id=update_id, payload=payload, status=PENDING,
                                      attempts=0, received_at=now))
                    return True
                if row.payload == payload:
                    return False
                # The same id for another update: after a week without updates Telegram picks
                # the next id at random. The old row was handled long ago; this is new.
                row.payload, row.status, row.attempts = payload, PENDING, 0
                row.received_at, row.handled_at = now, None
                return True
        except IntegrityError:  # the same update stored at the same moment by another delivery
            return False

    async def finish(self, update_id: int, now: dt.datetime) -> None:
        async with self._sessions() as s, s.begin():
            await s.execute(update(InboxUpdate)
                            .where(InboxUpdate.update_id == update_id,
                                   InboxUpdate.status == PENDING)
                            .values(status=DONE, handled_at=now))

    async def unfinished(self, max_attempts: int, now: dt.datetime) -> list[tuple[int, dict]]:
        """Pending updates in arrival order, as (update_id, payload), each counted as one more
        attempt (the caller handles them now). Updates whose handling already ended the process
        `max_attempts` times after a restart are set aside as failed."""
        async with self._sessions() as s, s.begin():
            rows = list(await s.scalars(select(InboxUpdate)
                                        .where(InboxUpdate.status == PENDING)
                                        .order_by(InboxUpdate.update_id)))
            given_up = [r.update_id for r in rows if r.attempts >= max_attempts]
            again = [(r.update_id, r.payload) for r in rows if r.attempts < max_attempts]
            if given_up:
                log.error("updates %s were tried %d times without finishing; set aside",
                          given_up, max_attempts)
                await s.execute(update(InboxUpdate)
                                .where(InboxUpdate.update_id.in_(given_up))
                                .values(status=FAILED, handled_at=now))
            if again:
                await s.execute(update(InboxUpdate)
                                .where(InboxUpdate.update_id.in_([i for i, _ in again]))
                                .values(attempts=InboxUpdate.attempts + 1))
            return again

    async def prune(self, before: dt.datetime) -> int:
        """Forget updates handled (or set aside) before `before`."""
        async with self._sessions() as s, s.begin():
            result = await s.execute(delete(InboxUpdate)
                                     .where(InboxUpdate.status.in_((DONE, FAILED)),
                                            InboxUpdate.handled_at < before))
            return result.rowcount or 0

    async def counts(self) -> dict[str, int]:
        """Rows per status (for tests and health checks)."""
        async with self._sessions() as s:
            rows = await s.execute(select(InboxUpdate.status, func.count())
                                   .group_by(InboxUpdate.status))
            return {status: count for status, count in rows}
