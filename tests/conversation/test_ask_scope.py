"""What the documents do not answer is declined, with what they cover nearby and whom to
ask; what they do answer is answered, in English too (issue 22)."""

from __future__ import annotations

import pytest

DECLINED = "抱歉，文件里没有涉及这个问题"


@pytest.mark.parametrize("question", ["怎么注册社会组织", "补助资金啥时候到账",
                                      "困难职工帮扶怎么申请", "工会经费能发购物卡吗",
                                      # what kind of thing is asked, the passage not stating it
                                      "社工证怎么考", "购买服务的合同一般签几年",
                                      "职工子女托管班收费标准是多少", "基金会的注册流程是什么",
                                      # the thing a yes/no question asks about, not named
                                      "申报要交纸质材料吗", "项目经费可以用来买设备吗",
                                      # a time asked, a term stated; an address, an office
                                      "优秀项目的奖牌什么时候发", "市总工会的办公地址在哪"])
async def test_questions_the_documents_do_not_answer_are_declined(chat, question):
    await chat.send(question)
    text = chat.last_text
    assert DECLINED in text
    assert "文件涉及的相近内容" in text  # what the documents do cover nearby
    assert "樊朝斌" in text and "83092827" in text  # the newest document's contact


async def test_a_question_about_another_citys_rules_is_declined(chat):
    """The documents are Qingdao's: 深圳市总 asks about another place's; a district of the
    city's own (黄岛区) is no other place."""
    await chat.send("深圳市总对社会组织服务项目怎么评分")
    assert DECLINED in chat.last_text
    await chat.send("青岛市总对社会组织服务项目怎么评分")
    assert DECLINED not in chat.last_text
    await chat.send("黄岛区的社会组织能申报吗")
    assert DECLINED not in chat.last_text


async def test_what_the_subsidy_may_be_spent_on_is_answered(chat):
    await chat.send("补助经费能用在哪些地方")
    text = chat.last_text
    assert DECLINED not in text
    assert "补助经费用于各级工会通过购买服务" in text


async def test_a_time_asked_as_a_condition_is_answered_by_the_term(chat):
    await chat.send("项目啥时候做完的才能报")
    text = chat.last_text
    assert DECLINED not in text
    assert "完成时间距推荐时间不超过3年" in text


async def test_the_union_criterion_answers_a_colloquial_question_about_no_union(chat):
    await chat.send("没成立工会扣多少分")
    text = chat.last_text
    assert DECLINED not in text
    assert "建立工会的批复文件" in text and "登记证书" not in text


async def test_english_questions_get_the_passage_that_answers_them(bot):
    chat = bot.chat(2002, "Ann", lang="en")
    await chat.send("How many points are media reports worth?")
    text = chat.last_text
    assert "The documents say (original Chinese):" in text
    assert "设区市级1条1分" in text and "2018年11月30日" not in text
    await chat.send("What kinds of services can social organisations provide to workers?")
    text = chat.last_text
    assert "Sorry, the documents do not cover this" not in text
    assert "文体活动、婚恋交友" in text


async def test_english_questions_in_inflected_words_find_their_passage(bot):
    chat = bot.chat(2003, "Ben", lang="en")
    await chat.send("Within how many years of completion can a project be recommended?")
    text = chat.last_text
    assert "Sorry, the documents do not cover this" not in text
    assert "完成时间距推荐时间不超过3年" in text
    await chat.send("What should unions do about grassroots organisations?")
    assert "草根组织" in chat.last_text


@pytest.mark.parametrize(("question", "passage"), [
    ("How is a social organisation in the labour relations field defined?",
     "是指其工作内容与职工劳动就业"),  # defined: define's other form
    ("Which steps go from identifying workers' needs to evaluating results?",
     "分析职工群众需求"),  # identifying, evaluating, results
    ("What is the political responsibility of unions in guiding social organisations?",
     "重要政治责任"),  # the documents' general vocabulary
    ("What counts for political development?", "拥护中国共产党的领导"),  # the rubric's label
])
async def test_english_questions_in_other_forms_of_the_documents_words_are_answered(
        bot, question, passage):
    chat = bot.chat(2005, "Dan", lang="en")
    await chat.send(question)
    assert "Sorry, the documents do not cover this" not in chat.last_text
    assert passage in chat.last_text


async def test_which_materials_to_hand_in_is_no_question_of_where(chat):
    """交哪些材料 asks which materials, not where to send them (交哪里)."""
    await chat.send("工会建摄需要交哪些材料")  # typo 建摄
    text = chat.last_text
    assert DECLINED not in text
    assert "建立工会的批复文件" in text


async def test_an_english_question_about_something_the_documents_never_say_is_declined(bot):
    chat = bot.chat(2004, "Cai", lang="en")
    await chat.send("Can union funds pay for shopping cards?")
    assert "Sorry, the documents do not cover this" in chat.last_text
    await chat.send("What is the subsidy for a Shandong provincial excellent project?")
    text = chat.last_text
    assert "Sorry, the documents do not cover this" not in text
    assert "给予经费补助2万元" in text
