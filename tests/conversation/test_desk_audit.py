"""The audit log: every state change, appended in order; /history and `bot audit`."""

from __future__ import annotations

from services import audit
from services.people import accounts
from store.repositories.audit import AuditLog
from tests.conversation.conftest import new_project


async def submitted(member) -> None:
    await new_project(member)
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")


async def test_submit_reopen_honour_and_payment_are_recorded_in_order(bot, member):
    await submitted(member)
    admin = bot.chat(1, "管理员")
    await admin.send("/review")
    await admin.press("🔍 #1 职工心理关爱项目")
    await admin.press("🔓 重新开放：职工心理关爱项目")
    await admin.press("🔓 确认重新开放")
    await admin.send("/honour 1 city")
    await admin.press("✅ 确认")
    await admin.send("/pay 1 5000")
    entries = await audit.log(bot.svc, 1)
    assert [(e.action, e.actor_id, e.old, e.new) for e in entries] == [
        ("submit", 1001, "draft", "submitted"), ("reopen", 1, "submitted", "draft"),
        ("honour", 1, [], ["city"]), ("payment", 1, 0, 5000)]
    await member.send("/history 1")
    assert "提交审核" in member.last_text and "记录拨付" in member.last_text
    assert "0 → 5000" in member.last_text
    stranger = bot.chat(7007, "路人")
    await stranger.send("/history 1")
    assert "无权查看" in stranger.last_text


async def test_organisation_edits_are_recorded_with_old_and_new(bot):
    [org] = await accounts.organizations(bot.svc)
    await accounts.edit_organization(bot.svc, org.id, district="市南区", actor_id=1)
    [entry] = await audit.log(bot.svc)
    assert entry.action == "organization" and entry.old == {"district": "崂山区"}
    assert entry.new == {"district": "市南区"}


def test_the_log_has_no_way_to_change_or_delete_an_entry():
    methods = {name for name in vars(AuditLog) if not name.startswith("_")}
    assert methods == {"record", "entries"}


async def test_the_audit_command_prints_the_log_as_json(bot, monkeypatch, capsys):
    import asyncio
    import json

    from bot.cli import main

    [org] = await accounts.organizations(bot.svc)
    await accounts.edit_organization(bot.svc, org.id, name="新名称", actor_id=1)
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    assert await asyncio.to_thread(main, ["audit", "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["action"] == "organization" and entry["new"] == {"name": "新名称"}
