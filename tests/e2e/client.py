"""The user's side of telegram-test-api: a person typing, pressing buttons and sending files.

    chat = emulator.user(2001, "王芳")
    chat.send("/start")
    welcome = chat.expect("工会服务助手")
    chat.press("💰 查补助")

Everything goes over HTTP: what the user does is posted to the emulator's client endpoints
(``/sendMessage``, ``/sendCommand``, ``/sendCallback``), which queue it for the bot's getUpdates;
what the chat shows is read from the emulator's ``/getUpdatesHistory`` (the bot's messages with
their edits applied; its ``/getUpdates`` hands each message out once and never its edits). The
bytes of a file the user sends are first put into the repair proxy (``/_e2e/files``), which
serves the bot's getFile and download; the message carrying the document goes through the
emulator like any other.

The bot answers asynchronously, so `expect` and `press` wait (bounded) for what they need among
the messages that are new or changed since the user's latest action.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.proxy import visible_text

JSON = dict[str, Any]
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(@\w+)?")


@dataclass(frozen=True)
class BotMessage:
    """One bot message as the chat shows it now."""

    message_id: int
    text: str  # what the user sees (markup removed); the caption for photos and documents
    raw_text: str  # what the bot sent
    keyboard: list[list[JSON]]
    kind: str  # "text" | "photo" | "document"

    @property
    def buttons(self) -> list[str]:
        return [button["text"] for row in self.keyboard for button in row]

    def button(self, label: str) -> JSON | None:
        return next((b for row in self.keyboard for b in row if b["text"] == label), None)

    def _state(self) -> str:
        return json.dumps([self.raw_text, self.keyboard], ensure_ascii=False)

    def __str__(self) -> str:
        buttons = f"\n    [{' | '.join(self.buttons)}]" if self.buttons else ""
        return f"#{self.message_id} {self.kind}: {self.text}{buttons}"


class Emulator:
    """telegram-test-api's client side, for one bot token."""

    def __init__(self, url: str, token: str, proxy_url: str, *, timeout: float = 10.0,
                 diagnose: Callable[[], str] = lambda: "") -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.proxy_url = proxy_url.rstrip("/")
        self.timeout = timeout
        self.diagnose = diagnose
        self.http = httpx.Client(timeout=5.0)

    def user(self, user_id: int, first_name: str, language_code: str = "zh-hans") -> ChatUser:
        return ChatUser(self, user_id, first_name, language_code)

    def post(self, path: str, body: JSON) -> JSON:
        response = self.http.post(f"{self.url}{path}", json={"botToken": self.token, **body})
        response.raise_for_status()
        return response.json()

    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a private chat now: edits applied, deleted ones gone."""
        response = self.http.post(f"{self.url}/getUpdatesHistory", json={"token": self.token})
        response.raise_for_status()
        found = []
        for record in response.json().get("result") or []:
            message = record.get("message") or {}
            if "chat_id" not in message or str(message["chat_id"]) != str(chat_id):
                continue  # a user's message (those carry "chat", not "chat_id")
            markup = message.get("reply_markup") or {}
            raw = str(message.get("text") or "")
            kind = "photo" if "photo" in message else "document" if "document" in message \
                else "text"
            found.append(BotMessage(
                message_id=int(record["messageId"]), raw_text=raw,
                text=visible_text(raw, message.get("parse_mode")),
                keyboard=markup.get("inline_keyboard") or markup.get("keyboard") or [],
                kind=kind))
        return sorted(found, key=lambda m: m.message_id)

    def close(self) -> None:
        self.http.close()


def envelope(user: JSON) -> JSON:
    """Sender, private chat and date of a message `user` sends (chat id == user id)."""
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    return {"from": user, "chat": chat, "date": int(time.time())}


def typed(user: JSON, text: str) -> tuple[str, JSON]:
    """The client endpoint and message for `text` typed by `user`: "/command …" goes to
    ``/sendCommand`` with its bot_command entity, anything else to ``/sendMessage``."""
    message: JSON = {**envelope(user), "text": text}
    command = _COMMAND.match(text)
    if not command:
        return "/sendMessage", message
    length = len(command.group(0).encode("utf-16-le")) // 2
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return "/sendCommand", message


def pressed(user: JSON, message_id: int, text: str, data: str) -> JSON:
    """The ``/sendCallback`` body of `user` pressing a button with `data` on a bot message."""
    shown = {"message_id": message_id, "date": int(time.time()),
             "chat": envelope(user)["chat"], "text": text}
    return {"from": user, "message": shown, "data": data}


class ChatUser:
    """One user's private chat with the bot (chat id == user id)."""

    def __init__(self, emulator: Emulator, user_id: int, first_name: str,
                 language_code: str) -> None:
        self.emulator = emulator
        self.id = user_id
        self.user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name,
                           "language_code": language_code}
        self._seen: dict[int, str] = {}
        self._mark()

    # ----- what the user does -----------------------------------------------------------------

    def send(self, text: str) -> None:
        """Type a message; "/command …" is sent as a command (with its bot_command entity)."""
        self._mark()
        self.emulator.post(*typed(self.user, text))

    def press(self, label: str) -> None:
        """Press the inline button `label`, on the newest message showing it; waits (bounded)
        for it to appear among the messages new or changed since the latest action."""
        try:
            message = self._wait(lambda m: m.button(label) is not None, f"a button {label!r}")
        except AssertionError:
            older = [m for m in self.messages if m.button(label) is not None]
            if not older:
                raise
            message = older[-1]
        button = message.button(label) or {}
        if "callback_data" not in button:
            raise AssertionError(f"{label!r} is not a callback button: {button}")
        self._mark()
        self.emulator.post("/sendCallback", pressed(self.user, message.message_id, message.text,
                                                    button["callback_data"]))

    def upload(self, data: bytes, file_name: str, mime_type: str,
               caption: str | None = None) -> None:
        """Send a file as a document."""
        response = self.emulator.http.post(
            f"{self.emulator.proxy_url}/_e2e/files", content=data,
            params={"name": file_name, "mime": mime_type})
        response.raise_for_status()
        message: JSON = {**envelope(self.user), "document": response.json()}
        if caption:
            message["caption"] = caption
        self._mark()
        self.emulator.post("/sendMessage", message)

    # ----- what the chat shows ----------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        return self.emulator.bot_messages(self.id)

    def since(self) -> list[BotMessage]:
        """Bot messages new or changed since the user's latest action, in chat order."""
        return [m for m in self.messages if self._seen.get(m.message_id) != m._state()]

    def expect(self, text: str | None = None, *, button: str | None = None,
               timeout: float | None = None) -> BotMessage:
        """Wait for a bot message (new or changed since the latest action) containing `text`
        and/or showing `button`; any such message if neither is given. Returns the newest."""
        what = " and ".join(x for x in (text and f"text {text!r}",
                                        button and f"a button {button!r}") if x) or "a reply"
        return self._wait(lambda m: (text is None or text in m.text)
                          and (button is None or m.button(button) is not None), what, timeout)

    # ----- internals --------------------------------------------------------------------------

    def _mark(self) -> None:
        self._seen = {m.message_id: m._state() for m in self.messages}

    def _wait(self, wanted: Callable[[BotMessage], bool], what: str,
              timeout: float | None = None) -> BotMessage:
        deadline = time.monotonic() + (timeout or self.emulator.timeout)
        while True:
            new = self.since()
            found = [m for m in new if wanted(m)]
            if found:
                return found[-1]
            if time.monotonic() >= deadline:
                shown = "\n".join(f"  {m}" for m in new) or "  (nothing)"
                raise AssertionError(
                    f"user {self.id} waited {timeout or self.emulator.timeout:.0f}s for {what}; "
                    f"the bot sent or changed since the last action:\n{shown}\n"
                    f"{self.emulator.diagnose()}")
            time.sleep(0.05)
