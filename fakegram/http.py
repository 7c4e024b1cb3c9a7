"""A `FakeTelegram` over real HTTP on 127.0.0.1 (tornado, which python-telegram-bot[webhooks]
already brings): the Bot API and file downloads for a bot in another process, and the users'
side for a test or a benchmark in another thread or process.

    POST /bot<token>/<method>          the Bot API (form, multipart or JSON bodies, as PTB sends)
    GET  /file/bot<token>/<path>       file downloads
    POST /_user/message                {"user": {"id", "first_name", …}, "text": "…"}
    POST /_user/press                  {"user": …, "message_id": n, "data": "callback data"}
    POST /_user/document?user_id=…&first_name=…&name=…&mime=…[&caption=…]   the bytes as body
    GET  /_chat/<id>                   {"seq": n, "messages": [the bot's messages, as shown]}
    GET  /_state                       {"calls": [[method, params]], "deliveries": …, "webhook"}

It is also an HTTP proxy in front of itself: a Bot API request in absolute form (`POST
http://any.host/bot<token>/<method>`, what an HTTP client sends to its proxy) is answered the
same, and `requests` says which calls came that way. With `token`, a call with another token is
answered 401 Unauthorized, as Telegram answers a wrong or revoked one.

`HttpFront(fake)` serves on the running event loop (a benchmark that drives the fake directly);
`Background()` serves a fresh fake on a loop of its own in a thread (synchronous tests).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from fakegram.api import ApiError
from fakegram.server import ConnectionFault, FakeTelegram, FakeUser, SentMessage

# Parameters PTB sends as plain strings that could also parse as JSON ("123", "true").
_STRINGS = frozenset({"text", "caption", "callback_query_id", "file_id", "parse_mode", "action",
                      "url", "title", "description", "short_description", "name", "query",
                      "business_connection_id", "message_effect_id", "language_code",
                      "secret_token"})


def _value(key: str, raw: str) -> object:
    if key in _STRINGS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def shown(message: SentMessage) -> dict[str, Any]:
    """A bot message as the user's side reads it over HTTP."""
    return {"message_id": message.message_id, "kind": message.kind, "text": message.text,
            "raw_text": message.raw_text, "keyboard": message.keyboard, "seq": message.seq}


class _Handler(tornado.web.RequestHandler):
    def initialize(self, front: HttpFront, proxied: bool = False) -> None:
        self.front = front
        self.fake = front.fake
        self.proxied = proxied

    def answer(self, data: object, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, ensure_ascii=False))


class _Api(_Handler):
    async def post(self, token: str, method: str) -> None:
        self.front.requests.append((method, self.proxied))
        if self.front.token is not None and token != self.front.token:
            self.answer(ApiError(401, "Unauthorized").payload(), 401)
            return
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(self.request.body or b"{}")
        else:
            params = {key: _value(key, values[-1].decode())
                      for key, values in self.request.body_arguments.items()}
        files = {part: (f[0].filename, f[0].body, f[0].content_type)
                 for part, f in self.request.files.items()}
        if self.front.latency:
            await asyncio.sleep(self.front.latency)  # the network between the bot and Telegram
        try:
            status, answer = await self.fake.call(method, params, files)
        except ConnectionFault:
            self.request.connection.close()
            return
        self.answer(answer, status)

    get = post


class _File(_Handler):
    def get(self, _path: str) -> None:
        status, data = self.fake.download(self.request.full_url())
        self.set_status(status)
        self.finish(data)


def _user(data: dict[str, Any]) -> FakeUser:
    return FakeUser(int(data["id"]), str(data.get("first_name") or "用户"),
                    str(data.get("language_code") or "zh-hans"), data.get("username"))


class _Users(_Handler):
    """The users' side: what a person does in the Telegram app."""

    def post(self, action: str) -> None:
        fake = self.fake
        if action == "document":
            arg = self.get_query_argument
            user = _user({"id": arg("user_id"), "first_name": arg("first_name", None)})
            fake.user_document(user, self.request.body, arg("name"), arg("mime"),
                               arg("caption", None))
            self.answer(True)
            return
        body = json.loads(self.request.body)
        if action == "message":
            fake.user_message(_user(body["user"]), body["text"])
        elif action == "press":
            fake.user_press(_user(body["user"]), int(body["message_id"]), body["data"])
        else:
            raise tornado.web.HTTPError(404)
        self.answer(True)


class _Chat(_Handler):
    def get(self, chat_id: str) -> None:
        messages = self.fake.messages(int(chat_id))
        self.answer({"seq": self.fake.seq, "messages": [shown(m) for m in messages]})


class _State(_Handler):
    def get(self) -> None:
        fake = self.fake
        self.answer({"calls": fake.calls, "deliveries": fake.deliveries,
                     "callback_answers": fake.callback_answers,
                     "webhook": fake.webhook[0] if fake.webhook else ""})


# A killed bot leaves its long poll unanswerable: not worth a traceback each time.
logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
logging.getLogger("tornado.application").setLevel(logging.CRITICAL)


class HttpFront:
    """`fake` served on 127.0.0.1 (a free port) by the running event loop: the Bot API at
    `base_url`, files at `file_url`, the users' side at `url`. With `latency` (seconds) each
    Bot API call is answered that much later, as over the network to Telegram."""

    def __init__(self, fake: FakeTelegram, *, latency: float = 0.0, port: int = 0,
                 token: str | None = None) -> None:
        self.fake = fake
        self.latency = latency
        self.token = token
        # every Bot API request: (method, whether it came as to an HTTP proxy), in order
        self.requests: list[tuple[str, bool]] = []
        routes: list[Any] = [
            (r"/bot([^/]+)/([A-Za-z]+)", _Api, {}),
            (r"https?://[^/]+/bot([^/]+)/([A-Za-z]+)", _Api, {"proxied": True}),
            (r"/file/bot(.+)", _File, {}),
            (r"/_user/(message|press|document)", _Users, {}),
            (r"/_chat/(-?\d+)", _Chat, {}),
            (r"/_state", _State, {}),
        ]
        app = tornado.web.Application([(path, kind, {"front": self, **options})
                                       for path, kind, options in routes])
        self.server = tornado.httpserver.HTTPServer(app, max_body_size=60 << 20)
        sockets = tornado.netutil.bind_sockets(port, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.server.add_sockets(sockets)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        return f"{self.url}/file/bot"

    def stop(self) -> None:
        self.fake.stop()
        self.server.stop()


class Background:
    """A fresh `FakeTelegram` and its `HttpFront` on an event loop of their own, in a thread
    of this process: for tests that drive it over HTTP from synchronous code. `port` and
    `token` are the front's; the other options the fake's."""

    def __init__(self, *, port: int = 0, token: str | None = None, **fake_options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fakegram",
                                        daemon=True)
        self._thread.start()

        async def start() -> HttpFront:
            return HttpFront(FakeTelegram(**fake_options), port=port, token=token)

        self.front = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    @property
    def url(self) -> str:
        return self.front.url

    def methods(self, proxied: bool | None = None) -> list[str]:
        """The Bot API methods asked for so far, in order; only those that came as to an HTTP
        proxy (True) or directly (False)."""
        return [method for method, through_proxy in list(self.front.requests)
                if proxied is None or through_proxy == proxied]

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.front.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
