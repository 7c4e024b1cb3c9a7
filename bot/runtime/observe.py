"""Every handled update leaves one log line (update id, user id, handler, duration), moves
the Monitor's "last update handled" and the metrics (bot/runtime/metrics.py); a job writes the
heartbeat file and refreshes the metrics read from outside the process (inbox, backup). No
handler is edited: the handlers' callbacks are wrapped once the Application is built, and two
TypeHandlers open (group -1) and close (last group) each update."""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, ConversationHandler, TypeHandler

from bot.runtime import metrics
from bot.runtime.inbox import InboxQueue
from services.health import Monitor, beat
from store.health import read_heartbeat

log = logging.getLogger("unionbot.updates")

FIRST_GROUP, LAST_GROUP = -1, 1_000_000
MONITOR = "monitor"  # its key in bot_data


@dataclass
class _Handling:
    update_id: int
    user_id: int | None
    started: float
    handler: str | None = None
    failed: bool = False


_CURRENT: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar(
    "unionbot_handling", default=None)


def _leaves(handlers: list[BaseHandler]) -> Iterator[BaseHandler]:
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from _leaves(handler.entry_points)
            for state in handler.states.values():
                yield from _leaves(state)
            yield from _leaves(handler.fallbacks)
        else:
            yield handler


def _named(callback: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(callback)
    async def run(update: object, context: Any) -> Any:
        handling = _CURRENT.get()
        if handling is not None and handling.handler is None:
            handling.handler = name
        try:
            return await callback(update, context)
        except Exception:
            if handling is not None:
                handling.failed = True
            raise

    return run


async def _begin(update: Update, context: Any) -> None:
    user = update.effective_user
    _CURRENT.set(_Handling(update.update_id, user.id if user else None, time.perf_counter()))


def instrument(app: Application, mode: str = "polling") -> Monitor:
    """Call once, after every handler is added."""
    monitor = Monitor(mode=mode, started_at=time.time())
    app.bot_data[MONITOR] = monitor
    seen: set[int] = set()
    for group in list(app.handlers.values()):
        for handler in _leaves(group):
            if id(handler) in seen:
                continue
            seen.add(id(handler))
            callback = handler.callback
            name = f"{callback.__module__.rsplit('.', 1)[-1]}.{callback.__qualname__}"
            handler.callback = _named(callback, name)

    async def end(update: Update, context: Any) -> None:
        handling = _CURRENT.get()
        if handling is None or handling.update_id != update.update_id:
            return
        _CURRENT.set(None)
        monitor.handled(time.time())
        seconds = time.perf_counter() - handling.started
        metrics.update_handled(handling.handler, seconds, handling.failed)
        duration = round(seconds * 1000, 1)
        log.info("update %s handled by %s in %s ms", handling.update_id, handling.handler,
                 duration, extra={"update_id": handling.update_id, "user_id": handling.user_id,
                                  "handler": handling.handler, "duration_ms": duration})

    app.add_handler(TypeHandler(Update, _begin), group=FIRST_GROUP)
    app.add_handler(TypeHandler(Update, end), group=LAST_GROUP)
    return monitor


def monitor_of(app: Application) -> Monitor:
    return app.bot_data[MONITOR]


def start_heartbeat(app: Application, path: Path, every: float,
                    backup_status: Path | None = None) -> None:
    """A job writes the heartbeat file: a fresh file also shows that jobs run. It refreshes
    the inbox's depth and the backup's age (from `backup_status`) in the metrics too."""
    monitor = monitor_of(app)

    async def heartbeat(context: Any) -> None:
        now = time.time()
        beat(path, monitor, now, os.getpid(), host=socket.gethostname())
        if backup_status is not None:
            metrics.backup(read_heartbeat(backup_status), now)
        if isinstance(app.update_queue, InboxQueue):
            try:
                metrics.inbox(await app.update_queue.inbox.store.counts())
            except Exception:  # the database is away: /healthz says so; the beat goes on
                log.warning("could not count the inbox's updates", exc_info=True)

    assert app.job_queue is not None
    # One beat as soon as the job queue starts (a due one-off job runs however late the start
    # was; a repeating job's `first=0` would wait a whole interval), then every `every` s.
    app.job_queue.run_once(heartbeat, 0, name="heartbeat",
                           job_kwargs={"misfire_grace_time": None})
    app.job_queue.run_repeating(heartbeat, interval=every, first=every, name="heartbeat")


def stop_heartbeat(app: Application, path: Path) -> None:
    """The last heartbeat, marked stopped: `python -m bot health` is unhealthy at once."""
    beat(path, monitor_of(app), time.time(), os.getpid(), host=socket.gethostname(),
         stopped=True)
