"""The baseline: a bare python-telegram-bot echo bot (PTB's defaults: one update at a time, no
persistence, no rate limiter). Imports nothing but python-telegram-bot, so that as a process
(`python -m tests.bench._echo BASE_URL FILE_URL`) it starts as a tiny PTB script would."""

from __future__ import annotations

import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as ptb_filters

ECHO_BUTTON = InlineKeyboardMarkup([[InlineKeyboardButton("echo", callback_data="echo")]])


async def _echo_message(update: Update, _context: object) -> None:
    message = update.effective_message
    text = message.text or message.caption or (message.document and message.document.file_name)
    await message.reply_text(text or "ok", reply_markup=ECHO_BUTTON)


async def _echo_press(update: Update, _context: object) -> None:
    await update.callback_query.answer()
    await update.effective_chat.send_message(update.callback_query.data,
                                             reply_markup=ECHO_BUTTON)


def add_echo_handlers(app: Application) -> None:
    app.add_handler(MessageHandler(ptb_filters.ALL, _echo_message))
    app.add_handler(CallbackQueryHandler(_echo_press))


def main(base_url: str, file_url: str) -> None:
    app = (ApplicationBuilder().token("123:FAKE").base_url(base_url).base_file_url(file_url)
           .build())
    add_echo_handlers(app)
    app.run_polling()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
