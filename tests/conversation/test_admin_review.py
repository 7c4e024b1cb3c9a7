"""Administrators register organisations in chat; reviewers rank submissions and reopen them."""

from __future__ import annotations

from services.desk import review
from services.people import accounts
from tests.conversation.conftest import new_project


async def test_admin_registers_an_organization_and_staff_join_by_its_link(bot):
    admin = bot.chat(1, "管理员")
    await admin.send("/neworg 青岛阳光社工服务中心 91110000600037341L 黄岛区 2020-01-01 2030-01-01")
    assert "已登记：青岛阳光社工服务中心（西海岸新区）" in admin.last_text
    code = admin.last_text.split("邀请码：")[1].split()[0]
    newcomer = bot.chat(3003, "赵敏")
    await newcomer.send(f"/start {code}")
    assert "加入成功：青岛阳光社工服务中心" in newcomer.last_text


async def test_neworg_explains_itself_and_refuses_bad_codes(bot, member):
    admin = bot.chat(1, "管理员")
    await admin.send("/neworg")
    assert "用法：/neworg" in admin.last_text
    await admin.send("/neworg 某中心 91110000600037341X 市南区 2020-01-01")
    assert "校验位不符" in admin.last_text
    await member.send("/neworg 某中心 91110000600037341L 市南区 2020-01-01")
    assert "只有管理员" in member.last_text


async def test_reviewer_sees_submissions_and_reopens_one(bot, member):
    await new_project(member)
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    code = await accounts.create_reviewer_invite(bot.svc, created_by=1)
    reviewer = bot.chat(5005, "评审员")
    await reviewer.send(f"/start {code}")
    await reviewer.send("/review")
    assert "#1 职工心理关爱项目（崂山区，已提交审核）申报 0 / 核定 0" in reviewer.last_text
    await reviewer.press("🔍 #1 职工心理关爱项目")
    await reviewer.press("🔓 重新开放：职工心理关爱项目")
    await reviewer.press("🔓 确认重新开放")
    assert "已重新开放" in reviewer.last_text
    await member.send("/submit")
    await member.press("职工心理关爱项目（0/100分）")
    assert "填报中" in member.last_text and "已锁定" not in member.last_text
    await member.send("/review")
    assert "只有评审人员" in member.last_text


async def test_reviewers_export_the_ranking_as_excel(bot, member):
    import io

    from openpyxl import load_workbook

    await new_project(member, "社区法律服务站")
    await member.press("⬜ 工会建设")
    await member.press("⬜ 建立工会的批复文件")
    await member.upload(b"%PDF approval", "批复.pdf", "application/pdf")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    admin = bot.chat(1, "管理员")
    await admin.send("/export")
    assert "正在生成文件" in admin.replies[0]  # built off the update loop, said first
    [doc] = admin.documents_since
    assert doc.file_name == "排名表-2026-11-23.xlsx" and "1 个项目" in doc.text
    rows = list(load_workbook(io.BytesIO(doc.file)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("名次", "市级评选线内", "项目编号", "项目")
    assert rows[0][7:9] == ("核定分", "申报分")
    assert rows[1][:4] == (1, None, 1, "社区法律服务站") and rows[1][7:9] == (0, 10)
    # reviewed and returned, it stays in the one ranking (the old export kept "submitted"
    # ones only), with the reviewers' verdict and its reason
    view = await review.open_project(bot.svc, 1, 1)
    for target in view.targets:
        await review.give_verdict(bot.svc, 1, 1, target, "reject", "材料不清晰")
    await review.return_project(bot.svc, 1, 1)
    await admin.send("/export")
    [doc] = admin.documents_since
    rows = list(load_workbook(io.BytesIO(doc.file)).active.iter_rows(values_only=True))
    assert rows[1][:4] == (1, None, 1, "社区法律服务站") and rows[1][7:9] == (0, 10)
    assert "❌ 建立工会的批复文件：不予认定，理由：材料不清晰" in rows[1][rows[0].index("审核意见")]
    await member.send("/export")
    assert "只有评审人员" in member.last_text


async def test_recorded_honours_answer_the_subsidy_question_at_once(bot, member):
    await new_project(member, "社区法律服务站")
    reviewer = bot.chat(1, "管理员")
    await reviewer.send("/honour 1 gold")
    assert "未知的取值 gold" in reviewer.last_text
    for level in ("provincial", "national"):  # each honour confirmed on its own
        await reviewer.send(f"/honour 1 {level}")
        await reviewer.press("✅ 确认")
    assert "✅ 已记录" in reviewer.last_text and "荣誉：省级、全国级" in reviewer.last_text
    await reviewer.send("/pay 1 2万 市总工会")
    await member.send("/subsidy")
    await member.press("📁 按记录计算：社区法律服务站")
    assert "社区法律服务站" in member.last_text and "还应补齐10000元" in member.last_text
    await member.send("/honour 1 city")
    assert "只有评审人员" in member.last_text
