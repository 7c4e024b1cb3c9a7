"""Who may review what: reviewers appointed by administrators, each scoped to the city or
one district; members of an organisation never review it; recusal; menus per role."""

from __future__ import annotations

import asyncio
import json

from bot.cli import main
from services import audit
from services.desk import review
from services.errors import Refused
from services.people import accounts
from tests.conversation.conftest import new_project


async def submitted(member) -> None:
    await new_project(member)
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")


async def appointed(bot, admin, user_id: int, words: str = ""):
    await admin.send(f"/reviewer add {words}".strip())
    code = admin.last_text.split("邀请码：")[1].split()[0]
    chat = bot.chat(user_id, f"评审{user_id}")
    await chat.send(f"/start {code}")
    return chat


async def test_admins_appoint_reviewers_scoped_to_a_district(bot, member):
    await submitted(member)  # an organisation of 崂山区
    admin = bot.chat(1, "管理员")
    city = await appointed(bot, admin, 5005)
    shinan = await appointed(bot, admin, 6006, "市南区")
    await admin.send("/reviewer list")
    assert "5005 评审5005（全市）" in admin.last_text
    assert "6006 评审6006（市南区）" in admin.last_text
    await city.send("/review")
    assert "#1 职工心理关爱项目" in city.last_text
    await shinan.send("/review")
    assert "#1" not in shinan.last_text and "没有符合条件的项目" in shinan.last_text
    await shinan.press_forged("d:o:1")
    assert "不在您的评审范围内" in shinan.last_text
    chat_menu = {"type": "chat", "chat_id": 5005}
    assert "review" in [c["command"] for c in bot.fake.commands(chat_menu)]
    await admin.send("/reviewer remove 5005")
    assert "已取消 评审5005 的评审资格" in admin.last_text
    for lang in ("", "en"):  # their menu is a staff member's again, in both languages
        menu = [c["command"] for c in bot.fake.commands(chat_menu, lang)]
        assert "review" not in menu and "submit" in menu
    await city.send("/review")
    assert "只有评审人员和管理员" in city.last_text
    await member.send("/reviewer add")
    assert "只有管理员" in member.last_text
    assert [e.action for e in await audit.log(bot.svc)].count("reviewer") == 3


async def test_a_member_of_the_organisation_cannot_review_it_and_a_reviewer_may_recuse(
        bot, member):
    await submitted(member)
    admin = bot.chat(1, "管理员")
    reviewer = await appointed(bot, admin, 5005)
    async with bot.svc.uow() as uow:  # the reviewer also works for the organisation
        (await uow.users.get(5005)).organization_id = 1
        await uow.commit()
    await reviewer.send("/review")
    assert "#1" not in reviewer.last_text
    await reviewer.press_forged("d:o:1")
    assert "您是该组织的成员，须回避" in reviewer.last_text
    other = await appointed(bot, admin, 6006)
    await other.send("/review")
    await other.press("🔍 #1 职工心理关爱项目")
    await other.press("🙋 申请回避")
    await other.send("与该组织负责人是亲属")
    assert "已记录回避" in other.replies[0] and "#1" not in other.last_text
    try:
        await review.open_project(bot.svc, 6006, 1)
    except Refused as refused:
        assert refused.key == "desk.recused_already"
    else:
        raise AssertionError("a recused reviewer opened the project")
    [recusal] = [e for e in await audit.log(bot.svc, 1) if e.action == "recuse"]
    assert recusal.actor_id == 6006 and recusal.reason == "与该组织负责人是亲属"


async def test_help_and_menus_follow_the_role(bot, member):
    await member.send("/help")
    assert "/history" in member.last_text and "/review " not in member.last_text
    admin = bot.chat(1, "管理员")
    reviewer = await appointed(bot, admin, 5005)
    await reviewer.send("/help")
    assert "/review 评审列表" in reviewer.last_text and "/reviewer add" not in reviewer.last_text
    await admin.send("/help")
    assert "/reviewer add|list|remove" in admin.last_text
    menus = {uid: [c["command"] for c in bot.fake.commands(
        scope={"type": "chat", "chat_id": uid}, language_code=lang) or []]
        for uid, lang in ((5005, ""), (1, "en"))}
    assert "review" in menus[5005] and "reviewer" not in menus[5005]
    assert {"review", "reviewer", "as"} <= set(menus[1])
    staff = [c["command"] for c in bot.fake.commands(scope={"type": "default"})]
    assert "submit" in staff and "review" not in staff


async def test_the_console_admin_plays_staff_then_reviewer(bot):
    admin = bot.chat(1, "管理员")
    await admin.send(f"/start {bot.invite}")
    await new_project(admin)
    await admin.press("📤 提交审核")
    await admin.press("✅ 确认提交")
    await admin.send("/as reviewer")
    assert "评审" in admin.last_text
    await admin.send("/review")
    await admin.press("🔍 #1 职工心理关爱项目")
    assert "申报 0 / 核定 0" in admin.last_text
    await admin.send("/as staff")
    await admin.send("/submit")
    assert "职工心理关爱项目（0/100分）" in admin.buttons


async def test_reviewers_from_the_command_line(bot, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    assert await asyncio.to_thread(main, ["reviewer", "add", "--district", "黄岛",
                                          "--json"]) == 0
    invite = json.loads(capsys.readouterr().out)
    assert invite["district"] == "西海岸新区" and invite["link"].endswith(invite["code"])
    newcomer = bot.chat(7007, "新评审")
    await newcomer.send(f"/start {invite['code']}")
    assert await asyncio.to_thread(main, ["reviewer", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"id": 7007, "name": "新评审", "district": "西海岸新区"}]
    assert await asyncio.to_thread(main, ["reviewer", "remove", "7007"]) == 0
    assert "7007" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["reviewer", "remove", "7007"]) == 2
    assert (await accounts.ensure_account(bot.svc, 7007)).role == "guest"


async def test_two_reviewers_must_agree_and_an_administrator_decides_a_disagreement(
        bot, member):
    import datetime as dt

    from services.schedule import rounds

    await rounds.create_round(bot.svc, name="2026年市级评选", level="city", year=2026,
                              opens_on=dt.date(2026, 11, 1),
                              deadline_at=dt.datetime(2026, 12, 15, 17, 0),
                              recommended_on=dt.date(2026, 12, 20), reviews_required=2)
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"%PDF study", "学习记录.pdf", "application/pdf")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    admin = bot.chat(1, "管理员")
    first, second = await appointed(bot, admin, 5005), await appointed(bot, admin, 6006)
    for reviewer in (first, second):
        await reviewer.send("/review")
        await reviewer.press("🔍 #1 职工心理关爱项目")
        await reviewer.press("⬜ 学习制度、学习记录")
    await first.press("✅ 通过")
    assert "申报 10 / 核定 0" in first.replies[0]  # one acceptance of two is not enough
    await second.press("❌ 退回")
    await second.press("超出时间范围")
    assert "两位评审意见不一致" in admin.last_text
    await admin.press("⚖️ 查看并裁定")
    assert "✅ 已通过" in admin.last_text and "❌ 已退回：超出时间范围" in admin.last_text
    await admin.press("⚖️ 裁定通过")
    await admin.send("学习记录日期在项目期内")
    assert "申报 10 / 核定 10" in admin.replies[0]
    [decision] = [e for e in await audit.log(bot.svc, 1) if e.action == "resolve"]
    assert decision.actor_id == 1 and decision.reason == "学习记录日期在项目期内"


async def test_staff_are_told_in_their_own_language(bot):
    import datetime as dt

    from services.walk import evidence, projects

    staff = bot.chat(1002, "Anna", lang="en")
    await staff.send(f"/start {bot.invite}")
    await staff.send("/lang")  # a language chosen is the one pushed messages are written in
    await staff.press("English")
    view = await projects.create_project(
        bot.svc, 1002, name="Care hotline", area="心理关怀", started_on=dt.date(2024, 3, 1),
        completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)
    await evidence.add_file(bot.svc, 1002, project_id=view.id, slot_key="union_approval",
                            data=b"%PDF a", file_name="a.pdf", mime_type="application/pdf")
    await projects.submit(bot.svc, 1002, view.id)
    reviewer = await appointed(bot, bot.chat(1, "管理员"), 5005)
    await reviewer.send("/review")
    await reviewer.press("🔍 #1 Care hotline")
    await reviewer.press("⬜ 建立工会的批复文件")
    await reviewer.press("❌ 退回")
    await reviewer.press("材料不清晰")
    await reviewer.press("↩️ 退回申报单位修改")
    text = staff.last_text
    assert "was returned" in text and "Approval of the union's founding: 材料不清晰" in text
    assert "🔧 Fix: Approval of the union's founding" in staff.buttons
