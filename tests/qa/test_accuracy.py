"""Answer accuracy on the question sets (tests/qa/*.toml); `make qa-report` shows the misses.

The bars: the right passage first for ≥ 90% of the development questions and in the top
three for ≥ 97%, and every development question with a ``computed`` figure gets that
figure in its answer line. The held-out set was never tuned on: it was measured once, at
the end (first 91.1%, top-3 96.4%, figures 9 of 14), and its bars sit a little below
that, so that they catch a regression, not noise.
"""

from __future__ import annotations

import pytest

from tests.qa_report import OFF_TOPIC, ask, evaluate, load_set, rates

BARS = {"questions": (0.90, 0.97), "holdout": (0.85, 0.93)}
FIGURES = {"questions": 1.0, "holdout": 0.6}  # share of the computed figures given


@pytest.fixture(scope="module", params=sorted(BARS))
def measured(request):
    outcomes = evaluate(load_set(request.param))
    return request.param, outcomes, rates(outcomes)


def test_right_passage_first_and_in_the_top_three(measured):
    name, outcomes, r = measured
    first, top3 = BARS[name]
    misses = [o.question["text"] for o in outcomes if not o.first]
    assert r["first"] >= first, f"{name}: first {r['first']:.1%} < {first:.0%}; misses: {misses}"
    assert r["top3"] >= top3, f"{name}: top-3 {r['top3']:.1%} < {top3:.0%}"


def test_computed_answers_have_their_figure(measured):
    name, outcomes, r = measured
    wrong = [(o.question["text"], o.question["computed"]) for o in outcomes
             if o.computed_ok is False]
    assert r["computed"] >= FIGURES[name], f"{name}: {wrong}"


def test_real_questions_are_not_answered_not_found(measured):
    """The "not covered" line (data/answers.toml [fallback]) is calibrated so that at most
    one in a hundred document questions the search answers right (the passage that answers
    it first, which a decline shows as the closest) falls under it; one it gets wrong is
    better declined than answered with the wrong passage as if it answered it."""
    name, outcomes, _ = measured
    declined = [o.question["text"] for o in outcomes if o.answer.fallback and o.first]
    assert len(declined) <= len(outcomes) // 100, (name, declined)


def test_most_off_topic_questions_are_answered_not_found():
    answered = [text for text in OFF_TOPIC if not ask(text)[0].fallback]
    assert len(answered) <= len(OFF_TOPIC) // 4, answered


# Each kind of question has its own development set (tests/qa/*.toml) and bar; the first
# held-out generation (tests/qa/heldout_*.toml, written 2026-12-06) has been read and is
# part of the development sets now (its figures still shown on their own). The second
# generation (tests/qa/heldout2_*.toml) was written on 2026-12-06 before the further
# tuning and never tuned on, the third (heldout3_*) after the second's first read; their
# bars sit a little under what they measured at the end of
# that work (docs/benchmarks.md), to catch a regression, and a failure names no held-out
# question.
KIND_BARS = {"documents": 0.90, "typos": 0.88, "colloquial": 0.90, "own data": 0.95,
             "out of scope": 0.86, "English": 0.90, "multi-part": 0.99, "dated": 0.99,
             "documents, 1st gen (read)": 0.95, "typos, 1st gen (read)": 0.80,
             "colloquial, 1st gen (read)": 0.70, "English, 1st gen (read)": 0.90,
             "multi-part, 1st gen (read)": 0.99, "own data, 1st gen (read)": 0.95,
             "out of scope, 1st gen (read)": 0.90, "dated, 1st gen (read)": 0.95,
             "documents, held out": 0.90, "typos, held out": 0.75,
             "colloquial, held out": 0.75, "English, held out": 0.85,
             "own data, held out": 0.80, "out of scope, held out": 0.85,
             "documents, held out 3": 0.85, "out of scope, held out 3": 0.70,
             # the fourth generation, read once after the "not covered" signal and
             # development data since (its misses' causes fixed: docs/benchmarks.md)
             "documents, 4th gen (read)": 0.85, "typos, 4th gen (read)": 0.80,
             "colloquial, 4th gen (read)": 0.75, "English, 4th gen (read)": 0.85,
             "multi-part, 4th gen (read)": 0.99, "own data, 4th gen (read)": 0.99,
             "out of scope A, 4th gen (read)": 0.90, "out of scope B, 4th gen (read)": 0.85,
             # the fifth, read once and development data since (answers5: what a question
             # asks for, the whole documents' English; docs/benchmarks.md)
             "documents, 5th gen (read)": 0.92, "typos, 5th gen (read)": 0.80,
             "colloquial, 5th gen (read)": 0.85, "English, 5th gen (read)": 0.85,
             "out of scope A, 5th gen (read)": 0.85, "out of scope B, 5th gen (read)": 0.80}


@pytest.fixture(scope="module")
def kinds_measured():
    from tests.qa_report import kinds

    return kinds()


@pytest.mark.parametrize("kind", sorted(KIND_BARS))
def test_each_kind_of_question_meets_its_bar(kinds_measured, kind):
    rate, n, misses = kinds_measured[kind]
    bar = KIND_BARS[kind]
    shown = [] if kind.endswith(("held out", "held out 3")) else misses
    assert n >= 4 and rate >= bar, f"{kind}: {rate:.1%} < {bar:.0%}; {shown}"


def test_document_questions_are_not_taken_for_own_data_questions():
    from tests.qa_report import DOCUMENT_SETS, not_own_data

    assert not_own_data(DOCUMENT_SETS) == []
