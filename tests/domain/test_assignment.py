"""Balancing projects over reviewers, and a project's dated steps (domain/assignment.py)."""

from __future__ import annotations

import datetime as dt

from domain.assignment import Need, Step, balance, steps


def test_work_is_even_within_scope_and_never_to_someone_not_eligible():
    city, laoshan, shinan = 1, 2, 3
    needs = [Need(10, 1, frozenset({city, laoshan})), Need(11, 1, frozenset({city, laoshan})),
             Need(12, 1, frozenset({city, shinan})), Need(13, 1, frozenset({city, shinan})),
             Need(14, 1, frozenset({city}))]
    pairs = balance(needs, {})
    assert len(pairs) == 5 and all(r in n.eligible for n in needs for p, r in pairs
                                   if p == n.project_id)
    load = {r: sum(1 for _, x in pairs if x == r) for r in (city, laoshan, shinan)}
    assert max(load.values()) - min(load.values()) <= 1


def test_two_reviews_take_two_different_reviewers_and_existing_load_counts():
    pairs = balance([Need(1, 2, frozenset({5, 6, 7}))], {5: 3})
    assert pairs == [(1, 6), (1, 7)]
    assert balance([Need(1, 2, frozenset({5}))], {}) == [(1, 5)]  # only as many as there are


def test_steps_from_the_audit_log():
    day = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    at = [day + dt.timedelta(days=n) for n in range(7)]
    actions = [("submit", at[0]), ("verdict", at[1]), ("verdict", at[1]), ("return", at[2]),
               ("remove_evidence", at[3]), ("submit", at[4]), ("adjust", at[5]),
               ("verified", at[6])]
    assert steps(actions) == [Step("submitted", at[0]), Step("in_review", at[1]),
                              Step("returned", at[2]), Step("submitted", at[4]),
                              Step("in_review", at[5]), Step("verified", at[6])]
