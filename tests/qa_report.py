"""`make qa-report` (`python -m tests.qa_report [SET…]`): how well policy questions are
answered, per question set and per style, with every miss.

A question is answered *first* when the first result holds its expected phrase, in the
top three when one of the first three does: after removing whitespace and punctuation
(domain.corpus.normalize), ``expect`` is a substring of the result's text or of its
section path (the citation shown with it; a few expected phrases are the lead sentence
of their paragraph, which the corpus keeps as the section heading). ``strict`` counts
the text alone. A question with ``computed`` also needs that figure in the answer line.
"""

from __future__ import annotations

import sys
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from domain.answers import Answer, ResultRow, answer, render_computed, result_rows
from domain.corpus import normalize
from domain.search import SearchIndex
from store.datafiles import load_catalog, load_rubric, load_subsidy_table
from store.search_index import load_answer_rules, load_index

QA_DIR = Path(__file__).resolve().parent / "qa"
SETS = ("questions", "holdout")
# Kinds of question, each with its own development set (tests/qa/*.toml) and bar.
KINDS = ("documents", "typos", "colloquial", "English", "multi-part", "own data",
         "out of scope", "dated")

# Questions the documents do not answer: the "not found" answer should take them.
# (Written for calibration; not from either question set.)
OFF_TOPIC = (
    "今天天气怎么样", "明天会下雨吗", "怎么办理护照", "附近有什么好吃的", "个人所得税怎么算",
    "医保报销比例是多少", "公积金怎么提取", "帮我写一首诗", "股票今天涨了吗",
    "电脑开不了机怎么办", "明天几点上班", "交通违章怎么处理", "周末去哪玩", "你好", "谢谢",
    "hello", "asdfgh", "孩子上学怎么报名", "青岛到北京的高铁票多少钱", "结婚登记需要什么材料",
)


@dataclass(frozen=True, slots=True)
class Outcome:
    question: dict[str, Any]
    answer: Answer
    rows: tuple[ResultRow, ...]
    first: bool
    top3: bool
    strict_first: bool
    strict_top3: bool
    computed_ok: bool | None  # None: the question expects no figure


def load_set(name: str) -> list[dict[str, Any]]:
    with (QA_DIR / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)["q"]


@cache
def engine() -> SearchIndex:
    return load_index()


def ask(text: str, k: int = 3) -> tuple[Answer, list[ResultRow]]:
    result = answer(text, engine(), load_rubric(), load_subsidy_table(), k,
                    rules=load_answer_rules())
    return result, result_rows(result, load_catalog(), "zh")


def _holds(expect: str, row: ResultRow, strict: bool) -> bool:
    return expect in normalize(row.text) or (not strict and expect in normalize(row.section))


def evaluate(questions: Sequence[dict[str, Any]]) -> list[Outcome]:
    outcomes = []
    catalog = load_catalog()
    for q in questions:
        result, rows = ask(q["text"])
        computed_ok = None
        if "computed" in q:
            line = render_computed(result.computed, catalog, "zh") if result.computed else ""
            computed_ok = normalize(q["computed"]) in normalize(line)
        if "expect" in q:
            expect = normalize(q["expect"])
            lenient = [_holds(expect, row, False) for row in rows[:3]]
            strict = [_holds(expect, row, True) for row in rows[:3]]
        else:  # the answer is the figure alone: right when the figure is
            lenient = strict = [bool(computed_ok)]
        outcomes.append(Outcome(q, result, tuple(rows), bool(lenient and lenient[0]),
                                any(lenient), bool(strict and strict[0]), any(strict),
                                computed_ok))
    return outcomes


def rates(outcomes: Sequence[Outcome]) -> dict[str, float]:
    n = len(outcomes) or 1
    with_figure = [o for o in outcomes if o.computed_ok is not None]
    return {
        "n": len(outcomes),
        "first": sum(o.first for o in outcomes) / n,
        "top3": sum(o.top3 for o in outcomes) / n,
        "strict_first": sum(o.strict_first for o in outcomes) / n,
        "strict_top3": sum(o.strict_top3 for o in outcomes) / n,
        "computed": (sum(bool(o.computed_ok) for o in with_figure) / len(with_figure)
                     if with_figure else 1.0),
        "computed_n": len(with_figure),
        "fallback": sum(o.answer.fallback for o in outcomes) / n,
    }


def off_topic_fallback_rate() -> tuple[float, list[str]]:
    missed = [text for text in OFF_TOPIC if not ask(text)[0].fallback]
    return 1 - len(missed) / len(OFF_TOPIC), missed


def _line(label: str, r: dict[str, float]) -> str:
    return (f"{label:<12} n={r['n']:<4} first {r['first']:6.1%}  top-3 {r['top3']:6.1%}   "
            f"(text only: {r['strict_first']:6.1%} / {r['strict_top3']:6.1%})  "
            f"figures {r['computed']:6.1%} of {r['computed_n']}  fell back {r['fallback']:5.1%}")


def report(name: str) -> list[str]:
    outcomes = evaluate(load_set(name))
    lines = [f"== {name}.toml", _line("all", rates(outcomes))]
    by_style: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_style[o.question.get("style", "-")].append(o)
    lines += [_line(f"  {style}", rates(group)) for style, group in sorted(by_style.items())]
    misses = [o for o in outcomes if not o.first or o.computed_ok is False]
    if misses:
        lines.append(f"-- misses ({len(misses)}): [3] = in the top three, [x] = not; "
                     "[figure] = computed figure missing")
    for o in misses:
        mark = "3" if o.top3 else "x"
        figure = " [figure]" if o.computed_ok is False else ""
        got = o.rows[0].text.replace("\n", " ")[:70] if o.rows else "(nothing)"
        wanted = o.question["expect"] + (f" → {o.question['computed']}"
                                         if "computed" in o.question else "")
        lines.append(f"[{mark}]{figure} {o.question['text']}\n      expected: {wanted}"
                     f"\n      first:    {got}")
    return lines


def not_own_data(names: Sequence[str] = SETS) -> list[str]:
    """Document questions taken for own-data questions (should be none)."""
    from domain.asking import own_intent
    from store.search_index import load_question_rules

    rules = load_question_rules()
    return [q["text"] for name in names for q in load_set(name)
            if own_intent(q["text"], rules, True) is not None]


# The first held-out sets of issue 22 (tests/qa/heldout_*.toml), one per kind, written on
# this date before any tuning: read since, so no longer held out (they are part of the
# development sets now, and their figures are still shown on their own).
HELDOUT_WRITTEN = "2026-12-06"
HELDOUT = {"documents": "heldout_documents", "typos": "heldout_typos",
           "colloquial": "heldout_colloquial", "English": "heldout_english",
           "multi-part": "heldout_multipart", "own data": "heldout_own_data",
           "out of scope": "heldout_out_of_scope", "dated": "heldout_dated"}
# The second generation (tests/qa/heldout2_*.toml), written on this date after the first
# had been read and before any further tuning; never tuned on: the report shows their
# figures only. Typos and colloquial questions are the documents set's styles.
HELDOUT2_WRITTEN = "2026-12-06"
HELDOUT2 = {"documents": "heldout2_documents", "typos": "heldout2_documents",
            "colloquial": "heldout2_documents", "English": "heldout2_english",
            "own data": "heldout2_own_data", "out of scope": "heldout2_out_of_scope"}
# The third generation (tests/qa/heldout3_*.toml), written on this date after the second
# generation's first read (figures only) and before the further tuning of the "not
# covered" signal; never tuned on: figures only.
HELDOUT3_WRITTEN = "2026-12-06"
HELDOUT3 = {"documents": "heldout3_documents", "out of scope": "heldout3_out_of_scope"}
# The later generations (tests/qa/heldoutN_*.toml), each written at its time before a
# round of tuning and unseen by it, then read once after that round (figures in
# docs/benchmarks.md) and development data since: its misses were classified and their
# causes fixed generally by the next round. From the sixth on they were written by someone
# who read neither the search code nor its data. Two out-of-scope sets of 15 (A and B);
# typos and colloquial questions are the documents set's styles (the fourth also has
# multi-part and own-data sets). The last is held out: figures only.
GENERATIONS = (  # (number, written, label once read)
    (4, "2026-12-06 07:08 UTC", "4th gen (read)"),
    (5, "2026-12-06 07:50 UTC", "5th gen (read)"),
    (6, "2026-12-06 09:47 UTC", "6th gen (read)"),
    (7, "2026-12-06 10:39 UTC", "7th gen (read)"),
    (8, "2026-12-06 11:05 UTC", "8th gen (read)"),
    (9, "2026-12-06 11:30 UTC", "9th gen (read)"),
    (10, "2026-12-06 12:03 UTC", "10th gen (read)"),
    (11, "2026-12-06 12:02 UTC", "11th gen (read)"),
    (12, "2026-12-06 12:19 UTC", "12th gen (read)"),
    (13, "2026-12-06 13:08 UTC", "held out 13"),
)


def generation(number: int) -> tuple[tuple[str, str], ...]:
    """The (kind, set) pairs of held-out generation ``number``."""
    name = f"heldout{number}"
    extra = ((("multi-part", f"{name}_multipart"), ("own data", f"{name}_own_data"))
             if number == 4 else ())
    return (("documents", f"{name}_documents"), ("typos", f"{name}_documents"),
            ("colloquial", f"{name}_documents"), ("English", f"{name}_english"), *extra,
            ("out of scope", f"{name}_out_of_scope_a"),
            ("out of scope", f"{name}_out_of_scope_b"))


def own_intent_rate(questions: Sequence[dict[str, Any]]) -> tuple[float, list[str]]:
    from domain.asking import own_intent
    from store.search_index import load_question_rules

    rules = load_question_rules()
    wrong = [q["text"] for q in questions
             if own_intent(q["text"], rules, q.get("reviewer", False)) != q["intent"]]
    return 1 - len(wrong) / max(1, len(questions)), wrong


def declined_rate(questions: Sequence[dict[str, Any]]) -> tuple[float, list[str]]:
    """Questions the documents do not answer: the share declined, and those answered
    with a passage as if it answered them (confidently wrong)."""
    answered = [q["text"] for q in questions if not ask(q["text"])[0].fallback]
    return 1 - len(answered) / max(1, len(questions)), answered


def multipart_of(questions: Sequence[dict[str, Any]]) -> tuple[float, list[str]]:
    catalog = load_catalog()
    wrong = []
    for q in questions:
        result = ask(q["text"])[0]
        line = normalize(render_computed(result.computed, catalog, "zh")) \
            if result.computed else ""
        if not all(normalize(f) in line for f in q["computed"]):
            wrong.append(f"{q['text']} → {line or '(no figure)'}")
    return 1 - len(wrong) / max(1, len(questions)), wrong


def dated_rate(questions: Sequence[dict[str, Any]]) -> tuple[float, list[str]]:
    """Where the documents disagree, the newest document's passage comes first (and the
    older one's phrase does not)."""
    wrong = []
    for q in questions:
        rows = ask(q["text"])[1]
        text = normalize(rows[0].text) if rows else ""
        older = normalize(q.get("older", "")) if q.get("older") else None
        if normalize(q["expect"]) not in text or (older and older in text):
            wrong.append(q["text"])
    return 1 - len(wrong) / max(1, len(questions)), wrong


def _first(outcomes: Sequence[Outcome]) -> tuple[float, int, list[str]]:
    """Answered (not declined) with the right passage first."""
    right = [o for o in outcomes if o.first and not o.answer.fallback]
    return (len(right) / len(outcomes) if outcomes else 1.0, len(outcomes),
            [o.question["text"] for o in outcomes if o not in right])


def _measure(kind: str, questions: list[dict[str, Any]]) -> tuple[float, int, list[str]]:
    if kind == "own data":
        rate, wrong = own_intent_rate(questions)
    elif kind == "out of scope":
        rate, wrong = declined_rate(questions)
    elif kind == "multi-part":
        rate, wrong = multipart_of(questions)
    elif kind == "dated":
        rate, wrong = dated_rate(questions)
    else:
        return _first(evaluate(questions))
    return rate, len(questions), wrong


def _held_out_set(kind: str, name: str) -> list[dict[str, Any]]:
    questions = load_set(name)
    style = {"typos": "typo", "colloquial": "colloquial"}.get(kind)
    return [q for q in questions if q.get("style") == style] if style else questions


# Every development set of document questions (the read first held-out generation too).
DOCUMENT_SETS = (*SETS, "heldout_documents", "heldout_typos", "heldout_colloquial",
                 "documents_dev2", "documents_dev3")


def development_sets() -> dict[str, list[dict[str, Any]]]:
    """The development sets, the first held-out generation (read) included."""
    documents = [q for name in DOCUMENT_SETS for q in load_set(name)]
    return {
        "documents": documents,
        "typos": [q for q in documents if q.get("style") == "typo"],
        "colloquial": [q for q in documents if q.get("style") == "colloquial"],
        "English": load_set("english") + load_set("english_holdout")
        + load_set("heldout_english") + load_set("english_dev3"),
        "multi-part": load_set("multipart") + load_set("heldout_multipart"),
        "own data": load_set("own_data") + load_set("heldout_own_data")
        + load_set("own_data_dev2"),
        "out of scope": load_set("out_of_scope") + load_set("out_of_scope_holdout")
        + load_set("heldout_out_of_scope") + load_set("out_of_scope_dev2")
        + load_set("out_of_scope_dev3"),
        "dated": load_set("dated") + load_set("heldout_dated"),
    }


def kinds(held_out: bool = True) -> dict[str, tuple[float, int, list[str]]]:
    """Accuracy per kind of question, on the development sets and (``held_out``) on the
    held-out sets: (rate, n, misses). Keys: the kind, and "<kind>, held out"."""
    out: dict[str, tuple[float, int, list[str]]] = {}
    for kind, questions in development_sets().items():
        rate, n, misses = _measure(kind, questions)
        if kind == "own data":
            misses = misses + [f"taken for own data: {t}" for t in not_own_data(DOCUMENT_SETS)]
        out[kind] = (rate, n, misses)
    if held_out:
        for kind, name in HELDOUT.items():
            out[f"{kind}, 1st gen (read)"] = _measure(kind, load_set(name))
        for kind, name in HELDOUT2.items():
            out[f"{kind}, held out"] = _measure(kind, _held_out_set(kind, name))
        for kind, name in HELDOUT3.items():
            out[f"{kind}, held out 3"] = _measure(kind, load_set(name))
        for number, _, label in GENERATIONS:
            for kind, name in generation(number):
                part = name.removeprefix(f"heldout{number}_out_of_scope_").upper() \
                    if kind == "out of scope" else ""
                out[f"{f'{kind} {part}'.rstrip()}, {label}"] = \
                    _measure(kind, _held_out_set(kind, name))
    return out


def kinds_report() -> list[str]:
    lines = ["== accuracy per kind of question (right first; declined for out of scope; "
             "intent for own data; every figure for multi-part; newest first for dated)",
             f"   held out: tests/qa/heldout2_*.toml, written {HELDOUT2_WRITTEN}, never tuned "
             "on (figures only); 1st gen: tests/qa/heldout_*.toml, written "
             f"{HELDOUT_WRITTEN}, read since (in the development sets); held out 3: "
             f"tests/qa/heldout3_*.toml, written {HELDOUT3_WRITTEN}, never tuned on; "
             + "; ".join(f"{label}: tests/qa/heldout{number}_*.toml, written {written}"
                         + (", read once, development data since" if "read" in label
                            else " before the last round, never tuned on (figures only)")
                         for number, written, label in GENERATIONS)]
    for kind, (rate, n, misses) in kinds().items():
        own = kind.endswith(("held out", "held out 3", "(read)",
                              *(label for _, _, label in GENERATIONS)))
        wrong = f"  ({n - round(rate * n)} wrong)" if own else ""
        lines.append(f"{kind:<26} n={n:<4} {rate:6.1%}{wrong}")
        if not own:
            lines += [f"    miss: {m}" for m in misses]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(SETS)
    for name in names:
        print("\n".join(report(name)))
        print()
    print("\n".join(kinds_report()))
    print()
    rate, missed = off_topic_fallback_rate()
    print(f"== off-topic questions answered \"not found\": {rate:.0%} of {len(OFF_TOPIC)}")
    if missed:
        print("   still answered: " + "、".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
