"""What the logs say about a conversation: one line per handled update with its id, the user id,
the handler and the duration, and never the person's name, phone number, file names or words."""

from __future__ import annotations

import json
import logging

from bot.runtime.logs import JsonFormatter
from tests.conversation.conftest import new_project

PDF = "application/pdf"
NAME = "欧阳晓雯"
PHONE = "13912345678"
FILE_NAME = "欧阳晓雯身份证复印件.pdf"
PROJECT = "欧阳工作室心理关爱项目"


async def test_a_conversation_logs_ids_and_handlers_but_no_personal_data(bot, caplog):
    caplog.set_level(logging.INFO)
    chat = bot.chat(1077, NAME)
    await chat.send(f"/start {bot.invite}")
    await chat.send(f"我的手机号是{PHONE}，满意度怎么算")
    await new_project(chat, PROJECT)
    await chat.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await chat.upload(b"%PDF-1.4 id card", FILE_NAME, PDF)
    assert "已保存" in chat.last_text

    handled = [r for r in caplog.records if getattr(r, "update_id", None) is not None]
    assert [r.handler for r in handled][:2] == ["start.start", "ask.question"]
    assert handled[-1].handler == "submit.upload" and handled[-1].user_id == 1077
    line = json.loads(JsonFormatter().format(handled[-1]))
    assert {"time", "level", "logger", "message", "update_id", "user_id", "handler",
            "duration_ms"} <= set(line)
    assert line["duration_ms"] >= 0

    formatter = JsonFormatter()
    written = "\n".join(formatter.format(r) for r in caplog.records)
    for secret in (NAME, PHONE, FILE_NAME, PROJECT, "满意度怎么算"):
        assert secret not in written, secret
