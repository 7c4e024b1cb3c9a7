"""/submit: the guided walk, as staff live it on a phone."""

from __future__ import annotations

import datetime as dt

from bot.app import build_application, build_services
from fakegram import build_inprocess
from services.clock import FixedClock
from tests.conversation.conftest import NOW, new_project
from tests.support.chat import Chat, running

PDF = "application/pdf"


async def test_guests_are_asked_to_join_first(chat):
    await chat.send("/submit")
    assert "需要先加入组织" in chat.last_text


async def test_creating_a_project_refuses_bad_dates_and_keeps_going(member):
    await member.send("/submit")
    await member.press("➕ 新建项目")
    await member.send("社区法律服务站")
    await member.press("法律服务")
    await member.send("去年春天")
    assert "没看懂这个日期" in member.last_text
    await member.send("2024年3月1日")
    await member.send("2030-01-01")
    assert "还没到" in member.last_text and "项目完成日期" in member.last_text
    await member.send("2024-01-01")
    assert "不能早于开始日期" in member.last_text
    await member.send("2025-06-30")
    await member.press("否")
    checklist = member.last_text
    assert "社区法律服务站" in checklist and "合计：0/100分" in checklist
    assert "须已完成项目结项和考核评估等程序" in checklist  # not closed: a blocking issue shown


async def test_upload_saves_scores_and_offers_the_next_best_item(member):
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    assert "评估依据" in member.last_text
    await member.upload(b"%PDF-1.4 study", "学习制度.pdf", PDF)
    assert "已保存。当前得分：10/100分（+10）" in member.last_text
    assert member.buttons[0].startswith("➡️ 下一项：活动方案")
    await member.upload(b"%PDF-1.4 study", "again.pdf", PDF)
    assert "之前已经上传过" in member.last_text and "10/100" in member.last_text


async def test_refused_files_say_why_and_change_nothing(member):
    await new_project(member)
    await member.press("➡️ 下一项：学习制度、学习记录（+10分）")
    await member.upload(b"MZ\x90\x00", "setup.exe", "application/x-msdownload")
    assert "不支持 .exe 类型的文件" in member.last_text
    await member.upload(b"%PDF" + b"0" * (1024 * 1024 + 10), "大文件.pdf", PDF)  # limit: 1 MB
    assert "超过了 1 MB 的上限" in member.last_text
    await member.send("/score")
    assert "合计：0/100分" in member.replies[0]


async def test_files_outside_the_walk_are_not_taken(chat):
    await chat.upload(b"%PDF-1.4", "x.pdf", PDF)
    assert "请先在清单里选择一个材料项" in chat.last_text


async def test_satisfaction_rate_with_files_and_a_bad_rate(member):
    await new_project(member)
    await member.press("⬜ 职工满意度")
    await member.press("⬜ 职工满意度测评结果")
    assert "还没有填写满意度" in member.last_text
    await member.send("八十五")
    assert "0到100之间的数字" in member.last_text
    await member.send("185")
    assert "0到100之间的数字" in member.last_text
    await member.send("85%")
    assert "已保存。当前得分：0/100分（±0）" in member.last_text  # the rate needs its files
    await member.upload(b"%PDF survey", "测评结果.pdf", PDF)
    assert "当前得分：8/100分（+8）" in member.last_text


async def test_media_entries_count_with_proof_and_stop_at_the_cap(member):
    await new_project(member)
    await member.press("⬜ 媒体报道")
    await member.press("⬜ 主流媒体正面报道")
    for n in range(4):
        await member.press("➕ 登记国家级（3分/条）")
        await member.send(f"工人日报《职工心理关爱第{n}篇》")
        await member.send("2025-05-0" + str(n + 1))
        await member.send("不是链接")
        if n == 0:
            assert "请发送以 http:// 或 https:// 开头的链接" in member.last_text
        await member.send(f"https://www.workercn.cn/{n}")
        await member.press("◀ 返回清单")
        await member.press("◐ 媒体报道" if n < 3 else "✅ 媒体报道")
        await member.press(("◐ " if n < 3 else "✅ ") + "主流媒体正面报道")
    assert "已达上限 10 分" in member.last_text
    await member.press("✏️ 第4条")
    await member.press("改为设区市级")
    assert "4. ✅ 设区市级" in member.last_text  # 3+3+3+1 = 10: still at the cap


async def test_screenshot_as_proof_of_an_exchange(member):
    await new_project(member)
    await member.press("⬜ 经验推广")
    await member.press("⬜ 工会会议、活动上的交流推广")
    await member.press("➕ 登记省级（2分/条）")
    await member.send("山东省总工会社会组织工作交流会")
    await member.send("2025年9月10日")
    await member.photo(b"\x89PNG\r\n\x1a\n fake screenshot")
    assert "当前得分：2/100分（+2）" in member.last_text


async def test_files_come_back_on_request_and_can_be_deleted(member):
    await new_project(member)
    await member.press("⬜ 工会建设")
    await member.press("⬜ 建立工会的批复文件")
    await member.upload(b"%PDF approval", "批复.pdf", PDF)
    await member.press("◀ 返回清单")
    await member.press("◐ 工会建设")
    await member.press("✅ 建立工会的批复文件")
    await member.press("📂 查看已传文件（1）")
    docs = member.documents_since
    assert len(docs) == 1 and docs[0].file == b"%PDF approval"
    await member.press("🗑 删除第1个")
    assert "已删除。当前得分：0/100分" in member.replies[0]


async def test_stop_and_resume_after_a_restart(bot, tmp_path, member):
    await new_project(member)
    await member.press("⬜ 登记注册")
    await member.press("⬜ 场所照片等证明材料（招牌名称与登记名称一致）")
    await member.photo(b"\x89PNG\r\n\x1a\n sign")
    assert "当前得分：10/100分" in member.last_text
    # the process dies; a new one starts on the same database
    svc = build_services(bot.settings, clock=FixedClock(NOW))
    app = build_application(bot.settings, services=svc,
                            configure=lambda b: build_inprocess(b, bot.fake))
    async with running(app):
        again = Chat(app, bot.fake, member.user)
        await again.send("/submit")
        assert "欢迎回来" in again.replies[0]
        assert "场所照片" in again.last_text and "已上传 1 个文件" in again.last_text
        await again.photo(b"\x89PNG\r\n\x1a\n second sign")
        assert "已保存" in again.last_text


async def test_two_staff_setting_the_rate_at_once(bot, member):
    await new_project(member)
    colleague = bot.chat(1002, "李强")
    await colleague.send(f"/start {bot.invite}")
    await colleague.send("/submit")
    await colleague.press("职工心理关爱项目（0/100分）")
    for chat in (member, colleague):
        await chat.send("/submit")
        await chat.press("⬜ 职工满意度")
        await chat.press("⬜ 职工满意度测评结果")
    await colleague.send("92")
    assert "已保存" in colleague.last_text
    await member.send("85")
    assert "同事刚刚修改了满意度（现在是 92%）" in member.last_text
    await member.send("85")  # having seen 92, the change is deliberate now
    assert "已保存" in member.last_text


async def test_submit_locks_the_project(member):
    await new_project(member)
    await member.press("📤 提交审核")
    assert "确认后将锁定" in member.last_text
    await member.press("✅ 确认提交")
    assert "已提交审核：职工心理关爱项目" in member.last_text
    await member.send("/submit")
    await member.press("职工心理关爱项目（0/100分）")
    assert "已锁定" in member.last_text
    await member.press("⬜ 政治建设")
    await member.press("⬜ 学习制度、学习记录")
    await member.upload(b"%PDF late", "late.pdf", PDF)
    assert "已锁定" in member.last_text


async def test_a_project_goes_from_empty_to_100_following_the_suggestions(member):
    await new_project(member)
    n = 0
    while "合计：100/100分" not in member.last_text and n < 40:
        n += 1
        next_button = next(b for b in member.buttons if b.startswith("➡️ 下一项"))
        await member.press(next_button)
        if "请输入满意度" in member.last_text:
            await member.send("96.5")
            await member.upload(b"%PDF survey", "测评.pdf", PDF)
        elif "➕ 登记国家级（3分/条）" in member.buttons:
            for k in range(4):
                await member.press("➕ 登记国家级（3分/条）")
                await member.send(f"人民日报 第{n}-{k}篇")
                await member.send("2025-08-01")
                await member.send(f"https://example.cn/{n}/{k}")
        else:
            await member.upload(f"%PDF evidence {n}".encode(), f"材料{n}.pdf", PDF)
        if not any(b.startswith("➡️ 下一项") for b in member.buttons):
            await member.press("◀ 返回清单")
    assert "合计：<b>100/100分</b>" in member.last.raw_text or "100/100" in member.last_text
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    assert "已提交审核：职工心理关爱项目，100/100分" in member.last_text


async def test_a_stale_place_does_not_trap_the_user(bot, member):
    from services.people import accounts

    await new_project(member)
    other = await accounts.create_organization(
        bot.svc, name="另一家服务中心", uscc="91110000600037341L", district="市南区",
        established_on=dt.date(2020, 1, 1), valid_until=None)
    await member.send(f"/join {other.invite_code}")  # refused: a member of another
    assert "不能用邀请码加入" in member.last_text
    await accounts.remove_member(bot.svc, None, 1, member.user.id)  # an administrator moves
    await member.send(f"/join {other.invite_code}")
    await member.send("/submit")
    assert "请选择要填报的项目" in member.last_text and member.buttons == ["➕ 新建项目"]
