"""The desk's web server (issue 24): a tornado app beside the bot, in the bot's own event
loop, on WEBAPP_LISTEN:WEBAPP_PORT, public at WEBAPP_URL. Its pages are in handlers/webpages.py;
signing in (Telegram's init data, the bot's single-use links, the session cookie, CSRF) is
here and in domain/signin.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import tornado.web
from telegram import Bot, MenuButtonWebApp, WebAppInfo
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.settings import Settings
from handlers import webdesk, webpages
from handlers.webdesk import Desk
from services.core import Services
from services.desk import reviewers as reviewers_service
from store.datafiles import DATA_DIR

log = logging.getLogger("unionbot.webapp")
WEB = DATA_DIR / "web"  # the pages' templates and static files
DESK = webdesk.DESK  # the Desk in Application.bot_data, for /desk


def desk_key(settings: Settings) -> bytes:
    """The key of the links, sessions and CSRF tokens: WEBAPP_SECRET, else derived from the
    bot's token, else (the terminal chat without either) a key of this process only."""
    secret = settings.webapp_secret.get_secret_value() if settings.webapp_secret else ""
    base = secret or settings.token or ""
    if not base:
        return os.urandom(32)
    return hmac.new(b"unionbot desk", base.encode(), hashlib.sha256).digest()


def public_url(settings: Settings, port: int) -> str:
    return (settings.webapp_url or f"http://127.0.0.1:{port}").rstrip("/")


def make_desk(svc: Services, bot: Bot | None, settings: Settings, port: int) -> Desk:
    url = public_url(settings, port)
    return Desk(svc, bot, desk_key(settings), settings.token or "", url,
                secure=url.startswith("https://"))


def make_app(desk: Desk) -> tornado.web.Application:
    return tornado.web.Application(
        webpages.routes(desk), template_path=str(WEB / "templates"),
        static_path=str(WEB / "static"), static_url_prefix="/desk/static/",
        xsrf_cookies=False,  # CSRF: our own per-session token (handlers/webpages.py)
        compress_response=True)


@asynccontextmanager
async def serving(app: Application, settings: Settings, port: int | None = None
                  ) -> AsyncIterator[Desk]:
    """The web desk served while the block runs, beside `app` (the terminal chat)."""
    port = port if port is not None else settings.webapp_port
    desk = make_desk(app.bot_data["services"], app.bot, settings, port)
    server = HTTPServer(make_app(desk), xheaders=True)
    server.listen(port, settings.webapp_listen)
    app.bot_data[DESK] = desk
    try:
        yield desk
    finally:
        app.bot_data.pop(DESK, None)
        server.stop()


async def menu_buttons(bot: Bot, desk: Desk) -> None:
    """Reviewers' and administrators' chat menu button opens the desk as a Web App (Telegram
    opens https pages only). A chat that does not exist yet is skipped."""
    svc = desk.svc
    people = {r.user_id for r in await reviewers_service.reviewers(svc)} | set(svc.admin_ids)
    languages = await reviewers_service.languages(svc, people)
    results = await asyncio.gather(*(bot.set_chat_menu_button(user_id, MenuButtonWebApp(
        svc.catalog.t("web.title", languages.get(user_id) or "zh"),
        WebAppInfo(f"{desk.url}/desk/"))) for user_id in people), return_exceptions=True)
    failed = sum(1 for r in results if isinstance(r, Exception))
    if failed:
        log.info("web desk: %d chats have no Web App menu button (no chat yet)", failed)


def attach(app: Application, settings: Settings) -> None:
    """Serve the web desk while `app` runs (polling or webhook): started after the
    Application's own start-up, stopped at its shutdown."""
    started = app.post_init
    stopping = app.post_shutdown
    server: list[HTTPServer] = []

    async def post_init(application: Application) -> None:
        if started:
            await started(application)
        desk = make_desk(application.bot_data["services"], application.bot, settings,
                         settings.webapp_port)
        http = HTTPServer(make_app(desk), xheaders=True)
        http.listen(settings.webapp_port, settings.webapp_listen)
        server.append(http)
        application.bot_data[DESK] = desk
        if desk.secure:
            await menu_buttons(application.bot, desk)


    async def post_shutdown(application: Application) -> None:
        for http in server:
            http.stop()
        if stopping:
            await stopping(application)

    app.post_init = post_init
    app.post_shutdown = post_shutdown
