"""PTB persistence on our database (no pickle files): conversation states and
user/chat/bot data as JSON rows in `ptb_state`."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput

from store.db import upsert_insert
from store.models import ConversationState

CONV, USER, CHAT, BOT = "conv", "user", "chat", "bot"


class DatabasePersistence(BasePersistence[dict, dict, dict]):
    """Write-through persistence: what PTB hands over after an update is committed at once,
    in one transaction."""

    def __init__(self, sessions: async_sessionmaker, update_interval: float = 1.0) -> None:
        super().__init__(store_data=PersistenceInput(bot_data=False, chat_data=True,
                                                     user_data=True, callback_data=False),
                         update_interval=update_interval)
        self._sessions = sessions
        self._pending: dict[tuple[str, str, str], Any] = {}
        self._lock = asyncio.Lock()

    async def _rows(self, kind: str, name: str = "") -> list[ConversationState]:
        async with self._sessions() as s:
            result = await s.scalars(select(ConversationState).where(
                ConversationState.kind == kind, ConversationState.name == name))
            return list(result)

    async def _put(self, kind: str, name: str, key: str, data: Any) -> None:
        """Write one row. PTB saves an update's conversation state and user data as separate
        calls run side by side: they join one batch and commit in ONE transaction, so a crash
        never leaves a conversation's state without the data that goes with it."""
        self._pending[(kind, name, key)] = data
        await asyncio.sleep(0)  # the writes PTB gathered with this one join the batch
        async with self._lock:
            batch, self._pending = self._pending, {}
            if not batch:
                return  # a sibling committed it
            async with self._sessions() as s, s.begin():
                table = ConversationState.__table__
                insert = upsert_insert(s.bind.dialect.name)
                keys = (table.c.kind, table.c.name, table.c.key)
                for (kind_, name_, key_), value in batch.items():
                    where = (table.c.kind == kind_, table.c.name == name_, table.c.key == key_)
                    if value is None:
                        await s.execute(delete(table).where(*where))
                    else:  # an upsert: two instances writing one key never collide
                        stmt = insert(table).values(kind=kind_, name=name_, key=key_, data=value,
                                                    updated_at=func.now())
                        await s.execute(stmt.on_conflict_do_update(
                            index_elements=keys,
                            set_={"data": stmt.excluded.data, "updated_at": func.now()}))

    async def _drop(self, kind: str, key: str) -> None:
        async with self._sessions() as s, s.begin():
            await s.execute(delete(ConversationState).where(
                ConversationState.kind == kind, ConversationState.key == key))

    # -- user / chat data --------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict]:
        return defaultdict(dict, {int(r.key): dict(r.data or {}) for r in await self._rows(USER)})

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._put(USER, "", str(user_id), dict(data) or None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop(USER, str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def get_chat_data(self) -> dict[int, dict]:
        return defaultdict(dict, {int(r.key): dict(r.data or {}) for r in await self._rows(CHAT)})

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._put(CHAT, "", str(chat_id), dict(data) or None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop(CHAT, str(chat_id))

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
        await self._put(CONV, name, json.dumps(list(key)), new_state)

    async def flush(self) -> None:
        return None
