"""The walk's defects found by trying it as staff would (issue 9), each as the chat goes."""

from __future__ import annotations

import copy
import datetime as dt

from bot.app import build_application, build_services
from fakegram import build_inprocess
from services.clock import FixedClock
from services.people import accounts
from tests.conversation.conftest import NOW, new_project
from tests.support.chat import Chat, running

PDF = "application/pdf"
SHOT = b"\x89PNG\r\n\x1a\n one screenshot"


async def _register(member: Chat, button: str, title: str, proof: bytes | str) -> None:
    """Register an entry: its level, title, date, and a link or a screenshot."""
    await member.press(button)
    await member.send(title)
    await member.send("2025年9月10日")
    await (member.send(proof) if isinstance(proof, str) else member.photo(proof))


async def test_one_screenshot_proves_two_entries(member):
    await new_project(member)
    await member.press("⬜ 经验推广")
    await member.press("⬜ 工会会议、活动上的交流推广")
    await _register(member, "➕ 登记省级（2分/条）", "山东省总工会交流会", SHOT)
    assert "当前得分：2/100分（+2）" in member.last_text
    await member.press("◀ 返回清单")
    await member.press("◐ 经验推广")
    await member.press("◐ 工会会议、活动上的交流推广")
    await _register(member, "➕ 登记省级（2分/条）", "青岛市总工会推进会", SHOT)
    assert "当前得分：4/100分（+2）" in member.last_text  # not "already uploaded", not 2
    await member.press("◀ 返回清单")
    await member.press("◐ 经验推广")
    await member.press("◐ 工会会议、活动上的交流推广")
    assert "1. ✅ 省级" in member.last_text and "2. ✅ 省级" in member.last_text


async def test_an_empty_file_is_refused_and_the_list_still_works(member):
    await new_project(member)
    await member.press("⬜ 工会建设")
    await member.press("⬜ 建立工会的批复文件")
    await member.upload(b"%PDF approval", "批复.pdf", PDF)
    await member.upload(b"", "空文件.pdf", PDF)
    assert "文件是空的（0 字节）" in member.last_text
    await member.press("◀ 返回清单")
    await member.press("◐ 工会建设")
    await member.press("✅ 建立工会的批复文件")
    await member.press("📂 查看已传文件（1）")
    docs = member.documents_since
    assert len(docs) == 1 and docs[0].file == b"%PDF approval"
    assert "1. 批复.pdf" in member.last_text


async def test_an_expired_certificate_is_explained_not_promised(bot):
    org = await accounts.create_organization(
        bot.svc, name="证书过期的服务中心", uscc="91110000600037341L", district="市南区",
        established_on=dt.date(2019, 1, 1), valid_until=dt.date(2026, 1, 1))
    member = bot.chat(1003, "赵敏")
    await member.send(f"/start {org.invite_code}")
    await new_project(member)
    while (nxt := next((b for b in member.buttons if b.startswith("➡️ 下一项")), None)) \
            and "登记证书" not in nxt and "满意度" not in nxt and "媒体" not in nxt:
        await member.press(nxt)
        await member.upload(f"%PDF {nxt}".encode(), "材料.pdf", PDF)
    assert not any("登记证书" in b for b in member.buttons)
    await member.press("◀ 返回清单")
    checklist = member.last_text
    assert "登记证书（+10分）" not in checklist and "登记证书有效期至2026-01-01" in checklist
    assert "解决办法" in checklist and "更新本组织的证书有效期" in checklist
    await member.press("◐ 登记注册")
    await member.press("⬜ 登记证书")
    assert "本项目前不能得分" in member.last_text and "解决办法" in member.last_text
    await member.upload(b"%PDF old certificate", "证书.pdf", PDF)
    assert "（±0）" in member.last_text and "本项目前不能得分" in member.last_text
    assert not any("登记证书" in b for b in member.buttons)
    await member.send("/score")
    report = next(t for t in member.replies if "评分报告" in t)
    assert "登记证书" not in report.split("还可以得分的项目")[-1]
    assert "已过期" in report and "解决办法" in report and "更新本组织的证书有效期" in report


async def test_staff_correct_the_project_facts_and_eligibility_follows(member):
    await member.send("/submit")
    await member.press("➕ 新建项目")
    await member.send("社区法律服务站")
    await member.press("法律服务")
    await member.send("2024-03-01")
    await member.send("2025-06-30")
    await member.press("否")  # a wrong tap
    assert "须已完成项目结项和考核评估等程序" in member.last_text
    await member.press("✏️ 修改项目信息")
    assert "已结项并完成考核评估：否" in member.last_text
    await member.press("是否已结项")
    await member.press("是")
    assert "项目信息已更新" in member.replies[0]
    assert "须已完成项目结项和考核评估等程序" not in member.last_text
    await member.press("✏️ 修改项目信息")
    await member.press("名称")
    await member.send("社区职工法律服务站")
    assert "社区职工法律服务站" in member.last_text
    await member.press("✏️ 修改项目信息")
    await member.press("完成日期")
    await member.send("2024-01-01")
    assert "不能早于开始日期" in member.last_text  # refused; nothing changed
    await member.send("2026-01-05")
    assert "项目信息已更新" in member.replies[0]
    await member.press("✏️ 修改项目信息")
    assert "完成日期：2026-01-05" in member.last_text
    await member.press("服务领域")
    await member.press("心理关怀")
    await member.press("✏️ 修改项目信息")
    assert "服务领域：心理关怀" in member.last_text


async def test_an_upload_after_a_crash_lands_in_the_slot_the_user_saw(bot, member):
    await new_project(member)
    await member.press("⬜ 政治建设")
    await member.press("⬜ 学习制度、学习记录")
    uid, persistence = member.user.id, bot.app.persistence
    await bot.app.update_persistence()  # the state flushed to the database at this slot
    stale_user = copy.deepcopy((await persistence.get_user_data())[uid])
    stale_conv = copy.deepcopy(await persistence.get_conversations("submit"))
    await member.press("◀ 返回清单")
    await member.press("⬜ 登记注册")
    await member.press("⬜ 场所照片等证明材料（招牌名称与登记名称一致）")
    assert "请直接发送文件或照片" in member.last_text
    # The process is killed before its in-memory conversation state is flushed: the
    # database holds the state of the earlier slot.
    await persistence.update_user_data(uid, stale_user)
    for key, state in stale_conv.items():
        await persistence.update_conversation("submit", key, state)
    svc = build_services(bot.settings, clock=FixedClock(NOW))
    app = build_application(bot.settings, services=svc,
                            configure=lambda b: build_inprocess(b, bot.fake))
    async with running(app):
        again = Chat(app, bot.fake, member.user)
        await again.photo(b"\x89PNG\r\n\x1a\n sign")
        told = again.last_text
        await again.send("/submit")
        await again.press("◀ 返回清单")
        assert "◐ 登记注册" in again.last_text and "⬜ 政治建设" in again.last_text
        assert "当前得分：10/100分（+10）" in told
        assert "存入：场所照片等证明材料" in told  # the user is told where it went


async def test_forged_buttons_are_refused_and_store_nothing(member):
    await new_project(member)
    await member.press("⬜ 媒体报道")
    await member.press("⬜ 主流媒体正面报道")
    await _register(member, "➕ 登记国家级（3分/条）", "工人日报", "https://www.workercn.cn/1")
    await member.press("◀ 返回清单")
    await member.press("◐ 媒体报道")
    await member.press("◐ 主流媒体正面报道")
    await member.press("✏️ 第1条")
    real = next(b["callback_data"] for row in member.last.keyboard for b in row
                if b["text"] == "改为设区市级")
    for forged in (real.rsplit(":", 1)[0] + ":bogus", "w:s:abc:1", "w:area:99", "w:s:1:99",
                   "w:cr:1:42", "w:lv:1:0:national", "w:zz", "w:pe:1:budget"):
        await member.press_forged(forged)
        assert "这个按钮已失效" in member.last_text, forged
    await member.send("/score")
    report = next(t for t in member.replies if "评分报告" in t)
    assert "合计：3/100分" in report  # the national report is still national


async def test_a_refused_name_can_be_typed_again(member):
    await member.send("/submit")
    await member.press("➕ 新建项目")
    await member.send("项" * 201)
    assert "200" in member.last_text
    await member.send("社区法律服务站")  # the corrected name, not a question
    assert "第2步" in member.last_text
