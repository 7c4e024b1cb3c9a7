"""Trust at the reviewers' desk (issue 20): who may judge a project, what staff are told
about it, and dialogs that do not swallow each other."""

from __future__ import annotations

import datetime as dt

from services import accounts, evidence, projects, review, reviewers
from tests.conversation.conftest import new_project


async def submitted(member) -> None:
    await new_project(member)
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")


async def appointed(bot, admin, chat) -> None:
    await admin.send("/reviewer add")
    code = admin.last_text.split("邀请码：")[1].split()[0]
    await chat.send(f"/start {code}")


async def test_a_member_appointed_reviewer_stays_a_member_and_never_judges_their_own(
        bot, member):
    await submitted(member)
    colleague = bot.chat(1002, "李雷")
    await colleague.send(f"/start {bot.invite}")
    admin = bot.chat(1, "管理员")
    await appointed(bot, admin, colleague)
    assert "仍是「青岛海都心理健康服务中心」的成员" in colleague.last_text
    assert "李雷（1002）打开了您的评审邀请" in admin.last_text
    assert "不能评审该组织的项目" in admin.last_text
    await admin.send("/members 1")
    assert "李雷（#1002" in admin.last_text  # not moved out of the organisation
    await colleague.send("/review")
    assert "#1" not in colleague.last_text
    await colleague.press_forged("d:o:1")
    assert "您是该组织的成员，须回避" in colleague.last_text
    assert "审核通过" not in " ".join(colleague.buttons)


async def test_who_was_a_member_or_wrote_the_evidence_is_conflicted(bot, member):
    await submitted(member)  # 王芳 (1001) wrote it
    leaver = bot.chat(1003, "韩梅")
    await leaver.send(f"/start {bot.invite}")
    admin = bot.chat(1, "管理员")
    await accounts.remove_member(bot.svc, 1, 1, 1003)  # left during the round
    await appointed(bot, admin, leaver)
    assert "已成为评审人员" in leaver.last_text
    await leaver.press_forged("d:o:1")
    assert "本轮评选期间您曾是该组织的成员" in leaver.last_text
    async with bot.svc.uow() as uow:  # the author, out of the organisation by other means
        author = await uow.users.get(1001)
        author.organization_id, author.role = None, "reviewer"
        found = await reviewers.conflicts(
            uow, bot.svc, [author], [reviewers.Judged(1, 1, "崂山区", None)])
    assert found == {(1001, 1): "desk.conflict_author"}


async def test_a_command_ends_the_open_walk_and_its_answers_go_to_the_new_dialog(bot, member):
    await new_project(member)  # the walk stays open, as on a phone
    await member.send("/subsidy")
    assert "请选择项目获得的荣誉" in member.last_text
    await member.press("⬜ 市级")
    await member.press("下一步 ▶")
    await member.send("0")
    assert "还应补齐10000元" in member.last_text
    await member.send("满意度怎么算")  # after the dialog, typed text is a question again
    assert "满意度" in member.last_text and "还应补齐" not in member.last_text


async def test_an_admin_who_is_also_staff_types_a_reject_reason_and_it_is_saved(bot, member):
    await new_project(member)
    await evidence.add_file(bot.svc, 1001, 1, "union_approval", b"%PDF a", "批复.pdf",
                            "application/pdf")
    await projects.submit(bot.svc, 1001, 1)
    other = await accounts.create_organization(
        bot.svc, name="青岛市南社工服务中心", uscc="91370202MA3C8K1P05", district="市南区",
        established_on=dt.date(2018, 1, 1), valid_until=None)
    admin = bot.chat(1, "管理员")
    await admin.send(f"/start {other.invite_code}")
    await new_project(admin, "市南职工服务项目")  # the admin's own walk, left open
    await admin.send("/review")
    await admin.press("🔍 #1 职工心理关爱项目")
    await admin.press(next(b for b in admin.buttons if "⬜" in b))
    await admin.press("❌ 退回")
    await admin.press("✍️ 其他理由（输入）")
    await admin.send("批复文件缺少公章")
    assert "已记录" in admin.replies[0]
    view = await review.open_project(bot.svc, 1, 1)
    assert view.outcome("union_approval").verdict.reason == "批复文件缺少公章"
