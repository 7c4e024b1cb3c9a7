"""The reviewers' desk held to SPEC (issue 20, defects 6 to 10): blind double reviews, scope
and words, who is told what, reminders about work someone can change, input limits."""

from __future__ import annotations

import datetime as dt

from handlers.reminders import dispatch_due
from services.clock import SHANGHAI
from services.schedule import rounds
from tests.conversation.conftest import new_project
from tests.conversation.test_desk_people import appointed
from tests.conversation.test_desk_trust import appointed as opens_invite


async def two_review_round(bot) -> None:
    await rounds.create_round(bot.svc, name="2026年市级评选", level="city", year=2026,
                              opens_on=dt.date(2026, 11, 1),
                              deadline_at=dt.datetime(2026, 12, 15, 17, 0),
                              recommended_on=dt.date(2026, 12, 20), reviews_required=2)


async def study_record_submitted(member, file_name: str = "学习记录.pdf") -> None:
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"%PDF study", file_name, "application/pdf")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")


async def study_records_returned(reviewer, reason: str) -> None:
    """From their list, the reviewer returns #1 for its study records, with a reason."""
    await reviewer.send("/review")
    await reviewer.press("🔍 #1 职工心理关爱项目")
    await reviewer.press("⬜ 学习制度、学习记录")
    await reviewer.press("❌ 退回")
    await reviewer.press(reason)
    await reviewer.press("↩️ 退回申报单位修改")


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
    await second.send("/history 1")  # nor in the project's history
    assert "提交审核" in second.last_text and "通过" not in second.last_text, second.last_text
    await second.press("❌ 退回")
    await second.press("超出时间范围")
    await admin.press("⚖️ 查看并裁定")
    assert "✅ 已通过" in admin.last_text and "❌ 已退回：超出时间范围" in admin.last_text
    assert "由您裁定" in admin.last_text
    assert "✅ 通过" not in admin.buttons and "❌ 退回" not in admin.buttons
    assert {"⚖️ 裁定通过", "⚖️ 裁定退回"} <= set(admin.buttons)


async def shinan_project_submitted(bot, name: str = "市南职工法律援助") -> int:
    from services.people import accounts
    from services.walk import evidence, projects

    org = await accounts.create_organization(
        bot.svc, name="青岛市南法律服务中心", uscc="91110000600037341L", district="市南区",
        established_on=dt.date(2018, 1, 5), valid_until=dt.date(2030, 1, 4))
    await bot.chat(1003, "李雷").send(f"/start {org.invite_code}")
    view = await projects.create_project(
        bot.svc, 1003, name=name, area="法律服务", started_on=dt.date(2024, 3, 1),
        completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)
    await evidence.add_file(bot.svc, 1003, project_id=view.id, slot_key="union_approval",
                            data=b"%PDF b", file_name="b.pdf", mime_type="application/pdf")
    await projects.submit(bot.svc, 1003, view.id)
    return view.id


async def test_a_district_reviewer_hears_of_their_district_only_and_words_say_what_is_meant(
        bot, member):
    await study_record_submitted(member)  # 崂山区
    shinan = await shinan_project_submitted(bot)
    admin = bot.chat(1, "管理员")
    laoshan = await appointed(bot, admin, 5005, "崂山区")
    # a new reviewer is told of /review and gets a reviewer's menu, not a staff member's
    assert "/review" in laoshan.last_text and "崂山区" in laoshan.last_text
    assert "🗂 评审列表" in laoshan.buttons and "📎 提交材料" not in laoshan.buttons
    await laoshan.send("/help")
    assert "/ranking" in laoshan.last_text and "/dossier" in laoshan.last_text
    await laoshan.send("待审的有几个")
    assert "待审项目 1 个" in laoshan.last_text and "市南" not in laoshan.last_text
    await laoshan.send(f"/decide {shinan}")
    assert "不在您的评审范围内" in laoshan.last_text
    assert "只有评审人员和管理员" not in laoshan.last_text
    city = await appointed(bot, admin, 6006)
    await city.press("🗂 评审列表")
    assert "📍 区市：全部（点按切换）" in city.buttons  # the filter shown now
    await city.press("📍 区市：全部（点按切换）")
    assert "📍 区市：市南区（点按切换）" in city.buttons and "#1 " not in city.last_text
    await laoshan.send("/review")
    await laoshan.press("🔍 #1 职工心理关爱项目")
    await laoshan.press("⬜ 学习制度、学习记录")
    await laoshan.press("📎 查看文件")
    [document] = laoshan.documents_since
    assert document.text == "#1 职工心理关爱项目 · 学习制度、学习记录（文件 1/1）"
    await laoshan.press("✅ 通过")
    assert "已记录：学习制度、学习记录\n✅ 已通过" in laoshan.replies[0]
    await laoshan.press("🔓 重新开放：职工心理关爱项目")
    assert "确定重新开放" in laoshan.last_text
    await laoshan.press("取消")
    assert "审核中" in laoshan.last_text  # nothing reopened on one tap
    await laoshan.press("🔓 重新开放：职工心理关爱项目")
    await laoshan.press("🔓 确认重新开放")
    assert "已重新开放" in laoshan.last_text


async def test_reviewers_hear_of_submissions_in_their_scope_staff_of_verification(
        bot, member):
    admin = bot.chat(1, "管理员")
    laoshan = await appointed(bot, admin, 5005, "崂山区")
    shinan = await appointed(bot, admin, 6006, "市南区")
    await study_record_submitted(member)  # 崂山区
    assert "📥 新提交待审：#1“职工心理关爱项目”（崂山区），申报 10/100分。" in laoshan.last_text
    assert "职工心理关爱项目" not in "".join(m.text for m in shinan.messages)
    await laoshan.press("🔍 #1 职工心理关爱项目")
    await laoshan.press("⬜ 学习制度、学习记录")
    await laoshan.press("✅ 通过")
    await laoshan.press("🏁 审核通过")
    assert "🏁 您的项目“职工心理关爱项目”已审核通过。" in member.last_text
    assert "核定" in member.last_text and "📊 看评分" in member.buttons
    await admin.send("/reviewer remove 6006")
    assert "取消您的评审资格" in shinan.last_text


async def test_reminders_only_about_work_staff_can_change(bot, member):
    from handlers.reminders import dispatch_due
    from services.clock import SHANGHAI
    from services.desk import review

    admin = bot.chat(1, "管理员")
    await admin.send("/newround 2026年度市级优秀项目 city 2026 2026-11-01 2026-12-15 17:00 "
                     "2026-12-20")
    await study_record_submitted(member)
    shinan = await shinan_project_submitted(bot)
    reviewer = await appointed(bot, admin, 5005)
    await review.give_verdict(bot.svc, 5005, shinan, "union_approval", "accept")  # in review
    await study_records_returned(reviewer, "超出时间范围")
    bot.svc.clock.current = dt.datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
    assert await dispatch_due(bot.app) == {"sent": 1, "skipped": 1}
    [text] = [m.text for m in member.messages if m.text.startswith("⏰ 提醒")]
    assert "还剩 7 天" in text and "已退回修改" in text and "还缺这些材料" not in text
    assert "• 学习制度、学习记录：超出时间范围" in text
    assert "🔧 去修改" in member.buttons
    in_review = bot.chat(1003, "李雷")
    assert not [m for m in in_review.messages if m.text.startswith("⏰ 提醒")]


async def test_a_title_pasted_whole_is_refused_politely_and_the_entry_goes_on(bot, member):
    await new_project(member)
    await member.press("⬜ 媒体报道")
    await member.press("⬜ 主流媒体正面报道")
    await member.press("➕ 登记国家级（3分/条）")
    await member.send("工人日报报道" * 1000)
    assert "标题须为1至150个字（现在是6000个字）" in member.last_text
    await member.send("工人日报：海都心理关爱走进车间")
    assert "日期" in member.last_text  # the walk goes on to the date


async def test_a_member_who_reviews_is_still_told_and_reminded_as_staff_of_their_own(
        bot, member):
    admin = bot.chat(1, "管理员")
    colleague = bot.chat(1002, "韩梅")
    await colleague.send(f"/start {bot.invite}")
    await opens_invite(bot, admin, colleague)  # a member and, from now on, a reviewer
    await colleague.send("/start")  # the menu, help and commands of both
    assert {"🗂 评审列表", "📎 提交材料", "📊 看评分"} <= set(colleague.buttons)
    await colleague.send("/help")
    assert "/review 评审列表" in colleague.last_text and "/status 项目进度" in colleague.last_text
    commands = [c["command"] for c in bot.fake.commands(
        scope={"type": "chat", "chat_id": 1002}) or []]
    assert {"review", "submit", "score", "status"} <= set(commands)
    await admin.send("/newround 2026年度市级优秀项目 city 2026 2026-11-01 2026-12-15 17:00 "
                     "2026-12-20")
    await admin.send("/reviewdeadline 1 2026-12-31 17:00")
    await study_record_submitted(member)
    shinan = await shinan_project_submitted(bot)
    await admin.send(f"/assign {shinan} 1002")  # another organisation's: theirs to review
    assert "→ 韩梅（1002）" in admin.last_text
    await colleague.press_forged("d:o:1")
    assert "您是该组织的成员，须回避" in colleague.last_text  # never their own
    reviewer = await appointed(bot, admin, 5005)
    await study_records_returned(reviewer, "超出时间范围")
    assert "已通知 2 位工作人员" in reviewer.replies[0]
    assert "已被退回修改" in colleague.last_text and "超出时间范围" in colleague.last_text
    await colleague.send("/history 1")
    assert "退回修改" in colleague.last_text and "超出时间范围" in colleague.last_text
    bot.svc.clock.current = dt.datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
    await dispatch_due(bot.app)
    reminders = [m.text for m in colleague.messages if m.text.startswith("⏰")]
    assert any("已退回修改" in text and "超出时间范围" in text for text in reminders)
    await colleague.send("/submit")  # they fix it as any member would
    await colleague.press(next(b for b in colleague.buttons if "职工心理关爱项目" in b))
    await colleague.press("🔧 修改：学习制度、学习记录")
    await colleague.upload(b"%PDF 2025", "学习记录2025.pdf", "application/pdf")
    await colleague.press("◀ 返回清单")
    await colleague.press("📤 提交审核")
    await colleague.press("✅ 确认提交")
    await reviewer.press("🔍 #1 职工心理关爱项目")
    await reviewer.press("❌ 学习制度、学习记录")
    await reviewer.press("✅ 通过")
    await reviewer.press("🏁 审核通过")
    assert "🏁 您的项目“职工心理关爱项目”已审核通过。" in colleague.last_text
    bot.svc.clock.current = dt.datetime(2026, 12, 24, 9, 0, tzinfo=SHANGHAI)
    await dispatch_due(bot.app)  # and as a reviewer, reminded of what they review
    assert [m for m in colleague.messages if m.text.startswith("⏰ 评审提醒")]
