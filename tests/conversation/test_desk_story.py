"""The reviewers' desk, the whole story: staff submit; a reviewer opens the project,
downloads a file, rejects two items with reasons and accepts the rest; the staff get the
reasons and fix those two items; they resubmit; the reviewer accepts; the totals are right
at each step and the audit log holds every step in order. Then the same with a round that
asks two blind reviews of projects assigned automatically, a media report returned too, and
what each person is told."""

from __future__ import annotations

from services import audit
from services.people import accounts
from tests.conversation.conftest import new_project
from tests.conversation.test_desk_assigned import two_review_round
from tests.conversation.test_desk_people import appointed

PDF = "application/pdf"


async def press_starting(chat, prefix: str) -> None:
    label = next(b for b in chat.buttons if b.startswith(prefix) or b[2:].startswith(prefix))
    await chat.press(label)


async def upload_in(chat, criterion: str, item: str, data: bytes, name: str) -> None:
    await press_starting(chat, criterion)
    await press_starting(chat, item)
    await chat.upload(data, name, PDF)
    await chat.press("◀ 返回清单")


async def appoint_reviewer(bot, user_id: int = 5005, district: str | None = None):
    code = await accounts.create_reviewer_invite(bot.svc, created_by=1, district=district)
    reviewer = bot.chat(user_id, "评审员")
    await reviewer.send(f"/start {code}")
    return reviewer


async def test_the_whole_story_of_a_review(bot, member):
    await new_project(member)
    await upload_in(member, "政治建设", "学习制度", b"%PDF blurry", "学习记录.pdf")
    await upload_in(member, "登记注册", "场所照片", b"%PDF sign", "招牌.pdf")
    await upload_in(member, "工会建设", "建立工会的批复文件", b"%PDF approval", "批复.pdf")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    assert "30/100" in member.last_text  # claimed: 10 + 10 + 10

    reviewer = await appoint_reviewer(bot)
    await reviewer.send("/review")
    assert "待审核 1" in reviewer.last_text
    assert "#1 职工心理关爱项目（崂山区，已提交审核）申报 30 / 核定 0" in reviewer.last_text
    await reviewer.press("🔍 #1 职工心理关爱项目")
    assert "合计：申报 30 / 核定 0" in reviewer.last_text
    await reviewer.press("⬜ 学习制度、学习记录")
    await reviewer.press("📎 查看文件")
    [doc] = reviewer.documents_since
    assert doc.file == b"%PDF blurry" and doc.file_name == "学习记录.pdf"
    await reviewer.press("❌ 退回")
    await reviewer.press("材料不清晰")
    assert "申报 30 / 核定 0" in reviewer.replies[0]
    # the next item to do opens by itself: the premises photos
    assert "场所照片" in reviewer.last_text
    await reviewer.press("❌ 退回")
    await reviewer.press("✍️ 其他理由（输入）")
    await reviewer.send("招牌名称与登记名称不一致，请补拍正门")
    assert "建立工会的批复文件" in reviewer.last_text
    await reviewer.press("✅ 通过")
    assert "申报 30 / 核定 10" in reviewer.replies[0]
    await reviewer.press("↩️ 退回申报单位修改")
    assert "已退回：职工心理关爱项目（2 项材料），已通知 1 位工作人员" in reviewer.replies[0]

    returned = member.last_text
    assert "已被退回修改" in returned
    assert "❌ 学习制度、学习记录：材料不清晰" in returned
    assert "招牌名称与登记名称不一致，请补拍正门" in returned
    assert "合计：申报 30 / 核定 10" in returned
    await member.press("🔧 修改：学习制度、学习记录")
    await member.upload(b"%PDF sharp", "学习记录-清晰.pdf", PDF)
    assert "已保存" in member.last_text
    await member.press("◀ 返回清单")
    await press_starting(member, "工会建设")
    await press_starting(member, "建立工会的批复文件")
    await member.upload(b"%PDF another approval", "批复2.pdf", PDF)
    assert "只有被退回的材料可以修改" in member.last_text  # accepted items stay as they were
    await member.send("/submit")
    await member.press("◀ 返回清单")
    await press_starting(member, "登记注册")
    await press_starting(member, "场所照片")
    await member.upload(b"%PDF front door", "正门.pdf", PDF)
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")

    note = reviewer.last_text
    assert "已修改后重新提交" in note and "学习制度、学习记录" in note and "场所照片" in note
    await reviewer.press("🔍 #1 职工心理关爱项目")
    assert "🆕已修改" in reviewer.last_text
    await reviewer.press("❌ 学习制度、学习记录")
    await reviewer.press("✅ 通过")
    await reviewer.press("✅ 通过")  # the premises photos open next
    assert "申报 30 / 核定 30" in reviewer.replies[0]
    await reviewer.press("🏁 审核通过")
    assert "🏁 审核通过：职工心理关爱项目" in reviewer.replies[0]

    await member.send("/score")
    assert "合计：申报 30 / 核定 30" in member.replies[0]
    steps = [(e.action, e.actor_id, e.subject) for e in await audit.log(bot.svc, 1)]
    assert steps == [
        ("submit", 1001, ""),
        ("verdict", 5005, "study_records"), ("verdict", 5005, "premises_photos"),
        ("verdict", 5005, "union_approval"),
        ("return", 5005, "study_records,premises_photos"),
        ("submit", 1001, ""),
        ("verdict", 5005, "study_records"), ("verdict", 5005, "premises_photos"),
        ("verified", 5005, "")]
    await member.send("/history 1")
    assert "退回修改" in member.last_text and "材料不清晰" in member.last_text


NOTICES = ("✅ 您已成为", "📥", "🗂", "📤", "↩️", "📨", "🏁")  # what people are told, unasked


def told(chat) -> list[str]:
    """The first line of each notice the person received, in order."""
    return [m.text.split("\n")[0] for m in chat.messages if m.text.startswith(NOTICES)]


async def test_a_round_with_two_blind_reviewers_from_assignment_to_verification(bot, member):
    admin = bot.chat(1, "管理员")
    await two_review_round(admin)
    await admin.send("/reviewdeadline 1 2026-12-31 17:00")
    first = await appointed(bot, admin, 5005, "崂山区")
    second = await appointed(bot, admin, 6006)
    await new_project(member)
    await upload_in(member, "政治建设", "学习制度", b"%PDF blurry", "学习记录.pdf")
    await upload_in(member, "工会建设", "建立工会的批复文件", b"%PDF approval", "批复.pdf")
    await member.press("⬜ 媒体报道")
    await member.press("⬜ 主流媒体正面报道")
    await member.press("➕ 登记国家级（3分/条）")
    await member.send("工人日报：海都心理关爱走进车间")
    await member.send("2025/5/1")
    await member.send("https://example.org/a")
    await member.press("◀ 返回清单")
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")
    assert "23/100分" in member.last_text  # claimed: 10 + 10 + 3

    await admin.send("/assign auto")
    assert "#1 职工心理关爱项目（崂山区）→ 评审5005（5005）" in admin.last_text
    assert "#1 职工心理关爱项目（崂山区）→ 评审6006（6006）" in admin.last_text
    report = "主流媒体正面报道 第1条（国家级）工人日报：海都心理关爱走进车间"
    for reviewer in (first, second):  # each gives their word without seeing the other's
        assert "🗂 分配给您 1 个评审项目" in reviewer.last_text
        await reviewer.press("🔍 #1 职工心理关爱项目")
        assert "⬜ 学习制度、学习记录\n⬜ 建立工会的批复文件\n⬜ " + report \
            in reviewer.last_text
        await reviewer.press("⬜ 学习制度、学习记录")
        assert "已通过" not in reviewer.last_text and "已退回" not in reviewer.last_text
        await reviewer.press("❌ 退回")
        await reviewer.press("材料不清晰")
        await reviewer.press("✅ 通过")  # the union's approval opens next
        await reviewer.press("❌ 退回")  # then the media report
        await reviewer.press("✍️ 其他理由（输入）")
        await reviewer.send("报道未提及本项目")
        assert "❌ 已退回：报道未提及本项目" in reviewer.replies[0]
    await second.press("↩️ 退回申报单位修改")
    assert "已退回：职工心理关爱项目（2 项材料），已通知 1 位工作人员" in second.replies[0]

    returned = member.last_text
    assert "已被退回修改" in returned
    assert "❌ 学习制度、学习记录：材料不清晰" in returned
    assert f"❌ {report}：报道未提及本项目" in returned
    assert "合计：申报 23 / 核定 10" in returned  # both accepted the approval
    await member.press("🔧 修改：学习制度、学习记录")
    assert "材料不清晰" in member.last_text
    await member.upload(b"%PDF sharp", "学习记录-清晰.pdf", PDF)
    await member.press("🔧 修改：主流媒体正面报道")  # the next returned item
    assert "1. ❌ 国家级 · 工人日报：海都心理关爱走进车间" in member.last_text
    await member.press("✏️ 第1条")
    await member.press("📎 发送新的证明文件或链接")
    await member.send("https://www.workercn.cn/haidu")
    await member.press("◀ 返回清单")
    assert "🆕 学习制度、学习记录：已修改" in member.last_text
    assert f"🆕 {report}：已修改" in member.last_text
    await member.press("📤 提交审核")
    await member.press("✅ 确认提交")

    for reviewer in (first, second):  # both hear what changed and look again
        assert "已修改后重新提交" in reviewer.last_text and report in reviewer.last_text
        await reviewer.press("🔍 #1 职工心理关爱项目")
        assert "❌ 学习制度、学习记录 🆕已修改\n✅ 建立工会的批复文件\n❌ " + report \
            + " 🆕已修改" in reviewer.last_text
        await reviewer.press("❌ 学习制度、学习记录")
        await reviewer.press("✅ 通过")
        assert report in reviewer.last_text  # the other changed item opens next
        await reviewer.press("✅ 通过")
    assert "申报 23 / 核定 23" in second.replies[0]
    await second.press("🏁 审核通过")
    assert "🏁 审核通过：职工心理关爱项目" in second.replies[0]

    assert "🏁 您的项目“职工心理关爱项目”已审核通过。" in member.last_text
    assert told(member) == [
        "📤 已提交审核：职工心理关爱项目，23/100分。材料已锁定。",
        "↩️ 您的项目“职工心理关爱项目”已被退回修改，请修改以下材料后重新提交：",
        "📤 已提交审核：职工心理关爱项目，23/100分。材料已锁定。",
        "🏁 您的项目“职工心理关爱项目”已审核通过。"]
    assert told(first) == [
        "✅ 您已成为评审人员（范围：崂山区）。",
        "📥 新提交待审：#1“职工心理关爱项目”（崂山区），申报 23/100分。",
        "🗂 分配给您 1 个评审项目：",
        "📨 项目 #1“职工心理关爱项目”已修改后重新提交。自您审核后修改了：学习制度、学习记录、"
        + report]
    assert told(second)[1:] == [*told(first)[1:], "🏁 审核通过：职工心理关爱项目"]  # their own
