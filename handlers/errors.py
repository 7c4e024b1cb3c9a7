"""One error handler: log with context, tell the user in their language, never a traceback.

A step that failed because Telegram could not be reached even after the retries (bot/delivery.py)
gets no apology: the action itself may well have succeeded, an apology would invite the user to
repeat it, and it would not get through either. That failure is logged.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from domain.i18n import pick_lang
from handlers.common import Context, services

log = logging.getLogger("unionbot")


async def on_error(update: object, context: Context) -> None:
    user = update.effective_user if isinstance(update, Update) else None
    update_id = update.update_id if isinstance(update, Update) else update
    error = context.error
    undelivered = isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    if undelivered or isinstance(error, RetryAfter | Forbidden):
        log.warning("a reply to update %s (user %s) could not be delivered: %r",
                    update_id, user.id if user else None, error)
        return
    log.error("error while handling update %s (user %s)", update_id,
              user.id if user else None, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    lang = pick_lang(user.language_code if user else None)
    try:
        await update.effective_chat.send_message(services(context).catalog.t("bot.error", lang))
    except Exception:  # the apology itself failed (blocked, network): logged above already
        log.warning("could not tell the user about the error", exc_info=True)
