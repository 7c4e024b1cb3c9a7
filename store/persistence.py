"""PTB persistence on our database (no pickle files): conversation states and
user/chat/bot data as JSON rows in `ptb_state`."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Insert, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput

from store.db import Op, upsert_insert
from store.models import ConversationState

CONV, USER, CHAT, BOT = "conv", "user", "chat", "bot"
_UNKNOWN = object()
TABLE = ConversationState.__table__
_KEY = (TABLE.c.kind == bindparam("kind"), TABLE.c.name == bindparam("name"),
        TABLE.c.key == bindparam("key"))
# Built once (per dialect), so their compiled forms are cached; run with the row's values.
_DELETING: Delete = delete(TABLE).where(*_KEY)
_DROPPING: Delete = delete(TABLE).where(TABLE.c.kind == bindparam("kind"),
                                        TABLE.c.key == bindparam("key"))


@functools.cache
def _upserting(dialect: str) -> Insert:
    """An upsert: two instances writing one key never collide."""
    stmt = upsert_insert(dialect)(TABLE).values(
        kind=bindparam("kind"), name=bindparam("name"), key=bindparam("key"),
        data=bindparam("data", type_=TABLE.c.data.type), updated_at=func.now())
    return stmt.on_conflict_do_update(index_elements=(TABLE.c.kind, TABLE.c.name, TABLE.c.key),
                                      set_={"data": stmt.excluded.data,
                                            "updated_at": func.now()})


@dataclass(frozen=True, slots=True)
class Write:
    """One row's write, not yet run: `owners` are the user and chat ids of its key."""

    owners: frozenset[int]
    op: Op
    rows: tuple[tuple[str, str, str], ...]
    value: Any


_collected: contextvars.ContextVar[list[Write] | None] = contextvars.ContextVar(
    "persistence_collected", default=None)


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    """Write-through persistence: each row PTB hands over is committed at once in a
    transaction of its own, unless the caller collects the writes and commits them itself
    (`collecting`, `commit`: bot/runtime/inbox.py, with the "done" marks of the updates)."""

    def __init__(self, sessions: async_sessionmaker, update_interval: float = 1.0) -> None:
        super().__init__(store_data=PersistenceInput(bot_data=False, chat_data=True,
                                                     user_data=True, callback_data=False),
                         update_interval=update_interval)
        self._sessions = sessions
        self._engine = sessions.kw["bind"]
        # what the table holds, as far as this process knows: a key whose data is unchanged is
        # not written again (None: no row). Only for the kinds and names loaded (`_rows`).
        self._known: dict[tuple[str, str, str], Any] = {}
        self._loaded: set[tuple[str, str]] = set()
        # PTB asks at start-up for the user data, the chat data and each persistent dialog's
        # states, one after another: the first ask reads the whole table in ONE statement
        # (not one per kind and dialog), each (kind, name) takes its share of it once.
        self._first_read: asyncio.Task[dict[tuple[str, str], list]] | None = None

    @staticmethod
    @contextlib.contextmanager
    def collecting() -> Iterator[list[Write]]:
        """Writes asked for inside (and in the tasks started inside) are not run but put
        into the list given, for the caller to `commit`."""
        writes: list[Write] = []
        token = _collected.set(writes)
        try:
            yield writes
        finally:
            _collected.reset(token)

    async def commit(self, writes: list[Write], *also: Op) -> None:
        """Run `writes` and the statements `also` in ONE transaction; raises what it raised
        (then nothing of it is stored)."""
        rows = [row for write in writes for row in write.rows]
        self._known.update(dict.fromkeys(rows, _UNKNOWN))  # until the write is committed
        async with self._engine.begin() as conn:
            for op in (*(write.op for write in writes), *also):
                await op(conn)
        for write in writes:
            self._known.update(dict.fromkeys(write.rows, write.value))

    async def _read_all(self) -> dict[tuple[str, str], list]:
        found: dict[tuple[str, str], list] = defaultdict(list)
        async with self._sessions() as s:
            for r in await s.scalars(select(ConversationState)):
                found[(r.kind, r.name)].append(r)
        return found

    async def _rows(self, kind: str, name: str = "") -> list[ConversationState]:
        if (kind, name) in self._loaded:  # asked again: read afresh
            async with self._sessions() as s:
                result = list(await s.scalars(select(ConversationState).where(
                    ConversationState.kind == kind, ConversationState.name == name)))
        else:
            if self._first_read is None:
                self._first_read = asyncio.ensure_future(self._read_all())
            result = (await self._first_read).pop((kind, name), [])
        self._known.update(((kind, name, r.key), r.data) for r in result)
        self._loaded.add((kind, name))
        return result

    async def _put(self, kind: str, name: str, key: str, data: Any,
                   owners: frozenset[int]) -> None:
        """Write one row (see `_write`)."""
        row = (kind, name, key)
        if (kind, name) in self._loaded and self._known.get(row) == data:
            return  # the row holds this already (None: there is none)
        values = {"kind": kind, "name": name, "key": key}

        async def write(conn: AsyncConnection) -> None:
            if data is None:
                await conn.execute(_DELETING, values)
                return
            await conn.execute(_upserting(conn.dialect.name), {**values, "data": data})

        await self._write(Write(owners, write, (row,), data))

    async def _drop(self, kind: str, key: str, owner: int) -> None:
        async def drop(conn: AsyncConnection) -> None:
            await conn.execute(_DROPPING, {"kind": kind, "key": key})

        rows = tuple(row for row in self._known if row[0] == kind and row[2] == key)
        await self._write(Write(frozenset((owner,)), drop, rows, None))

    async def _write(self, write: Write) -> None:
        """Committed now in a transaction of its own, or collected (`collecting`)."""
        collected = _collected.get()
        if collected is None:
            await self.commit([write])
        else:
            collected.append(write)

    # -- user / chat data --------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict]:
        return defaultdict(dict, {int(r.key): dict(r.data or {}) for r in await self._rows(USER)})

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._put(USER, "", str(user_id), dict(data) or None, frozenset((user_id,)))

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop(USER, str(user_id), user_id)

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def get_chat_data(self) -> dict[int, dict]:
        return defaultdict(dict, {int(r.key): dict(r.data or {}) for r in await self._rows(CHAT)})

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._put(CHAT, "", str(chat_id), dict(data) or None, frozenset((chat_id,)))

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop(CHAT, str(chat_id), chat_id)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    # -- bot data and callback data are not persisted ------------------------------------------
    async def get_bot_data(self) -> dict:
        return {}

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    # -- conversations ------------------------------------------------------------------------
    async def get_conversations(self, name: str) -> dict[tuple[int | str, ...], object]:
        return {tuple(json.loads(r.key)): r.data for r in await self._rows(CONV, name)}

    async def update_conversation(self, name: str, key: tuple[int | str, ...],
                                  new_state: object | None) -> None:
        await self._put(CONV, name, json.dumps(list(key)), new_state,
                        frozenset(k for k in key if isinstance(k, int)))

    async def flush(self) -> None:
        return None
