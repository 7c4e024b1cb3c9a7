"""The PTB side of the fake, in process: a request object that answers from a `FakeTelegram`
without any network, and helpers that drive an Application through it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, RequestData

from fakegram.api import BASE_FILE_URL, BASE_URL, JSON, Upload
from fakegram.server import ConnectionFault, FakeTelegram


def _read(content: Any) -> bytes:
    return content if isinstance(content, bytes) else content.read()


class InProcessRequest(BaseRequest):
    """A `BaseRequest` that answers every call from a `FakeTelegram`, without any network.

    PTB POSTs Bot API calls to ``{base_url}{token}/{method}`` and GETs file downloads from
    ``{base_file_url}{token}/{file_path}``; both are served by the fake.
    """

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            if method == "GET":
                return self.fake.download(url)
            api_method = urlsplit(url).path.rsplit("/", 1)[-1]
            params: JSON = {}
            files: dict[str, Upload] = {}
            if request_data is not None:
                # Round-trip through JSON: the fake sees exactly what would go over the wire.
                params = json.loads(json.dumps(request_data.parameters))
                for part, (name, content, mime) in request_data.multipart_data.items():
                    files[part] = (name, _read(content), mime)
            status, answer = await self.fake.call(api_method, params, files)
        except ConnectionFault as fault:
            error = fault.as_telegram_error()
            raise error from error.__cause__
        return status, json.dumps(answer, ensure_ascii=False).encode()


def build_inprocess(builder: ApplicationBuilder, fake: FakeTelegram) -> ApplicationBuilder:
    """Point `builder` at `fake`: fake token and URLs, in-process requests for both channels.

    Do not also set timeouts, proxies or pool sizes on the builder: PTB refuses those together
    with a custom request object.
    """
    return (
        builder.token(f"{fake.bot_id}:FAKE")
        .base_url(BASE_URL)
        .base_file_url(BASE_FILE_URL)
        .request(InProcessRequest(fake))
        .get_updates_request(InProcessRequest(fake))
    )


# ----- driving an Application in-process --------------------------------------------------------


@contextlib.asynccontextmanager
async def running(app: Application, *, hooks: bool = True) -> AsyncIterator[Application]:
    """Initialize and start `app` (job queue included, no polling); stop and shut down after.

    With `hooks`, post_init / post_stop / post_shutdown run as `run_polling` would run them.
    If the app talks to a `FakeTelegram`, the fake's Updates get bound to the app's bot.
    """
    request = app.bot.request
    if isinstance(request, InProcessRequest):
        request.fake.bind(app.bot)
    await app.initialize()
    try:
        if hooks and app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            yield app
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.stop()
            if hooks and app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if hooks and app.post_shutdown:
            await app.post_shutdown(app)


async def feed(app: Application, update: Update, *, settle_timeout: float = 10.0) -> None:
    """`app.process_update(update)` through the app's update processor (as its update queue
    would), then wait for the tasks it started (block=False handlers).

    Raises TimeoutError if those tasks are still running after `settle_timeout` seconds.
    """
    before = asyncio.all_tasks()
    await app.update_processor.process_update(update, app.process_update(update))
    await settle(before, settle_timeout)


async def settle(before: set[asyncio.Task[Any]], timeout: float) -> None:
    """Wait until every task started since `before` has finished."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    current = asyncio.current_task()
    while True:
        # PTB's persistence loop re-arms an Event.wait every update_interval: not handler work.
        started = {t for t in asyncio.all_tasks() if t not in before and t is not current
                   and getattr(t.get_coro(), "__qualname__", "") != "Event.wait"}
        if not started:
            return
        remaining = deadline - loop.time()
        if remaining <= 0:
            names = sorted(f"{task.get_name()}: {task.get_coro()}" for task in started)
            raise TimeoutError(f"tasks still running after {timeout}s: {names}")
        await asyncio.wait(started, timeout=remaining)
