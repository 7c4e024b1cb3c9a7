"""fakegram: one fake Telegram Bot API for everything that must not reach Telegram.

It serves the terminal chat of `make run` without a token (`bot/runtime/console.py`), the
conversation tests (`tests/support/chat.py`), in process, and the benchmark and the
end-to-end tests over real HTTP (`fakegram.http`)::

    fake = FakeTelegram()
    app = build_inprocess(ApplicationBuilder(), fake).build()
    async with running(app):
        await feed(app, fake.user_message(FakeUser(1001, "王芳"), "/start"))
        print(fake.messages(1001)[-1].text)

`FakeTelegram` answers like the real server, including its limits and error wording
(``{"ok": false, "error_code": 400, "description": "Bad Request: …"}``), so a handler that would
fail against Telegram fails here with the same `telegram.error` exception. Users only have
private chats with the bot (chat id == user id).

Telegram's bad moments can be injected: ``fake.faults(rate=0.3, kinds=[500, 502, 429,
"timeout", "reset"], seed=7)`` makes 30 % of the calls fail the way the network fails
(see `FakeTelegram.faults` for what each kind means, and whether the call took effect).
"""

from fakegram.api import JSON, ApiError, Upload, bad_request
from fakegram.html import parse_html
from fakegram.inprocess import InProcessRequest, build_inprocess, feed, running, settle
from fakegram.server import (
    ALL_FAULTS,
    FAULT_KINDS,
    ConnectionFault,
    FakeTelegram,
    FakeTelegramError,
    FakeUser,
    SentMessage,
    StoredFile,
    check_reply_markup,
    gray_png,
    image_size,
)

__all__ = [
    "ALL_FAULTS", "FAULT_KINDS", "JSON", "ApiError", "ConnectionFault", "FakeTelegram",
    "FakeTelegramError", "FakeUser", "InProcessRequest", "SentMessage", "StoredFile", "Upload",
    "bad_request", "build_inprocess", "check_reply_markup", "feed", "gray_png", "image_size",
    "parse_html", "running", "settle",
]
