"""Questions about the asker's own situation are answered from their data, in a round;
past dates in the documents are labelled; what the documents do not cover is declined."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conversation.conftest import new_project


@pytest.fixture
async def in_round(bot, member):
    admin = bot.chat(1, "管理员")
    await admin.send("/newround 2026年度市级优秀项目 city 2026 2026-11-01 2026-12-15 17:00 "
                     "2026-12-20")
    await new_project(member)
    await member.send("/cancel")
    return member


async def test_days_left_and_what_is_missing_come_from_the_round_and_the_project(in_round):
    await in_round.send("截止还有几天")
    text = in_round.last_text
    assert "青岛海都心理健康服务中心的数据（截至 2026-11-23 10:00）" in text
    assert "2026年度市级优秀项目" in text and "2026-12-15 17:00" in text and "还有 22 天" in text
    assert "2018" not in text and "出处" not in text  # stands alone: no trailing passage
    assert "📝 去补材料" in in_round.buttons
    await in_round.press("📖 原文")  # the policy behind it, on request, its past date labelled
    assert "📖 相关文件原文" in in_round.last_text
    assert "⏳ 此段注明的日期 2018-11-30 已过" in in_round.last_text

    await in_round.send("我们还差什么")
    text = in_round.last_text
    assert "《职工心理关爱项目》目前 0/100 分" in text
    assert "（+10分）" in text
    assert "出处" not in text and "评估依据" not in text  # no rubric passage after the list
    await in_round.send("还缺哪些材料没交")
    assert "还差这些" in in_round.last_text and "评估依据" not in in_round.last_text
    await in_round.send("还有啥没弄完的")  # in other words
    assert "还差这些" in in_round.last_text
    assert "📝 去补材料" in in_round.buttons
    await in_round.press("📝 去补材料")
    assert "材料清单" in in_round.last_text


async def test_status_subsidy_and_a_reviewers_queue_and_rank_come_from_the_data(bot, in_round):
    from services.decisions.ledger import honour, pay
    from services.people import accounts

    await in_round.send("项目提交了吗")
    assert "《职工心理关爱项目》还是草稿，尚未提交（目前 0/100 分）" in in_round.last_text
    await in_round.send("我们的项目现在是什么状态")  # in other words
    assert "《职工心理关爱项目》还是草稿，尚未提交（目前 0/100 分）" in in_round.last_text
    await in_round.send("我们单位能拿多少补助")
    assert "您单位的项目还没有登记荣誉，暂无补助" in in_round.last_text
    await honour(bot.svc, 1, 1, "city")
    await honour(bot.svc, 1, 1, "provincial")
    await pay(bot.svc, 1, 1, 10000)
    await in_round.send("我们单位能拿多少补助")
    assert "可得补助 2万元，已拨付 1万元，还应补 1万元" in in_round.last_text
    await in_round.send("/submit")  # straight back into the project's checklist
    await in_round.press("📤 提交审核")
    await in_round.press("✅ 确认提交")
    await in_round.send("/cancel")
    await in_round.send("审核通过了吗")
    assert "《职工心理关爱项目》已提交，等待审核（0/100 分）" in in_round.last_text

    code = await accounts.create_reviewer_invite(bot.svc, created_by=1)
    reviewer = bot.chat(5005, "评审员")
    await reviewer.send(f"/start {code}")
    await reviewer.send("还有几个项目待审")
    assert "待审项目 1 个（按得分排名）：第1名《职工心理关爱项目》0分" in reviewer.last_text
    await reviewer.send("海都那个项目排第几")
    assert ("《职工心理关爱项目》（青岛海都心理健康服务中心）在 1 个待审项目中排第1名，0分"
            in reviewer.last_text)
    await in_round.send("还有几个项目待审")  # staff have no queue: the documents answer
    assert "待审项目" not in in_round.last_text


async def test_a_question_outside_the_documents_is_declined_with_the_newest_contact(chat):
    await chat.send("工会会费按工资的百分之几交")
    text = chat.last_text
    assert "文件里没有涉及这个问题" in text
    assert "樊朝斌" in text and "83092827" in text and "法律工作部" in text


async def test_an_english_question_gets_the_chinese_passage_in_an_english_frame(bot):
    chat = bot.chat(2002, "Ann", lang="en")
    await chat.send("How much subsidy does a provincial excellent project get?")
    text = chat.last_text
    assert "The documents say (original Chinese):" in text
    assert "给予经费补助2万元" in text and "Source" in text


async def test_a_document_added_or_removed_is_answered_without_a_restart(chat, tmp_path,
                                                                       monkeypatch):
    from store.documents import add_document, remove_document

    monkeypatch.setenv("UNIONBOT_DOCS_DIR", str(tmp_path / "docs"))
    await chat.send("职工书屋的图书采购经费补贴标准是什么")
    assert "每个职工书屋补贴八千元" not in chat.last_text
    source = tmp_path / "shuwu.txt"
    source.write_text("关于职工书屋建设的通知\n\n职工书屋的图书采购经费补贴标准：每个职工书屋补贴八千元。"
                      "\n\n请于2026年12月31日前报送至市总工会宣教部。联系人：李明，电话：83090000，"
                      "邮箱：xuanjiao@163.com。\n", encoding="utf-8")
    document = add_document(source, title="关于职工书屋建设的通知",
                            date=dt.date(2026, 11, 1))
    await chat.send("职工书屋的图书采购经费补贴标准是什么")
    assert "每个职工书屋补贴八千元" in chat.last_text
    await chat.send("工会会费按工资的百分之几交")
    assert "李明" in chat.last_text and "83090000" in chat.last_text  # the newer contact
    assert "樊朝斌" not in chat.last_text
    remove_document(document.id)
    await chat.send("职工书屋的图书采购经费补贴标准是什么")
    assert "每个职工书屋补贴八千元" not in chat.last_text


async def test_an_administrator_sends_a_document_with_docs_and_it_answers_at_once(
        bot, chat, tmp_path, monkeypatch):
    monkeypatch.setenv("UNIONBOT_DOCS_DIR", str(tmp_path / "docs"))
    admin = bot.chat(1, "管理员")
    text = "关于户外劳动者驿站的通知\n\n每个户外劳动者驿站每年运营补贴六千元。\n"
    await chat.upload(text.encode(), "yizhan.txt", "text/plain", caption="/docs")
    assert "管理员" in chat.last_text or "admin" in chat.last_text.lower()  # refused
    await admin.upload(b"\x00\x01", "yizhan.exe", caption="/docs")
    assert "不支持的文件类型 .exe" in admin.last_text
    await admin.upload(text.encode(), "yizhan.txt", "text/plain", caption="/docs")
    assert "已添加 doc-yizhan" in admin.last_text
    await chat.send("户外劳动者驿站运营补贴每年多少")
    assert "每年运营补贴六千元" in chat.last_text
    await admin.send("/docs")
    assert "doc-yizhan" in admin.last_text
    await admin.send("/docs remove doc-yizhan")
    assert "doc-yizhan" in admin.last_text
    await chat.send("户外劳动者驿站运营补贴每年多少")
    assert "每年运营补贴六千元" not in chat.last_text


@pytest.mark.parametrize("question", ["材料什么时候交", "哪天交", "几号前交", "最后期限",
                                      "咱们这批啥时候截止呀", "报材料最晚到哪天",
                                      "交材料的最后一天是哪天", "我们还剩多长时间交材料",
                                      "提交期限是哪天", "今年的优秀项目申报开始了吗"])
async def test_deadline_questions_in_other_words_are_answered_from_the_open_round(
        in_round, question):
    await in_round.send(question)
    text = in_round.last_text
    assert "2026年度市级优秀项目" in text and "2026-12-15 17:00" in text
    assert "项目实施" not in text and "2018" not in text and "出处" not in text


async def test_a_deadline_question_is_answered_from_the_round_with_a_notice_stating_a_date(
        in_round, tmp_path, monkeypatch):
    """An added notice that states a date does not take a deadline question from the open
    round (nor does the rubric's 项目实施 row)."""
    from store.documents import add_document

    monkeypatch.setenv("UNIONBOT_DOCS_DIR", str(tmp_path / "docs"))
    source = tmp_path / "notice.txt"
    source.write_text("关于报送优秀项目申报材料的通知\n\n申报材料请于2026年12月10日前报送至市总工会"
                      "法律工作部。\n", encoding="utf-8")
    add_document(source, title="关于报送优秀项目申报材料的通知", date=dt.date(2026, 11, 20))
    for question in ("材料什么时候交", "最后期限", "几号前交"):
        await in_round.send(question)
        text = in_round.last_text
        assert "2026年度市级优秀项目" in text and "2026-12-15 17:00" in text, question
        assert "项目实施" not in text and "出处" not in text, question


async def test_a_deadline_answer_uses_the_organisations_extension(bot, in_round):
    from services.schedule import rounds

    await rounds.extend(bot.svc, 1, 1, 1, dt.datetime(2026, 12, 22, 17, 0,
                                                      tzinfo=bot.svc.clock.tz))
    await in_round.send("截止还有几天")
    text = in_round.last_text
    assert "延期至 2026-12-22 17:00（原为 2026-12-15 17:00），还有 29 天" in text
    assert "还有 22 天" not in text
