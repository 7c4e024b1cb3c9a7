"""Webhook mode: Telegram POSTs each update to WEBHOOK_PATH on WEBHOOK_LISTEN:WEBHOOK_PORT
(behind an HTTPS reverse proxy, docs/deploy.md); `GET /healthz` and `GET /metrics`
(bot/runtime/metrics.py) answer on the same port.

Built as PTB's custom-webhook examples do (a web server of our own feeding
`Application.update_queue`), on tornado, the server PTB's own webhook mode uses, so that the
health route shares the port. A request without the right X-Telegram-Bot-Api-Secret-Token is
refused with 403 and never reaches a handler.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.runtime import metrics
from bot.runtime.network import reach_telegram
from bot.runtime.observe import monitor_of
from bot.settings import Settings
from domain.errors import InputError
from services import health

log = logging.getLogger("unionbot.webhook")

SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def checked_secret(settings: Settings) -> str:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not SECRET.match(secret):
        raise InputError("WEBHOOK_SECRET", "webhook_secret")
    return secret


def local_path(settings: Settings, url: str) -> str:
    path = settings.webhook_path or urlsplit(url).path or "/"
    return "/" + path.strip("/")


class _Updates(tornado.web.RequestHandler):
    def initialize(self, app: Application, secret: str) -> None:
        self.app, self.secret = app, secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook: refused a request from %s without the right secret token",
                        self.request.remote_ip)
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except Exception:
            log.warning("webhook: a request that is not an update (%d bytes)",
                        len(self.request.body))
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        await self.app.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:  # 403/400: logged above
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


class _Health(tornado.web.RequestHandler):
    def initialize(self, app: Application, settings: Settings) -> None:
        self.app, self.settings_ = app, settings

    async def get(self) -> None:
        queue = self.app.job_queue
        report = await health.live(
            self.settings_.database_url, monitor_of(self.app), now=time.time(),
            jobs_running=bool(queue and queue.scheduler.running),
            engine=self.app.bot_data["services"].sessions.kw.get("bind"))
        self.set_status(HTTPStatus.OK if report.healthy else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(report.to_dict(), ensure_ascii=False))


class _Metrics(tornado.web.RequestHandler):
    def get(self) -> None:
        content_type, body = metrics.exposition()
        self.set_header("Content-Type", content_type)
        self.finish(body)


def web_app(app: Application, settings: Settings, path: str, secret: str,
            ) -> tornado.web.Application:
    return tornado.web.Application([
        (rf"{re.escape(path)}/?", _Updates, {"app": app, "secret": secret}),
        (r"/healthz", _Health, {"app": app, "settings": settings}),
        (r"/metrics", _Metrics),
    ])


async def serve(app: Application, settings: Settings, url: str,
                stop: asyncio.Event | None = None) -> None:
    """Until SIGINT/SIGTERM (or `stop` is set): listen, register the webhook with Telegram,
    hand every update to the Application; then stop in order, persistence flushed. The webhook
    stays registered: other instances behind the same URL keep serving."""
    secret = checked_secret(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = HTTPServer(web_app(app, settings, local_path(settings, url), secret),
                        xheaders=True)
    await reach_telegram(app, settings)
    async with app:  # initialize … shutdown
        if app.post_init:
            await app.post_init(app)
        await app.start()
        server.listen(settings.webhook_port, settings.webhook_listen)
        await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        log.info("webhook mode: listening on %s:%s%s", settings.webhook_listen,
                 settings.webhook_port, local_path(settings, url))
        try:
            await stop.wait()
        finally:
            server.stop()
            await server.close_all_connections()
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    if app.post_shutdown:
        await app.post_shutdown(app)
