"""The Bot API over real HTTP on 127.0.0.1: a tornado front for `FakeTelegram`
(bot/transport.py), and a driver that waits on the fake's events.

tornado is already installed (python-telegram-bot[webhooks] needs it), serves long polls as
coroutines on the same event loop as the fake, and parses the form and multipart bodies that
PTB's HTTPXRequest sends; nothing new is added to the dependencies.

PTB sends each parameter as a form field: strings as they are, everything else as JSON
(`RequestParameter.json_value`); the front turns them back into what the in-process transport
hands the fake (`request_data.parameters` through JSON).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import Counter

import tornado.httpserver
import tornado.netutil
import tornado.web

from fakegram import ConnectionFault, FakeTelegram, FakeUser, SentMessage
from tests.support.chat import Chat

# Parameters PTB sends as plain strings that could also parse as JSON ("123", "true").
_STRINGS = frozenset({"text", "caption", "callback_query_id", "file_id", "parse_mode", "action",
                      "url", "title", "description", "short_description", "name", "query",
                      "business_connection_id", "message_effect_id", "language_code"})


def _value(key: str, raw: str) -> object:
    if key in _STRINGS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class _Api(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def post(self, _token: str, method: str) -> None:
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(self.request.body or b"{}")
        else:
            params = {key: _value(key, values[-1].decode())
                      for key, values in self.request.body_arguments.items()}
        files = {part: (f[0].filename, f[0].body, f[0].content_type)
                 for part, f in self.request.files.items()}
        try:
            status, answer = await self.fake.call(method, params, files)
        except ConnectionFault:
            self.request.connection.close()
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(answer, ensure_ascii=False))

    def get(self, _token: str, _method: str) -> None:
        self.set_status(405)
        self.finish()


class _File(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    def get(self, _path: str) -> None:
        status, data = self.fake.download(self.request.full_url())
        self.set_status(status)
        self.finish(data)


# A killed bot leaves its long poll unanswerable: not worth a traceback per benchmark start.
logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
logging.getLogger("tornado.application").setLevel(logging.CRITICAL)


class HttpFront:
    """`fake` served on 127.0.0.1 (a free port): Bot API at `base_url`, files at `file_url`."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        app = tornado.web.Application([
            (r"/bot([^/]+)/([A-Za-z]+)", _Api, {"fake": fake}),
            (r"/file/bot(.+)", _File, {"fake": fake}),
        ])
        self.server = tornado.httpserver.HTTPServer(app, max_body_size=60 << 20)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.server.add_sockets(sockets)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def stop(self) -> None:
        self.server.stop()


class Watch:
    """Counts, per chat, what the bot shows the user (messages sent, edited or deleted;
    callback answers), so a driver can await the n-th of them; and signals the first
    getUpdates. Its methods run on the driver's event loop."""

    def _watch(self) -> None:
        self.shown: Counter[int] = Counter()
        self._waits: list[tuple[int, int, asyncio.Future[None]]] = []
        self._activity = asyncio.Event()
        self.first_poll = asyncio.Event()

    def _hit(self, chat_id: int) -> None:
        self.shown[chat_id] += 1
        self._activity.set()
        for wait in list(self._waits):
            chat, target, future = wait
            if chat == chat_id and self.shown[chat] >= target and not future.done():
                future.set_result(None)
                self._waits.remove(wait)

    async def until(self, chat_id: int, target: int, timeout: float = 60) -> None:
        """Wait until chat `chat_id` has been shown `target` things in all."""
        if self.shown[chat_id] >= target:
            return
        future = asyncio.get_running_loop().create_future()
        self._waits.append((chat_id, target, future))
        await asyncio.wait_for(future, timeout)

    async def quiet(self, seconds: float = 0.4) -> None:
        """Wait until the bot has shown nothing for `seconds` (calibration only)."""
        while True:
            self._activity.clear()
            try:
                await asyncio.wait_for(self._activity.wait(), seconds)
            except TimeoutError:
                return


class WatchedTelegram(Watch, FakeTelegram):
    """A fake whose user actions always go to getUpdates, watched (`Watch`)."""

    def __init__(self) -> None:
        super().__init__()
        self._watch()
        self.on_send = lambda message: self._hit(message.chat_id)
        self.on_answer = lambda answer: self._hit(answer["user_id"])

    def _push(self, payload, queue):  # noqa: ARG002 - every action is delivered by polling
        return super()._push(payload, True)

    async def call(self, method, params, files):
        if method == "getUpdates":
            self.first_poll.set()
        return await super().call(method, params, files)


class HttpChat(Chat):
    """`Chat`'s actions against a bot polling `fake` over HTTP. With `expected` None an
    action waits for a first reply and then until the bot has been quiet a moment; with
    `expected` n it waits for exactly n things shown (what calibration found), no timer."""

    def __init__(self, fake: WatchedTelegram, user: FakeUser) -> None:  # noqa: D107
        self.app = None
        self.fake = fake
        self.user = user
        self.settle_timeout = 60.0
        self.expected: int | None = None
        fake.add_user(user)
        self._mark = fake.seq

    async def _feed(self, update) -> list[str]:  # noqa: ARG002 - already queued for polling
        raise AssertionError("HttpChat actions go through act()")

    async def act(self, action) -> int:
        """Run `action` (a user action on the fake); the number of things shown in reply."""
        self._mark = self.fake.seq
        before = self.fake.shown[self.user.id]
        done = action()
        if inspect.isawaitable(done):  # a user action over HTTP (tests/bench/_emulated.py)
            await done
        if self.expected is None:  # the first reply, then a quiet moment
            await self.fake.until(self.user.id, before + 1, self.settle_timeout)
            await self.fake.quiet()
        else:
            await self.fake.until(self.user.id, before + self.expected, self.settle_timeout)
        return self.fake.shown[self.user.id] - before

    async def send(self, text: str) -> list[str]:
        await self.act(lambda: self.fake.user_message(self.user, text))
        return self.replies

    async def press(self, label: str) -> list[str]:
        found = self._button(label)
        if found is None:
            keyboard = self._reply_keyboard()
            if keyboard is not None and label in keyboard.buttons:
                return await self.send(label)
            raise AssertionError(f"no button {label!r}; buttons now: {self._all_labels()}")
        message, data = found
        await self.act(lambda: self.fake.user_press(self.user, message.message_id, data))
        return self.replies

    async def upload(self, data: bytes, file_name: str, mime_type: str = "application/pdf",
                     caption: str | None = None) -> list[str]:
        await self.act(lambda: self.fake.user_document(self.user, data, file_name, mime_type,
                                                       caption))
        return self.replies

    def _button(self, label: str) -> tuple[SentMessage, str] | None:
        for message in reversed(self.messages):
            for row in message.keyboard if message.is_inline else ():
                for button in row:
                    if button["text"] == label and "callback_data" in button:
                        return message, button["callback_data"]
        return None
