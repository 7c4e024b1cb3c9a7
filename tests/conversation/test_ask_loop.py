"""Closing the loop (issue 22): the questions the answers did not serve (declined, 👎) are
stored before the answer goes, with the organisation and no person; the administrators get
a weekly digest in chat (a job kept in step with the database, the clock injected); an
administrator's answer card answers from the next question on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from handlers import digest
from store.models import QuestionGap

DECLINED = "抱歉，文件里没有涉及这个问题"


async def gap_rows(bot) -> list[QuestionGap]:
    async with bot.svc.uow() as uow:
        return list(await uow.session.scalars(select(QuestionGap).order_by(QuestionGap.id)))


def digests_to(chat) -> list[str]:
    return [m.text for m in chat.messages if m.text.startswith("📮")]


async def test_declined_and_unhelpful_questions_reach_the_administrators_weekly(bot, member):
    await member.send("困难职工帮扶怎么申请")
    assert DECLINED in member.last_text
    await member.send("困难职工帮扶怎么申请？")  # asked again, worded alike
    await member.press("📚 更多相关条文")  # the nearby passages: not asked again
    await member.send("报告交给谁")
    await member.press("👎 没用")
    rows = await gap_rows(bot)
    assert [(r.kind, r.question, r.organization_id) for r in rows] == [
        ("declined", "困难职工帮扶怎么申请", 1), ("declined", "困难职工帮扶怎么申请？", 1),
        ("unhelpful", "报告交给谁", 1)]
    assert "《" in rows[2].answered  # what was answered: the passage's citation

    admin = bot.chat(1, "管理员")
    assert await digest.send_due(bot.app)
    [text] = digests_to(admin)
    assert "每周问题汇总" in text and "3 条" in text
    assert "• 困难职工帮扶怎么申请？ ×2｜回答：未回答｜单位：青岛海都心理健康服务中心" in text
    assert "• 报告交给谁 ×1｜回答：《" in text
    assert "王芳" not in text and "1001" not in text  # no person, the organisation only
    assert not digests_to(member)  # administrators only

    assert not await digest.send_due(bot.app)  # one a week
    bot.svc.clock.advance(dt.timedelta(days=7))
    assert not await digest.send_due(bot.app)  # nothing new since
    await member.send("困难职工帮扶怎么申请")
    bot.svc.clock.advance(dt.timedelta(days=1))
    assert await digest.send_due(bot.app)
    assert "1 条" in digests_to(admin)[-1]
    names = [j.name for j in bot.app.job_queue.jobs()]
    assert names.count(digest.JOB) == 1


async def test_an_answer_card_answers_from_the_next_question_on(bot, member):
    admin = bot.chat(1, "管理员")
    await member.send("申报要交纸质材料吗")
    await admin.send("/card 申报要交纸质材料吗")
    assert "用法：/card 问题 | 回答" in admin.last_text
    await admin.send("/card 申报要交纸质材料吗 | ")
    assert "答案卡的回答" in admin.last_text  # what to do, nothing stored
    await member.send("/card 申报要交纸质材料吗 | 要")
    assert "申报要交纸质材料吗" not in member.last_text  # administrators only
    await admin.send("/card 申报要交纸质材料吗 ｜ "
                     "需要，纸质材料一式三份，<报送>市总工会法律工作部。")
    assert "已添加答案卡" in admin.last_text
    await member.send("申报时要交纸质材料吗？")
    text = member.last_text
    assert "需要，纸质材料一式三份，<报送>市总工会法律工作部。" in text  # as typed, escaped
    assert "📌 答案卡" in text and DECLINED not in text
