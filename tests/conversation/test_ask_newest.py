"""Where the documents disagree, the newest stands, and the answer says what it replaces
(issue 22): the 2021 leading group over the 2018 one, an added 补充通知 over the notice
it corrects."""

from __future__ import annotations

import datetime as dt


async def test_the_2021_leading_group_answers_and_says_it_replaces_the_2018_list(chat):
    await chat.send("领导小组办公室主任是谁")
    text = chat.last_text
    assert "樊朝斌同志兼任办公室主任" in text.split("🔄")[0]
    assert "🔄 此段取代较早文件中的说法" in text and "于常明同志兼任办公室主任" in text
    assert text.index("樊朝斌") < text.index("于常明")

    await chat.send("法律工作部部长是谁")
    text = chat.last_text
    assert "樊朝斌 市总工会法律工作部部长" in text.split("🔄")[0]
    assert "于常明 市总工会法律工作部部长" in text.split("🔄")[1]


async def test_a_question_naming_the_2018_document_still_gets_the_2018_list(chat):
    await chat.send("18年那个领导小组办公室主任是谁")
    assert "于常明同志兼任办公室主任" in chat.last_text
    assert "🔄" not in chat.last_text


async def test_an_added_supplementary_notice_replaces_the_earlier_notice(chat, tmp_path,
                                                                         monkeypatch):
    from store.documents import add_document

    monkeypatch.setenv("UNIONBOT_DOCS_DIR", str(tmp_path / "docs"))
    notice = tmp_path / "notice.txt"
    notice.write_text("关于申报2026年度优秀项目的通知\n\n申报材料须装订成册，一式三份，"
                      "报送至市总工会法律工作部。\n", encoding="utf-8")
    add_document(notice, title="关于申报2026年度优秀项目的通知", date=dt.date(2026, 10, 8))
    await chat.send("申报材料要装订几份")
    assert "一式三份" in chat.last_text and "🔄" not in chat.last_text

    supplement = tmp_path / "supplement.txt"
    supplement.write_text("关于申报2026年度优秀项目的补充通知\n\n申报材料须装订成册，一式五份，"
                          "报送至市总工会法律工作部。\n", encoding="utf-8")
    add_document(supplement, title="关于申报2026年度优秀项目的补充通知",
                 date=dt.date(2026, 11, 2))
    await chat.send("申报材料要装订几份")
    text = chat.last_text
    head, _, replaced = text.partition("🔄")
    assert "一式五份" in head and "一式三份" not in head
    assert "补充通知" in head
    assert "一式三份" in replaced and "以最新文件为准" in replaced
