"""The in-process Bot API, checked through a tiny PTB application and the `Chat` driver."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import pytest
from telegram import (
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.helpers import escape

from fakegram import (
    FakeTelegram,
    FakeTelegramError,
    FakeUser,
    build_inprocess,
    gray_png,
    image_size,
    parse_html,
)
from tests.support.chat import Chat, chatting, running

USER = FakeUser(1001, "王芳")
PNG = gray_png(120, 80)
Context = ContextTypes.DEFAULT_TYPE


def build_tiny_app(fake: FakeTelegram) -> Application:
    """An application with one handler per transport feature under test."""
    app = build_inprocess(ApplicationBuilder(), fake).build()
    app.bot_data["errors"] = []

    async def start(update: Update, context: Context) -> None:
        code = f" 邀请码 {escape(' '.join(context.args))}" if context.args else ""
        name = escape(update.effective_user.first_name)
        await update.message.reply_text(f"<b>欢迎</b>，{name}！{code}", parse_mode=ParseMode.HTML)

    async def echo(update: Update, context: Context) -> None:
        await update.message.reply_text(update.message.text)

    async def menu(update: Update, context: Context) -> None:
        keyboard = [[InlineKeyboardButton("📊 看评分", callback_data="score"),
                     InlineKeyboardButton("❓ 问问题", callback_data="ask")]]
        await update.message.reply_text("请选择：", reply_markup=InlineKeyboardMarkup(keyboard))

    async def on_button(update: Update, context: Context) -> None:
        query = update.callback_query
        await query.answer("好的")
        await query.edit_message_text(f"你选了 {query.data}")

    async def long(update: Update, context: Context) -> None:
        await update.message.reply_text("字" * 5000)

    async def bad_html(update: Update, context: Context) -> None:
        await update.message.reply_text("<b>粗体</i>", parse_mode=ParseMode.HTML)

    async def big_data(update: Update, context: Context) -> None:
        button = InlineKeyboardButton("按钮", callback_data="x" * 65)
        await update.message.reply_text("看这里", reply_markup=InlineKeyboardMarkup([[button]]))

    async def same(update: Update, context: Context) -> None:
        message = await update.message.reply_text("不变")
        await message.edit_text("不变")

    async def keyboard(update: Update, context: Context) -> None:
        await update.message.reply_text("选一个", reply_markup=ReplyKeyboardMarkup([["是", "否"]]))

    async def photo(update: Update, context: Context) -> None:
        await update.message.reply_photo(PNG, caption="<b>评分图</b>", parse_mode=ParseMode.HTML)

    async def album(update: Update, context: Context) -> None:
        await update.message.reply_media_group([InputMediaPhoto(PNG), InputMediaPhoto(PNG)])

    async def later(update: Update, context: Context) -> None:
        async def remind(context: Context) -> None:
            await context.bot.send_message(context.job.chat_id, "⏰ 提醒：材料明天截止")

        context.job_queue.run_once(remind, 0.05, chat_id=update.effective_chat.id)
        await update.message.reply_text("好的，稍后提醒你")

    async def on_document(update: Update, context: Context) -> None:
        document = update.message.document
        data = await (await context.bot.get_file(document.file_id)).download_as_bytearray()
        await update.message.reply_text(f"收到 {document.file_name}：{len(data)} 字节")

    async def on_photo(update: Update, context: Context) -> None:
        largest = update.message.photo[-1]
        data = await (await largest.get_file()).download_as_bytearray()
        size = image_size(bytes(data))
        await update.message.reply_text(f"照片 {len(data)} 字节 {size[0]}x{size[1]}")

    async def on_error(update: object, context: Context) -> None:
        context.bot_data["errors"].append(context.error)

    commands: dict[str, Callable] = {
        "start": start, "menu": menu, "long": long, "badhtml": bad_html, "bigdata": big_data,
        "same": same, "keyboard": keyboard, "photo": photo, "album": album, "later": later,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(on_error)
    return app


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: everything must stay in-process."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def chat(fake: FakeTelegram):
    async with chatting(build_tiny_app(fake), fake, USER) as chat:
        yield chat


def errors(chat: Chat) -> list[TelegramError]:
    return chat.app.bot_data["errors"]


# ----- conversations ------------------------------------------------------------------------


async def test_start_and_echo(chat: Chat) -> None:
    assert await chat.send("/start") == ["欢迎，王芳！"]
    assert chat.last.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert chat.last.raw_text == "<b>欢迎</b>，王芳！"
    await chat.send("你好 <不是标签> & 符号")
    assert chat.last_text == "你好 <不是标签> & 符号"
    assert chat.replies == ["你好 <不是标签> & 符号"]
    assert errors(chat) == []


async def test_deep_link_has_command_entity(chat: Chat) -> None:
    await chat.send("/start ABC123")
    assert chat.last_text == "欢迎，王芳！ 邀请码 ABC123"


async def test_press_answers_and_edits(chat: Chat, fake: FakeTelegram) -> None:
    await chat.send("/menu")
    assert chat.buttons == ["📊 看评分", "❓ 问问题"]
    menu = chat.last
    assert await chat.press("📊 看评分") == ["你选了 score"]
    assert chat.last is menu and menu.edited
    [(old_text, old_markup)] = menu.history
    assert old_text == "请选择：" and old_markup["inline_keyboard"][0][0]["text"] == "📊 看评分"
    assert chat.buttons == []  # editing without reply_markup removes the keyboard
    assert fake.callback_answers == [{"text": "好的", "user_id": USER.id}]
    assert errors(chat) == []


async def test_press_refuses_missing_buttons(chat: Chat, fake: FakeTelegram) -> None:
    await chat.send("/menu")
    with pytest.raises(AssertionError, match="no button '看分数'.*📊 看评分"):
        await chat.press("看分数")
    with pytest.raises(FakeTelegramError, match="no button with callback_data 'nope'"):
        fake.user_press(USER, chat.last.message_id, "nope")


async def test_reply_keyboard_button_sends_its_label(chat: Chat) -> None:
    await chat.send("/keyboard")
    assert chat.buttons == ["是", "否"]
    assert await chat.press("是") == ["是"]


async def test_replies_cover_only_the_latest_action(chat: Chat) -> None:
    await chat.send("一")
    await chat.send("二")
    assert chat.replies == ["二"]
    assert [m.text for m in chat.messages] == ["一", "二"]


# ----- limits ---------------------------------------------------------------------------------


async def test_text_over_4096_is_refused(chat: Chat) -> None:
    await chat.send("/long")
    assert [str(e) for e in errors(chat)] == ["Message is too long"]
    assert isinstance(errors(chat)[0], BadRequest)
    assert chat.messages == []


async def test_bad_html_is_refused(chat: Chat) -> None:
    await chat.send("/badhtml")
    [error] = errors(chat)
    assert isinstance(error, BadRequest)
    assert error.message == (
        "Can't parse entities: unmatched end tag at byte offset 9, "
        'expected "</b>", found "</i>"'
    )


async def test_callback_data_over_64_bytes_is_refused(chat: Chat) -> None:
    await chat.send("/bigdata")
    [error] = errors(chat)
    assert isinstance(error, BadRequest) and error.message == "Button_data_invalid"


async def test_identical_edit_is_not_modified(chat: Chat) -> None:
    await chat.send("/same")
    [error] = errors(chat)
    assert isinstance(error, BadRequest)
    assert error.message.startswith("Message is not modified")


async def test_blocked_user_gives_forbidden(chat: Chat, fake: FakeTelegram) -> None:
    fake.block(USER.id)
    await chat.send("你好")
    [error] = errors(chat)
    assert isinstance(error, Forbidden)
    assert error.message == "Forbidden: bot was blocked by the user"
    fake.unblock(USER.id)
    await chat.send("你好")
    assert chat.last_text == "你好"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_trap_raises_retry_after(chat: Chat, fake: FakeTelegram) -> None:
    fake.retry_after_next(1, 7)
    await chat.send("一")
    [error] = errors(chat)
    assert isinstance(error, RetryAfter)
    assert error.retry_after == 7  # an int in PTB 22 unless PTB_TIMEDELTA is set
    await chat.send("二")
    assert chat.last_text == "二"


async def test_text_limit_counts_utf16_after_parsing(chat: Chat) -> None:
    bot = chat.app.bot
    await bot.send_message(USER.id, f"<b>{'字' * 4095}&lt;</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(USER.id, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER.id, "😀" * 2048 + "a")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER.id, " \n <b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER.id, PNG, caption="字" * 1025)
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(USER.id, b"not an image")


async def test_keyboard_checks(chat: Chat) -> None:
    bot = chat.app.bot
    for button, message in [
        (InlineKeyboardButton("", callback_data="a"), "Button_text_invalid"),
        (InlineKeyboardButton("只有文字"), "text buttons are unallowed"),
        (InlineKeyboardButton("按钮", callback_data="数" * 22), "Button_data_invalid"),
    ]:
        with pytest.raises(BadRequest, match=message):
            await bot.send_message(USER.id, "x", reply_markup=InlineKeyboardMarkup([[button]]))
    fits = InlineKeyboardButton("按钮", callback_data="数" * 21)  # 63 bytes
    await bot.send_message(USER.id, "x", reply_markup=InlineKeyboardMarkup([[fits]]))


async def test_unknown_chat_and_unknown_method(chat: Chat) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await chat.app.bot.send_message(4242, "有人吗")
    # A method the fake does not implement answers 404 like Telegram, which PTB reports as
    # InvalidToken("Not Found") for regular methods and EndPointNotFound for do_api_request.
    with pytest.raises(InvalidToken, match="Not Found"):
        await chat.app.bot.send_dice(USER.id)
    with pytest.raises(EndPointNotFound):
        await chat.app.bot.do_api_request("unionbotMagic")


def test_html_parse_mode() -> None:
    assert parse_html("<b>粗</b>体 😀 <i>斜</i>") == (
        "粗体 😀 斜",
        [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 6, "length": 1}],
    )
    assert parse_html('<a href="https://a.cn/?x=1&amp;y=2">链接</a> &lt;&#x4E2D;&#25991;&gt;') == (
        "链接 <中文>",
        [{"type": "text_link", "offset": 0, "length": 2, "url": "https://a.cn/?x=1&y=2"}],
    )
    assert parse_html('<pre><code class="language-python">x = 1</code></pre>')[1] == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"}
    ]
    assert parse_html("<blockquote expandable>引</blockquote><tg-spoiler>密</tg-spoiler>")[1] == [
        {"type": "expandable_blockquote", "offset": 0, "length": 1},
        {"type": "spoiler", "offset": 1, "length": 1},
    ]
    assert parse_html("R&D & A&B")[0] == "R&D & A&B"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("空格&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 6'),
        ('<a href="x>y', "Unclosed start tag at byte offset 0"),
    ],
)
def test_html_errors(html: str, reason: str) -> None:
    with pytest.raises(Exception, match="can't parse entities") as caught:
        parse_html(html)
    assert reason in str(caught.value)


# ----- files ----------------------------------------------------------------------------------


async def test_uploaded_document_downloads(chat: Chat, fake: FakeTelegram) -> None:
    pdf = b"%PDF-1.4 \xe5\x90\x88\xe5\x90\x8c" + bytes(1000)
    assert await chat.upload(pdf, "合同.pdf", "application/pdf") == [
        f"收到 合同.pdf：{len(pdf)} 字节"
    ]
    fake.max_file_download = 100
    await chat.upload(pdf, "大文件.pdf", "application/pdf")
    [error] = errors(chat)
    assert isinstance(error, BadRequest) and error.message == "File is too big"


async def test_uploaded_photo_downloads_largest_size(chat: Chat) -> None:
    await chat.photo(PNG, caption="现场照片")
    assert chat.last_text == f"照片 {len(PNG)} 字节 120x80"


async def test_bot_photo_and_album(chat: Chat, fake: FakeTelegram) -> None:
    await chat.send("/photo")
    [photo] = chat.photos_since
    assert (photo.kind, photo.text, photo.file) == ("photo", "评分图", PNG)
    await chat.send("/album")
    album = chat.photos_since
    assert [m.file for m in album] == [PNG, PNG]
    assert album[0].media_group_id and album[0].media_group_id == album[1].media_group_id
    resent = await chat.app.bot.send_document(USER.id, photo.file_id)  # by file_id
    assert fake.messages(USER.id)[-1].file == PNG and resent.document is not None


async def test_edit_caption(chat: Chat) -> None:
    await chat.send("/photo")
    photo = chat.last
    await chat.app.bot.edit_message_caption(USER.id, photo.message_id, caption="新的说明")
    assert chat.last is photo and (photo.text, photo.edited) == ("新的说明", True)
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await chat.app.bot.edit_message_text("文字", USER.id, photo.message_id)


def test_command_entities(fake: FakeTelegram) -> None:
    [entity] = fake.user_message(USER, "/start@unionbot_bot 码", queue=False).message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 19)
    assert fake.user_message(USER, "/ 你好", queue=False).message.entities == ()
    assert fake.pending_updates == []


async def test_delete_message(chat: Chat) -> None:
    await chat.send("一")
    await chat.send("二")
    first = chat.messages[0]
    assert await chat.app.bot.delete_message(USER.id, first.message_id)
    assert [m.text for m in chat.messages] == ["二"] and first.deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await chat.app.bot.delete_message(USER.id, first.message_id)


# ----- commands and polling -------------------------------------------------------------------


async def test_commands_per_scope_and_language(fake: FakeTelegram) -> None:
    async with running(build_tiny_app(fake)) as app:
        bot = app.bot
        scope = BotCommandScopeChat(USER.id)
        await bot.set_my_commands([("start", "开始"), ("help", "帮助")])
        await bot.set_my_commands([("admin", "管理")], scope=scope, language_code="zh")
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        chosen = await bot.get_my_commands(scope=scope, language_code="zh")
        assert [c.command for c in chosen] == ["admin"]
        assert await bot.get_my_commands(scope=scope) == ()
        assert fake.commands({"type": "chat", "chat_id": USER.id}, "zh") == [
            {"command": "admin", "description": "管理"}
        ]
        with pytest.raises(BadRequest, match="Invalid language code"):
            await bot.set_my_commands([("start", "开始")], language_code="zh-hans")
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([("Start", "开始")])
        await bot.delete_my_commands()
        assert fake.commands() is None


async def test_long_polling(fake: FakeTelegram) -> None:
    app = build_tiny_app(fake)
    started = time.monotonic()
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0)
    try:
        await asyncio.sleep(0.05)  # getUpdates is now waiting on the fake (timeout=10)
        fake.user_message(USER, "轮询")
        for _ in range(200):
            if fake.messages(USER.id):
                break
            await asyncio.sleep(0.01)
        assert [m.text for m in fake.messages(USER.id)] == ["轮询"]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert time.monotonic() - started < 2
    assert fake.pending_updates == []  # the final getUpdates confirmed the offset
    assert any(m == "getUpdates" and p.get("timeout") == 10 for m, p in fake.calls)
