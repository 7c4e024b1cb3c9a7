"""A whole working session while Telegram fails 30 % of the calls: every step gets the answer it
gets on a good day, once, and every piece of evidence is stored."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from telegram import Update

from store.models import EvidenceEntry, EvidenceFile
from tests.conversation.conftest import Bot, demo_org, make_settings, new_project, start_bot
from tests.support.chat import Chat, running

PDF = "application/pdf"
FAULTS = [500, 502, 429, "timeout", "reset", "connect_timeout", "drop"]


class RecordingChat(Chat):
    """A chat that keeps, per user action, what the bot showed in answer."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[str, list[str]]] = []

    async def _feed(self, update: Update) -> list[str]:
        replies = await super()._feed(update)
        message = update.message
        if update.callback_query:
            action = f"press {update.callback_query.data}"
        elif message and message.text:
            action = f"send {message.text}"
        else:
            action = "upload"
        self.log.append((action, replies))
        return replies


@contextlib.asynccontextmanager
async def launched(folder: Path, database_url: str, **settings_update: object
                   ) -> AsyncIterator[Bot]:
    folder.mkdir()
    settings = dataclasses.replace(make_settings(folder, database_url), **settings_update)
    svc, fake, app = await start_bot(settings)
    org = await demo_org(svc)
    async with running(app):
        yield Bot(settings, svc, fake, app, org.invite_code)


QUESTIONS = ["满意度85分能得几分", "优秀项目的补助标准是多少", "申报需要哪些材料",
             "媒体报道怎么计分", "成立不满一年能申报吗", "经验推广交流怎么算分",
             "工会建设需要什么证明", "项目要结项吗", "差额补齐是什么意思", "登记证书过期了怎么办"]


def button(chat: Chat, prefix: str) -> str:
    """The label of the newest button starting with `prefix`, on any message of the chat."""
    for message in reversed(chat.messages):
        for label in message.buttons:
            if label.startswith(prefix):
                return label
    raise AssertionError(f"no button starting with {prefix!r}")


async def working_session(chat: RecordingChat, invite: str) -> None:
    """About 120 steps a member of staff takes in a day with the bot."""
    await chat.send("/start")
    await chat.send(f"/start {invite}")
    await chat.send("/help")
    await chat.send("/menu")
    await chat.press(chat.buttons[4])  # the scoring standard, from the main menu
    for question in QUESTIONS:
        await chat.send(question)
    await chat.send("/score")
    await chat.send("/subsidy")
    await chat.press("⬜ 市级")
    await chat.press("⬜ 省级")
    await chat.press("✅ 市级")
    await chat.press("下一步 ▶")
    await chat.send("5000")
    await new_project(chat)  # and from nothing to complete, following the bot's suggestions
    n = 0
    while "100/100" not in chat.last_text and n < 40:
        n += 1
        await chat.press(next(b for b in chat.buttons if b.startswith("➡️")))
        if "满意度" in chat.last_text and "%" in chat.last_text:
            await chat.send("八十")  # a wrong rate first: refused clearly
            await chat.send("96.5")
            await chat.upload(b"%PDF survey", "测评.pdf", PDF)
        elif any(b.startswith("➕ 登记国家级") for b in chat.buttons):  # media reports
            for k in range(4):
                await chat.press(button(chat, "➕ 登记国家级"))
                await chat.send(f"人民日报 第{n}-{k}篇")
                await chat.send("2025-08-01")
                await chat.send(f"https://example.cn/{n}/{k}")
        else:
            await chat.upload(f"%PDF evidence {n}".encode(), f"材料{n}.pdf", PDF)
            await chat.photo(b"\x89PNG\r\n\x1a\n" + f"photo {n}".encode())
        if not any(b.startswith("➡️") for b in chat.buttons):
            await chat.press(next(b for b in chat.buttons if b.startswith("◀")))
    await chat.upload(b"%PDF evidence 1", "again.pdf", PDF)  # the same file: not twice
    await chat.send("/score")
    await chat.send("/standard")
    await chat.send("/rounds")
    await chat.send("/remind")
    await chat.press(chat.buttons[0])
    await chat.send("/remind")
    await chat.press(chat.buttons[0])
    await chat.send("/lang")
    await chat.press("English")
    await chat.send("/help")
    await chat.send("/lang")
    await chat.press("中文")
    await chat.send("/frobnicate")
    await chat.send("/cancel")
    await chat.send("/submit")
    await chat.press(next(b for b in chat.buttons if b.startswith("📤")))
    await chat.press(next(b for b in chat.buttons if b.startswith("✅")))
    await chat.send("/score")
    await chat.send("/subsidy")
    await chat.press(chat.buttons[0])


async def evidence(bot: Bot) -> tuple[list[tuple[str, int]], int]:
    async with bot.svc.uow() as uow:
        files = list(await uow.session.execute(
            select(EvidenceFile.sha256, EvidenceFile.size).order_by(EvidenceFile.id)))
        entries = await uow.session.scalar(select(func.count(EvidenceEntry.id)))
    return [(sha, size) for sha, size in files], int(entries or 0)


async def run_session(folder: Path, database_url: str, faults: float
                      ) -> tuple[Bot, RecordingChat, list, int]:
    # Generous attempts and no waiting: 30 % is far worse than Telegram's worst day.
    async with launched(folder, database_url, send_backoff=0, send_attempts=10,
                        send_retries=10) as bot:
        chat = RecordingChat(bot.app, bot.fake)
        if faults:
            bot.fake.faults(rate=faults, kinds=FAULTS, seed=20261201, retry_after=0.01)
        await working_session(chat, bot.invite)
        bot.fake.faults(0)
        files, entries = await evidence(bot)
        return bot, chat, files, entries


async def test_a_working_session_through_30_percent_faults(tmp_path, new_database):
    good, calm, files, entries = await run_session(
        tmp_path / "good", new_database(migrated=True), 0)
    bad, stormy, stormy_files, stormy_entries = await run_session(
        tmp_path / "bad", new_database(migrated=True), 0.3)

    assert len(stormy.log) >= 100
    injected = len(bad.fake.injected)  # about 3 in 10 calls, of every kind
    assert injected > 0.2 * len(bad.fake.calls) and injected > 50
    assert {kind for _, kind in bad.fake.injected} == set(FAULTS)
    assert all(replies for _, replies in calm.log)  # every step has a visible answer …
    # … and under faults each step got exactly that answer: nothing missing, nothing twice
    for step, (expected, got) in enumerate(zip(calm.log, stormy.log, strict=True)):
        assert got[1] == expected[1], f"step {step}: {expected[0]}"
    assert len(bad.fake.sent) == len(good.fake.sent)
    assert not any("出了点问题" in text for _, replies in stormy.log for text in replies)
    # every piece of evidence is stored, in the database and on disk
    assert stormy_files == files and stormy_entries == entries == 8
    assert len(files) >= 15
    stored = {p.name.split(".")[0] for p in (bad.settings.evidence_dir).rglob("*") if p.is_file()}
    assert {sha for sha, _ in stormy_files} <= stored


# ----- one failed call does not fail the step ---------------------------------------------------

@pytest.fixture
async def patient(tmp_path, migrated_database_url) -> AsyncIterator[Bot]:
    async with launched(tmp_path / "bot", migrated_database_url, send_backoff=0,
                        send_attempts=4) as bot:
        yield bot


async def test_failed_button_acknowledgements_change_nothing(patient):
    chat = patient.chat()
    await chat.send("/subsidy")
    patient.fake.faults(rate=1, kinds=[500, "timeout", "reset"],
                        methods=["answerCallbackQuery"], seed=1)
    await chat.press("⬜ 全国级")
    assert "✅ 全国级" in chat.buttons
    await chat.press("下一步 ▶")
    assert "已经拨付过多少补助" in chat.last_text
    await chat.send("0")
    assert "全国工会联系引导社会组织服务职工优秀项目，应补助30000元" in chat.last_text
    # every acknowledgement failed (some were shown, their answers lost)
    assert {method for method, _ in patient.fake.injected} == {"answerCallbackQuery"}
    assert len(patient.fake.injected) >= 2 * 4


async def test_a_reply_lost_after_the_action_is_logged_not_apologised_for(patient, caplog):
    chat = patient.chat()
    await chat.send(f"/start {patient.invite}")
    await new_project(chat)
    await chat.press(next(b for b in chat.buttons if b.startswith("➡️")))
    patient.fake.fail_next("sendMessage", 502, 502, 502, 502)  # every attempt of the reply
    await chat.upload(b"%PDF-1.4 study", "学习制度.pdf", PDF)
    assert chat.replies == []  # Telegram was unreachable: the reply could not be shown …
    assert not any("出了点问题" in m.text for m in chat.messages)  # … and no apology after it
    assert "could not be delivered" in caplog.text
    files, _ = await evidence(patient)
    assert len(files) == 1  # the action itself succeeded
    await chat.send("/score")
    assert "10/100" in chat.replies[0]
