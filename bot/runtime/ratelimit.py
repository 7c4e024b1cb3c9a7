"""Telegram's flood limits: about 30 messages a second overall (PTB's AIORateLimiter) and
about one a second per private chat, which AIORateLimiter leaves out. Every Bot API call but
getUpdates passes here, so this is also where failed calls are repeated
(bot/runtime/delivery.py)."""

from __future__ import annotations

from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter

from bot.runtime import metrics
from bot.runtime.delivery import RetryPolicy, acknowledge, deliver


class ChatRateLimiter(AIORateLimiter):
    BURST = 3  # a reply of a few messages goes at once; a stream averages the chat rate

    def __init__(self, overall_per_second: float = 30, per_chat_per_second: float = 1,
                 max_retries: int = 3, retry: RetryPolicy | None = None) -> None:
        super().__init__(overall_max_rate=overall_per_second, overall_time_period=1,
                         max_retries=max_retries)
        self._per_chat = per_chat_per_second
        self.retry = retry or RetryPolicy()
        self._chat_limiters: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self._chat_limiters) > 4096:  # forget idle chats
            self._chat_limiters = {k: v for k, v in self._chat_limiters.items()
                                   if not v.has_capacity(1)}
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            limiter = self._chat_limiters[chat_id] = AsyncLimiter(
                self.BURST, self.BURST / self._per_chat)
        return limiter

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        async def once() -> Any:
            try:
                return await self._limited(callback, args, kwargs, endpoint, data,
                                           rate_limit_args)
            except TelegramError as exc:  # every failed call, repeated or not (metrics)
                metrics.bot_api_error(exc, endpoint)
                raise

        if endpoint == "answerCallbackQuery":
            async def send(message: dict[str, Any]) -> Any:
                return await self._limited(callback, ("sendMessage", message), kwargs,
                                           "sendMessage", message, rate_limit_args)

            return await acknowledge(once, send, data, self.retry)
        return await deliver(once, endpoint, data, self.retry)

    async def _limited(self, callback: Any, args: Any, kwargs: dict[str, Any],
                       endpoint: str, data: dict[str, Any], rate_limit_args: int | None) -> Any:
        """One call, after the overall and per-chat limits (and AIORateLimiter's 429 waits)."""
        chat_id = data.get("chat_id")
        if isinstance(chat_id, int) and chat_id > 0 and self._per_chat:
            async with self._chat_limiter(chat_id):
                return await super().process_request(callback, args, kwargs, endpoint, data,
                                                     rate_limit_args)
        return await super().process_request(callback, args, kwargs, endpoint, data,
                                             rate_limit_args)
