"""Reviewers' work assigned and followed (issue 20): a review deadline, projects assigned by
hand or balanced within each reviewer's scope and never to a conflicted reviewer,
reassigning, a reviewer's /review opening on their own assignments, notices and reminders,
progress per district and per reviewer (a message and a chart), staff's status line."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from bot.cli import main
from handlers.reminders import dispatch_due
from services.clock import SHANGHAI
from tests.conversation.test_desk_followed import (
    shinan_project_submitted,
    study_record_submitted,
)
from tests.conversation.test_desk_people import appointed


async def two_review_round(admin) -> None:
    await admin.send("/newround 2026年度市级优秀项目 city 2026 2026-11-01 2026-12-15 17:00 "
                     "2026-12-20")
    async with admin.app.bot_data["services"].uow() as uow:  # the round asks for two reviews
        (await uow.rounds.get(1)).reviews_required = 2
        await uow.commit()


async def test_a_round_assigned_blind_returned_fixed_resubmitted_and_verified(bot, member):
    admin = bot.chat(1, "管理员")
    await two_review_round(admin)
    await admin.send("/reviewdeadline 1 2026-12-10 17:00")
    assert "评审截止时间须晚于申报截止时间" in admin.last_text
    await admin.send("/reviewdeadline 1 2026-12-31 17:00")
    assert "第1轮评审截止时间：2026-12-31 17:00" in admin.last_text
    first = await appointed(bot, admin, 5005, "崂山区")
    second = await appointed(bot, admin, 6006)
    third = await appointed(bot, admin, 7007)
    async with bot.svc.uow() as uow:  # the third works for the organisation: a conflict
        (await uow.users.get(7007)).organization_id = 1
        await uow.commit()
    await study_record_submitted(member)  # 崂山区, #1
    shinan = await shinan_project_submitted(bot)  # 市南区, #2
    await admin.send("/assign 1 7007")
    assert "有利益关系或已申请回避，不能分配" in admin.last_text
    await admin.send("/assign auto")
    assert "✅ 已分配 4 项" in admin.last_text
    # #1 (崂山区) goes to the two who may review it, never to 7007; #2 (市南区) to the
    # two city reviewers
    assert "#1 职工心理关爱项目（崂山区）→ 评审5005（5005）" in admin.last_text
    assert "#1 职工心理关爱项目（崂山区）→ 评审6006（6006）" in admin.last_text
    assert "#1 职工心理关爱项目（崂山区）→ 评审7007" not in admin.last_text
    assert f"#{shinan} 市南职工法律援助（市南区）→ 评审7007（7007）" in admin.last_text
    assert "🗂 分配给您 1 个评审项目" in first.last_text
    assert "🗂 分配给您 2 个评审项目" in second.last_text
    assert "🗂 分配给您 1 个评审项目" in third.last_text
    await second.send("/review")  # their own assignments first
    assert "• 分配给我" in second.buttons and "分配给我 2" in second.last_text
    # blind: each gives their word without seeing the other's
    await first.press("🔍 #1 职工心理关爱项目")
    await first.press("⬜ 学习制度、学习记录")
    await first.press("❌ 退回")
    await first.press("超出时间范围")
    await second.press("🔍 #1 职工心理关爱项目")
    assert "❌" not in second.last_text.split("逐项审核")[1].split("\n", 1)[1]
    await second.press("⬜ 学习制度、学习记录")
    await second.press("❌ 退回")
    await second.press("材料不清晰")
    await second.press("↩️ 退回申报单位修改")
    assert "已被退回修改" in member.last_text and "学习制度、学习记录" in member.last_text
    await member.send("/status")
    assert "#1 职工心理关爱项目（已退回修改）：已提交审核 2026-11-23 → 审核中 2026-11-23 → " \
           "已退回修改 2026-11-23" in member.last_text
    await member.press("🔧 修改：学习制度、学习记录")
    await member.upload(b"%PDF study 2025", "学习记录2025.pdf", "application/pdf")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    for reviewer in (first, second):  # both hear of the resubmission
        assert "📨 项目 #1“职工心理关爱项目”已修改后重新提交" in reviewer.last_text
        await reviewer.press("🔍 #1 职工心理关爱项目")
        assert "❌ 学习制度、学习记录 🆕已修改" in reviewer.last_text
        await reviewer.press("❌ 学习制度、学习记录")
        await reviewer.press("✅ 通过")
    await second.press("🏁 审核通过")
    assert "🏁 您的项目“职工心理关爱项目”已审核通过。" in member.last_text
    await admin.send(f"/assign {shinan} 6006")
    assert "已分配给评审人员 6006" in admin.last_text
    await admin.send(f"/assign {shinan} 7007 5005")
    assert "不在评审人员 5005 的范围内" in admin.last_text
    newcomer = await appointed(bot, admin, 8008)
    await admin.send(f"/assign {shinan} 7007 8008")
    assert "（已从 评审7007 处改派）" in admin.last_text
    assert "🗂 分配给您 1 个评审项目" in newcomer.last_text
    await admin.send("/progress")
    [text, chart] = admin.since
    assert "合计：1 · 2 · 0 · 0 · 1 · 0" in text.text
    assert "崂山区：0 · 1 · 0 · 0 · 1 · 0" in text.text
    assert "市南区：1 · 1 · 0 · 0 · 0 · 0" in text.text
    assert "评审6006：1 · 2 · 0 · 0 · 1 · 0" in text.text
    assert chart.kind == "photo" and "评审进度图" in chart.text
    await member.send("/status")
    assert "→ 已提交审核 2026-11-23 → 审核中 2026-11-23 → 已审核通过 2026-11-23" \
        in member.last_text


async def test_reviewers_are_reminded_of_what_they_still_have_to_review(bot, member):
    admin = bot.chat(1, "管理员")
    await admin.send("/newround 2026年度市级优秀项目 city 2026 2026-11-01 2026-12-15 17:00 "
                     "2026-12-20")
    await admin.send("/reviewdeadline 1 2026-12-31 17:00")
    reviewer = await appointed(bot, admin, 5005)
    idle = await appointed(bot, admin, 6006)
    await study_record_submitted(member)
    await admin.send("/assign 1 5005")
    bot.svc.clock.current = dt.datetime(2026, 12, 24, 9, 0, tzinfo=SHANGHAI)
    await dispatch_due(bot.app)
    [text] = [m.text for m in reviewer.messages if m.text.startswith("⏰ 评审提醒")]
    assert "还剩 7 天" in text and "还有 1 个待审" in text and "#1 职工心理关爱项目" in text
    assert not [m for m in idle.messages if m.text.startswith("⏰")]
    await reviewer.press("🗂 评审列表")
    assert "#1 职工心理关爱项目" in reviewer.last_text
    bot.svc.clock.current = dt.datetime(2027, 1, 2, 9, 0, tzinfo=SHANGHAI)
    await admin.send("/progress")
    assert "评审5005：1 · 1 · 0 · 0 · 0 · 1" in admin.since[0].text  # past the deadline
    assert "逾期 1" not in admin.since[0].text and admin.since[1].kind == "photo"


async def test_assignment_and_progress_from_the_command_line(bot, member, monkeypatch, capsys,
                                                              tmp_path):
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    monkeypatch.setenv("ADMIN_IDS", "1")
    admin = bot.chat(1, "管理员")
    await appointed(bot, admin, 5005)
    await study_record_submitted(member)
    assert await asyncio.to_thread(main, ["assign", "auto", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == [
        {"project": 1, "reviewer": 5005}]
    assert await asyncio.to_thread(main, ["assign", "add", "1", "5005"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    chart = tmp_path / "progress.png"
    assert await asyncio.to_thread(main, ["progress", "--json", "--chart", str(chart)]) == 0
    assert chart.read_bytes().startswith(b"\x89PNG")
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == {"submitted": 1, "assigned": 1, "in_review": 0, "returned": 0,
                               "verified": 0, "overdue": 0}
    assert report["reviewers"][0]["name"] == "评审5005"
    assert await asyncio.to_thread(main, ["round", "review-deadline", "1", "--at",
                                          "2026-12-31 17:00"]) == 2  # no round 1
    assert "round" in capsys.readouterr().err
