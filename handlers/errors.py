"""One error handler: log with context, tell the user in their language, never a traceback;
and the one rule for "did Telegram get it?" (`performed`), which the sending layer
(bot/runtime/delivery.py) and the reminders (handlers/reminders.py) both go by.

A step that failed because Telegram could not be reached even after the retries
(bot/runtime/delivery.py) gets no apology: the action itself may well have succeeded, an
apology would invite the user to repeat it, and it would not get through either. That
failure is logged.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from domain.i18n import pick_lang
from handlers.common import Context, services

log = logging.getLogger("unionbot")

# Transport failures where the request certainly did not reach Telegram.
_NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                    httpx.WriteError, httpx.WriteTimeout)
# The message_id of the stand-in a send returns when no answer came (bot/runtime/delivery.py).
STAND_IN_ID = 0


def performed(error: TelegramError) -> bool | None:
    """Did Telegram perform the call that failed with `error`? False: certainly not (an error
    answer such as 400 or 502, or a request that never got through); None: perhaps (it went
    out and no answer came: a read timeout, a connection lost). True is never returned — an
    answered call has no error."""
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        cause = error.__cause__
        if isinstance(cause, _NOT_SENT_CAUSES):
            return False
        if not isinstance(error, TimedOut) and (cause is None or isinstance(cause, TelegramError)):
            return False  # an HTTP error answer (5xx): Telegram refused to perform it
        return None
    return False


def transient(error: BaseException) -> bool:
    """A failure of the network or of Telegram's servers, not a refusal of the call."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def is_stand_in(message: Any) -> bool:
    """True for the stand-in a send returns when Telegram may or may not have shown it (no
    answer came: `performed` is None; bot/runtime/delivery.py)."""
    return getattr(message, "message_id", None) == STAND_IN_ID


async def on_error(update: object, context: Context) -> None:
    user = update.effective_user if isinstance(update, Update) else None
    update_id = update.update_id if isinstance(update, Update) else update
    error = context.error
    if transient(error) or isinstance(error, RetryAfter | Forbidden):
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
