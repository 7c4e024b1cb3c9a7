"""Running the bot: on Telegram (long polling), or as a chat in this terminal."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.app import build_application, build_services
from bot.runtime import metrics
from bot.runtime.logs import setup_logging as setup
from bot.runtime.network import reach_telegram
from bot.runtime.observe import monitor_of, start_heartbeat, stop_heartbeat
from bot.runtime.webhook import serve
from bot.settings import Settings
from services.people import accounts
from store.datafiles import load_catalog
from store.migrate import upgrade

CONSOLE_USER_ID = 10001
CONSOLE_WEBAPP_PORT = 8765  # the terminal chat's web desk when WEBAPP_PORT is 0


def setup_logging(settings: Settings, log_file: Path | None = None) -> None:
    setup(settings.log_format, log_file)


async def ensure_demo_membership(settings: Settings, user_id: int, name: str) -> str | None:
    """The terminal user needs an organisation to try the evidence walk: when they have none,
    register a demo organisation (once) and join them to it. Returns its name if created."""
    svc = build_services(settings)
    account = await accounts.ensure_account(svc, user_id, name)
    if account.organization_id is not None:
        return None
    org = await accounts.demo_organization(svc)
    await accounts.join(svc, user_id, org.invite_code, name)
    return org.name


def run_telegram(settings: Settings, webhook_url: str | None = None) -> int:
    """Long polling, or with `webhook_url` Telegram's POSTs (bot/runtime/webhook.py)."""
    setup_logging(settings)
    upgrade(settings.database_url)
    app = build_application(settings)
    start_heartbeat(app, settings.heartbeat_file, settings.heartbeat_seconds,
                    settings.backup_status_file)
    if settings.webapp_port:
        from bot.runtime.webapp import attach

        attach(app, settings)  # the desk's web pages beside the bot (issue 24)
    try:
        if webhook_url:
            monitor_of(app).mode = "webhook"
            metrics.enable()  # /metrics beside the webhook
            asyncio.run(serve(app, settings, webhook_url))
        else:
            if settings.metrics_port:
                metrics.serve(settings.metrics_port, settings.webhook_listen)
            # run_polling runs on the current event loop: the start-up's tries run on it first
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(reach_telegram(app, settings))
            except BaseException:
                loop.close()
                raise
            app.run_polling(drop_pending_updates=False)
    finally:
        stop_heartbeat(app, settings.heartbeat_file)  # health: unhealthy now, not in 3 beats
    return 0


def run_console(settings: Settings) -> int:
    """The terminal chat: the same Application, on the same database, through our in-process
    Bot API transport. The terminal user is an administrator, so everything can be tried."""
    # the fake Telegram loads for the terminal chat only, not before a real bot's first poll
    from bot.runtime.console import TerminalChat
    from fakegram import FakeTelegram, FakeUser, build_inprocess

    log_file = Path(settings.database_url.split("///")[-1]).parent / "console.log"
    setup_logging(settings, log_file if "sqlite" in settings.database_url else None)
    upgrade(settings.database_url)
    if CONSOLE_USER_ID not in settings.admin_ids:
        settings.admin_ids.append(CONSOLE_USER_ID)
    fake = FakeTelegram(username=settings.bot_username)
    user = FakeUser(CONSOLE_USER_ID, os.environ.get("USER", "同志") or "同志",
                    language_code="zh-hans")
    demo = asyncio.run(ensure_demo_membership(settings, user.id, user.first_name))
    if demo:
        print(load_catalog().t("cli.console_demo", "zh", name=demo))
    app = build_application(settings, configure=lambda b: build_inprocess(b, fake))

    def read_line(prompt: str) -> str:
        return input(prompt)

    def write(text: str) -> None:
        print(text, flush=True)

    files = Path(settings.evidence_dir).parent / "console-files"  # var/console-files

    async def chat() -> None:
        from bot.runtime.webapp import serving

        # the desk's web pages on this machine: /desk prints a signed link to them
        async with serving(app, settings, settings.webapp_port or CONSOLE_WEBAPP_PORT):
            await TerminalChat(files_dir=files).run(app, fake, user, read_line, write)

    asyncio.run(chat())
    return 0


def run(settings: Settings | None = None) -> int:
    """What `make run` runs: Telegram when a token is set, otherwise the terminal chat."""
    settings = settings or Settings()
    if settings.token:
        return run_telegram(settings)
    if not sys.stdin.isatty() and os.environ.get("CI"):
        print("No TELEGRAM_BOT_TOKEN and no terminal: nothing to run.", file=sys.stderr)
        return 0
    return run_console(settings)
