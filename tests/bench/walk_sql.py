"""SQL statements and transactions per step of the submission walk.

Counts what the database sees (SQLAlchemy `before_cursor_execute` and `begin` events on
the bot's engine) while one staff member, through the full PTB stack and the in-process
Bot API transport, presses a button in the walk (open a slot), uploads a file into it,
and registers a media entry. Conversation persistence (flushed on its own timer) is off
the clock: the figures are the update's own work."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import event

from bot.app import build_application, build_services
from bot.settings import Settings
from fakegram import FakeTelegram, FakeUser, build_inprocess
from services.clock import SHANGHAI, FixedClock
from services.people import accounts
from store.migrate import upgrade_async
from tests.support.chat import Chat, running

PDF = "application/pdf"


class Counter:
    def __init__(self, engine) -> None:
        self.statements = self.transactions = 0
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "begin", self._begin)

    def _statement(self, conn, cursor, statement, *args) -> None:
        if self.on and not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT",
                                                                  "RELEASE")):
            self.statements += 1

    def _begin(self, conn) -> None:
        if self.on:
            self.transactions += 1

    async def measure(self, action: Callable[[], Awaitable[object]]) -> dict[str, int]:
        self.statements = self.transactions = 0
        self.on = True
        try:
            await action()
        finally:
            self.on = False
        return {"statements": self.statements, "transactions": self.transactions}


async def _bench(workdir: Path) -> dict:
    settings = Settings(_env_file=None, telegram_bot_token=None,
                        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
                        evidence_dir=workdir / "evidence", admin_ids=[1], chat_send_rate=0,
                        send_retries=1)
    await upgrade_async(settings.database_url)
    svc = build_services(settings, clock=FixedClock(dt.datetime(2026, 11, 23, 10, 0,
                                                                tzinfo=SHANGHAI)))
    org = await accounts.create_organization(
        svc, name="基准测试组织", uscc="91350100M000100Y43", district="市南区",
        established_on=dt.date(2019, 1, 1), valid_until=dt.date(2029, 1, 1))
    fake = FakeTelegram()
    app = build_application(settings, services=svc, configure=lambda b: build_inprocess(b, fake))
    counter = Counter(svc.sessions.kw["bind"])
    figures: dict[str, dict[str, int]] = {}
    async with running(app):
        chat = Chat(app, fake, FakeUser(1001, "王芳"))
        await chat.send(f"/start {org.invite_code}")
        await chat.send("/submit")
        await chat.press("➕ 新建项目")
        await chat.send("基准项目")
        await chat.press("心理关怀")
        await chat.send("2024-03-01")
        await chat.send("2025-06-30")
        await chat.press("是")
        figures["press: open a slot"] = await counter.measure(
            lambda: chat.press("➡️ 下一项：学习制度、学习记录（+10分）"))
        figures["upload a file"] = await counter.measure(
            lambda: chat.upload(b"%PDF-1.4 study", "学习制度.pdf", PDF))
        assert "已保存" in chat.last_text, chat.last_text
        await chat.press("◀ 返回清单")
        await chat.press("⬜ 媒体报道")
        await chat.press("⬜ 主流媒体正面报道")
        await chat.press("➕ 登记国家级（3分/条）")
        await chat.send("工人日报")
        await chat.send("2025-05-01")
        figures["entry with a screenshot"] = await counter.measure(
            lambda: chat.photo(b"\x89PNG\r\n\x1a\n proof"))
        assert "已保存" in chat.last_text, chat.last_text
    return figures


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_bench(Path(tmp)))
