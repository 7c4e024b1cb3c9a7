"""Policy questions in chat: the answer, its source, more passages, feedback, fallback."""

from __future__ import annotations

from sqlalchemy import select

from store.models import Feedback


async def test_a_question_typed_as_text_gets_the_figure_and_its_source(chat):
    await chat.send("国家级的项目能补多少钱")
    text = chat.last_text
    assert "3万元" in text or "30000" in text
    assert "📄 出处：《关于工会联系引导社会组织为职工提供专业化服务的实施意见》" in text
    assert "（三）加强经费保障" in text
    assert chat.buttons == ["📚 更多相关条文", "👍 有用", "👎 没用"]


async def test_colloquial_question_with_a_typo_finds_the_sign_rule(chat):
    await chat.send("门头招头标跟执照上名字不一样咋整")
    assert "招牌名称与登记名称一致" in chat.last_text


async def test_satisfaction_band_is_computed(chat):
    await chat.send("/ask 满意度85分能得几分")
    assert "8分" in chat.last_text and "出处" in chat.last_text


async def test_more_passages_then_feedback_is_stored(bot, chat):
    await chat.send("报告交给谁")
    first = chat.last_text
    await chat.press("📚 更多相关条文")
    assert "其他相关条文" in chat.last_text and chat.last_text != first
    await chat.press("👍 有用")
    assert bot.fake.callback_answers[-1]["text"] == "谢谢反馈！"
    async with bot.svc.uow() as uow:
        rows = list(await uow.session.scalars(select(Feedback)))
    assert [(r.user_id, r.question, r.helpful) for r in rows] == [(1001, "报告交给谁", True)]


async def test_nonsense_gets_an_honest_answer_and_the_contact(chat):
    await chat.send("今天天气怎么样")
    text = chat.last_text
    assert "文件里没有涉及这个问题" in text and "法律工作部" in text
    assert "文件涉及的相近内容" in text and "📄 出处" not in text  # named, not quoted


async def test_ask_prompts_when_empty_and_answers_in_english(bot):
    chat = bot.chat(2002, "Ann", lang="en")
    await chat.send("/ask")
    assert "Type your question" in chat.last_text
    await chat.send("How much subsidy for a national honour? 国家级补助多少")
    assert "Source" in chat.last_text
