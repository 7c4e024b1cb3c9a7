"""Group commit: writes staged side by side are committed together, in ONE transaction.

On SQLite (WAL) every committed write transaction syncs the log to disk, and on PostgreSQL
every commit waits for its WAL flush: the commit, not the statement, is what an update pays
for (on the project machine a sync costs 1–10 ms, the rest of a small transaction well under
one). A writer stages its statements (`stage`) and asks for a commit (`commit`); whatever
other writers staged by then goes into the same transaction, and writes staged while a commit
runs join the next one. `write` is both at once. Transactions run one at a time (SQLite has a
single writer anyway, and a second would wait in SQLite's busy handler, in sleeps of
milliseconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

Op = Callable[[AsyncConnection], Awaitable[Any]]
_staging_only = contextvars.ContextVar("group_commit_staging_only", default=False)


class Batch:
    """The ops of one transaction; `done` resolves when it committed (or failed)."""

    __slots__ = ("ops", "results", "done")

    def __init__(self) -> None:
        self.ops: dict[Hashable, Op] = {}  # a later op under the same key replaces the earlier
        self.results: dict[Hashable, Any] = {}
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def then(self, callback: Callable[[bool], None]) -> None:
        """Call `callback(committed)` once the batch committed or failed."""
        self.done.add_done_callback(lambda done: callback(done.exception() is None))


class GroupCommit:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._engine: AsyncEngine = sessions.kw["bind"]
        self._lock = asyncio.Lock()
        self._batch: Batch | None = None

    def stage(self, key: Hashable, op: Op) -> Batch:
        """Put `op` into the next transaction (nothing is committed yet)."""
        if self._batch is None:
            self._batch = Batch()
        self._batch.ops[key] = op
        return self._batch

    @property
    def staged(self) -> bool:
        return self._batch is not None and bool(self._batch.ops)

    @staticmethod
    @contextlib.contextmanager
    def later() -> Iterator[None]:
        """Writers called inside (and in the tasks they start) only stage; the caller
        commits."""
        token = _staging_only.set(True)
        try:
            yield
        finally:
            _staging_only.reset(token)

    @staticmethod
    def staging_only() -> bool:
        return _staging_only.get()

    async def commit(self, batch: Batch | None = None) -> dict[Hashable, Any]:
        """Commit `batch` (by default what is staged now) with everything staged alongside;
        return its ops' results by key. Raises what the transaction raised, for every writer
        whose op was in it."""
        batch = batch or self._batch
        if batch is None:
            return {}
        await asyncio.sleep(0)  # the writes started side by side with this one join it
        async with self._lock:
            if not batch.done.done():  # else a sibling committed it while we waited
                self._batch = None  # what is staged from now on goes into the next one
                await self._run(batch)
        batch.done.result()
        return batch.results

    async def write(self, key: Hashable, op: Op) -> Any:
        """Stage `op` and commit it (with its siblings); its result."""
        return (await self.commit(self.stage(key, op)))[key]

    async def _run(self, batch: Batch) -> None:
        try:
            async with self._engine.begin() as conn:
                for key, op in batch.ops.items():
                    batch.results[key] = await op(conn)
        except BaseException as exc:  # cancelled too: the siblings must not wait forever
            batch.done.set_exception(exc if isinstance(exc, Exception)
                                     else ConnectionAbortedError("the commit was interrupted"))
            batch.done.exception()  # retrieved: each writer gets it from done.result()
            raise
        batch.done.set_result(None)
