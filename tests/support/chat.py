"""A chat driver that reads like the conversation it checks.

    fake = FakeTelegram()
    app = build_inprocess(ApplicationBuilder(), fake).build()   # + the bot's handlers
    async with chatting(app, fake, FakeUser(1001, "王芳")) as chat:
        await chat.send("/start")
        assert "欢迎" in chat.last_text
        await chat.press("📊 看评分")

As a pytest fixture (asyncio_mode=auto)::

    @pytest.fixture
    async def chat():
        fake = FakeTelegram()
        async with chatting(make_app(fake), fake, FakeUser(1001, "王芳")) as chat:
            yield chat

Every action feeds one Update through `Application.process_update` and waits for the tasks it
started, so what the bot sent is there as soon as the action returns. `replies` and the
`…_since` properties cover what changed since the start of the latest action.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import Application

from fakegram import FakeTelegram, FakeUser, SentMessage, feed, running

__all__ = ["Chat", "chatting", "running"]


class Chat:
    """One user's private chat with the bot."""

    def __init__(
        self,
        app: Application,
        fake: FakeTelegram,
        user: FakeUser | None = None,
        *,
        settle_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.fake = fake
        self.user = user or FakeUser(1001, "王芳")
        self.settle_timeout = settle_timeout
        fake.bind(app.bot)
        fake.add_user(self.user)
        self._mark = fake.seq

    # ----- user actions -----------------------------------------------------------------------

    async def send(self, text: str) -> list[str]:
        """Type a message (commands included); returns `replies`."""
        return await self._feed(self.fake.user_message(self.user, text, queue=False))

    async def press(self, label: str) -> list[str]:
        """Press the button labelled `label` on the latest bot message that has it."""
        for message in reversed(self.messages):
            if not message.is_inline:
                continue
            for row in message.keyboard:
                for button in row:
                    if button["text"] != label:
                        continue
                    if "callback_data" not in button:
                        raise AssertionError(f"button {label!r} is not a callback button: {button}")
                    update = self.fake.user_press(
                        self.user, message.message_id, button["callback_data"], queue=False
                    )
                    return await self._feed(update)
        keyboard = self._reply_keyboard()
        if keyboard is not None and label in keyboard.buttons:
            return await self.send(label)
        raise AssertionError(f"no button {label!r}; buttons now: {self._all_labels()}")

    async def press_forged(self, data: str) -> list[str]:
        """Press a button of the latest bot message whose callback data someone rewrote
        to `data` (a forged or outdated button)."""
        message = next(m for m in reversed(self.messages) if m.is_inline)
        real = next(b["callback_data"] for row in message.keyboard for b in row
                    if "callback_data" in b)
        update = self.fake.user_press(self.user, message.message_id, real, queue=False)
        raw = update.to_dict()
        raw["callback_query"]["data"] = data
        return await self._feed(Update.de_json(raw, self.app.bot))

    async def upload(
        self,
        data: bytes,
        file_name: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> list[str]:
        update = self.fake.user_document(
            self.user, data, file_name, mime_type, caption, queue=False
        )
        return await self._feed(update)

    async def photo(self, data: bytes, caption: str | None = None) -> list[str]:
        return await self._feed(self.fake.user_photo(self.user, data, caption, queue=False))

    async def _feed(self, update: Update) -> list[str]:
        self._mark = self.fake.seq
        await feed(self.app, update, settle_timeout=self.settle_timeout)
        return self.replies

    # ----- what the chat shows ----------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """The bot's messages in this chat now (edits applied, deletions removed)."""
        return self.fake.messages(self.user.id)

    @property
    def last(self) -> SentMessage:
        if not self.messages:
            raise AssertionError("the bot has sent nothing in this chat")
        return self.messages[-1]

    @property
    def last_text(self) -> str:
        """Text (or caption) of the bot's latest message, as the user sees it."""
        return self.last.text

    @property
    def buttons(self) -> list[str]:
        """Labels on the latest bot message that has buttons."""
        for message in reversed(self.messages):
            if message.keyboard:
                return message.buttons
        return []

    @property
    def since(self) -> list[SentMessage]:
        """Bot messages sent or edited since the latest user action, in chat order."""
        return [m for m in self.messages if m.seq > self._mark]

    @property
    def replies(self) -> list[str]:
        return [m.text for m in self.since]

    @property
    def photos_since(self) -> list[SentMessage]:
        return [m for m in self.since if m.kind == "photo"]

    @property
    def documents_since(self) -> list[SentMessage]:
        return [m for m in self.since if m.kind == "document"]

    def _reply_keyboard(self) -> SentMessage | None:
        """The message whose reply keyboard is showing (the latest one that set or removed it)."""
        for message in reversed(self.messages):
            markup = message.reply_markup or {}
            if "keyboard" in markup:
                return message
            if "remove_keyboard" in markup:
                return None
        return None

    def _all_labels(self) -> list[str]:
        labels = list(self.buttons)
        keyboard = self._reply_keyboard()
        if keyboard is not None:
            labels += [label for label in keyboard.buttons if label not in labels]
        return labels


@asynccontextmanager
async def chatting(
    app: Application, fake: FakeTelegram, user: FakeUser | None = None
) -> AsyncIterator[Chat]:
    """`running(app)` plus a `Chat` for `user`."""
    async with running(app):
        yield Chat(app, fake, user)
