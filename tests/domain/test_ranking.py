"""The ranking's order, tie-breaks and the city's selection line come from the data."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.ranking import Ranked, rank, rules_from_dict
from store.datafiles import load_ranking

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def row(pid: int, verified: int, rate: float | None = None, minutes: int = 0,
        eligible: bool = True, claimed: int | None = None, **criteria: int) -> Ranked:
    return Ranked(pid, f"P{pid}", "org", "uscc", "崂山区", 1, claimed or verified, verified,
                  eligible, rate, T0 + dt.timedelta(minutes=minutes), criteria=criteria)


def test_ties_go_to_satisfaction_points_then_media_and_exchange_then_the_earlier_one():
    """SPEC: higher satisfaction POINTS (not the raw rate), then more media + exchange
    points, then the earlier submission; the ineligible listed apart, with no place."""
    rows = [row(1, 80, 85, minutes=0, satisfaction=8, media=4),
            row(2, 80, 99, minutes=9, satisfaction=10, media=1, exchange=1),
            row(3, 80, 91, minutes=1, satisfaction=10, exchange=2),
            row(4, 80, 90, minutes=20, satisfaction=10, media=3, exchange=2),
            row(5, 85, 10, claimed=60), row(6, 99, 99, eligible=False)]
    ranked = rank(load_ranking(), rows)
    assert [r.project_id for r in ranked] == [5, 4, 3, 2, 1, 6]
    assert [r.place for r in ranked] == [1, 2, 3, 4, 5, 0]
    assert [r.separated_by for r in ranked] == [
        None, "media_exchange_points", "media_exchange_points", "submitted_at",
        "satisfaction_points", None]


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
