"""The inbox table: updates from Telegram, kept from their arrival until they were handled."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import Insert, Update, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from store.db import Op, upsert_insert
from store.models import InboxUpdate

log = logging.getLogger("unionbot.inbox")

PENDING, DONE, FAILED = "pending", "done", "failed"
TABLE = InboxUpdate.__table__


@functools.cache
def _adding(dialect: str) -> Insert:
    """Built once per dialect, so its compiled form is cached; run with a list of rows."""
    return (upsert_insert(dialect)(TABLE).on_conflict_do_nothing(index_elements=[TABLE.c.update_id])
            .returning(TABLE.c.update_id))


# Built once, so its compiled form is cached; run with the ids and the time.
_FINISHING: Update = (update(TABLE)
                      .where(TABLE.c.update_id.in_(bindparam("ids", expanding=True)),
                             TABLE.c.status == PENDING)
                      .values(status=DONE, handled_at=bindparam("now")))


class InboxStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions
        self._engine = sessions.kw["bind"]
        # SQLite lets one connection write at a time: see `writing`
        self._turn = asyncio.Lock() if self._engine.dialect.name == "sqlite" else None

    def writing(self) -> AbstractAsyncContextManager[object]:
        """Held while the inbox's own writes run (storing updates, and around the commit of
        the state and done marks: bot/runtime/inbox.py). On SQLite, where one connection
        writes at a time, the next update's store then waits for the last one's done mark
        here and goes on as soon as it is committed, rather than in SQLite's busy handler,
        which sleeps 1 ms, 2 ms, 5 ms… between its tries."""
        return self._turn if self._turn is not None else contextlib.nullcontext()

    async def add(self, update_id: int, payload: dict[str, Any], now: dt.datetime) -> bool:
        """Store an update that just arrived (committed on return). False if it is here
        already: Telegram delivered it again (a webhook retry, a poll after a crash)."""
        return update_id in await self.add_all([(update_id, payload)], now)

    async def add_all(self, updates: list[tuple[int, dict[str, Any]]], now: dt.datetime
                      ) -> set[int]:
        """Store `updates` (update_id, payload) in one transaction (committed on return): the
        ids that are new."""
        async with self.writing(), self._engine.begin() as conn:
            return await self.adding(updates, now)(conn)

    def adding(self, updates: list[tuple[int, dict[str, Any]]], now: dt.datetime) -> Op:
        """The statements that store `updates` (update_id, payload) that just arrived, for a
        transaction of the caller's: the ids that are new. One `INSERT …
        ON CONFLICT DO NOTHING` for all of them; the payloads are compared only for ids that
        were here already."""
        payloads = dict(updates)

        async def add(conn: AsyncConnection) -> set[int]:
            if not payloads:
                return set()
            stored = await conn.execute(_adding(conn.dialect.name), [
                {"update_id": i, "payload": p, "status": PENDING, "attempts": 0,
                 "received_at": now} for i, p in payloads.items()])
            new = set(stored.scalars())
            if len(new) == len(payloads):
                return new
            again = sorted(payloads.keys() - new)
            earlier = await conn.execute(select(TABLE.c.update_id, TABLE.c.payload)
                                         .where(TABLE.c.update_id.in_(again)))
            # The same id for another update: after a week without updates Telegram picks the
            # next id at random. The old row was handled long ago; this one is new.
            reused = [i for i, payload in earlier if payload != payloads[i]]
            for update_id in reused:
                await conn.execute(update(TABLE).where(TABLE.c.update_id == update_id)
                                   .values(payload=payloads[update_id], status=PENDING,
                                           attempts=0, received_at=now, handled_at=None))
            return new | set(reused)

        return add

    async def finish(self, update_id: int, now: dt.datetime) -> None:
        async with self._engine.begin() as conn:
            await self.finishing([update_id], now)(conn)

    def finishing(self, update_ids: list[int], now: dt.datetime) -> Op:
        """The statement that marks `update_ids` done, for a transaction of the caller's."""
        async def finish(conn: AsyncConnection) -> None:
            await conn.execute(_FINISHING, {"ids": list(update_ids), "now": now})

        return finish

    async def unfinished(self, max_attempts: int, now: dt.datetime) -> list[tuple[int, dict]]:
        """Pending updates in arrival order, as (update_id, payload), each counted as one more
        attempt (the caller handles them now). Updates whose handling already ended the process
        `max_attempts` times after a restart are set aside as failed."""
        async with self.sessions() as s, s.begin():
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
        async with self.sessions() as s, s.begin():
            result = await s.execute(delete(InboxUpdate)
                                     .where(InboxUpdate.status.in_((DONE, FAILED)),
                                            InboxUpdate.handled_at < before))
            return result.rowcount or 0

    async def counts(self) -> dict[str, int]:
        """Rows per status (for tests and health checks)."""
        async with self.sessions() as s:
            rows = await s.execute(select(InboxUpdate.status, func.count())
                                   .group_by(InboxUpdate.status))
            return {status: count for status, count in rows}
