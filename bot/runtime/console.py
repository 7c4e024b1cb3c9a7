"""The terminal side of the console chat: the bot's messages as text, typed lines as messages.

`TerminalChat.run` talks to a PTB Application wired to a `FakeTelegram` (see
`fakegram.build_inprocess`). Everything the bot sends is printed as it happens — replies
and messages sent later by jobs alike; inline buttons are numbered and typing the number
presses one.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from fakegram import (
    JSON,
    FakeTelegram,
    FakeTelegramError,
    FakeUser,
    SentMessage,
    feed,
    running,
)

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
HELP = (
    "（终端对话：输入文字即发给机器人，先试试 /start；输入按钮编号即点击按钮；"
    "/file 路径 上传文件；以 \\ 开头原样发送，如 \\1；/quit 退出）"
)


def render_message(sent: SentMessage, numbering_start: int = 1) -> tuple[str, list[str]]:
    """The message as terminal text, and what its numbered buttons do, in number order.

    Inline buttons give their callback_data, reply-keyboard buttons their label (pressing one
    sends the label as a message). URL and other buttons are shown with no number.
    """
    lines = []
    if sent.kind == "photo":
        lines.append(f"[图片 {math.ceil(len(sent.file or b'') / 1024)} KB]")
    elif sent.kind == "document":
        lines.append(f"[文件 {sent.file_name or '未命名'}]")
    if sent.text:
        lines.append(sent.text)
    actions: list[str] = []
    for row in sent.keyboard:
        cells = []
        for button in row:
            action = button.get("callback_data") if sent.is_inline else button["text"]
            if action is None:
                url = button.get("url")
                cells.append(f"{button['text']} <{url}>" if url else button["text"])
                continue
            cells.append(f"[{numbering_start + len(actions)}] {button['text']}")
            actions.append(action)
        lines.append("  ".join(cells))
    return "\n".join(lines), actions


@dataclass(frozen=True)
class _Button:
    message_id: int
    action: str
    inline: bool


class TerminalChat:
    """One user's chat with the bot in a terminal.

    Each line typed is a message, fed through `Application.process_update`; a bare number
    presses that button among the latest numbered ones (or is sent as text if there is no
    such button); ``/file PATH`` uploads a document (a photo for .jpg/.jpeg/.png);
    ``/quit`` or end of input ends the chat.
    """

    def __init__(
        self, *, prompt: str = "你：", intro: str | None = HELP, settle_timeout: float = 60.0,
        files_dir: Path | None = None,
    ) -> None:
        self.files_dir = files_dir  # where the files and pictures the bot sends are saved
        self.prompt = prompt
        self.intro = intro
        self.settle_timeout = settle_timeout
        self._buttons: dict[int, _Button] = {}
        self._renumber = True
        self._output: Callable[[str], None] = print
        self._chat_id = 0

    async def run(
        self,
        app: Application,
        fake: FakeTelegram,
        user: FakeUser,
        input_fn: Callable[[str], str] = input,
        output_fn: Callable[[str], None] = print,
    ) -> None:
        """Chat until /quit or EOF. Starts (and afterwards stops) `app` unless it is running.

        `input_fn` runs in a worker thread, so jobs can print while it waits for a line; it
        signals the end of input by raising EOFError, as `input` does.
        """
        self._output, self._chat_id = output_fn, user.id
        saved = fake.on_send, fake.on_answer
        fake.on_send, fake.on_answer = self._show, self._toast
        try:
            async with contextlib.AsyncExitStack() as stack:
                if not app.running:
                    await stack.enter_async_context(running(app))
                fake.bind(app.bot)
                fake.add_user(user)
                if self.intro:
                    output_fn(self.intro)
                while True:
                    try:
                        line = await asyncio.to_thread(input_fn, self.prompt)
                    except EOFError:
                        break
                    if not await self.handle(app, fake, user, line):
                        break
        finally:
            fake.on_send, fake.on_answer = saved

    async def handle(self, app: Application, fake: FakeTelegram, user: FakeUser, line: str) -> bool:
        """Act on one typed line; False when the chat should end."""
        text = line.strip()
        if text == "/quit":
            return False
        update = self._update_for(fake, user, text) if text else None
        if update is not None:
            self._renumber = True
            try:
                await feed(app, update, settle_timeout=self.settle_timeout)
            except TimeoutError as error:
                self._output(f"（机器人还在处理：{error}）")
        return True

    def _update_for(self, fake: FakeTelegram, user: FakeUser, text: str) -> Update | None:
        if text.startswith("\\"):
            return fake.user_message(user, text[1:], queue=False)
        if text == "/file" or text.startswith("/file "):
            return self._upload(fake, user, text.removeprefix("/file").strip().strip("'\""))
        button = self._buttons.get(int(text)) if text.isdigit() else None
        if button is None:
            return fake.user_message(user, text, queue=False)
        if not button.inline:
            return fake.user_message(user, button.action, queue=False)
        try:
            return fake.user_press(user, button.message_id, button.action, queue=False)
        except FakeTelegramError:
            self._output("（这个按钮已经失效）")
            return None

    def _upload(self, fake: FakeTelegram, user: FakeUser, path: str) -> Update | None:
        file = Path(path).expanduser()
        if not path or not file.is_file():
            self._output(f"（找不到文件：{path}）" if path else "（用法：/file 文件路径）")
            return None
        data = file.read_bytes()
        if file.suffix.lower() in PHOTO_SUFFIXES:
            return fake.user_photo(user, data, queue=False)
        mime_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return fake.user_document(user, data, file.name, mime_type, queue=False)

    def _show(self, sent: SentMessage) -> None:
        """on_send: print a new or edited message and number its buttons."""
        if sent.chat_id != self._chat_id:  # e.g. a notice to an administrator
            if not sent.deleted:
                self._output(f"🤖→{sent.chat_id} " + render_message(sent)[0])
            return
        for number in [n for n, b in self._buttons.items() if b.message_id == sent.message_id]:
            del self._buttons[number]
        if sent.deleted:
            return
        start = 1
        if sent.keyboard:
            if self._renumber:
                self._buttons.clear()
                self._renumber = False
            start = max(self._buttons, default=0) + 1
        text, actions = render_message(sent, start)
        for number, action in enumerate(actions, start):
            self._buttons[number] = _Button(sent.message_id, action, sent.is_inline)
        self._output(("🤖（已更新）" if sent.edited else "🤖 ") + text)
        if sent.file and not sent.edited and self.files_dir is not None:
            self._output(f"（已保存：{self._save(sent)}）")

    def _save(self, sent: SentMessage) -> Path:
        """The file or picture under `files_dir`, named by its message and its own name
        (the bare name only: a name never reaches outside the folder). A picture is named
        by what it is (a chart sent as bytes has no name, or "application.octet-stream"),
        so that it opens as one."""
        if sent.kind == "photo":
            name = "photo.png" if (sent.file or b"").startswith(b"\x89PNG") else "photo.jpg"
        else:
            name = Path((sent.file_name or "").replace("\\", "/")).name.lstrip(".") or "file.bin"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / f"{sent.message_id}_{name}"
        path.write_bytes(sent.file or b"")
        return path

    def _toast(self, answer: JSON) -> None:
        """on_answer: the notice Telegram pops up when a button press is answered with text."""
        if answer.get("text"):
            self._output(f"〔{answer['text']}〕")
