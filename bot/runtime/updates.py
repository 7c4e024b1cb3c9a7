"""Updates of different users handled concurrently; each user's own updates in order.

PTB's `concurrent_updates` alone would also run one user's rapid messages side by side, and a
conversation (the evidence walk) could then read them out of order. `PerUserUpdateProcessor`
gives every user a turn lock: an update waits for the same user's earlier updates, never for
anyone else's. A second limit (`max_running`) bounds how many handlers run at once; an update
waiting for its user's turn does not hold one of those places.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_RUNNING = 16  # handlers running at once (database sessions, worker threads)
MAX_PENDING = 4096  # updates accepted from the queue and not yet finished


def turn_key(update: object) -> Hashable | None:
    """Whose turn an update waits for: its user, else its chat; None for neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return None


class _Turn:
    __slots__ = ("lock", "holders")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holders = 0  # updates of this user accepted and not yet finished


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """`ApplicationBuilder().concurrent_updates(PerUserUpdateProcessor())`."""

    def __init__(self, max_running: int = MAX_RUNNING, max_pending: int = MAX_PENDING) -> None:
        super().__init__(max_pending)
        self._running = asyncio.BoundedSemaphore(max_running)
        self._turns: dict[Hashable, _Turn] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = turn_key(update)
        if key is None:
            await self._run(coroutine)
            return
        # Taken before any await: updates reach this point in the order PTB read them, and
        # asyncio.Lock wakes its waiters first come, first served.
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
        turn.holders += 1
        try:
            async with turn.lock:
                await self._run(coroutine)
        finally:
            turn.holders -= 1
            if turn.holders == 0:
                del self._turns[key]
            _close_unstarted(coroutine)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        async with self._running:
            await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _close_unstarted(coroutine: Awaitable[Any]) -> None:
    """A coroutine cancelled before it ran: close it (no "never awaited" warning)."""
    if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == "CORO_CREATED":
        coroutine.close()
