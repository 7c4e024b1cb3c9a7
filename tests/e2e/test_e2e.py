"""The bot as a separate process over real HTTP: a user on the fake Telegram, the bot on the
other end.

Each test is one person (their own Telegram user id), so the chats do not disturb each other.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_start_greets_in_chinese_with_the_menu(world):
    chat = world.chat(2001, "王芳")
    chat.send("/start")
    welcome = chat.expect("工会服务助手")
    assert welcome.buttons == ["❓ 政策问答", "📊 看评分", "💰 查补助", "📎 提交材料",
                               "📋 评分标准", "ℹ️ 帮助"]


def test_a_policy_question_is_answered_with_its_source(world):
    chat = world.chat(2002, "李强")
    chat.send("国家级的项目能补多少钱")
    answer = chat.expect(timeout=30)  # the first question builds the search index
    assert "3万元" in answer.text or "30000" in answer.text
    assert "出处" in answer.text
    assert "👍 有用" in answer.buttons  # and it can be rated


def test_subsidy_through_the_menu_buttons(world):
    chat = world.chat(2003, "张敏")
    chat.send("/start")
    chat.press("💰 查补助")
    chat.expect("请选择项目获得的荣誉")
    chat.press("⬜ 市级")
    chat.expect(button="✅ 市级")  # the chooser is edited in place
    chat.press("下一步 ▶")
    chat.expect("已经拨付过多少补助")
    chat.send("0")
    assert "还应补齐10000元" in chat.expect("差额补齐").text


def test_joining_then_uploading_the_first_evidence(world):
    chat = world.chat(2004, "赵静")
    chat.send(f"/start {world.invite_code}")
    chat.expect("加入成功：青岛海都心理健康服务中心")
    chat.send("/submit")
    chat.press("➕ 新建项目")
    chat.expect("第1步")
    chat.send("职工心理关爱项目")
    chat.press("心理关怀")
    chat.send("2024/3/1")
    chat.send("25.6.30")
    chat.press("是")
    chat.expect("项目已创建：职工心理关爱项目")
    chat.press("➡️ 下一项：学习制度、学习记录（+10分）")
    chat.expect("评估依据")
    chat.upload(PDF, "学习制度.pdf", "application/pdf")
    assert "已保存。当前得分：10/100分" in chat.expect("已保存").text
    stored = [p.read_bytes() for p in world.evidence_dir.rglob("*") if p.is_file()]
    assert PDF in stored  # fetched by the bot through getFile and the file URL


def test_health_from_outside_the_polling_bot(world):
    deadline = time.monotonic() + 10  # the first beat follows the job queue's start
    while not Path(world.env["HEARTBEAT_FILE"]).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    done = world.cli("health")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["heartbeat"]["mode"] == "polling" and report["database"]["reachable"]
