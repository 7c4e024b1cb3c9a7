"""Issue 10, "What was seen" 6: invites expire, can be single-use and revoked; a member of
one organisation does not slip into another with its code; members can be removed and lose
access at once; deleted and orphaned files leave the disk."""

from __future__ import annotations

import datetime as dt
import os
import re
import time

from bot.app import SWEEP_JOB, build_application
from fakegram import build_inprocess
from services import audit
from services.people import accounts
from tests.conversation.conftest import new_project
from tests.support.chat import Chat, running

PDF = "application/pdf"


def _code(text: str) -> str:
    return re.search(r"邀请码：(\S+)", text).group(1)


async def _org_b(bot) -> accounts.NewOrganization:
    return await accounts.create_organization(
        bot.svc, name="市北区职工服务社", uscc="91370200MA3C4XXX7C", district="市北区",
        established_on=dt.date(2018, 1, 1), valid_until=None)


async def test_invites_are_single_use_expire_and_can_be_revoked(bot):
    admin = bot.chat(1, "管理员")
    await admin.send("/invite 1 一次性 3")
    assert "只能使用一次" in admin.last_text
    once = _code(admin.last_text)
    first, second, third = bot.chat(2001, "甲"), bot.chat(2002, "乙"), bot.chat(2003, "丙")
    await first.send(f"/start {once}")
    assert "加入成功：青岛海都心理健康服务中心" in first.last_text
    await second.send(f"/join {once}")  # a leaked link, used again
    assert "只能使用一次，已经被使用过了" in second.last_text
    await second.send("/score")
    assert "加入" in second.last_text and "评分报告" not in second.last_text
    bot.svc.clock.advance(dt.timedelta(days=15))  # the default invite: 14 days
    await second.send(f"/start {bot.invite}")
    assert "已过期" in second.last_text
    await admin.send("/invite 1")
    fresh = _code(admin.last_text)
    await admin.send(f"/revoke {fresh}")
    assert f"邀请码 {fresh} 已停用" in admin.last_text
    await third.send(f"/start {fresh}")
    assert "无效或已停用" in third.last_text
    await first.send("/start")
    assert "青岛海都心理健康服务中心" in first.last_text  # members stay members


async def test_a_member_of_b_is_not_moved_to_a_by_its_code(bot, member):
    b = await _org_b(bot)
    other = bot.chat(3001, "李雷")
    await other.send(f"/start {b.invite_code}")
    assert "市北区职工服务社" in other.last_text
    await other.send(f"/join {bot.invite}")
    assert "你目前是「市北区职工服务社」的成员，不能用邀请码加入" in other.last_text
    await new_project(member, "合同项目")
    await member.press("⬜ 登记注册")
    await member.press("⬜ 登记证书")
    await member.upload(b"%PDF contract", "合同.pdf", PDF)
    await other.send("/start")
    assert "市北区职工服务社" in other.last_text  # still B's, sees nothing of A
    await other.send("/score")
    assert "合同项目" not in "\n".join(other.replies)
    admin = bot.chat(1, "管理员")  # an administrator may move, after confirming
    await admin.send(f"/start {b.invite_code}")
    await admin.send(f"/join {bot.invite}")
    assert "确定转到「青岛海都心理健康服务中心」吗" in admin.last_text
    await admin.press("✅ 确定转入")
    assert "加入成功：青岛海都心理健康服务中心" in admin.last_text


async def test_a_removed_member_loses_access_at_once(bot, member):
    await new_project(member, "合同项目")
    await member.press("⬜ 登记注册")
    await member.press("⬜ 登记证书")
    await member.upload(b"%PDF contract", "合同.pdf", PDF)
    await member.press("◀ 返回清单")
    await member.press("◐ 登记注册")
    await member.press("✅ 登记证书")
    files_button = member.last  # the button to download the files, kept by the member
    admin = bot.chat(1, "管理员")
    await admin.send("/invite 1 负责人 一次性")
    lead = bot.chat(4001, "组长")
    await lead.send(f"/start {_code(admin.last_text)}")
    await member.send("/members")
    assert "只有管理员和本组织负责人" in member.last_text or "用法" in member.last_text
    await lead.send("/members")
    assert "王芳" in lead.last_text and "★负责人" in lead.last_text
    await lead.press("移出 王芳")
    assert "已将 王芳 移出「青岛海都心理健康服务中心」" in lead.last_text
    before = len(member.fake.messages(member.user.id))
    await member._feed(bot.fake.user_press(member.user, files_button.message_id,
                                           next(b["callback_data"]
                                                for row in files_button.keyboard for b in row
                                                if b["text"].startswith("📂")), queue=False))
    assert not [m for m in member.since if m.kind == "document"]  # no contract for them
    assert len(member.fake.messages(member.user.id)) > before  # told, not silence
    await member.send("/score")
    assert "合同项目" not in "\n".join(member.replies)
    await member.send("/submit")
    assert "合同项目" not in "\n".join(member.replies)
    removed = [e for e in await audit.log(bot.svc) if e.action == "remove_member"]
    assert [(e.actor_id, e.subject) for e in removed] == [(4001, str(member.user.id))]


def _stored(bot) -> list[str]:
    return sorted(p.name for p in bot.settings.evidence_dir.rglob("*") if p.is_file())


async def test_deleted_files_leave_the_disk_unless_still_used(bot, member):
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"%PDF-1.4 study", "学习制度.pdf", PDF)
    await member.upload(b"%PDF-1.4 other", "学习记录.pdf", PDF)
    assert len(_stored(bot)) == 2
    await member.press("◀ 返回清单")
    await member.press("◐ 政治建设")
    await member.press("✅ 学习制度、学习记录")
    await member.press("📂 查看已传文件（2）")
    await member.press("🗑 删除第1个")
    assert "已删除" in "\n".join(member.replies)
    assert len(_stored(bot)) == 1  # gone from disk too
    [removal] = [e for e in await audit.log(bot.svc) if e.action == "remove_evidence"]
    assert removal.actor_id == member.user.id and removal.old["file"] == "学习制度.pdf"


async def test_orphaned_files_are_collected_in_the_background_once_the_bot_runs(
        bot, member, tmp_path):
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"%PDF-1.4 study", "学习制度.pdf", PDF)
    [kept] = [p for p in bot.settings.evidence_dir.rglob("*.pdf")]
    orphan = kept.parent / ("0" * 64 + ".pdf")  # written by an upload whose row never came
    orphan.write_bytes(b"%PDF crash")
    leftover = kept.parent / f".{kept.name}.x1.tmp"
    leftover.write_bytes(b"%PDF half")
    young = kept.parent / ("1" * 64 + ".pdf")  # an upload saving right now
    young.write_bytes(b"%PDF young")
    old = time.time() - 2 * 3600
    for path in (orphan, leftover, kept):
        os.utime(path, (old, old))
    app = build_application(bot.settings, services=bot.svc,
                            configure=lambda b: build_inprocess(b, bot.fake))
    async with running(app):
        again = Chat(app, bot.fake, member.user)
        await again.send("/score")
        assert "合计：10/100分" in again.replies[0]
        assert orphan.exists()  # not swept on the way to the first poll
        [sweep] = app.job_queue.get_jobs_by_name(SWEEP_JOB)  # its time come
        await sweep.run(app)
        assert kept.exists() and young.exists()
        assert not orphan.exists() and not leftover.exists()
