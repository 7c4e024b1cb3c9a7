"""The reviewers' desk held to SPEC (issue 20, defects 6 to 10): blind double reviews, scope
and words, who is told what, reminders about work someone can change, input limits."""

from __future__ import annotations

import datetime as dt

from services import rounds
from tests.conversation.conftest import new_project
from tests.conversation.test_desk_people import appointed


async def two_review_round(bot) -> None:
    await rounds.create_round(bot.svc, name="2026年市级评选", level="city", year=2026,
                              opens_on=dt.date(2026, 11, 1),
                              deadline_at=dt.datetime(2026, 12, 15, 17, 0),
                              recommended_on=dt.date(2026, 12, 20), reviews_required=2)


async def study_record_submitted(member) -> None:
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"%PDF study", "学习记录.pdf", "application/pdf")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")


async def test_two_reviews_are_blind_and_the_admin_is_told_which_buttons_decide(bot, member):
    await two_review_round(bot)
    await study_record_submitted(member)
    admin = bot.chat(1, "管理员")
    first, second = await appointed(bot, admin, 5005), await appointed(bot, admin, 6006)
    await first.send("/review")
    await first.press("🔍 #1 职工心理关爱项目")
    await first.press("⬜ 学习制度、学习记录")
    await first.press("✅ 通过")
    # the item is done for this reviewer: it does not come back as "to do" with its ✅
    assert "⬜ 学习制度、学习记录" not in first.buttons
    assert "✅ 学习制度、学习记录" in first.buttons
    await second.send("/review")
    await second.press("🔍 #1 职工心理关爱项目")
    assert "✅" not in second.last_text.split("逐项审核")[1].split("\n", 1)[1]
    await second.press("⬜ 学习制度、学习记录")
    assert "已通过" not in second.last_text  # the first reviewer's word is not shown
    await second.press("❌ 退回")
    await second.press("超出时间范围")
    await admin.press("⚖️ 查看并裁定")
    assert "✅ 已通过" in admin.last_text and "❌ 已退回：超出时间范围" in admin.last_text
    assert "由您裁定" in admin.last_text
    assert "✅ 通过" not in admin.buttons and "❌ 退回" not in admin.buttons
    assert {"⚖️ 裁定通过", "⚖️ 裁定退回"} <= set(admin.buttons)
