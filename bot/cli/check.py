"""`python -m bot check`: can this machine reach what the bot needs? One line per part —
database, migrations, proxy, Bot API, webhook — each ok, unreachable (with what to check) or
not checked (what it depends on failed). Nothing is changed: no migration, no setWebhook."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.runtime.network import shown
from bot.settings import Settings
from store.errors import DatabaseUnreachable
from store.health import database_status
from store.migrate import address, one_line, reach

TIMEOUT = 10.0  # seconds for each part's answer
PROXY_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


@dataclass(frozen=True)
class Part:
    name: str  # database, migrations, proxy, bot_api, webhook
    state: str  # ok, failed, skipped
    detail: str


async def _database(settings: Settings) -> list[Part]:
    url = settings.database_url
    try:
        await asyncio.to_thread(reach, url, TIMEOUT)
    except DatabaseUnreachable as exc:
        return [Part("database", "failed", f"{exc.address}: {exc.cause}"),
                Part("migrations", "skipped", "database")]
    status = await database_status(url, timeout=TIMEOUT)
    if not status.reachable:
        return [Part("database", "failed", f"{address(url)}: {status.error}"),
                Part("migrations", "skipped", "database")]
    revision = f"{status.revision or '—'} / {status.head}"
    return [Part("database", "ok", address(url)),
            Part("migrations", "ok" if status.at_head else "failed", revision)]


async def _proxy(proxy: str | None) -> Part:
    if not proxy:
        return Part("proxy", "ok", "— (direct)")
    parts = urlsplit(proxy)
    host, port = parts.hostname or "", parts.port or PROXY_PORTS.get(parts.scheme, 1080)
    try:
        async with asyncio.timeout(TIMEOUT):
            _, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()
    except (OSError, TimeoutError) as exc:
        return Part("proxy", "failed", f"{shown(proxy)}: {one_line(exc)}")
    return Part("proxy", "ok", shown(proxy) or "")


async def _telegram(settings: Settings) -> list[Part]:
    api = shown(settings.telegram_api_base_url) or ""
    request = HTTPXRequest(proxy=settings.proxy, connect_timeout=TIMEOUT, read_timeout=TIMEOUT)
    bot = Bot(settings.token or "", base_url=settings.telegram_api_base_url,
              base_file_url=settings.telegram_file_base_url, request=request,
              get_updates_request=request)
    try:
        me = await bot.get_me()
        info = await bot.get_webhook_info()
    except InvalidToken:
        return [Part("bot_api", "failed", f"{api}: TELEGRAM_BOT_TOKEN"),
                Part("webhook", "skipped", "bot_api")]
    except TelegramError as exc:
        return [Part("bot_api", "failed", f"{api}: {exc.message}"),
                Part("webhook", "skipped", "bot_api")]
    finally:
        await request.shutdown()
    bot_api = Part("bot_api", "ok", f"{api} @{me.username}")
    if not info.url:
        return [bot_api, Part("webhook", "ok", "— (polling)")]
    if info.last_error_message and info.pending_update_count:
        return [bot_api, Part("webhook", "failed", f"{info.url}: {info.last_error_message} "
                                                   f"({info.pending_update_count} pending)")]
    return [bot_api, Part("webhook", "ok", info.url)]


async def check(settings: Settings) -> list[Part]:
    """Every part, checked side by side."""
    database, proxy, telegram = await asyncio.gather(
        _database(settings), _proxy(settings.proxy), _telegram(settings))
    return [*database, proxy, *telegram]
