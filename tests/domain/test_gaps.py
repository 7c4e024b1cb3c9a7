"""domain.gaps: the questions the answers did not serve, grouped; answer cards matched."""

from __future__ import annotations

import datetime as dt

from domain.gaps import GapRow, card_for, gap_lines

AT = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def test_a_question_worded_nearly_alike_takes_the_card_and_another_does_not():
    cards = [(1, "申报要交纸质材料吗"), (2, "工会经费能发购物卡吗")]
    assert card_for("申报时要交纸质材料吗？", cards, 85) == 1
    assert card_for("工会经费能发购物卡吗", cards, 85) == 2
    assert card_for("满意度85%能得几分", cards, 85) is None
    assert card_for("？？", cards, 85) is None and card_for("纸质材料", [], 85) is None


def test_gaps_are_grouped_by_question_most_asked_first_without_persons():
    rows = [GapRow("报告交给谁", "unhelpful", "《意见》 › 报送要求", "海都", AT),
            GapRow("困难职工帮扶怎么申请", "declined", "", "海都", AT),
            GapRow("困难职工帮扶 怎么申请？", "declined", "", "国立", AT + dt.timedelta(days=1))]
    lines = gap_lines(rows)
    assert [(g.question, g.count, g.kinds, g.answered, g.organizations) for g in lines] == [
        ("困难职工帮扶 怎么申请？", 2, ("declined",), (), ("海都", "国立")),
        ("报告交给谁", 1, ("unhelpful",), ("《意见》 › 报送要求",), ("海都",))]
    assert lines[0].last_asked == AT + dt.timedelta(days=1)
