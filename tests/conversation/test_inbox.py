"""The bot killed at a bad moment loses nothing that was sent: updates are stored before Telegram
is told they arrived, and the ones not finished are handled when the bot starts again."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.ext import Application

from bot.runtime.inbox import inbox_of, offer
from fakegram import FakeTelegram, FakeUser, running
from services.clock import SHANGHAI
from store.inbox import InboxStore
from store.models import EvidenceEntry, EvidenceFile
from store.persistence import DatabasePersistence
from tests.conversation.conftest import NOW, demo_org, make_settings, new_project, start_bot
from tests.support.chat import Chat

PDF = "application/pdf"
USER = FakeUser(1001, "王芳")


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait (without blocking the bot) until `condition()` holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def start(app: Application, fake: FakeTelegram) -> None:
    """What run_polling does before it polls: initialize, post_init, start."""
    fake.bind(app.bot)
    await app.initialize()
    await app.post_init(app)
    await app.start()


async def start_polling(app: Application) -> None:
    await app.update_persistence()  # what the direct feeds of the set-up changed
    await app.updater.start_polling(poll_interval=0, timeout=5)


async def kill(app: Application, tasks_before: set[asyncio.Task]) -> None:
    """The process dies: every task of the bot stops where it is; nothing is wound down."""
    tasks = [t for t in asyncio.all_tasks() - tasks_before if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if app.job_queue is not None:
        app.job_queue.scheduler.shutdown(wait=False)


def handled(app: Application, fake: FakeTelegram) -> Callable[[], bool]:
    """Telegram has nothing left to deliver and the bot has finished what it received."""
    inbox = inbox_of(app)
    return lambda: (not fake.pending_updates and app.update_queue.empty()
                    and inbox is not None and not inbox.busy)


@pytest.fixture
async def setup(tmp_path, migrated_database_url):
    settings = make_settings(tmp_path, migrated_database_url)
    svc, fake, app = await start_bot(settings)
    org = await demo_org(svc)
    return settings, svc, fake, app, org.invite_code


async def rows(svc, model) -> int:
    async with svc.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def member_with_a_project(app: Application, fake: FakeTelegram, invite: str) -> Chat:
    """Start `app` (not polling yet) and set up a member with a new project, in the walk."""
    await start(app, fake)
    member = Chat(app, fake, USER)
    await member.send(f"/start {invite}")
    await new_project(member)
    return member


async def test_a_kill_during_a_burst_of_uploads_loses_nothing(setup):
    settings, svc, fake, app, invite = setup
    before = set(asyncio.all_tasks())
    member = await member_with_a_project(app, fake, invite)
    await member.press(next(b for b in member.buttons if b.startswith("➡️")))  # a files slot
    await start_polling(app)

    downloads, stalled = 0, asyncio.Event()

    async def third_download_hangs(method: str, params: dict) -> None:
        nonlocal downloads
        if method == "getFile":
            downloads += 1
            if downloads == 3:
                stalled.set()
                await asyncio.Event().wait()  # until the process dies

    fake.before_call = third_download_hangs
    mark = fake.seq
    for n in range(5):
        fake.user_document(USER, f"%PDF burst {n}".encode(), f"材料{n}.pdf", PDF)
    # all five fetched and confirmed to Telegram, two handled, the third in the middle
    await until(lambda: stalled.is_set() and not fake.pending_updates)
    assert sum("已保存" in m.text for m in member.since) == 2
    await kill(app, before)
    fake.before_call = None

    _, _, again = await start_bot(settings, fake)
    async with running(again):  # the unfinished three are handled at start-up, in order
        saved = [m.text for m in fake.messages(USER.id) if m.seq > mark and "已保存" in m.text]
        assert len(saved) == 5 and saved[-1].startswith("✅ 已保存。当前得分：10/100分")
        assert await rows(svc, EvidenceFile) == 5
        assert await InboxStore(svc.sessions).counts() == {"done": 5}


async def test_a_half_typed_media_entry_survives_a_kill(setup):
    settings, svc, fake, app, invite = setup
    before = set(asyncio.all_tasks())
    member = await member_with_a_project(app, fake, invite)
    await member.press("⬜ 媒体报道")
    await member.press("⬜ 主流媒体正面报道")
    await member.press("➕ 登记国家级（3分/条）")
    await start_polling(app)
    fake.user_message(USER, "工人日报《职工心理关爱》")  # through Telegram, as users type
    await until(lambda: "日期" in member.last_text)
    fake.user_message(USER, "2025-05-01")
    await until(lambda: "请发送链接" in member.last_text)  # the bot asks for the proof …
    await kill(app, before)  # … and dies at once

    _, _, again = await start_bot(settings, fake)
    async with running(again):
        resumed = Chat(again, fake, USER)
        await resumed.send("https://www.workercn.cn/1")
        assert "已保存" in resumed.last_text  # not taken for a policy question
        assert await rows(svc, EvidenceEntry) == 1


async def test_the_saved_states_are_read_in_one_statement_at_start(setup):
    """User data, chat data and the four dialogs' states: one read of the table at start-up,
    not one per kind and dialog; what each dialog had is still there (the test above)."""
    _, svc, fake, app, _ = setup
    engine = svc.sessions.kw["bind"].sync_engine
    reads: list[str] = []

    def executed(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ptb_state" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", executed)
    try:
        await start(app, fake)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    await app.stop()
    await app.shutdown()
    assert len(reads) == 1, reads


async def test_an_update_delivered_twice_is_handled_once(setup):
    _, svc, fake, app, _ = setup
    async with running(app):
        chat = Chat(app, fake, USER)
        payload = fake.user_message(USER, "/help", queue=False).to_dict()
        assert await offer(app, payload) is True
        await until(handled(app, fake))
        assert await offer(app, payload) is False  # Telegram retried the webhook
        await until(handled(app, fake))
        assert len(chat.messages) == 1
        assert await InboxStore(svc.sessions).counts() == {"done": 1}


async def test_unfinished_updates_are_handled_once_in_order_at_start(setup):
    _, svc, fake, app, _ = setup
    store = InboxStore(svc.sessions)
    now = NOW.replace(tzinfo=SHANGHAI)
    fake.add_user(USER)
    broken, help_, menu, done = (fake.user_message(USER, text, queue=False).to_dict()
                                 for text in ("/standard", "/help", "/menu", "/start"))
    await store.add(broken["update_id"], broken, now)
    for _ in range(3):  # three restarts, each ended again while handling it
        assert await store.unfinished(3, now) == [(broken["update_id"], broken)]
    for payload in (menu, help_, done):
        await store.add(payload["update_id"], payload, now)
    await store.finish(done["update_id"], now)
    async with running(app):
        texts = [m.text for m in fake.messages(USER.id)]
        assert len(texts) == 2
        assert "使用说明" in texts[0] or "帮助" in texts[0]  # /help first: it came first
        assert texts[1] != texts[0]
    assert await store.counts() == {"done": 3, "failed": 1}


async def test_old_handled_updates_are_forgotten(setup):
    _, svc, fake, app, _ = setup
    store = InboxStore(svc.sessions)
    now = NOW.replace(tzinfo=SHANGHAI)
    fake.add_user(USER)
    old, recent = (fake.user_message(USER, "/help", queue=False).to_dict() for _ in range(2))
    await store.add(old["update_id"], old, now - dt.timedelta(days=3))
    await store.finish(old["update_id"], now - dt.timedelta(days=3))
    await store.add(recent["update_id"], recent, now - dt.timedelta(days=1))
    await store.finish(recent["update_id"], now - dt.timedelta(days=1))
    async with running(app):
        pass
    assert await store.counts() == {"done": 1}


async def test_an_update_that_cannot_be_stored_stays_with_telegram(setup, monkeypatch):
    _, svc, fake, app, _ = setup
    inbox = inbox_of(app)
    real_adding, failures = inbox.store.adding, []

    def database_down_once(updates: list, now: object):
        if failures:
            return real_adding(updates, now)

        async def fail(_conn: object) -> set[int]:
            failures.append(updates)
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return fail

    monkeypatch.setattr(inbox.store, "adding", database_down_once)
    async with running(app):
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake.user_message(USER, "/help")
        await until(lambda: failures and handled(app, fake)())
        assert len(fake.messages(USER.id)) == 1  # asked for again, stored, handled once
        assert await InboxStore(svc.sessions).counts() == {"done": 1}


async def test_a_bookkeeping_failure_does_not_stop_the_bot(setup, monkeypatch):
    _, svc, fake, app, _ = setup
    inbox = inbox_of(app)
    failed: list[int] = []

    def database_down(update_ids: list[int], now: object):
        async def fail(_conn: object) -> None:
            failed.extend(update_ids)
            raise OperationalError("UPDATE", {}, Exception("disk I/O error"))
        return fail

    monkeypatch.setattr(inbox.store, "finishing", database_down)
    async with running(app):
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake.user_message(USER, "/help")
        await until(lambda: bool(failed))
        monkeypatch.undo()
        fake.user_message(USER, "/menu")  # the bot still takes updates
        await until(lambda: len(fake.messages(USER.id)) == 2 and handled(app, fake)())
    # the first stays pending: at worst it is handled once more after a restart
    assert await InboxStore(svc.sessions).counts() == {"pending": 1, "done": 1}


async def test_polling_through_faults_takes_each_update_once(setup):
    _, svc, fake, app, _ = setup
    async with running(app):
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake.faults(rate=0.3, kinds=[500, "timeout", "reset", "drop"], seed=11,
                    methods=["getUpdates"])
        for n in range(1, 13):
            fake.user_message(USER, "/help" if n % 2 else "/menu")
            await until(lambda n=n: len(fake.messages(USER.id)) >= n, timeout=60)
        await until(handled(app, fake))
        assert len(fake.messages(USER.id)) == 12
        fake.faults(0)
        assert any(method == "getUpdates" for method, _ in fake.injected)
    assert await InboxStore(svc.sessions).counts() == {"done": 12}


def write_transactions(svc) -> list[set[str]]:
    """Each committed transaction's writes, as 'INSERT inbox', 'UPDATE inbox', 'ptb_state' …"""
    engine = svc.sessions.kw["bind"].sync_engine
    committed: list[set[str]] = []

    def executed(conn, _cursor, statement: str, *_args) -> None:
        verb = statement.split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            table = "ptb_state" if "ptb_state" in statement else \
                "inbox" if " inbox" in statement else "other"
            conn.info.setdefault("writes", set()).add(
                table if table != "inbox" else f"{verb} inbox")

    def commit(conn) -> None:
        writes = conn.info.pop("writes", None)
        if writes:
            committed.append(writes)

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", commit)
    return committed


async def test_a_getupdates_batch_is_stored_in_one_transaction(setup):
    _, svc, fake, app, _ = setup
    users = [FakeUser(1001 + n, f"职工{n}") for n in range(5)]
    committed = write_transactions(svc)
    async with running(app):
        for user in users:  # five users write at once: one getUpdates brings all five
            fake.user_message(user, "/help")
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await until(lambda: all(fake.messages(u.id) for u in users) and handled(app, fake)())
        assert [len(fake.messages(u.id)) for u in users] == [1] * 5
    assert await InboxStore(svc.sessions).counts() == {"done": 5}
    assert sum("INSERT inbox" in writes for writes in committed) == 1


async def test_an_update_is_marked_done_with_the_state_it_left_in_one_transaction(setup):
    _, svc, fake, app, invite = setup
    member = await member_with_a_project(app, fake, invite)
    await member.press("⬜ 媒体报道")
    await member.press("⬜ 主流媒体正面报道")
    await start_polling(app)
    committed = write_transactions(svc)
    label = "➕ 登记国家级（3分/条）"  # the conversation moves on to asking for the title
    message = next(m for m in reversed(member.messages) if label in m.buttons)
    data = next(b["callback_data"] for row in message.keyboard for b in row
                if b["text"] == label)
    mark = fake.seq
    fake.user_press(USER, message.message_id, data)  # through Telegram
    await until(lambda: member.last.seq > mark and handled(app, fake)())
    assert "标题" in member.last_text
    inbox = [writes for writes in committed if writes & {"INSERT inbox", "UPDATE inbox"}]
    assert inbox == [{"INSERT inbox"}, {"UPDATE inbox", "ptb_state"}]
    assert await InboxStore(svc.sessions).counts() == {"done": 1}
    await app.updater.stop()


async def test_a_batch_that_cannot_be_stored_is_asked_for_again_and_handled_once(
        setup, monkeypatch):
    _, svc, fake, app, _ = setup
    users = [FakeUser(1001 + n, f"职工{n}") for n in range(3)]
    inbox = inbox_of(app)
    real_adding, failures = inbox.store.adding, []

    def database_down_twice(updates: list, now: object):
        if len(failures) == 2:
            return real_adding(updates, now)

        async def fail(_conn: object) -> set[int]:
            failures.append([update_id for update_id, _ in updates])
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return fail

    offsets: list[int] = []
    sent_while_down: list[int] = []

    async def watch(method: str, params: dict) -> None:
        if method.lower() == "getupdates":
            offsets.append(int(params.get("offset") or 0))
        elif method.lower() == "sendmessage" and len(failures) < 2:
            sent_while_down.append(1)

    monkeypatch.setattr(inbox.store, "adding", database_down_twice)
    async with running(app):
        fake.before_call = watch
        for user in users:
            fake.user_message(user, "/help")
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await until(lambda: all(fake.messages(u.id) for u in users) and handled(app, fake)())
        fake.before_call = None
        assert [len(fake.messages(u.id)) for u in users] == [1] * 3  # each handled once
    batch = failures[0]
    assert len(batch) == 3 and failures == [batch, batch]  # the whole batch, asked for again
    assert offsets[:3] == [offsets[0]] * 3  # nothing confirmed to Telegram while it failed
    assert offsets[0] <= batch[0]
    assert sent_while_down == []  # and nothing handled before it was stored
    assert await InboxStore(svc.sessions).counts() == {"done": 3}


async def test_an_id_telegram_reuses_for_a_new_update_is_handled(setup):
    _, svc, fake, app, _ = setup
    store = InboxStore(svc.sessions)
    now = NOW.replace(tzinfo=SHANGHAI)
    fake.add_user(USER)
    old = fake.user_message(USER, "/help", queue=False).to_dict()
    await store.add(old["update_id"], old, now - dt.timedelta(days=1))
    await store.finish(old["update_id"], now - dt.timedelta(days=1))
    # after a week without updates Telegram may start again from an id it used before
    new = fake.user_message(USER, "/menu", queue=False).to_dict()
    new["update_id"] = old["update_id"]
    async with running(app):
        chat = Chat(app, fake, USER)
        assert await offer(app, old) is False  # the old one again: dropped
        assert await offer(app, new) is True  # another update under the same id
        await until(handled(app, fake))
        assert len(chat.messages) == 1  # the new one answered, the old one not again
    assert await store.counts() == {"done": 1}


async def test_one_users_state_that_cannot_be_saved_loses_no_other_users(setup, caplog):
    _, svc, fake, app, _ = setup
    other = FakeUser(1002, "李强")
    inbox = inbox_of(app)
    await start(app, fake)
    updates = []
    for user in (USER, other):  # both stored and handled; their states saved side by side
        payload = fake.user_message(user, "/help", queue=False).to_dict()
        update = Update.de_json(payload, app.bot)
        await inbox.receive(update)
        inbox.handled(update)
        updates.append(update)
    app.user_data[USER.id]["due"] = dt.date(2026, 12, 15)  # no JSON for a date
    app.user_data[other.id]["lang"] = "zh"
    app.mark_data_for_update_persistence(user_ids=[USER.id, other.id])
    await app.update_persistence()
    saved = await DatabasePersistence(svc.sessions).get_user_data()
    assert saved[other.id] == {"lang": "zh"}  # the other user's state is kept …
    assert USER.id not in saved
    # … and their update is done; the first user's stays to be handled again at start-up
    assert await InboxStore(svc.sessions).counts() == {"done": 1, "pending": 1}
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert str(USER.id) in record.getMessage() and str(updates[0].update_id) in \
        record.getMessage()
    assert "date is not JSON serializable" in record.exc_text
    await app.stop()
    await app.shutdown()
