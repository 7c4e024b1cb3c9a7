"""What a question is about (own data or the documents), past dates, the newest contact."""

from __future__ import annotations

import datetime as dt

from domain.asking import latest_contact, own_intent, past_date
from domain.corpus import passages_from_plain_text
from store.search_index import load_question_rules

RULES = load_question_rules()


def test_own_data_questions_are_told_from_document_questions_by_the_data():
    assert own_intent("截止还有几天", RULES) == "deadline"
    assert own_intent("调研报告啥时侯截止", RULES) is None  # a document's own deadline
    assert own_intent("我们还差什么", RULES) == "missing"
    assert own_intent("我们单位能拿多少补助", RULES) == "subsidy"
    assert own_intent("国家级的项目能补多少钱", RULES) is None  # what the rules pay
    assert own_intent("满意度85%能得几分", RULES) is None
    assert own_intent("还有几个项目待审", RULES) is None  # only reviewers have a queue
    assert own_intent("还有几个项目待审", RULES, reviewer=True) == "queue"
    assert own_intent("How many days are left before the deadline?", RULES) == "deadline"


def test_own_data_questions_in_other_words_are_recognised():
    """The patterns' slots hold the words staff use (俺们, 附件, 审到哪一步, 等着我审)."""
    assert own_intent("咱们的材料审到哪一步了", RULES) == "status"
    assert own_intent("俺们项目目前得分咋样", RULES) == "score"
    assert own_intent("还有啥证明没上传", RULES) == "missing"
    assert own_intent("俺们单位的补助发了没", RULES) == "subsidy"
    assert own_intent("等着我审的项目还有几个", RULES, reviewer=True) == "queue"
    assert own_intent("还有几份申报要审", RULES, reviewer=True) == "queue"
    assert own_intent("项目实施要交哪些证明材料", RULES) is None  # what the rubric asks
    # whether this year's call has opened: the open rounds answer it, not a 2018 paragraph
    assert own_intent("今年的优秀项目申报开始了吗", RULES) == "deadline"
    assert own_intent("评选启动了没有", RULES) == "deadline"


def test_a_passage_dated_before_today_carries_its_date():
    text = "各区市总工会调研报告及工作方案请于2018年11月30日前报送至市总工会法律工作部。"
    assert past_date(text, dt.date(2026, 11, 23), RULES) == dt.date(2018, 11, 30)
    assert past_date(text, dt.date(2018, 11, 1), RULES) is None  # still ahead
    assert past_date("没有日期的条文", dt.date(2026, 11, 23), RULES) is None


def _document(doc_id: str, date: dt.date, text: str):
    return passages_from_plain_text(doc_id, f"{doc_id} 标题", text, date)


def test_a_newer_documents_contact_replaces_an_older_one():
    old = _document("old", dt.date(2018, 9, 25),
                    "请于2018年11月30日前报送至市总工会法律工作部。联系人：樊朝斌，电话：83092827，"
                    "邮箱：fagongbu@163.com。")
    new = _document("new", dt.date(2026, 3, 1),
                    "材料报送至市总工会宣教部。联系人：李明，电话：83090000。")
    plain = _document("plain", dt.date(2027, 1, 1), "这份文件没有联系人。")
    contact = latest_contact([old, new, plain], RULES)
    assert (contact.name, contact.phone, contact.unit, contact.doc_date) == (
        "李明", "83090000", "市总工会宣教部", dt.date(2026, 3, 1))
    first = latest_contact([old], RULES)
    assert (first.name, first.email, first.unit) == ("樊朝斌", "fagongbu@163.com",
                                                     "市总工会法律工作部")
