"""The users' side of the fake Telegram (fakegram, over HTTP): a person typing, pressing
buttons and sending files.

    chat = telegram.user(2001, "王芳")
    chat.send("/start")
    welcome = chat.expect("工会服务助手")
    chat.press("💰 查补助")

What the user does is posted to the fake's users' side (``/_user/message``, ``/_user/press``,
``/_user/document``), which queues it for the bot's getUpdates (or pushes it to the bot's
webhook); what the chat shows is read from ``/_chat/<id>`` (the bot's messages with their edits
applied, deleted ones gone).

The bot answers asynchronously, so `expect` and `press` wait (bounded) for what they need among
the messages that are new or changed since the user's latest action.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

JSON = dict[str, Any]


@dataclass(frozen=True)
class BotMessage:
    """One bot message as the chat shows it now."""

    message_id: int
    text: str  # what the user sees (markup removed); the caption for photos and documents
    raw_text: str  # what the bot sent
    keyboard: list[list[JSON]]
    kind: str  # "text" | "photo" | "document"
    seq: int  # the fake's change counter at this message's latest change

    @property
    def buttons(self) -> list[str]:
        return [button["text"] for row in self.keyboard for button in row]

    def button(self, label: str) -> JSON | None:
        return next((b for row in self.keyboard for b in row if b["text"] == label), None)

    def __str__(self) -> str:
        buttons = f"\n    [{' | '.join(self.buttons)}]" if self.buttons else ""
        return f"#{self.message_id} {self.kind}: {self.text}{buttons}"


class Telegram:
    """The fake's users' side at `url`."""

    def __init__(self, url: str, *, timeout: float = 10.0,
                 diagnose: Callable[[], str] = lambda: "") -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.diagnose = diagnose
        self.http = httpx.Client(timeout=10.0)

    def user(self, user_id: int, first_name: str, language_code: str = "zh-hans") -> ChatUser:
        return ChatUser(self, user_id, first_name, language_code)

    def post(self, path: str, **kwargs: Any) -> None:
        self.http.post(f"{self.url}{path}", **kwargs).raise_for_status()

    def chat(self, chat_id: int) -> tuple[int, list[BotMessage]]:
        """(the fake's change counter, the bot's messages in a private chat now)."""
        response = self.http.get(f"{self.url}/_chat/{chat_id}")
        response.raise_for_status()
        data = response.json()
        return data["seq"], [BotMessage(**m) for m in data["messages"]]

    def state(self) -> JSON:
        """Every Bot API call, webhook delivery and callback answer so far."""
        response = self.http.get(f"{self.url}/_state")
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.http.close()


class ChatUser:
    """One user's private chat with the bot (chat id == user id)."""

    def __init__(self, telegram: Telegram, user_id: int, first_name: str,
                 language_code: str) -> None:
        self.telegram = telegram
        self.id = user_id
        self.user: JSON = {"id": user_id, "first_name": first_name,
                           "language_code": language_code}
        self._mark()

    # ----- what the user does -----------------------------------------------------------------

    def send(self, text: str) -> None:
        """Type a message; "/command …" is sent as a command (with its bot_command entity)."""
        self._mark()
        self.telegram.post("/_user/message", json={"user": self.user, "text": text})

    def press(self, label: str, *, on: BotMessage | None = None) -> None:
        """Press the inline button `label`, on the newest message showing it; waits (bounded)
        for it to appear among the messages new or changed since the latest action. With `on`
        (a message the test has read), on that message as the chat shows it now: no waiting."""
        if on is not None:
            message = next((m for m in self.messages if m.message_id == on.message_id), None)
            if message is None or message.button(label) is None:
                raise AssertionError(f"no button {label!r} on message #{on.message_id} now: "
                                     f"{message or '(deleted)'}")
        else:
            message = self._newest_with(label)
        button = message.button(label) or {}
        if "callback_data" not in button:
            raise AssertionError(f"{label!r} is not a callback button: {button}")
        self._mark()
        self.telegram.post("/_user/press", json={"user": self.user, "data": button[
            "callback_data"], "message_id": message.message_id})

    def upload(self, data: bytes, file_name: str, mime_type: str,
               caption: str | None = None) -> None:
        """Send a file as a document."""
        params = {"user_id": self.id, "first_name": self.user["first_name"], "name": file_name,
                  "mime": mime_type, **({"caption": caption} if caption else {})}
        self._mark()
        self.telegram.post("/_user/document", content=data, params=params)

    # ----- what the chat shows ----------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        return self.telegram.chat(self.id)[1]

    def since(self) -> list[BotMessage]:
        """Bot messages new or changed since the user's latest action, in chat order."""
        return [m for m in self.messages if m.seq > self._seq]

    def expect(self, text: str | None = None, *, button: str | None = None,
               timeout: float | None = None) -> BotMessage:
        """Wait for a bot message (new or changed since the latest action) containing `text`
        and/or showing `button`; any such message if neither is given. Returns the newest."""
        what = " and ".join(x for x in (text and f"text {text!r}",
                                        button and f"a button {button!r}") if x) or "a reply"
        return self._wait(lambda m: (text is None or text in m.text)
                          and (button is None or m.button(button) is not None), what, timeout)

    # ----- internals --------------------------------------------------------------------------

    def _newest_with(self, label: str) -> BotMessage:
        try:
            return self._wait(lambda m: m.button(label) is not None, f"a button {label!r}")
        except AssertionError:
            older = [m for m in self.messages if m.button(label) is not None]
            if not older:
                raise
            return older[-1]

    def _mark(self) -> None:
        self._seq = self.telegram.chat(self.id)[0]

    def _wait(self, wanted: Callable[[BotMessage], bool], what: str,
              timeout: float | None = None) -> BotMessage:
        deadline = time.monotonic() + (timeout or self.telegram.timeout)
        while True:
            new = self.since()
            found = [m for m in new if wanted(m)]
            if found:
                return found[-1]
            if time.monotonic() >= deadline:
                shown = "\n".join(f"  {m}" for m in new) or "  (nothing)"
                raise AssertionError(
                    f"user {self.id} waited {timeout or self.telegram.timeout:.0f}s for {what}; "
                    f"the bot sent or changed since the last action:\n{shown}\n"
                    f"{self.telegram.diagnose()}")
            time.sleep(0.05)
