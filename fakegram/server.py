"""The fake Telegram server: bot identity, users, chats, updates and files, in memory; its
answers, limits and error wording as Telegram's, and Telegram's bad moments on demand."""

from __future__ import annotations

import asyncio
import copy
import inspect
import io
import itertools
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from telegram import Bot, Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot

from fakegram.api import (
    BASE_URL,
    JSON,
    MAX_ALBUM,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_DOWNLOAD,
    MAX_PHOTO_UPLOAD,
    MAX_TEXT,
    MAX_UPLOAD,
    ApiError,
    Upload,
    bad_request,
    u16,
)
from fakegram.html import parse_html

_LOG = logging.getLogger(__name__)

class FakeTelegramError(Exception):
    """A user-side action Telegram's app would not allow, such as pressing a missing button."""


# ----- faults: how calls fail on a bad day ------------------------------------------------------

# kind → (HTTP status or None, did the call take effect before it failed?)
FAULT_KINDS: dict[object, tuple[int | None, bool]] = {
    500: (500, False),  # Telegram answered with an error: the method was not performed
    502: (502, False),
    503: (503, False),
    504: (504, False),
    429: (429, False),  # flood control: retry_after seconds
    "reset": (None, False),  # the connection was reset while connecting: nothing got through
    "connect_timeout": (None, False),  # no connection within the timeout: nothing got through
    "timeout": (None, True),  # the call was performed, its answer did not come in time
    "drop": (None, True),  # the call was performed, the server hung up before answering
}
ALL_FAULTS: tuple[object, ...] = tuple(FAULT_KINDS)
_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                504: "Gateway Timeout"}


def _known_faults(kinds: Iterable[object]) -> tuple[object, ...]:
    chosen = tuple(kinds)
    unknown = [k for k in chosen if k not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown!r}; known: {list(FAULT_KINDS)}")
    return chosen


class ConnectionFault(Exception):
    """A transport failure the fake injected; `InProcessRequest` raises PTB's equivalent."""

    def __init__(self, kind: str, method: str) -> None:
        super().__init__(f"{kind} on {method}")
        self.kind = kind
        self.method = method

    def as_telegram_error(self) -> NetworkError:
        """What `HTTPXRequest` raises for this failure, with the same httpx cause."""
        request = httpx.Request("POST", f"{BASE_URL}/{self.method}")
        cause: httpx.HTTPError
        if self.kind == "timeout":
            cause = httpx.ReadTimeout("The read operation timed out", request=request)
        elif self.kind == "connect_timeout":
            cause = httpx.ConnectTimeout("timed out", request=request)
        elif self.kind == "drop":
            cause = httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request)
        else:
            cause = httpx.ConnectError("[Errno 104] Connection reset by peer", request=request)
        error = (TimedOut() if isinstance(cause, httpx.TimeoutException)
                 else NetworkError(f"httpx.{type(cause).__name__}: {cause}"))
        error.__cause__ = cause
        return error


@dataclass
class FaultPlan:
    """Which calls fail and how: a seeded random draw per call (see `FakeTelegram.faults`)."""

    rate: float
    kinds: tuple[object, ...]
    rng: random.Random
    methods: frozenset[str] | None  # lower-case method names; None: every method
    downloads: bool

    def draw(self, method: str) -> object | None:
        if self.methods is not None and method.lower() not in self.methods:
            return None
        if self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.kinds)


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    language_code: str = "zh-hans"
    username: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str = ""
    mime_type: str = "application/octet-stream"

    def to_json(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }


@dataclass
class SentMessage:
    """One message the bot sent, in its current state (edits applied).

    `text` is what the user sees — the message text or the media caption, with HTML parsed away
    and entities decoded; `raw_text` is what the bot sent. A media group is sent as several
    messages (kind "photo"/"document") sharing `media_group_id`, as Telegram does.
    """

    chat_id: int
    message_id: int
    kind: str  # "text" | "photo" | "document"
    text: str
    raw_text: str = ""
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    file: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    date: int = 0
    edited: bool = False
    deleted: bool = False
    history: list[tuple[str, JSON | None]] = field(default_factory=list)  # earlier versions
    seq: int = 0  # FakeTelegram.seq at the last change
    media: Any = None  # the Bot API "photo" list or "document" object

    @property
    def caption(self) -> str:
        return "" if self.kind == "text" else self.text

    @property
    def keyboard(self) -> list[list[JSON]]:
        """Rows of buttons: inline keyboard, else reply keyboard, else nothing."""
        markup = self.reply_markup or {}
        return markup.get("inline_keyboard") or markup.get("keyboard") or []

    @property
    def is_inline(self) -> bool:
        return bool(self.reply_markup and "inline_keyboard" in self.reply_markup)

    @property
    def buttons(self) -> list[str]:
        return [button["text"] for row in self.keyboard for button in row]


@dataclass
class _Query:
    user_id: int
    answered: bool = False


class FakeTelegram:
    """The server side: bot identity, users, chats, updates and files, all in memory.

    User-side actions (`user_message`, `user_press`, …) build the Update JSON Telegram would send,
    queue it for getUpdates (unless ``queue=False``) and return it as a `telegram.Update` bound
    to the bot given to `bind` (the `Chat` driver and `running` do that), for
    `Application.process_update`. Bot-side calls arrive through `InProcessRequest`.
    """

    def __init__(
        self,
        *,
        bot_id: int = 123,
        username: str = "unionbot_bot",
        first_name: str = "工会服务助手",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot_id = bot_id
        self.bot_user: JSON = {
            "id": bot_id, "is_bot": True, "first_name": first_name, "username": username,
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.clock = clock
        self.bot: Bot | None = None
        self.users: dict[int, FakeUser] = {}
        self.blocked: set[int] = set()
        self.sent: list[SentMessage] = []
        self.callback_answers: list[JSON] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.menu_buttons: dict[int | None, JSON] = {}
        self.calls: list[tuple[str, JSON]] = []  # every Bot API call, in order
        self.max_file_download = MAX_DOWNLOAD
        self.on_send: Callable[[SentMessage], None] | None = None  # sends, edits, deletions
        self.on_answer: Callable[[JSON], None] | None = None  # answerCallbackQuery
        self.seq = 0
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._bot_messages: dict[int, dict[int, SentMessage]] = {}
        self._user_messages: dict[int, dict[int, JSON]] = {}
        self._next_message_id: dict[int, int] = {}
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._files: dict[str, StoredFile] = {}
        self._file_ids = itertools.count(1)
        self._album_ids = itertools.count(1)
        self._queries: dict[str, _Query] = {}
        self._query_ids = itertools.count(1)
        self._waiters: set[asyncio.Future[None]] = set()
        self.webhook: tuple[str, str | None] | None = None  # setWebhook's (url, secret token)
        self.deliveries: list[tuple[int, int]] = []  # webhook POSTs: (update id, HTTP status)
        self._pusher: asyncio.Task[None] | None = None
        self._retry_after: tuple[int, int] = (0, 0)  # (calls left, seconds)
        self._faults: FaultPlan | None = None
        self._scripted: dict[str, list[object]] = {}  # method (lower case) → next faults
        self._fault_retry_after: float = 1
        self.injected: list[tuple[str, object]] = []  # (method or "download", kind), in order
        # Awaited before every Bot API call is answered (tests hold a call there).
        self.before_call: Callable[[str, JSON], Awaitable[None]] | None = None

    # ----- setup and inspection ---------------------------------------------------------------

    def bind(self, bot: Bot) -> None:
        """The bot that returned Updates are bound to (so `update.message.reply_text` works)."""
        self.bot = bot

    def add_user(self, user: FakeUser) -> None:
        """Make `user` known, so the bot can message them (chat id == user id)."""
        self.users[user.id] = user
        self._bot_messages.setdefault(user.id, {})
        self._user_messages.setdefault(user.id, {})

    def block(self, user_id: int) -> None:
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def retry_after_next(self, n: int, seconds: int) -> None:
        """The next `n` send calls answer 429 "Too Many Requests" with retry_after=`seconds`."""
        self._retry_after = (n, seconds)

    def faults(
        self,
        rate: float = 0.3,
        kinds: Iterable[object] = ALL_FAULTS,
        *,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        downloads: bool = False,
        retry_after: float = 1,
    ) -> None:
        """From now on, each Bot API call fails with probability `rate`, in one of `kinds`.

        - 500, 502, 503, 504: Telegram answers with that error; the method was not performed.
        - 429: "Too Many Requests: retry after `retry_after`"; not performed.
        - "reset", "connect_timeout": the request never got through (PTB raises NetworkError /
          TimedOut caused by httpx.ConnectError / ConnectTimeout); not performed.
        - "timeout", "drop": the method WAS performed (the message is in the chat), but its
          answer was lost (TimedOut from httpx.ReadTimeout, NetworkError from
          RemoteProtocolError) — the case where repeating a send shows it twice.

        `methods` limits the faults to those Bot API methods; `downloads` lets file downloads
        fail too (as "reset" or 502). ``faults(0)`` turns them off. Every injected fault is in
        `injected`.
        """
        chosen = _known_faults(kinds)
        if not chosen:
            raise ValueError(f"no fault kinds; known: {list(FAULT_KINDS)}")
        self._fault_retry_after = retry_after
        if rate <= 0:
            self._faults = None
            return
        self._faults = FaultPlan(
            rate=rate, kinds=chosen, rng=random.Random(seed),
            methods=frozenset(m.lower() for m in methods) if methods is not None else None,
            downloads=downloads)

    def fail_next(self, method: str, *kinds: object, retry_after: float = 1) -> None:
        """The next calls of `method` fail with `kinds`, one each, in order (then it works)."""
        self._scripted.setdefault(method.lower(), []).extend(_known_faults(kinds))
        self._fault_retry_after = retry_after

    def _draw_fault(self, method: str) -> object | None:
        scripted = self._scripted.get(method.lower())
        if scripted:
            return scripted.pop(0)
        return self._faults.draw(method) if self._faults is not None else None

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages as the chat shows them now: edits applied, deletions removed."""
        return sorted(self._bot_messages.get(chat_id, {}).values(), key=lambda m: m.message_id)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON] | None:
        """Commands stored by setMyCommands for this scope and language (None if never set)."""
        found = self._commands.get((_scope_key(scope), language_code))
        return copy.deepcopy(found) if found is not None else None

    def file(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued for getUpdates and not yet confirmed by an offset."""
        return list(self._updates)

    # ----- user-side actions ------------------------------------------------------------------

    def user_message(self, user: FakeUser, text: str, *, queue: bool = True) -> Update:
        """A text message; "/cmd …" (and "/start CODE" deep links) get a bot_command entity."""
        content: JSON = {"text": text}
        command = _COMMAND.match(text)
        if command:
            length = u16(command.group(0))
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._push({"message": self._user_message_json(user, content)}, queue)

    def user_press(
        self, user: FakeUser, message_id: int, callback_data: str, *, queue: bool = True
    ) -> Update:
        """Press the inline button carrying `callback_data` on bot message `message_id`."""
        self.add_user(user)
        message = self._bot_messages[user.id].get(message_id)
        if message is None:
            raise FakeTelegramError(f"no bot message {message_id} in chat {user.id}")
        available = [
            button["callback_data"]
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]
        if callback_data not in available:
            raise FakeTelegramError(
                f"message {message_id} has no button with callback_data {callback_data!r}; "
                f"it has {available!r}"
            )
        query_id = str(next(self._query_ids))
        self._queries[query_id] = _Query(user.id)
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": self._message_json(message),
            "chat_instance": str(user.id * 7919),
            "data": callback_data,
        }
        return self._push({"callback_query": query}, queue)

    def user_document(
        self,
        user: FakeUser,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        *,
        queue: bool = True,
    ) -> Update:
        content = {"document": self._document_json(data, file_name, mime_type)}
        if caption:
            content["caption"] = caption
        return self._push({"message": self._user_message_json(user, content)}, queue)

    def user_photo(
        self, user: FakeUser, data: bytes, caption: str | None = None, *, queue: bool = True
    ) -> Update:
        """A photo: sizes [thumbnail, full] like Telegram; only the last one has these bytes."""
        content: JSON = {"photo": self._photo_json(data, image_size(data) or (1280, 960))}
        if caption:
            content["caption"] = caption
        return self._push({"message": self._user_message_json(user, content)}, queue)

    # ----- the server entry points ------------------------------------------------------------

    async def call(self, method: str, params: JSON, files: dict[str, Upload]) -> tuple[int, JSON]:
        """Answer one Bot API method call: (HTTP status, Bot API JSON answer).

        Raises `ConnectionFault` when an injected fault is a transport failure.
        """
        self.calls.append((method, params))
        if self.before_call is not None:
            await self.before_call(method, params)
        fault = self._draw_fault(method)
        if fault is not None:
            self.injected.append((method, fault))
            status, performed = FAULT_KINDS[fault]
            if status is not None:
                return status, self._fault_answer(status)
            if not performed:
                raise ConnectionFault(str(fault), method)
        status, answer = await self._answer(method, params, files)
        if fault is not None:  # performed, but the answer is lost on the way back
            raise ConnectionFault(str(fault), method)
        return status, answer

    def _fault_answer(self, status: int) -> JSON:
        if status == 429:
            seconds = self._fault_retry_after
            return ApiError(429, f"Too Many Requests: retry after {seconds:g}",
                            {"retry_after": seconds}).payload()
        return ApiError(status, _STATUS_TEXT.get(status, "Internal Server Error")).payload()

    async def _answer(self, method: str, params: JSON,
                      files: dict[str, Upload]) -> tuple[int, JSON]:
        handler = self._methods().get(method.lower())
        if handler is None:
            _LOG.warning("FakeTelegram does not implement Bot API method %s", method)
            return 404, dict(_NOT_FOUND)
        try:
            result = handler(params, files)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            return error.status, error.payload()
        return 200, {"ok": True, "result": result}

    def download(self, url: str) -> tuple[int, bytes]:
        """Serve a file download: `{base_file_url}{token}/{file_path}`.

        Raises `ConnectionFault` ("reset") when an injected fault says so.
        """
        plan = self._faults
        if plan is not None and plan.downloads and plan.rng.random() < plan.rate:
            kind = plan.rng.choice(("reset", 502))
            self.injected.append(("download", kind))
            if kind == 502:
                return 502, json.dumps(ApiError(502, "Bad Gateway").payload()).encode()
            raise ConnectionFault("reset", "download")
        path = "/".join(unquote(urlsplit(url).path).split("/")[-2:])
        for stored in self._files.values():
            if stored.file_path == path:
                return 200, stored.data
        return 404, json.dumps(_NOT_FOUND).encode()

    def _methods(self) -> dict[str, Callable[[JSON, dict[str, Upload]], Any]]:
        return {
            "getme": lambda p, f: self.bot_user,
            "getupdates": lambda p, f: self._get_updates(p),
            "setwebhook": lambda p, f: self._set_webhook(p),
            "deletewebhook": lambda p, f: self._delete_webhook(p),
            "getwebhookinfo": lambda p, f: {
                "url": self.webhook[0] if self.webhook else "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            },
            "setmycommands": lambda p, f: self._set_my_commands(p),
            "getmycommands": lambda p, f: self._get_my_commands(p),
            "deletemycommands": lambda p, f: self._delete_my_commands(p),
            "setchatmenubutton": lambda p, f: self._set_menu_button(p),
            "getchatmenubutton": lambda p, f: self.menu_buttons.get(
                p.get("chat_id"), {"type": "default"}
            ),
            "sendmessage": lambda p, f: self._send_message(p),
            "editmessagetext": lambda p, f: self._edit_text(p, caption=False),
            "editmessagecaption": lambda p, f: self._edit_text(p, caption=True),
            "editmessagereplymarkup": lambda p, f: self._edit_reply_markup(p),
            "deletemessage": lambda p, f: self._delete_message(p),
            "answercallbackquery": lambda p, f: self._answer_callback_query(p),
            "sendchataction": lambda p, f: self._send_chat_action(p),
            "sendphoto": lambda p, f: self._send_media("photo", p, f),
            "senddocument": lambda p, f: self._send_media("document", p, f),
            "sendmediagroup": lambda p, f: self._send_media_group(p, f),
            "getfile": lambda p, f: self._get_file(p),
        }

    # ----- updates ----------------------------------------------------------------------------

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout > 0:
            await self._wait_for_update(timeout)
        return copy.deepcopy(self._updates[: int(params.get("limit") or 100)])

    async def _wait_for_update(self, timeout: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)

    def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = (url, params.get("secret_token")) if url else None
        if url and self._pusher is None:
            self._pusher = asyncio.get_running_loop().create_task(self._push_updates())
        return True

    async def _push_updates(self) -> None:
        """While a webhook is set, POST the updates to it in order, each until answered 200 (as
        Telegram does, with the secret token header); every attempt is in `deliveries`."""
        async with httpx.AsyncClient(timeout=10.0) as http:
            while True:
                if self.webhook is None or not self._updates:
                    await self._wait_for_update(0.2)
                    continue
                url, secret = self.webhook
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                update = self._updates[0]
                try:
                    status = (await http.post(url, json=update, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0  # not listening yet, or gone
                self.deliveries.append((update["update_id"], status))
                if status == 200:
                    self._updates = [u for u in self._updates if u is not update]
                else:
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        """Stop pushing updates to a webhook (the loop is about to end)."""
        if self._pusher is not None:
            self._pusher.cancel()
            self._pusher = None

    def _push(self, payload: JSON, queue: bool) -> Update:
        data = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        if queue:
            self._updates.append(data)
            for waiter in list(self._waiters):
                waiter.get_loop().call_soon_threadsafe(_wake, waiter)
        update = Update.de_json(copy.deepcopy(data), self.bot)
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)  # arbitrary_callback_data, as get_updates does
        return update

    def _user_message_json(self, user: FakeUser, content: JSON) -> JSON:
        self.add_user(user)
        message_id = self._new_message_id(user.id)
        message = {
            "message_id": message_id, "from": user.to_json(), "chat": self._chat_json(user.id),
            "date": int(self.clock()), **content,
        }
        self._user_messages[user.id][message_id] = message
        return message

    # ----- bot commands and menu --------------------------------------------------------------

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            description = str(command.get("description", "")).strip()
            if not description:
                raise bad_request("command description must be non-empty")
            if len(description) > 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            # Telegram wants a two-letter ISO 639-1 code here, not an IETF tag like "zh-hans".
            raise bad_request("invalid language code specified")
        return _scope_key(params.get("scope")), language

    def _set_menu_button(self, params: JSON) -> bool:
        chat_id = params.get("chat_id")
        self.menu_buttons[int(chat_id) if chat_id is not None else None] = params.get(
            "menu_button", {"type": "default"}
        )
        return True

    # ----- sending ----------------------------------------------------------------------------

    def _send_message(self, params: JSON) -> JSON:
        chat_id = self._send_target(params)
        markup = check_reply_markup(params.get("reply_markup"))
        raw = str(params.get("text", ""))
        text, entities = _formatted(raw, params.get("parse_mode"), params.get("entities"))
        _check_text(text, too_long="message is too long")
        message = SentMessage(
            chat_id, 0, "text", text, raw_text=raw, parse_mode=params.get("parse_mode"),
            entities=entities, reply_markup=markup,
        )
        return self._message_json(self._store(message, params))

    def _send_media(self, kind: str, params: JSON, files: dict[str, Upload]) -> JSON:
        """sendPhoto ("photo") or sendDocument ("document")."""
        chat_id = self._send_target(params)
        markup = check_reply_markup(params.get("reply_markup"))
        message = self._media_message(chat_id, kind, params.get(kind), params, files)
        message.reply_markup = markup
        return self._message_json(self._store(message, params))

    def _send_media_group(self, params: JSON, files: dict[str, Upload]) -> list[JSON]:
        chat_id = self._send_target(params)
        media = params.get("media")
        if media is None:
            raise bad_request('parameter "media" is required')
        if not media:
            raise bad_request("there are no messages to send")
        if len(media) > MAX_ALBUM:
            raise bad_request("too many messages to send as an album")
        kinds = {item.get("type") for item in media}
        if "document" in kinds and len(kinds) > 1:
            raise bad_request("document can't be mixed with other media types")
        if not kinds <= {"photo", "document"}:
            raise bad_request(f"FakeTelegram only sends photo and document albums, not {kinds}")
        messages = [
            self._media_message(chat_id, item["type"], item.get("media"), item, files)
            for item in media
        ]
        group = f"{next(self._album_ids)}0000000000" if len(messages) > 1 else None
        for message in messages:
            message.media_group_id = group
        return [self._message_json(self._store(message, params)) for message in messages]

    def _media_message(
        self, chat_id: int, kind: str, value: Any, params: JSON, files: dict[str, Upload]
    ) -> SentMessage:
        """A photo/document message from an upload, an attach:// part or a known file_id."""
        raw = str(params.get("caption") or "")
        mode, given = params.get("parse_mode"), params.get("caption_entities")
        caption, entities = _formatted(raw, mode, given)
        if u16(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        name, data, mime, stored = self._input_file(kind, value, files)
        message = SentMessage(
            chat_id, 0, kind, caption, raw_text=raw, parse_mode=params.get("parse_mode"),
            entities=entities, file=data, file_name=name, mime_type=mime,
        )
        if kind == "photo":
            size = image_size(data)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            width, height = size
            if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            message.media = stored_media = self._photo_json(data, size, stored)
            message.file_id = stored_media[-1]["file_id"]
        else:
            message.media = self._document_json(data, name, mime, stored)
            message.file_id = message.media["file_id"]
        return message

    def _input_file(
        self, kind: str, value: Any, files: dict[str, Upload]
    ) -> tuple[str, bytes, str, StoredFile | None]:
        """(file name, bytes, mime type, already stored file or None) for a file parameter."""
        part = None
        if value is None:
            part = files.get(kind)
        elif isinstance(value, str) and value.startswith("attach://"):
            part = files.get(value.removeprefix("attach://"))
            if part is None:
                raise bad_request("can't parse InputMedia: media not found")
        if part is not None:
            name, data, mime = part
            if not data:
                raise bad_request("file must be non-empty")
            if len(data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            if kind == "photo" and len(data) > MAX_PHOTO_UPLOAD:
                raise bad_request(
                    f"file of size {len(data)} bytes is too big for a photo; "
                    f"the maximum size is {MAX_PHOTO_UPLOAD} bytes"
                )
            return name, data, mime, None
        if value is None:
            raise bad_request(f'parameter "{kind}" is required')
        if isinstance(value, str) and value in self._files:
            stored = self._files[value]
            name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
            return name, stored.data, stored.mime_type, stored
        if isinstance(value, str) and "." in value:
            # Telegram would fetch an HTTP URL itself; this fake never touches the network.
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _send_target(self, params: JSON) -> int:
        """The chat of a send call, after the rate trap, chat and block checks."""
        left, seconds = self._retry_after
        if left > 0:
            self._retry_after = (left - 1, seconds)
            raise ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        return self._chat(params)

    def _chat(self, params: JSON) -> int:
        raw = params.get("chat_id")
        if raw is None:
            raise bad_request('parameter "chat_id" is required')
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            named = [u.id for u in self.users.values() if u.username and f"@{u.username}" == raw]
            if not named:
                raise bad_request("chat not found") from None
            chat_id = named[0]
        if chat_id not in self.users:
            raise bad_request("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _store(self, message: SentMessage, params: JSON) -> SentMessage:
        message.message_id = self._new_message_id(message.chat_id)
        message.date = int(self.clock())
        reply = params.get("reply_parameters") or {}
        message.reply_to_message_id = reply.get("message_id") or params.get("reply_to_message_id")
        self._bot_messages[message.chat_id][message.message_id] = message
        self.sent.append(message)
        self._changed(message)
        return message

    # ----- editing, deleting, answering -------------------------------------------------------

    def _edit_text(self, params: JSON, caption: bool) -> JSON:
        """editMessageText, or editMessageCaption (`caption`)."""
        message = self._editable(params)
        if (message.kind == "text") == caption:
            raise bad_request(f"there is no {'caption' if caption else 'text'} in the message "
                              "to edit")
        markup = check_reply_markup(params.get("reply_markup"))
        mode = params.get("parse_mode")
        if caption:
            raw = str(params.get("caption") or "")
            text, entities = _formatted(raw, mode, params.get("caption_entities"))
            if u16(text) > MAX_CAPTION:
                raise bad_request("message caption is too long")
        else:
            raw = str(params.get("text", ""))
            text, entities = _formatted(raw, mode, params.get("entities"))
            _check_text(text, too_long="MESSAGE_TOO_LONG")
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise _not_modified()
        message.history.append((message.text, message.reply_markup))
        message.text, message.raw_text, message.entities = text, raw, entities
        message.parse_mode, message.reply_markup = mode, markup
        return self._edited(message)

    def _edit_reply_markup(self, params: JSON) -> JSON:
        message = self._editable(params)
        markup = check_reply_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise _not_modified()
        message.history.append((message.text, message.reply_markup))
        message.reply_markup = markup
        return self._edited(message)

    def _editable(self, params: JSON) -> SentMessage:
        if params.get("inline_message_id"):
            raise bad_request("FakeTelegram has no inline messages")
        chat_id = self._chat(params)
        message_id = int(params.get("message_id") or 0)
        message = self._bot_messages[chat_id].get(message_id)
        if message is None:
            if message_id in self._user_messages[chat_id]:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    def _edited(self, message: SentMessage) -> JSON:
        message.edited = True
        self._changed(message)
        return self._message_json(message, edit_date=int(self.clock()))

    def _delete_message(self, params: JSON) -> bool:
        chat_id = int(params.get("chat_id") or 0)
        message_id = int(params.get("message_id") or 0)
        message = self._bot_messages.get(chat_id, {}).pop(message_id, None)
        if message is not None:
            message.deleted = True
            self._changed(message)
            return True
        if self._user_messages.get(chat_id, {}).pop(message_id, None) is not None:
            return True
        raise bad_request("message to delete not found")

    def _answer_callback_query(self, params: JSON) -> bool:
        query = self._queries.get(str(params.get("callback_query_id")))
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answered = True
        answer = {key: value for key, value in params.items() if key != "callback_query_id"}
        answer["user_id"] = query.user_id
        self.callback_answers.append(answer)
        if self.on_answer is not None:
            self.on_answer(answer)
        return True

    def _send_chat_action(self, params: JSON) -> bool:
        chat_id = self._chat(params)
        action = str(params.get("action", ""))
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    # ----- files ------------------------------------------------------------------------------

    def _get_file(self, params: JSON) -> JSON:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if len(stored.data) > self.max_file_download:
            raise bad_request("file is too big")
        return {**stored.to_json(), "file_path": stored.file_path}

    def _store_file(self, data: bytes, folder: str, suffix: str) -> StoredFile:
        n = next(self._file_ids)
        prefix = {"photos": "AgAC", "documents": "BQAC"}.get(folder, "CAAC")
        stored = StoredFile(f"{prefix}{n:06d}", f"AQAD{n:06d}", f"{folder}/file_{n}{suffix}", data)
        self._files[stored.file_id] = stored
        return stored

    def _document_json(
        self, data: bytes, name: str, mime: str, stored: StoredFile | None = None
    ) -> JSON:
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if stored is None:
            stored = self._store_file(data, "documents", suffix)
            stored.file_name, stored.mime_type = name, mime
        return {**stored.to_json(), "file_name": name, "mime_type": mime}

    def _photo_json(
        self, data: bytes, size: tuple[int, int], stored: StoredFile | None = None
    ) -> list[JSON]:
        width, height = size
        full = {**(stored or self._store_file(data, "photos", ".jpg")).to_json()}
        full.update(width=width, height=height)
        if max(width, height) <= 90:
            return [full]
        scale = 90 / max(width, height)
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        thumb = {**self._store_file(gray_png(*small), "photos", ".jpg").to_json()}
        thumb.update(width=small[0], height=small[1])
        return [thumb, full]

    # ----- JSON and bookkeeping ---------------------------------------------------------------

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _chat_json(self, chat_id: int) -> JSON:
        user = self.users[chat_id]
        chat: JSON = {"id": chat_id, "type": "private", "first_name": user.first_name}
        if user.username:
            chat["username"] = user.username
        return chat

    def _message_json(self, message: SentMessage, edit_date: int | None = None) -> JSON:
        data: JSON = {
            "message_id": message.message_id, "from": self.bot_user,
            "chat": self._chat_json(message.chat_id), "date": message.date,
        }
        if edit_date is not None:
            data["edit_date"] = edit_date
        text_key = "text" if message.kind == "text" else "caption"
        if message.text:
            data[text_key] = message.text
        if message.entities:
            data["entities" if message.kind == "text" else "caption_entities"] = message.entities
        if message.kind != "text":
            data[message.kind] = message.media
        if message.media_group_id:
            data["media_group_id"] = message.media_group_id
        if message.is_inline:
            data["reply_markup"] = message.reply_markup
        return copy.deepcopy(data)

    def _changed(self, message: SentMessage) -> None:
        self.seq += 1
        message.seq = self.seq
        if self.on_send is not None:
            try:
                self.on_send(message)
            except Exception:  # a broken printer must not look like a network error to PTB
                _LOG.exception("FakeTelegram.on_send failed")


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?(?=\s|$)")
_NOT_FOUND: JSON = {"ok": False, "error_code": 404, "description": "Not Found"}


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _scope_key(scope: JSON | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


_CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)

# ----- limits: text, entities, keyboards ------------------------------------------------------



def _check_text(text: str, *, too_long: str) -> None:
    if not text:
        raise bad_request("message text is empty")
    if u16(text) > MAX_TEXT:
        raise bad_request(too_long)


def _formatted(
    raw: str, parse_mode: str | None, entities: list[JSON] | None
) -> tuple[str, list[JSON]]:
    """The text the user sees and its entities, leading/trailing whitespace trimmed."""
    mode = (parse_mode or "").lower()
    if not mode:
        text, found = raw, list(entities or [])
    elif mode == "html":
        text, found = parse_html(raw)
    elif mode in ("markdown", "markdownv2"):
        raise bad_request("FakeTelegram implements parse_mode HTML only")
    else:
        raise bad_request("unsupported parse_mode")
    return _strip(text, found)


def _strip(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    body = text.strip()
    shift = u16(text[: len(text) - len(text.lstrip())])
    size = u16(body)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return body, kept


_INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)


def check_reply_markup(markup: JSON | None) -> JSON | None:
    """Telegram's checks on keyboards: button texts, one action each, callback_data 1-64 bytes."""
    if not markup:
        return None
    for row in markup.get("keyboard") or []:
        for button in row:
            text = button if isinstance(button, str) else button.get("text", "")
            if not str(text).strip():
                raise bad_request("BUTTON_TEXT_INVALID")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            actions = [key for key in _INLINE_ACTIONS if key in button]
            if data == "":  # empty callback_data counts as no action at all
                actions.remove("callback_data")
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
    return markup


# ----- images -----------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG, GIF or WebP image (Pillow reads its header); None if
    it is none of these."""
    from PIL import Image, UnidentifiedImageError  # here: Pillow is not on the bot's start path

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size if image.format in ("PNG", "JPEG", "GIF", "WEBP") else None
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def gray_png(width: int, height: int) -> bytes:
    """A valid gray PNG of the given size (thumbnails, test fixtures)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 0x80).save(out, "PNG")
    return out.getvalue()
