"""The inbox: nothing a user sends is lost when the bot stops at a bad moment.

Telegram forgets an update once the bot asks for later ones (polling) or answers 200 (webhook).
PTB does either right after putting the update on `Application.update_queue`, so that queue is
where updates are stored: `InboxQueue.put` commits the update to the `inbox` table first, and
only then hands it on. PTB's Updater (polling) and webhook server both `await
update_queue.put(update)` before acknowledging, and so must any other webhook front end
(`offer`).

`InboxApplication.process_update` marks an update done after it was handled and the
conversation state it changed was written (so a replayed update finds the state it found the
first time, unless the process ended in the instant between those two writes). At start-up
(`replay`, from post_init, before polling starts) the updates that were stored but not finished
are handled once each, in the order they arrived. An update that comes again — a webhook retry,
a poll after a crash — finds its row and is dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application, ContextTypes

from bot.delivery import handling_chat
from services.clock import Clock
from store.inbox import InboxStore

log = logging.getLogger("unionbot.inbox")

KEEP = dt.timedelta(days=2)  # done rows kept this long: enough for any redelivery, and well
# under the week after which Telegram may reuse an update id
MAX_ATTEMPTS = 3  # an update replayed this often without finishing is set aside


class Inbox:
    def __init__(self, store: InboxStore, clock: Clock, *, keep: dt.timedelta = KEEP,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        self.store = store
        self.clock = clock
        self.keep = keep
        self.max_attempts = max_attempts
        self._tracked: set[int] = set()  # stored and not finished, in this process

    async def receive(self, update: Update) -> bool:
        """Store `update`; False if it was here already (then it must not be handled again)."""
        new = await self.store.add(update.update_id, update.to_dict(), self.clock.now())
        if new:
            self._tracked.add(update.update_id)
        return new

    @property
    def busy(self) -> bool:
        """Some update stored by this process is not finished yet."""
        return bool(self._tracked)

    def tracks(self, update: object) -> bool:
        return isinstance(update, Update) and update.update_id in self._tracked

    async def finish(self, update: Update) -> None:
        try:
            await self.store.finish(update.update_id, self.clock.now())
        finally:  # handled here either way; a row left pending is handled again at start-up
            self._tracked.discard(update.update_id)

    async def unfinished(self) -> list[tuple[int, dict[str, Any]]]:
        rows = await self.store.unfinished(self.max_attempts, self.clock.now())
        self._tracked.update(update_id for update_id, _ in rows)
        return rows

    async def prune(self) -> int:
        return await self.store.prune(self.clock.now() - self.keep)


class InboxUnavailable(NetworkError):
    """The update could not be stored, so it must not be acknowledged. A NetworkError, so that
    PTB's polling loop waits and asks Telegram again (the same updates: none was confirmed),
    and a webhook answers 500 (Telegram delivers again later)."""


class InboxQueue(asyncio.Queue):
    """`Application.update_queue` that stores each update before it is acknowledged."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def put(self, item: object) -> None:
        await self.offer(item)

    async def offer(self, item: object) -> bool:
        """Store and enqueue `item`; False (and nothing enqueued) if it came before."""
        if isinstance(item, Update):
            try:
                new = await self.inbox.receive(item)
            except Exception as exc:
                log.exception("could not store update %s; it stays with Telegram", item.update_id)
                raise InboxUnavailable(f"inbox unavailable: {exc!r}") from exc
            if not new:
                log.info("update %s came again; it is handled once", item.update_id)
                return False
        await super().put(item)
        return True


def inbox_of(app: Application) -> Inbox | None:
    queue = app.update_queue
    return queue.inbox if isinstance(queue, InboxQueue) else None


class InboxApplication(Application):
    """Marks stored updates done once handled; works with any update processor."""

    async def process_update(self, update: object) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        token = handling_chat.set(chat.id if chat else None)
        try:
            inbox = inbox_of(self)
            if inbox is None or not inbox.tracks(update):
                await super().process_update(update)
                return
            await super().process_update(update)
            # the state this update left is written before the update counts as done
            await _logged(self.update_persistence(), "save the state after", update)
            await _logged(inbox.finish(update), "mark as done", update)
        finally:
            handling_chat.reset(token)


async def _logged(step: Awaitable[None], what: str, update: Update) -> None:
    """Inbox bookkeeping must never stop the bot (PTB's update fetcher dies on an exception):
    a failure is logged; at worst the update is handled once more after a restart."""
    try:
        await step
    except Exception:
        log.exception("could not %s update %s", what, update.update_id)


async def offer(app: Application, update: Update | dict[str, Any]) -> bool:
    """For a webhook front end: store and enqueue one update before answering Telegram 200.
    False when Telegram sent it before (its retry is then harmless)."""
    if isinstance(update, dict):
        update = Update.de_json(update, app.bot)
    queue = app.update_queue
    if isinstance(queue, InboxQueue):
        return await queue.offer(update)
    await queue.put(update)
    return True


async def replay(app: Application) -> int:
    """Handle the updates stored but not finished when the bot last stopped, once each, in
    order; then forget old finished ones. Call before updates are fetched (post_init)."""
    inbox = inbox_of(app)
    if inbox is None:
        return 0
    rows = await inbox.unfinished()
    if rows:
        log.warning("handling %d update(s) left unfinished when the bot stopped", len(rows))
    for update_id, payload in rows:
        try:
            await app.process_update(Update.de_json(payload, app.bot))
        except Exception:  # one broken update must not keep the others back
            log.exception("replaying update %s failed", update_id)
    pruned = await inbox.prune()
    if pruned:
        log.info("forgot %d handled update(s)", pruned)
    if app.job_queue is not None:
        app.job_queue.run_repeating(_prune_job, interval=dt.timedelta(hours=6),
                                    first=dt.timedelta(hours=6), name="inbox:prune")
    return len(rows)


async def _prune_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    inbox = inbox_of(context.application)
    if inbox is not None:
        await inbox.prune()
