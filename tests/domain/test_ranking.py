"""The ranking's order, tie-breaks and the city's selection line come from the data."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.ranking import Ranked, rank, rules_from_dict
from store.datafiles import load_ranking

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def row(pid: int, verified: int, satisfaction: float | None = None, minutes: int = 0,
        eligible: bool = True, claimed: int | None = None) -> Ranked:
    return Ranked(pid, f"P{pid}", "org", "uscc", "崂山区", 1, claimed or verified, verified,
                  eligible, satisfaction, T0 + dt.timedelta(minutes=minutes))


def test_verified_total_then_satisfaction_then_the_earlier_submission():
    rows = [row(1, 80, 90, minutes=5), row(2, 80, 95, minutes=9), row(3, 80, 95, minutes=1),
            row(4, 85, 10, claimed=60), row(5, 99, 99, eligible=False)]
    ranked = rank(load_ranking(), rows)
    assert [r.project_id for r in ranked] == [4, 3, 2, 1, 5]
    assert [r.place for r in ranked] == [1, 2, 3, 4, 5]


def test_the_city_selects_places_above_the_line_from_the_rounds_data():
    rules = rules_from_dict({"order": [{"key": "verified_total"}],
                             "selection": {"places": 2, "min_total": 70,
                                           "year": {"2027": {"places": 1}}}})
    rows = [row(1, 90), row(2, 80), row(3, 75), row(4, 60), row(5, 95, eligible=False)]
    assert [r.project_id for r in rank(rules, rows, 2026) if r.selected] == [1, 2]
    assert [r.project_id for r in rank(rules, rows, 2027) if r.selected] == [1]
    line = rules_from_dict({"order": [{"key": "verified_total"}],
                            "selection": {"places": 9, "min_total": 78}})
    assert [r.project_id for r in rank(line, rows) if r.selected] == [1, 2]


def test_an_unknown_order_key_is_refused():
    with pytest.raises(ValueError, match="unknown order key"):
        rules_from_dict({"order": [{"key": "luck"}]})
