"""Calls to Telegram that survive its bad moments: which failed calls are repeated, and how.

Every Bot API call but getUpdates passes through `deliver` (from the rate limiter,
bot/runtime/ratelimit.py). A failed call is one of three things (whether Telegram performed it is
decided by one rule, `performed` in handlers/errors.py):

- **not performed**: Telegram answered with an error (5xx), or the request never got through
  (connect error or timeout, pool timeout, write error). Repeating is safe: it is repeated with
  exponential backoff, `attempts` times in all. 429 is the rate limiter's own business
  (AIORateLimiter waits `retry_after` and repeats up to `send_retries` times).
- **uncertain**: the request got through but no answer came (read timeout, connection reset
  while reading, server hung up). Telegram may well have performed it.
  - Methods whose repetition does no harm (edits, deletions, answering a button, getFile,
    commands, chat actions…) are repeated; "message is not modified" / "message to delete not
    found" after such a repeat mean the first call worked, and count as success.
  - Sends (sendMessage, sendPhoto, sendDocument, sendMediaGroup, copy/forward) are **not**
    repeated: a repeat shows the message twice whenever the first one arrived, which is what a
    read timeout usually means. The send counts as delivered (at most once): the caller gets a
    stand-in message whose `message_id` is 0 (`is_stand_in`), the handler carries on, and a
    warning is logged. For replies we chose a rare silent loss over routine duplicates; the
    user's data is never involved, only the copy of the reply. A reminder is the caller's
    to send once more (handlers/reminders.py): a second one costs less than a missed
    deadline.
- **refused** (400, 403, 401/404, 409): repeating cannot help; the error goes to the caller.

Acknowledging a button (answerCallbackQuery) never decides whether the action happens: after
the same retries, a failure is logged and swallowed (the caller gets True). An alert that could
not be shown is sent to the chat as a message instead, so the user still reads it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, NetworkError, TelegramError

from handlers.errors import STAND_IN_ID, performed

log = logging.getLogger("unionbot.delivery")

# The chat of the update being handled (set by the Application, bot/runtime/inbox.py): where
# an alert that could not be shown on the button goes instead.
handling_chat: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "handling_chat", default=None)

# Repeating these after an uncertain failure does no harm.
_REPEATABLE = frozenset(m.lower() for m in (
    "getMe", "getFile", "getChat", "getChatMember", "getUpdates", "getWebhookInfo",
    "setWebhook", "deleteWebhook", "getMyCommands", "setMyCommands", "deleteMyCommands",
    "setChatMenuButton", "getChatMenuButton", "setMyDescription", "setMyShortDescription",
    "setMyName", "answerCallbackQuery", "editMessageText", "editMessageCaption",
    "editMessageReplyMarkup", "editMessageMedia", "deleteMessage", "deleteMessages",
    "sendChatAction", "logOut", "close",
))
# Sends: a repeat after an uncertain failure would show the message twice.
_SENDS = frozenset(m.lower() for m in (
    "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
    "sendVoice", "sendVideoNote", "sendSticker", "sendLocation", "sendVenue", "sendContact",
    "sendPoll", "sendDice", "sendInvoice", "copyMessage", "forwardMessage",
))
_MEDIA_GROUP = "sendmediagroup"
# What Telegram says when a repeated edit/deletion finds the first one already done.
_ALREADY_DONE = ("message is not modified", "message to delete not found")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6  # calls in all, the first included
    backoff: float = 0.5  # seconds before the second call; doubles each time
    max_delay: float = 30.0

    def delay(self, failures: int) -> float:
        return min(self.backoff * 2 ** (failures - 1), self.max_delay)


def _stand_in(endpoint: str, data: dict[str, Any]) -> Any:
    chat_id = data.get("chat_id")
    chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"
    message = {"message_id": STAND_IN_ID, "date": int(time.time()),
               "chat": {"id": chat_id if isinstance(chat_id, int) else 0, "type": chat_type}}
    if endpoint.lower() == _MEDIA_GROUP:
        return [dict(message) for _ in data.get("media") or [None]]
    return message


async def deliver(call: Callable[[], Awaitable[Any]], endpoint: str, data: dict[str, Any],
                  policy: RetryPolicy) -> Any:
    """`call()` (one Bot API call), repeated after failures where that is safe."""
    method = endpoint.lower()
    failures = 0
    repeated_uncertain = False
    while True:
        try:
            return await call()
        except BadRequest as exc:
            if repeated_uncertain and any(s in str(exc).lower() for s in _ALREADY_DONE):
                return True  # the first, unanswered call did it
            raise
        except NetworkError as exc:  # TimedOut included; RetryAfter is the rate limiter's
            if performed(exc) is None:
                if method in _SENDS or method == _MEDIA_GROUP:
                    log.warning("%s to chat %s: no answer from Telegram (%s); it most likely "
                                "arrived and is not repeated", endpoint, data.get("chat_id"),
                                exc)
                    return _stand_in(endpoint, data)
                if method not in _REPEATABLE:
                    raise
                repeated_uncertain = True
            failures += 1
            if failures >= policy.attempts:
                log.warning("%s failed %d times, giving up: %s", endpoint, failures, exc)
                raise
            delay = policy.delay(failures)
            log.info("%s failed (%s); repeating in %.2fs", endpoint, exc, delay)
            await asyncio.sleep(delay)


async def acknowledge(call: Callable[[], Awaitable[Any]],
                      send: Callable[[dict[str, Any]], Awaitable[Any]],
                      data: dict[str, Any], policy: RetryPolicy) -> Any:
    """answerCallbackQuery: never fails. An alert that could not be shown on the button is
    sent to the chat (`send(data)`, a sendMessage) so the user still reads it."""
    try:
        return await deliver(call, "answerCallbackQuery", data, policy)
    except TelegramError as exc:
        log.warning("could not answer button press %s: %s", data.get("callback_query_id"), exc)
    chat_id, text = handling_chat.get(), data.get("text")
    if chat_id is not None and text and data.get("show_alert"):
        message = {"chat_id": chat_id, "text": text}
        try:
            await deliver(lambda: send(message), "sendMessage", message, policy)
        except TelegramError as exc:
            log.warning("could not show the alert in chat %s either: %s", chat_id, exc)
    return True
