"""Telegram's bad moments, injected by the in-process transport, and what the bot's sending layer
(bot/runtime/delivery.py through the rate limiter) makes of them."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.runtime.delivery import RetryPolicy
from bot.runtime.inbox import InboxApplication
from bot.runtime.ratelimit import ChatRateLimiter
from fakegram import ALL_FAULTS, FakeTelegram, FakeUser, build_inprocess, running
from handlers.errors import is_stand_in
from tests.support.chat import Chat

USER = FakeUser(1001, "王芳")
Context = ContextTypes.DEFAULT_TYPE


def tiny_app(fake: FakeTelegram, attempts: int = 4) -> Application:
    """A few handlers on the bot's own sending layer (no waiting between attempts)."""
    limiter = ChatRateLimiter(0, 0, max_retries=1,
                              retry=RetryPolicy(attempts=attempts, backoff=0))
    app = build_inprocess(ApplicationBuilder().application_class(InboxApplication)
                          .rate_limiter(limiter), fake).build()
    app.bot_data["errors"] = []
    app.bot_data["sent"] = []

    async def two(update: Update, context: Context) -> None:
        first = await update.message.reply_text("一")
        context.bot_data["sent"].append(first)
        await update.message.reply_text("二")

    async def edit(update: Update, context: Context) -> None:
        message = await update.message.reply_text("原文")
        await message.edit_text("新文")

    async def menu(update: Update, context: Context) -> None:
        button = InlineKeyboardButton("选我", callback_data="pick")
        await update.message.reply_text("请选择", reply_markup=InlineKeyboardMarkup([[button]]))

    async def picked(update: Update, context: Context) -> None:
        await update.callback_query.answer("这个选项今天不开放", show_alert=True)
        await update.callback_query.edit_message_text("已选")

    async def document(update: Update, context: Context) -> None:
        file = await update.message.document.get_file()
        data = await file.download_as_bytearray()
        await update.message.reply_text(f"收到 {len(data)} 字节")

    async def on_error(update: object, context: Context) -> None:
        context.bot_data["errors"].append(context.error)

    app.add_handlers([CommandHandler("two", two), CommandHandler("edit", edit),
                      CommandHandler("menu", menu), CallbackQueryHandler(picked),
                      MessageHandler(filters.Document.ALL, document)])
    app.add_error_handler(on_error)
    return app


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def chat(fake: FakeTelegram):
    app = tiny_app(fake)
    async with running(app):
        yield Chat(app, fake, USER)


def errors(chat: Chat) -> list[Exception]:
    return chat.app.bot_data["errors"]


# ----- the transport: each kind fails the way the network fails -------------------------------

@pytest.mark.parametrize(("kind", "error", "performed"), [
    (500, NetworkError, False), (502, NetworkError, False), (503, NetworkError, False),
    (429, RetryAfter, False), ("reset", NetworkError, False),
    ("connect_timeout", TimedOut, False), ("timeout", TimedOut, True),
    ("drop", NetworkError, True),
])
async def test_each_fault_fails_a_call_like_the_network(fake, kind, error, performed) -> None:
    app = build_inprocess(ApplicationBuilder(), fake).build()  # plain PTB: no retries
    fake.add_user(USER)
    async with running(app, hooks=False):
        fake.fail_next("sendMessage", kind, retry_after=0.01)
        with pytest.raises(error) as raised:
            await app.bot.send_message(USER.id, "你好")
        assert type(raised.value) is error
        assert [m.text for m in fake.messages(USER.id)] == (["你好"] if performed else [])
        await app.bot.send_message(USER.id, "再来")  # the next call works
        assert fake.messages(USER.id)[-1].text == "再来"
        assert fake.injected == [("sendMessage", kind)]


def test_seeded_faults_come_at_the_given_rate_and_repeat() -> None:
    def drawn(seed: int, n: int = 3000, **options: object) -> list[object]:
        telegram = FakeTelegram()
        telegram.faults(rate=0.3, seed=seed, **options)
        return [telegram._draw_fault("sendMessage") for _ in range(n)]

    kinds = drawn(7)
    assert kinds == drawn(7) and kinds != drawn(8)
    failed = sum(kind is not None for kind in kinds)
    assert 800 < failed < 1000  # 30 % of 3000
    assert set(kinds) - {None} == set(ALL_FAULTS)
    assert drawn(7, 100, methods=["getFile"]) == [None] * 100
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FakeTelegram().faults(kinds=[418])


# ----- the sending layer ----------------------------------------------------------------------

async def test_calls_telegram_did_not_perform_are_repeated(chat, fake) -> None:
    fake.fail_next("sendMessage", 500, "reset", "connect_timeout", 429, retry_after=0.01)
    await chat.send("/two")
    assert chat.replies == ["一", "二"]
    assert [m.text for m in fake.sent] == ["一", "二"]  # each once
    assert errors(chat) == []


async def test_a_send_whose_answer_was_lost_is_not_repeated(chat, fake) -> None:
    fake.fail_next("sendMessage", "timeout")
    await chat.send("/two")
    assert chat.replies == ["一", "二"]  # no duplicate, and the handler carried on
    assert [m.text for m in fake.sent] == ["一", "二"]
    assert is_stand_in(chat.app.bot_data["sent"][0])
    assert errors(chat) == []


async def test_edits_are_repeated_after_a_lost_answer(chat, fake) -> None:
    fake.fail_next("editMessageText", "drop", "timeout")
    await chat.send("/edit")
    assert chat.replies == ["新文"]
    assert errors(chat) == []


async def test_a_button_answer_that_fails_does_not_stop_the_action(chat, fake) -> None:
    await chat.send("/menu")
    fake.fail_next("answerCallbackQuery", *[500] * 10)
    await chat.press("选我")
    # the action happened (the menu was edited), and the alert came as a message
    assert chat.replies == ["已选", "这个选项今天不开放"]
    assert fake.callback_answers == []
    assert errors(chat) == []


async def test_after_the_last_attempt_the_failure_reaches_the_handler(chat, fake) -> None:
    fake.fail_next("sendMessage", 500, 502, 503, 504)  # 4 attempts in tiny_app
    await chat.send("/two")
    assert chat.replies == []
    assert len(errors(chat)) == 1 and isinstance(errors(chat)[0], NetworkError)


async def test_downloads_can_fail_too(chat, fake) -> None:
    fake.faults(rate=1, kinds=[500], methods=[], downloads=True, seed=1)
    await chat.upload(b"%PDF-1.4", "a.pdf", "application/pdf")
    assert chat.replies == []
    assert isinstance(errors(chat)[0], NetworkError)
    assert fake.injected[0][0] == "download"
    fake.faults(0)
    await chat.upload(b"%PDF-1.4", "a.pdf", "application/pdf")
    assert chat.replies == ["收到 8 字节"]
