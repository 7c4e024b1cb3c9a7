"""Trust at the reviewers' desk (issue 20): who may judge a project, what staff are told
about it, and dialogs that do not swallow each other."""

from __future__ import annotations

import datetime as dt

from services.desk import review, reviewers
from services.people import accounts
from services.walk import evidence, projects
from tests.conversation.conftest import new_project

BACK = "◀ 返回清单"


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
    await evidence.add_file(bot.svc, 1001, project_id=1, slot_key="union_approval", data=b"%PDF a",
                            file_name="批复.pdf", mime_type="application/pdf")
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


async def _claimed(svc, *, rate: float) -> int:
    """The satisfaction rate with its file, and a national media report with its link."""
    await evidence.add_file(svc, 1001, project_id=1, slot_key="satisfaction_rate", data=b"%PDF s",
                            file_name="测评.pdf", mime_type="application/pdf")
    await evidence.set_figure(svc, 1001, 1, "satisfaction_rate", rate, 0)
    entry, _ = await evidence.add_entry(svc, 1001, 1, "media_reports", level="national",
                                        title="工人日报", happened_on=None,
                                        link="https://example.org/a")
    return entry


async def _returned(bot, member) -> int:
    """Submitted with a file, a rate and a media report; the file and the report returned."""
    await new_project(member)
    svc = bot.svc
    await evidence.add_file(svc, 1001, project_id=1, slot_key="union_approval", data=b"%PDF a",
                            file_name="批复.pdf", mime_type="application/pdf")
    entry = await _claimed(svc, rate=95)
    await projects.submit(svc, 1001, 1)
    await review.give_verdict(svc, 1, 1, "union_approval", "reject", "材料不清晰")
    await review.give_verdict(svc, 1, 1, "satisfaction_rate", "accept")
    await review.give_verdict(svc, 1, 1, f"entry:{entry}", "reject", "不属于主流媒体")
    await review.return_project(svc, 1, 1)
    return entry


async def test_a_returned_project_leads_staff_through_its_returned_items_only(bot, member):
    await _returned(bot, member)
    await member.send("/submit")
    await member.press(next(b for b in member.buttons if "职工心理关爱项目" in b))
    assert "❌ 建立工会的批复文件：材料不清晰" in member.last_text
    assert "不属于主流媒体" in member.last_text
    assert "建议下一步：修改被退回的「建立工会的批复文件」" in member.last_text
    assert not any(b.startswith("➡️ 下一项") for b in member.buttons)
    await member.press("🔧 修改：建立工会的批复文件")
    assert "材料不清晰" in member.last_text and "请直接发送文件" in member.last_text
    await member.upload(b"%PDF clear", "批复-清晰.pdf", "application/pdf")
    assert "已保存" in member.replies[0] or "得分" in member.replies[0]
    assert "🔒" not in member.last_text
    await member.press("🔧 修改：主流媒体正面报道")  # the next returned item
    assert "1. ❌ 国家级 · 工人日报" in member.last_text
    assert "不属于主流媒体" in member.last_text
    await member.press("✏️ 第1条")
    await member.press("📎 发送新的证明文件或链接")
    await member.send("https://www.workercn.cn/report")
    assert "🔒" not in member.last_text
    await member.press(BACK)
    text = member.last_text
    assert "❌" not in text and "🆕 建立工会的批复文件：已修改" in text
    assert "被退回的材料都已修改" in text
    await member.press(next(b for b in member.buttons if "职工满意度" in b))
    await member.press(next(b for b in member.buttons if "职工满意度测评结果" in b))
    assert "这一项没有被退回，无需修改" in member.last_text
    assert "请直接发送文件" not in member.last_text and "⏭ 跳过" not in member.buttons


async def test_a_returned_media_report_deleted_and_registered_again(bot, member):
    await _returned(bot, member)
    await member.send("/submit")
    await member.press(next(b for b in member.buttons if "职工心理关爱项目" in b))
    await member.press(next(b for b in member.buttons if "媒体报道" in b))
    await member.press(next(b for b in member.buttons if "主流媒体正面报道" in b))
    await member.press("✏️ 第1条")
    await member.press("🗑 删除这一条")
    assert "已删除" in member.replies[0]
    await member.press(next(b for b in member.buttons if b.startswith("➕ 登记设区市级")))
    await member.send("青岛日报《职工心理关爱》")
    await member.send("2025/5/1")
    await member.send("https://www.qingdaonews.com/a")
    assert "🔒" not in member.last_text and "已保存" in member.replies[0]
    view = await projects.submit(bot.svc, 1001, 1)
    assert view.status == "submitted"


async def test_staff_see_why_verified_is_lower_and_no_suggestion_after_verification(
        bot, member):
    await new_project(member)
    svc = bot.svc
    entry = await _claimed(svc, rate=85)
    await projects.submit(svc, 1001, 1)
    await review.give_verdict(svc, 1, 1, "satisfaction_rate", "adjust", "抽样不足", value=78)
    await review.give_verdict(svc, 1, 1, f"entry:{entry}", "adjust", "实为市级媒体",
                              level="city")
    await review.verify(svc, 1, 1)
    await member.send("/score")
    text = member.last_text
    assert "职工满意度测评结果：申报 85，核定为 78（抽样不足）" in text
    assert "申报 国家级，核定为 设区市级（实为市级媒体）" in text
    assert "再登记1篇" not in text and "不能再修改" in text
    await member.send("/submit")
    await member.press(next(b for b in member.buttons if "职工心理关爱项目" in b))
    assert "抽样不足" in member.last_text and "实为市级媒体" in member.last_text


async def test_history_is_reachable_and_readable_for_staff(bot, member):
    await new_project(member)
    assert "/history 1" in member.last_text  # the checklist names the project's number
    svc = bot.svc
    await evidence.add_file(svc, 1001, project_id=1, slot_key="union_approval", data=b"%PDF a",
                            file_name="批复.pdf", mime_type="application/pdf")
    entry = await _claimed(svc, rate=95)
    await member.send("/submit")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    assert "/history 1" in member.replies[0]
    await bot.chat(1, "管理员").send("/start")
    await review.give_verdict(svc, 1, 1, "union_approval", "reject", "材料不清晰")
    await review.give_verdict(svc, 1, 1, f"entry:{entry}", "adjust", "实为市级媒体",
                              level="city")
    await review.return_project(svc, 1, 1)
    await member.send("/history 1")
    text = member.last_text
    assert "王芳 提交审核：填报中 → 已提交审核" in text
    assert "管理员 审核意见 建立工会的批复文件：— → 退回（理由：材料不清晰）" in text
    assert "管理员 核减调整 主流媒体正面报道（国家级）《工人日报》：— → 设区市级" in text
    assert "管理员 退回修改 建立工会的批复文件：审核中 → 已退回修改" in text
    for raw in ("union_approval", "entry:", "in_review", "returned", "用户"):
        assert raw not in text, raw
