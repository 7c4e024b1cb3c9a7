"""The inbox: nothing a user sends is lost when the bot stops at a bad moment.

Telegram forgets an update once the bot asks for later ones (polling) or answers 200 (webhook).
PTB does either right after putting the update on `Application.update_queue`, so updates are
stored before they get there: PTB's Updater (polling) confirms a getUpdates batch only with the
offset of its next getUpdates, and the batch is committed to the `inbox` table, in one
transaction, before `get_updates` hands it to the Updater (`_StoringPoller`); an update put on
the queue that was not stored that way (webhook, `offer`) is committed by `InboxQueue.put`
before it returns, in a transaction of its own. PTB's webhook server and ours
`await update_queue.put(update)` before answering, and so must any other webhook front end
(`offer`). A store that fails raises `InboxUnavailable`: not acknowledged,
asked for again, none of those updates handled.

`InboxApplication.process_update` marks an update done after it was handled, in the same
transaction as the conversation state and user data it left (`update_persistence`), so a
replayed update finds the state it found the first time. That transaction is the user's own:
each user's (and chat's) rows and done marks commit together, and one user's write that fails
(a state that cannot be stored) leaves every other user's committed. At start-up (`replay`, from
post_init, before polling starts) the updates that were stored but not finished are handled
once each, in the order they arrived. An update that comes again — a webhook retry, a poll
after a crash — finds its row and is dropped.

So an update is handled at least once: its side effects (replies, reminders planned, rows
written by services in their own transactions) happen again when it is replayed after its
done mark was lost — a crash, or a state that could not be stored (`_persist`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import NetworkError
from telegram.ext import Application, ContextTypes, Updater

from bot.runtime.delivery import handling_chat
from services.clock import Clock
from store.inbox import InboxStore
from store.persistence import DatabasePersistence, Write

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
        # handled, waiting for the state write that marks them: update id → its user and chat
        self._handled: dict[int, frozenset[int]] = {}
        self._stored: dict[int, bool] = {}  # stored with their getUpdates batch: new or not

    async def receive(self, update: Update) -> bool:
        """Store `update`; False if it was here already (then it must not be handled again)."""
        if update.update_id in self._stored:  # stored with its batch (`receive_batch`)
            return self._stored.pop(update.update_id)
        new = await self.store.add(update.update_id, update.to_dict(), self.clock.now())
        if new:
            self._tracked.add(update.update_id)
        return new

    async def receive_batch(self, updates: Sequence[Update]) -> None:
        """Store a getUpdates batch in one transaction, before the Updater confirms it (with
        its next getUpdates); `receive` then just says whether each one is new."""
        new = await self.store.add_all([(u.update_id, u.to_dict()) for u in updates],
                                       self.clock.now())
        self._tracked.update(new)
        self._stored.update((u.update_id, u.update_id in new) for u in updates)

    @property
    def busy(self) -> bool:
        """Some update stored by this process is not finished yet."""
        return bool(self._tracked)

    def tracks(self, update: object) -> bool:
        return isinstance(update, Update) and update.update_id in self._tracked

    def handled(self, update: Update) -> None:
        """`update` was handled: mark it done with the next state write (`take_handled`)."""
        owners = (update.effective_user, update.effective_chat)
        self._handled[update.update_id] = frozenset(o.id for o in owners if o is not None)

    def take_handled(self) -> dict[int, frozenset[int]]:
        handled, self._handled = self._handled, {}
        return handled

    def finished(self, update_ids: Iterable[int]) -> None:
        """Their state and done marks were committed, or could not be: handled here either
        way (a row left pending is handled again at start-up)."""
        self._tracked.difference_update(update_ids)

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
            with _unavailable(f"update {item.update_id}"):
                new = await self.inbox.receive(item)
            if not new:
                log.info("update %s came again; it is handled once", item.update_id)
                return False
        await super().put(item)
        return True


@contextlib.contextmanager
def _unavailable(what: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        log.exception("could not store %s; it stays with Telegram", what)
        raise InboxUnavailable(f"inbox unavailable: {exc!r}") from exc


class _StoringPoller:
    """The Updater's view of the bot: a getUpdates batch is stored (one transaction) before
    `get_updates` returns it. PTB's Updater puts the batch into the queue and confirms it only
    with the offset of its next getUpdates; if storing fails, `InboxUnavailable` (a
    NetworkError) reaches the Updater's retry loop before it moved its offset, so the same
    updates are asked for again and none is handled."""

    def __init__(self, bot: Bot, inbox: Inbox) -> None:
        self._bot, self._inbox = bot, inbox

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await self._bot.get_updates(*args, **kwargs)
        if updates:
            with _unavailable(f"updates {updates[0].update_id}–{updates[-1].update_id}"):
                await self._inbox.receive_batch(updates)
        return updates


def inbox_of(app: Application) -> Inbox | None:
    queue = app.update_queue
    return queue.inbox if isinstance(queue, InboxQueue) else None


class InboxApplication(Application):
    """Marks stored updates done once handled; works with any update processor."""

    def __init__(self, *, updater: Updater | None, update_queue: asyncio.Queue,
                 **kwargs: Any) -> None:
        if updater is not None and isinstance(update_queue, InboxQueue):
            poller = _StoringPoller(updater.bot, update_queue.inbox)
            updater = Updater(bot=poller, update_queue=update_queue)  # type: ignore[arg-type]
        super().__init__(updater=updater, update_queue=update_queue, **kwargs)
        self._persisting = asyncio.Lock()

    async def process_update(self, update: object) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        token = handling_chat.set(chat.id if chat else None)
        try:
            inbox = inbox_of(self)
            if inbox is None or not inbox.tracks(update):
                await super().process_update(update)
                return
            await super().process_update(update)
            inbox.handled(update)
            # the state this update left and its "done" mark: one transaction
            await _logged(self._persist(inbox), "save the state after", update)
        finally:
            handling_chat.reset(token)

    async def update_persistence(self) -> None:
        inbox = inbox_of(self)
        if inbox is None:
            await super().update_persistence()
            return
        try:
            await self._persist(inbox)
        except Exception:  # PTB's persistence loop must go on; the rows stay pending
            log.exception("could not save the state (and mark the updates handled done)")

    async def _persist(self, inbox: Inbox) -> None:
        """PTB's `update_persistence`, with the "done" marks of the updates handled so far in
        the same transaction as the state they left: the marks are taken before PTB collects
        the state (so their state is in it). One transaction per user (`by_owner`): a user's
        write that fails is logged, leaves that user's updates pending (handled again at
        start-up: at least once) and every other user's state and marks committed."""
        persistence = self.persistence
        if not isinstance(persistence, DatabasePersistence):
            await super().update_persistence()
            return
        async with self._persisting:
            done = inbox.take_handled()
            with persistence.collecting() as writes:
                await super().update_persistence()
            for own_writes, update_ids in by_owner(writes, done):
                marks = [inbox.store.finishing(update_ids, inbox.clock.now())] if update_ids \
                    else []
                try:
                    async with inbox.store.writing():
                        await persistence.commit(own_writes, *marks)
                except Exception:
                    owners = sorted({o for w in own_writes for o in w.owners}
                                    | {o for i in update_ids for o in done[i]})
                    log.exception("could not save the state of user/chat %s; updates %s stay "
                                  "pending and are handled again at start-up", owners,
                                  update_ids)
                finally:
                    inbox.finished(update_ids)


def by_owner(writes: list[Write], done: dict[int, frozenset[int]]
             ) -> list[tuple[list[Write], list[int]]]:
    """The writes and the handled updates, grouped so that whatever shares a user or chat id
    is in one group (one transaction), and nothing else is."""
    groups: list[tuple[set[int], list[Write], list[int]]] = []
    items = [(w.owners, [w], []) for w in writes] + \
        [(owners, [], [update_id]) for update_id, owners in done.items()]
    for owners, own_writes, update_ids in items:
        group = (set(owners), list(own_writes), list(update_ids))
        for other in [g for g in groups if g[0] & owners]:
            groups.remove(other)
            group[0].update(other[0])
            group[1][:0], group[2][:0] = other[1], other[2]
        groups.append(group)
    return [(own_writes, update_ids) for _, own_writes, update_ids in groups]


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
