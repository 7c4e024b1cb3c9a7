"""The anchor: a minimal python-telegram-bot bot (PTB's defaults: one update at a time, no
persistence, no rate limiter, no database, no scoring) that makes, for each step, the same
Bot API calls as unionbot with the same payloads (texts, keyboards, the /score chart's bytes).

    python -m tests.bench._anchor BASE_URL FILE_URL SCRIPT.json

The script is what unionbot called for each user action while the benchmark calibrated it
(tests/bench/_over_http.py records it): ``{"texts": {text: calls}, "presses": {callback
data: calls}, "document": calls}``, a call being ``[method, params, {part: [file name,
base64 bytes, mime type]}]``; a text not in it is answered as the recorded policy question
("?"). The anchor replays those calls with this chat's ids: chat_id, the pressed message's id,
the callback query's id; a document step downloads the file as unionbot does. Imports nothing
but python-telegram-bot and the standard library, so that it starts as a tiny PTB script would.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as ptb_filters

SCRIPT: dict = {}
_LAST: dict[int, int] = {}  # chat id → the anchor's latest message there


def _calls(update: Update) -> list:
    if update.callback_query is not None:
        return SCRIPT.get("presses", {}).get(update.callback_query.data, [])
    message = update.effective_message
    if message.document is not None:
        return SCRIPT.get("document", [])
    texts = SCRIPT.get("texts", {})
    return texts.get(message.text or "", texts.get("?", []))


async def _replay(update: Update, context) -> None:
    chat_id = update.effective_chat.id
    query = update.callback_query
    for method, params, files in _calls(update):
        if method == "getFile":
            found = await context.bot.get_file(update.effective_message.document.file_id)
            await found.download_as_bytearray()
            continue
        kwargs = dict(params)
        if "chat_id" in kwargs:
            kwargs["chat_id"] = chat_id
        if "message_id" in kwargs:
            kwargs["message_id"] = query.message.message_id if query else _LAST.get(chat_id, 1)
        if "callback_query_id" in kwargs:
            kwargs["callback_query_id"] = query.id
        for part, (name, data, _mime) in files.items():
            kwargs[part] = InputFile(base64.b64decode(data), filename=name)
        try:
            result = await context.bot.do_api_request(method, api_kwargs=kwargs)
        except TelegramError:
            continue
        if isinstance(result, dict) and "message_id" in result:
            _LAST[chat_id] = result["message_id"]


def add_handlers(app: Application) -> None:
    app.add_handler(MessageHandler(ptb_filters.ALL, _replay))
    app.add_handler(CallbackQueryHandler(_replay))


def main(base_url: str, file_url: str, script: Path) -> None:
    if script.is_file():
        SCRIPT.update(json.loads(script.read_text(encoding="utf-8")))
    app = (ApplicationBuilder().token("123:FAKE").base_url(base_url).base_file_url(file_url)
           .build())
    add_handlers(app)
    app.run_polling()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
