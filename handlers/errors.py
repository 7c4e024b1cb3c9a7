"""One error handler: log with context, tell the user in their language, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update

from domain.i18n import pick_lang
from handlers.common import Context, services

log = logging.getLogger("unionbot")


async def on_error(update: object, context: Context) -> None:
    user = update.effective_user if isinstance(update, Update) else None
    log.error("error while handling update %s (user %s)",
              update.update_id if isinstance(update, Update) else update,
              user.id if user else None, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    lang = pick_lang(user.language_code if user else None)
    try:
        await update.effective_chat.send_message(services(context).catalog.t("bot.error", lang))
    except Exception:  # the apology itself failed (blocked, network): logged above already
        log.warning("could not tell the user about the error", exc_info=True)
