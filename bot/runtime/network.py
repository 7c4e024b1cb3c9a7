"""The HTTP clients that talk to Telegram: python-telegram-bot's own (HTTPXRequest, with its
defaults: a pool of 256 connections for calls, one for getUpdates), sharing ONE TLS context,
both through TELEGRAM_PROXY_URL when it is set (HTTP or SOCKS5, PTB's `proxy=`).

Left alone, each of the two clients builds its own context and reads the CA bundle again:
about 20 ms of every start-up (issue 13), for a context that is the same both times
(`httpx.create_ssl_context()`: certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR).

At start-up the first call (getMe, in `Application.initialize`) is repeated while the network
fails, with growing pauses, for at most STARTUP_WAIT_S seconds (`wait_for_telegram`)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from urllib.parse import urlsplit

import httpx
from telegram.error import BadRequest, InvalidToken, NetworkError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.runtime.failures import TelegramUnreachable
from bot.settings import Settings
from domain.errors import InputError

log = logging.getLogger("unionbot.network")

FIRST_PAUSE, LONGEST_PAUSE = 1.0, 60.0  # seconds between start-up tries: 1, 2, 4 … 60


def with_shared_tls(builder: ApplicationBuilder, proxy: str | None = None
                    ) -> ApplicationBuilder:
    shared = {"verify": httpx.create_ssl_context()}
    return (builder.request(HTTPXRequest(connection_pool_size=256, proxy=proxy or None,
                                         httpx_kwargs=shared))
            .get_updates_request(HTTPXRequest(connection_pool_size=1, proxy=proxy or None,
                                              httpx_kwargs=shared)))


def shown(url: str | None) -> str | None:
    """A URL as it may be logged: scheme, host and port (no token, no proxy password)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme else re.sub(r"@.*", "", url)


async def wait_for_telegram(app: Application, *, address: str, proxy: str | None,
                            budget: float) -> None:
    """`app.initialize()` (its getMe), tried again after each network failure with pauses of
    1, 2, 4 … 60 s, until `budget` seconds have gone: then TelegramUnreachable. A token that
    Telegram refuses is an InputError (no retry helps)."""
    started, pause, attempt = time.monotonic(), FIRST_PAUSE, 0
    while True:
        attempt += 1
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise InputError("TELEGRAM_BOT_TOKEN", "token_refused") from None
        except BadRequest:
            raise
        except NetworkError as exc:  # no route, refused, timed out, a proxy's 502 …
            waited = time.monotonic() - started
            if waited + pause > budget:
                raise TelegramUnreachable(shown(address) or address, shown(proxy), attempt,
                                          round(waited, 1), exc.message) from None
            log.warning("Telegram's Bot API at %s%s did not answer (%s); try %d, next in "
                        "%g s (giving up after %g s)", shown(address),
                        f" through the proxy {shown(proxy)}" if proxy else "", exc.message,
                        attempt, pause, budget)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


async def reach_telegram(app: Application, settings: Settings) -> None:
    """`wait_for_telegram` with the settings' address, proxy and STARTUP_WAIT_S."""
    await wait_for_telegram(app, address=settings.telegram_api_base_url,
                            proxy=settings.proxy, budget=settings.startup_wait_s)
