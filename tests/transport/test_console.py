"""The terminal chat, with scripted input against the tiny application."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.runtime.console import TerminalChat, render_message
from fakegram import FakeTelegram, SentMessage
from tests.transport.test_transport import PNG, USER, build_tiny_app, no_network  # noqa: F401

MENU = {"inline_keyboard": [[
    {"text": "📊 看评分", "callback_data": "score"},
    {"text": "❓ 问问题", "callback_data": "ask"},
], [{"text": "政策原文", "url": "https://example.cn/policy"}]]}


def test_render_text_with_buttons() -> None:
    sent = SentMessage(1001, 5, "text", "请选择：", reply_markup=MENU)
    assert render_message(sent, 3) == (
        "请选择：\n[3] 📊 看评分  [4] ❓ 问问题\n政策原文 <https://example.cn/policy>",
        ["score", "ask"],
    )


def test_render_reply_keyboard_photo_and_document() -> None:
    keyboard = {"keyboard": [[{"text": "是"}, {"text": "否"}]]}
    assert render_message(SentMessage(1, 1, "text", "确认？", reply_markup=keyboard)) == (
        "确认？\n[1] 是  [2] 否",
        ["是", "否"],
    )
    photo = SentMessage(1, 2, "photo", "评分图", file=bytes(3000))
    assert render_message(photo) == ("[图片 3 KB]\n评分图", [])
    document = SentMessage(1, 3, "document", "", file=b"x", file_name="报告.docx")
    assert render_message(document) == ("[文件 报告.docx]", [])


def scripted(lines: list[str]) -> Callable[[str], str]:
    """An input function: each call returns the next line; "…" waits a little; then EOF."""
    queue = list(lines)

    def input_fn(prompt: str) -> str:
        if not queue:
            raise EOFError
        line = queue.pop(0)
        if line == "…":
            time.sleep(0.3)  # meanwhile the bot's job prints from the event loop
            return ""
        return line

    return input_fn


async def test_terminal_chat(tmp_path: Path) -> None:
    fake = FakeTelegram()
    app = build_tiny_app(fake)
    pdf = tmp_path / "合同.pdf"
    pdf.write_bytes(b"%PDF-1.4" + bytes(100))
    png = tmp_path / "现场.png"
    png.write_bytes(PNG)
    out: list[str] = []
    script = [
        "/start", "/menu", "1", f"/file {pdf}", f"/file '{png}'", "/file 不存在.pdf",
        "/later", "…", "\\1", "/keyboard", "2", "/quit", "never read",
    ]
    await TerminalChat(prompt="").run(app, fake, USER, scripted(script), out.append)
    assert out[1:] == [
        "🤖 欢迎，王芳！",
        "🤖 请选择：\n[1] 📊 看评分  [2] ❓ 问问题",
        "〔好的〕",
        "🤖（已更新）你选了 score",
        "🤖 收到 合同.pdf：108 字节",
        f"🤖 照片 {len(PNG)} 字节 120x80",
        "（找不到文件：不存在.pdf）",
        "🤖 好的，稍后提醒你",
        "🤖 ⏰ 提醒：材料明天截止",
        "🤖 1",
        "🤖 选一个\n[1] 是  [2] 否",
        "🤖 否",
    ]
    assert "/start" in out[0]
    assert not app.running
    assert fake.on_send is None


async def test_terminal_chat_ends_at_eof() -> None:
    fake = FakeTelegram()
    out: list[str] = []
    await TerminalChat(intro=None).run(build_tiny_app(fake), fake, USER, scripted([]), out.append)
    assert out == []


def test_every_file_or_picture_the_bot_sends_is_saved_and_its_path_printed(tmp_path) -> None:
    out: list[str] = []
    chat = TerminalChat(files_dir=tmp_path / "var" / "console-files")
    chat._output, chat._chat_id = out.append, 1
    chat._show(SentMessage(1, 7, "document", "共 2 个项目", file=b"PK-xlsx",
                           file_name="../../排名表.xlsx"))
    chat._show(SentMessage(1, 8, "photo", "评分图", file=b"\x89PNG",
                           file_name="application.octet-stream"))
    saved = sorted((tmp_path / "var" / "console-files").iterdir())
    assert [p.name for p in saved] == ["7_排名表.xlsx", "8_photo.png"]  # opens as a picture
    assert saved[0].read_bytes() == b"PK-xlsx"
    assert out[1] == f"（已保存：{saved[0]}）" and out[3] == f"（已保存：{saved[1]}）"
