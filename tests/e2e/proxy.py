"""The repair proxy: the bot talks to it as to the Bot API, it talks to telegram-test-api.

    bot (python -m bot run) ──HTTP──▶ RepairProxy ──HTTP──▶ telegram-test-api (node)
                                                                   ▲
                              the test's users (tests/e2e/client.py) ──HTTP─┘

telegram-test-api 4.2.1 answers the bot differently from the real Bot API; the proxy repairs
that here so that the bot itself stays untouched. What it repairs:

* getMe: the emulator's user has no ``is_bot`` (PTB requires it) and a fixed id 666 and name;
  the proxy answers like Telegram: id from the token, ``is_bot``, the bot's name.
* getUpdates: no long polling (``timeout`` ignored: the bot would spin), ``offset`` ignored
  (updates are marked read when delivered, so one lost answer loses them), callback queries
  without ``chat_instance`` (PTB requires it) and without the message as it is now, and a stray
  ``botToken`` field in every update. The proxy holds the request until an update arrives or
  the timeout passes, keeps delivered updates until an offset confirms them, and completes the
  updates.
* sendMessage: the result echoes the request (``chat_id`` as a string, ``link_preview_options``
  as a JSON string, which PTB cannot read), ``date`` in milliseconds (PTB: year out of range),
  HTML not parsed, no ``from``, the chat named "Bot". The proxy returns a Message as Telegram
  does; and, as Telegram, refuses empty or too long texts and unknown chats.
* editMessageText / editMessageReplyMarkup: result ``null`` (Telegram: the edited Message),
  success even for a message that does not exist or would not change (Telegram: 400), and
  an edit without ``reply_markup`` keeps the old buttons (Telegram removes them). Ids arrive
  as strings (form fields) and were stored so; the proxy forwards typed JSON.
* answerCallbackQuery: result ``null`` (Telegram: ``true``); unknown query ids accepted.
* deleteMessage: errors come with HTTP 200 (PTB then reads a missing ``result``); HTTP 400 now.
* Not implemented by the emulator (HTTP 500 ``{"message": …}``): setMyCommands, getMyCommands,
  deleteMyCommands, setChatMenuButton, getChatMenuButton, sendChatAction, getWebhookInfo,
  getFile, sendPhoto, sendDocument, and file downloads (``/file/bot<token>/<path>``). The proxy
  implements them; sent photos and documents reach the emulator as messages carrying a
  ``photo``/``document`` field and the caption as text, so the user side sees them.
* Errors in the emulator's own shape (HTTP 500 ``{"message": …}``) become Bot API errors
  (``{"ok": false, "error_code", "description"}``; an unknown method is 404 "Not Found").
* Webhooks: the emulator has none. After the bot's setWebhook the proxy pushes the updates
  itself, in order, as POSTs to the URL (on loopback) with the ``X-Telegram-Bot-Api-Secret-Token``
  header, and drops each once the bot answers 200 (otherwise it retries, as Telegram does);
  getUpdates is then refused with 409, as Telegram does while a webhook is set.
* Users' files: the emulator carries a user's document message as JSON but holds no bytes. The
  test's user puts the bytes here first (``POST /_e2e/files``), gets a ``file_id``, and sends a
  message with that document through the emulator; getFile and the download are served here.

Run on its own for manual trials::

    python -m tests.e2e.proxy --upstream http://127.0.0.1:9000 --token 123456:ABC-test
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import html
import itertools
import json
import logging
import re
import struct
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

JSON = dict[str, Any]
_LOG = logging.getLogger("e2e.proxy")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")

# Form fields PTB sends JSON-encoded, and numbers / booleans it sends as text.
_JSON_FIELDS = {"reply_markup", "entities", "caption_entities", "link_preview_options",
                "reply_parameters", "commands", "scope", "media", "allowed_updates",
                "menu_button"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "reply_to_message_id", "cache_time",
               "message_thread_id", "user_id"}
_FLOAT_FIELDS = {"timeout"}
_BOOL_FIELDS = {"show_alert", "disable_notification", "protect_content", "drop_pending_updates",
                "allow_sending_without_reply", "has_spoiler", "disable_content_type_detection",
                "show_caption_above_media"}

_BOT_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    """What the user sees of a text sent with `parse_mode` (markup removed)."""
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return html.unescape("".join(parser.parts))


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _image_size(data: bytes) -> tuple[int, int]:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return 1280, 960


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str
    mime_type: str

    def document(self) -> JSON:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_name": self.file_name, "mime_type": self.mime_type,
                "file_size": len(self.data)}

    def photo(self) -> list[JSON]:
        width, height = _image_size(self.data)
        return [{"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                 "width": width, "height": height, "file_size": len(self.data)}]


@dataclass
class _Sent:
    """A bot message as the proxy returned it last, and what it was made of."""

    message: JSON
    raw_text: str
    markup: JSON | None


@dataclass
class ProxyState:
    calls: list[tuple[str, JSON]] = field(default_factory=list)  # every Bot API call
    callback_answers: list[JSON] = field(default_factory=list)
    commands: dict[str, list[JSON]] = field(default_factory=dict)  # "scope|lang" -> commands
    unsupported: list[str] = field(default_factory=list)  # methods neither side implements
    polls: int = 0  # getUpdates calls
    deliveries: list[tuple[int, int]] = field(default_factory=list)  # webhook: (update, status)


class RepairProxy:
    """An HTTP server on 127.0.0.1 in a thread of this process (`start` / `stop`)."""

    def __init__(self, upstream: str, token: str, *, bot_first_name: str = "工会服务助手",
                 bot_username: str = "unionbot_bot", host: str = "127.0.0.1", port: int = 0,
                 max_hold: float = 5.0, poll_interval: float = 0.03) -> None:
        self.upstream = upstream.rstrip("/")
        self.token = token
        self.host, self.requested_port = host, port
        self.max_hold, self.poll_interval = max_hold, poll_interval
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user: JSON = {
            "id": bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username,
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.state = ProxyState()
        self.polling = threading.Event()  # set at the bot's first getUpdates
        self.webhook_set = threading.Event()  # set at the bot's setWebhook
        self._lock = threading.RLock()  # guards everything below and `state`
        self._poll_lock = threading.Lock()  # one getUpdates at a time, as Telegram (409)
        self._closing = threading.Event()
        self._http = httpx.Client(timeout=10.0)
        self._buffer: list[JSON] = []  # delivered or not, until confirmed by an offset
        self._poll_generation = 0
        self._users: dict[int, JSON] = {}  # users seen in updates: their private chats exist
        self._sent: dict[tuple[int, int], _Sent] = {}
        self._queries: set[str] = set()
        self._files: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._webhook: tuple[str, str | None] | None = None  # url, secret token
        self._pusher: threading.Thread | None = None

    # ----- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> RepairProxy:
        proxy = self

        class Handler(_Handler):
            pass

        Handler.proxy = proxy
        # TCP_NODELAY, as Telegram's and any production HTTP server's: http.server sends an
        # answer as two writes (headers, body), and with Nagle's algorithm on (its default)
        # the body waits for the client's delayed ACK, about 40 ms on Linux, every answer.
        Handler.disable_nagle_algorithm = True
        self._server = ThreadingHTTPServer((self.host, self.requested_port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, name="e2e-proxy",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pusher is not None:
            self._pusher.join(timeout=15)
        self._http.close()

    # ----- the test's side ------------------------------------------------------------------

    def add_file(self, data: bytes, file_name: str, mime_type: str, folder: str = "documents",
                 ) -> StoredFile:
        """Hold a file a user sends (or the bot uploads); getFile and downloads serve it."""
        with self._lock:
            n = next(self._file_numbers)
            suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
            stored = StoredFile(file_id=f"BQACAgE-e2e-{n:06d}", file_unique_id=f"AgADe2e{n:04d}",
                                file_path=f"{folder}/file_{n}.{suffix}", data=data,
                                file_name=file_name, mime_type=mime_type)
            self._files[stored.file_id] = stored
            return stored

    def snapshot(self) -> JSON:
        with self._lock:
            return {"calls": [[m, p] for m, p in self.state.calls],
                    "callback_answers": list(self.state.callback_answers),
                    "commands": dict(self.state.commands),
                    "unsupported": list(self.state.unsupported), "polls": self.state.polls,
                    "deliveries": list(self.state.deliveries)}

    # ----- the bot's side -------------------------------------------------------------------

    def call(self, method: str, params: JSON, files: dict[str, tuple[str, bytes, str]],
             ) -> tuple[int, JSON]:
        name = method.lower()
        with self._lock:
            self.state.calls.append((method, {k: v for k, v in params.items()
                                              if k not in files}))
        handler = getattr(self, f"_m_{name}", None)
        try:
            if handler is None:
                return self._forward_as_is(method, params)
            return 200, {"ok": True, "result": handler(params, files)}
        except ApiError as err:
            return err.status, {"ok": False, "error_code": err.status,
                                "description": err.description}
        except httpx.HTTPError as err:
            _LOG.warning("emulator unreachable for %s: %s", method, err)
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}

    def download(self, file_path: str) -> tuple[int, bytes]:
        with self._lock:
            for stored in self._files.values():
                if stored.file_path == file_path:
                    return 200, stored.data
        return 404, json.dumps({"ok": False, "error_code": 404,
                                "description": "Not Found"}).encode()

    # ----- emulator access ------------------------------------------------------------------

    def _emulator(self, method: str, body: JSON) -> JSON:
        """POST a typed JSON body to the emulator's Bot API; its answer as Bot API JSON."""
        response = self._http.post(f"{self.upstream}/bot{self.token}/{method}", json=body)
        try:
            data = response.json()
        except ValueError:
            raise ApiError(502, f"Bad Gateway: emulator answered {response.text[:200]!r}") from None
        if isinstance(data, dict) and "ok" not in data:  # the emulator's own error shape
            message = str(data.get("message", data))
            if "is not supported" in message or "Route not found" in message:
                raise ApiError(404, "Not Found")
            raise ApiError(500, f"Internal Server Error: {message}")
        if not data.get("ok"):
            raise ApiError(int(data.get("error_code") or 400),
                           str(data.get("description") or "Bad Request"))
        return data

    def _forward_as_is(self, method: str, params: JSON) -> tuple[int, JSON]:
        try:
            data = self._emulator(method, params)
        except ApiError as err:
            if err.status == 404:
                with self._lock:
                    self.state.unsupported.append(method)
                _LOG.warning("neither the emulator nor the proxy implements %s", method)
            raise
        return 200, {"ok": True, "result": data.get("result", True)}

    # ----- identity, updates, webhooks ------------------------------------------------------

    def _m_getme(self, p: JSON, f: Any) -> JSON:
        return dict(self.bot_user)

    def _m_logout(self, p: JSON, f: Any) -> bool:
        return True

    def _m_close(self, p: JSON, f: Any) -> bool:
        return True

    def _m_setwebhook(self, p: JSON, f: Any) -> bool:
        url = str(p.get("url") or "")
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        with self._lock:
            self._webhook = (url, p.get("secret_token")) if url else None
            if url and self._pusher is None:
                self._pusher = threading.Thread(target=self._push, name="e2e-webhook",
                                                daemon=True)
                self._pusher.start()
        if url:
            self.webhook_set.set()
        return True

    def _push(self) -> None:
        """While a webhook is set: POST the updates to it, in order, each until answered 200."""
        with httpx.Client(timeout=10.0) as http:
            while not self._closing.is_set():
                with self._lock:
                    hook = self._webhook
                    if hook is not None:
                        self._pull()
                    pending = [dict(u) for u in self._buffer] if hook else []
                if not pending:
                    time.sleep(self.poll_interval)
                    continue
                url, secret = hook
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                for update in pending:
                    try:
                        status = http.post(url, json=update, headers=headers).status_code
                    except httpx.HTTPError:
                        status = 0  # not listening yet, or gone
                    with self._lock:
                        self.state.deliveries.append((update["update_id"], status))
                        if status == 200:
                            self._buffer = [u for u in self._buffer
                                            if u["update_id"] != update["update_id"]]
                    if status != 200:
                        time.sleep(0.2)
                        break

    def _m_deletewebhook(self, p: JSON, f: Any) -> bool:
        with self._lock:
            self._webhook = None
        self._emulator("deleteWebhook", {})
        if p.get("drop_pending_updates"):
            with self._lock:
                self._pull()
                self._buffer.clear()
        return True

    def _m_getwebhookinfo(self, p: JSON, f: Any) -> JSON:
        with self._lock:
            pending = len(self._buffer)
            url = self._webhook[0] if self._webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": pending}

    def _m_getupdates(self, p: JSON, f: Any) -> list[JSON]:
        offset = int(p.get("offset") or 0)
        limit = max(1, min(int(p.get("limit") or 100), 100))
        timeout = max(0.0, float(p.get("timeout") or 0))
        deadline = time.monotonic() + min(timeout, self.max_hold)
        with self._lock:  # as Telegram: a new request ends the one still waiting
            if self._webhook is not None:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                    "active; use deleteWebhook to delete the webhook first")
            self._poll_generation += 1
            generation = self._poll_generation
        if not self._poll_lock.acquire(timeout=self.max_hold + 1):
            raise ApiError(409, "Conflict: terminated by other getUpdates request")
        try:
            with self._lock:
                self.state.polls += 1
            self.polling.set()
            while True:
                with self._lock:
                    if generation != self._poll_generation:
                        raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                            "make sure that only one bot instance is running")
                    self._confirm(offset)
                    self._pull()
                    if self._buffer or self._closing.is_set() or time.monotonic() >= deadline:
                        return [dict(u) for u in self._buffer[:limit]]
                time.sleep(self.poll_interval)
        finally:
            self._poll_lock.release()

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._buffer = [u for u in self._buffer if u["update_id"] >= offset]
        elif offset < 0:
            self._buffer = self._buffer[offset:]

    def _pull(self) -> None:
        """Take the emulator's new updates (it marks them read) into the buffer, repaired."""
        for raw in self._emulator("getUpdates", {}).get("result") or []:
            update = self._repair_update(raw)
            if update is not None:
                self._buffer.append(update)
        self._buffer.sort(key=lambda u: u["update_id"])

    def _repair_update(self, raw: JSON) -> JSON | None:
        update: JSON = {"update_id": int(raw["update_id"])}
        if "message" in raw:
            message = self._repair_user_message(raw["message"])
            update["message"] = message
        elif "callback_query" in raw:
            query = dict(raw["callback_query"])
            query.pop("botToken", None)
            query.pop("date", None)
            query["id"] = str(query["id"])
            user = query.get("from") or {}
            self._remember(user)
            shown = query.get("message") or {}
            chat_id = int((shown.get("chat") or {}).get("id") or user.get("id") or 0)
            sent = self._sent.get((chat_id, int(shown.get("message_id") or 0)))
            if sent is not None:  # Telegram attaches the message as it is now
                query["message"] = dict(sent.message)
            elif shown:
                query["message"] = self._repair_user_message(shown)
            query.setdefault("chat_instance", str(chat_id * 7919 or 1))
            self._queries.add(query["id"])
            update["callback_query"] = query
        else:
            _LOG.warning("dropping an update the proxy does not know: %s", raw)
            return None
        return update

    def _repair_user_message(self, raw: JSON) -> JSON:
        message = {k: v for k, v in raw.items() if k != "botToken"}
        message["message_id"] = int(message.get("message_id") or 0)
        date = int(message.get("date") or time.time())
        message["date"] = date // 1000 if date > 10**11 else date  # milliseconds → seconds
        sender = message.get("from")
        if sender:
            self._remember(sender)
        chat = dict(message.get("chat") or {})
        if sender and not chat:
            chat = {"id": sender["id"], "type": "private"}
        if chat:
            chat["id"] = int(chat["id"])
            chat.setdefault("type", "private")
            if chat["type"] == "private":
                chat.pop("title", None)  # the emulator's client puts one on private chats
            message["chat"] = chat
        return message

    def _remember(self, user: JSON) -> None:
        if user.get("id") and not user.get("is_bot"):
            self._users[int(user["id"])] = dict(user)

    # ----- commands, menu, chat actions -----------------------------------------------------

    def _scope_key(self, p: JSON) -> str:
        scope = p.get("scope") or {"type": "default"}
        if scope.get("type") in ("chat", "chat_administrators", "chat_member"):
            chat_id = int(scope.get("chat_id") or 0)
            with self._lock:
                if chat_id not in self._users:
                    raise bad_request("chat not found")
        return json.dumps(scope, sort_keys=True) + "|" + str(p.get("language_code") or "")

    def _m_setmycommands(self, p: JSON, f: Any) -> bool:
        commands = p.get("commands") or []
        if len(commands) > 100:
            raise bad_request("too many commands")
        key = self._scope_key(p)
        with self._lock:
            self.state.commands[key] = list(commands)
        return True

    def _m_getmycommands(self, p: JSON, f: Any) -> list[JSON]:
        key = self._scope_key(p)
        with self._lock:
            return list(self.state.commands.get(key, []))

    def _m_deletemycommands(self, p: JSON, f: Any) -> bool:
        key = self._scope_key(p)
        with self._lock:
            self.state.commands.pop(key, None)
        return True

    def _m_setchatmenubutton(self, p: JSON, f: Any) -> bool:
        return True

    def _m_getchatmenubutton(self, p: JSON, f: Any) -> JSON:
        return {"type": "commands"}

    def _m_sendchataction(self, p: JSON, f: Any) -> bool:
        self._chat(p)
        return True

    # ----- messages -------------------------------------------------------------------------

    def _chat(self, p: JSON) -> JSON:
        chat_id = p.get("chat_id")
        if chat_id is None:
            raise bad_request("chat_id is empty")
        with self._lock:
            user = self._users.get(int(chat_id))
        if user is None:
            raise bad_request("chat not found")
        chat = {"id": int(chat_id), "type": "private", "first_name": user.get("first_name", "")}
        if user.get("username"):
            chat["username"] = user["username"]
        return chat

    @staticmethod
    def _inline(markup: Any) -> JSON | None:
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            return markup
        return None

    def _message(self, chat: JSON, message_id: int, **content: Any) -> JSON:
        message = {"message_id": message_id, "from": dict(self.bot_user), "chat": chat,
                   "date": int(time.time())}
        message.update({k: v for k, v in content.items() if v is not None})
        return message

    def _check_text(self, text: str, limit: int, what: str) -> None:
        if what == "text" and not text.strip():
            raise bad_request("message text is empty")
        if _utf16_len(text) > limit:
            raise bad_request("message is too long" if what == "text"
                              else "message caption is too long")

    def _m_sendmessage(self, p: JSON, f: Any) -> JSON:
        chat = self._chat(p)
        raw = str(p.get("text") or "")
        text = visible_text(raw, p.get("parse_mode"))
        self._check_text(text, MAX_TEXT, "text")
        result = self._emulator("sendMessage", {**p, "chat_id": chat["id"]})["result"]
        markup = p.get("reply_markup")
        message = self._message(chat, int(result["message_id"]), text=text,
                                reply_markup=self._inline(markup))
        with self._lock:
            self._sent[(chat["id"], message["message_id"])] = _Sent(message, raw, markup)
        return message

    def _edit(self, p: JSON, *, text: str | None) -> JSON:
        if p.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the e2e proxy")
        chat = self._chat(p)
        key = (chat["id"], int(p.get("message_id") or 0))
        with self._lock:
            sent = self._sent.get(key)
        if sent is None:
            raise bad_request("message to edit not found")
        markup = self._inline(p.get("reply_markup"))
        raw = sent.raw_text if text is None else text
        if raw == sent.raw_text and markup == self._inline(sent.markup):
            raise bad_request(NOT_MODIFIED)
        # No markup: the buttons go (the emulator keeps the old ones unless given an empty one).
        body: JSON = {"chat_id": chat["id"], "message_id": key[1],
                      "reply_markup": markup or {"inline_keyboard": []}}
        if text is not None:
            shown = visible_text(text, p.get("parse_mode"))
            self._check_text(shown, MAX_TEXT, "text")
            body.update(text=text, parse_mode=p.get("parse_mode"))
            method = "editMessageText"
        else:
            method = "editMessageReplyMarkup"
        self._emulator(method, body)
        message = dict(sent.message)
        message.pop("reply_markup", None)
        if text is not None:
            message["text"] = visible_text(text, p.get("parse_mode"))
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        with self._lock:
            self._sent[key] = _Sent(message, raw, markup)
        return message

    def _m_editmessagetext(self, p: JSON, f: Any) -> JSON:
        return self._edit(p, text=str(p.get("text") or ""))

    def _m_editmessagereplymarkup(self, p: JSON, f: Any) -> JSON:
        return self._edit(p, text=None)

    def _m_deletemessage(self, p: JSON, f: Any) -> bool:
        chat = self._chat(p)
        message_id = int(p.get("message_id") or 0)
        self._emulator("deleteMessage", {"chat_id": chat["id"], "message_id": message_id})
        with self._lock:
            self._sent.pop((chat["id"], message_id), None)
        return True

    def _m_answercallbackquery(self, p: JSON, f: Any) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        with self._lock:
            known = query_id in self._queries
        if not known:
            raise bad_request("query is too old and response timeout expired or query ID is "
                              "invalid")
        if len(str(p.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._emulator("answerCallbackQuery", {"callback_query_id": query_id})
        with self._lock:
            self.state.callback_answers.append(
                {"callback_query_id": query_id, "text": p.get("text"),
                 "show_alert": bool(p.get("show_alert"))})
        return True

    # ----- files ----------------------------------------------------------------------------

    def _upload(self, p: JSON, files: dict[str, tuple[str, bytes, str]], field_name: str,
                folder: str) -> StoredFile:
        value = p.get(field_name)
        if field_name in files:
            name, data, mime = files[field_name]
            return self.add_file(data, name, mime, folder)
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            name, data, mime = files[value[9:]]
            return self.add_file(data, name, mime, folder)
        with self._lock:
            stored = self._files.get(str(value))
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def _send_media(self, p: JSON, files: dict[str, tuple[str, bytes, str]], kind: str) -> JSON:
        chat = self._chat(p)
        stored = self._upload(p, files, kind, "photos" if kind == "photo" else "documents")
        raw = str(p.get("caption") or "")
        caption = visible_text(raw, p.get("parse_mode"))
        self._check_text(caption, MAX_CAPTION, "caption")
        media = stored.photo() if kind == "photo" else stored.document()
        body = {"chat_id": chat["id"], "text": raw, "parse_mode": p.get("parse_mode"),
                "reply_markup": p.get("reply_markup"), kind: media}
        result = self._emulator("sendMessage", {k: v for k, v in body.items() if v is not None})
        message = self._message(chat, int(result["result"]["message_id"]),
                                caption=caption or None,
                                reply_markup=self._inline(p.get("reply_markup")), **{kind: media})
        with self._lock:
            self._sent[(chat["id"], message["message_id"])] = _Sent(message, raw,
                                                                   p.get("reply_markup"))
        return message

    def _m_sendphoto(self, p: JSON, f: dict[str, tuple[str, bytes, str]]) -> JSON:
        return self._send_media(p, f, "photo")

    def _m_senddocument(self, p: JSON, f: dict[str, tuple[str, bytes, str]]) -> JSON:
        return self._send_media(p, f, "document")

    def _m_getfile(self, p: JSON, f: Any) -> JSON:
        with self._lock:
            stored = self._files.get(str(p.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data), "file_path": stored.file_path}


# ----- HTTP ---------------------------------------------------------------------------------


def _typed(params: dict[str, str]) -> JSON:
    """Form fields (all text) to the types the Bot API means."""
    out: JSON = {}
    for key, value in params.items():
        try:
            if key in _JSON_FIELDS:
                out[key] = json.loads(value)
            elif key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
                out[key] = int(value)
            elif key in _FLOAT_FIELDS:
                out[key] = float(value)
            elif key in _BOOL_FIELDS:
                out[key] = value.lower() == "true"
            else:
                out[key] = value
        except ValueError:
            out[key] = value
    return out


def _parse_body(content_type: str, body: bytes) -> tuple[JSON, dict[str, tuple[str, bytes, str]]]:
    files: dict[str, tuple[str, bytes, str]] = {}
    if not body:
        return {}, files
    if content_type.startswith("application/json"):
        return json.loads(body.decode("utf-8")), files
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[str(name)] = (filename, data, part.get_content_type())
            else:
                fields[str(name)] = data.decode(part.get_content_charset() or "utf-8")
        return _typed(fields), files
    return _typed(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))), files


class _Handler(BaseHTTPRequestHandler):
    proxy: RepairProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        _LOG.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch(b"")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def _dispatch(self, body: bytes) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)  # PTB quotes download URLs (the token's ":" becomes %3A)
        proxy = self.proxy
        try:
            if match := _BOT_PATH.match(path):
                if match["token"] != proxy.token:
                    self._send_json(401, {"ok": False, "error_code": 401,
                                          "description": "Unauthorized"})
                    return
                params, files = _parse_body(self.headers.get("Content-Type", ""), body)
                params = {**_typed(dict(parse_qsl(url.query))), **params}
                status, data = proxy.call(match["method"], params, files)
                self._send_json(status, data)
            elif match := _FILE_PATH.match(path):
                if match["token"] != proxy.token:
                    self._send(401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}')
                    return
                status, data = proxy.download(match["path"])
                self._send(status, data, "application/octet-stream" if status == 200
                           else "application/json")
            elif path == "/_e2e/files" and self.command == "POST":
                query = dict(parse_qsl(url.query))
                stored = proxy.add_file(body, query.get("name", "file.bin"),
                                        query.get("mime", "application/octet-stream"),
                                        query.get("folder", "documents"))
                self._send_json(200, stored.document())
            elif path == "/_e2e/state":
                self._send_json(200, proxy.snapshot())
            else:
                self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        except (ValueError, KeyError) as err:
            self._send_json(400, {"ok": False, "error_code": 400,
                                  "description": f"Bad Request: {err}"})
        except (BrokenPipeError, ConnectionResetError):  # the bot hung up (shutting down)
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--upstream", required=True, help="telegram-test-api base URL")
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    proxy = RepairProxy(args.upstream, args.token, port=args.port).start()
    print(f"repair proxy on {proxy.url} -> {proxy.upstream}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        proxy.stop()


if __name__ == "__main__":
    main()
