"""Scoring a submission against the rubric: points, eligibility, open points.

`read_submission` turns the JSON-shaped input of the score contract into a
`Submission` (raising `InputError` that names the field); `score` computes the
`ScoreReport`. Both are pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.dates import add_years, parse_iso_date
from domain.errors import InputError
from domain.rubric import SCORED_FACTS, EligibilityRule, Rubric, Text
from domain.uscc import check_uscc

# Facts beside the evidence: which keys each section takes, and their type. Those that can
# change a score (domain/rubric.py SCORED_FACTS), then those that only name.
FACTS: Mapping[str, Mapping[str, str]] = {
    "organization": {**SCORED_FACTS["organization"],
                     "name": "text", "uscc": "uscc", "district": "text"},
    "project": {**SCORED_FACTS["project"], "name": "text"},
}


@dataclass(frozen=True, slots=True)
class Submission:
    recommended_on: dt.date
    facts: Mapping[str, Any] = field(default_factory=dict)  # "project.completed_on" -> value
    evidence: Mapping[str, Any] = field(default_factory=dict)  # item id -> value read by its rule


def recommendation_date(own: dt.date | None, round_: dt.date | None,
                        today: dt.date) -> dt.date:
    """The date that decides which rules apply to a project (its eligibility is judged "on
    the round's recommendation date", SPEC): the project's own, else its round's, else
    today (Asia/Shanghai, from the clock). The one statement of the rule; the store's one
    SQL form of it (store/repositories/projects.py `_scored_for`) is tested against it."""
    return own or round_ or today


@dataclass(frozen=True, slots=True)
class ItemScore:
    id: str
    points: int
    max: int


@dataclass(frozen=True, slots=True)
class CriterionScore:
    id: str
    points: int
    max: int
    items: tuple[ItemScore, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    severity: str
    message: Text
    voids: str | None = None  # the item this issue scores 0: no upload can bring its points
    fix: Text | None = None  # what fixes it


@dataclass(frozen=True, slots=True)
class OpenPoint:
    """An item below its maximum: what it would add, and the next thing to do."""

    item_id: str
    criterion_id: str
    points: int
    max: int
    next_gain: int
    action: Text

    @property
    def gain(self) -> int:
        return self.max - self.points


@dataclass(frozen=True, slots=True)
class ScoreReport:
    total: int
    max: int
    criteria: tuple[CriterionScore, ...]
    issues: tuple[Issue, ...]
    open_points: tuple[OpenPoint, ...]

    @property
    def eligible(self) -> bool:
        return not any(i.severity == "blocking" for i in self.issues)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "total": self.total, "max": self.max, "eligible": self.eligible,
            "criteria": [
                {"id": c.id, "points": c.points, "max": c.max,
                 "items": [{"id": i.id, "points": i.points, "max": i.max} for i in c.items]}
                for c in self.criteria
            ],
            "issues": [{"code": i.code, "severity": i.severity, "message": i.message[lang]}
                       for i in self.issues],
            "open_points": [{"item": o.item_id, "criterion": o.criterion_id, "points": o.points,
                             "max": o.max, "gain": o.gain, "next_gain": o.next_gain,
                             "action": o.action[lang]} for o in self.open_points],
        }


def _read_fact(kind: str, raw: Any, where: str) -> Any:
    if raw is None:
        return None
    if kind == "date":
        try:
            return parse_iso_date(raw)
        except ValueError as exc:
            raise InputError(where, "date", value=raw) from exc
    if kind == "bool":
        if not isinstance(raw, bool):
            raise InputError(where, "bool")
        return raw
    if not isinstance(raw, str):
        raise InputError(where, "text")
    if kind == "uscc":
        check_uscc(raw, where)
    return raw


def read_submission(data: Any, rubric: Rubric, today: dt.date) -> Submission:
    """Read the score contract's JSON object. Missing keys mean "no evidence";
    a missing recommendation date means `today` (Asia/Shanghai, from the clock)."""
    if not isinstance(data, Mapping):
        raise InputError("(root)", "object")
    known = {"recommended_on", "evidence", *FACTS}
    for key in data:
        if key not in known:
            raise InputError(key, "unknown_field", choices=", ".join(sorted(known)))

    recommended_on = recommendation_date(
        _read_fact("date", data.get("recommended_on"), "recommended_on"), None, today)

    facts: dict[str, Any] = {}
    for section, fields in FACTS.items():
        raw_section = data.get(section) or {}
        if not isinstance(raw_section, Mapping):
            raise InputError(section, "object")
        for key in raw_section:
            if key not in fields:
                raise InputError(f"{section}.{key}", "unknown_field", choices=", ".join(fields))
        for key, kind in fields.items():
            facts[f"{section}.{key}"] = _read_fact(kind, raw_section.get(key), f"{section}.{key}")

    raw_evidence = data.get("evidence") or {}
    if not isinstance(raw_evidence, Mapping):
        raise InputError("evidence", "object")
    items = {i.id: i for i in rubric.items}
    for key in raw_evidence:
        if key not in items:
            raise InputError(f"evidence.{key}", "unknown_field", choices=", ".join(items))
    evidence = {
        item_id: (item.rule.read(raw_evidence[item_id], f"evidence.{item_id}")
                  if raw_evidence.get(item_id) is not None else item.rule.empty())
        for item_id, item in items.items()
    }
    return Submission(recommended_on=recommended_on, facts=facts, evidence=evidence)


def _fmt(text: Text, **values: Any) -> Text:
    return {lang: template.format(**values) for lang, template in text.items()}


Check = Callable[[Any, dt.date, EligibilityRule], bool]

# The one table of eligibility checks: the TOML `check` → whether the fact is an issue.
CHECKS: Mapping[str, Check] = {
    "not_true": lambda value, ref, rule: value is not True,
    "younger_than": lambda value, ref, rule: add_years(value, rule.years) > ref,
    "before": lambda value, ref, rule: value < ref,
    "after_or_missing": lambda value, ref, rule: value > ref,
    "older_than": lambda value, ref, rule: value < add_years(ref, -rule.years),
}
READS_MISSING = frozenset({"not_true"})  # checks that judge a missing fact themselves


def check_eligibility(rule: EligibilityRule, sub: Submission) -> Issue | None:
    """The issue `rule` finds in `sub`, or None."""
    check = CHECKS.get(rule.check)
    if check is None:
        raise ValueError(f"unknown eligibility check {rule.check!r}")
    value = sub.facts.get(rule.field)
    ref = sub.recommended_on
    if value is None and rule.check not in READS_MISSING:
        # A missing fact is an issue only where the rule says what to tell (`missing`).
        if rule.missing is None:
            return None
        return Issue(rule.code, rule.severity, rule.missing, rule.void, rule.fix)
    if not check(value, ref, rule):
        return None
    return Issue(rule.code, rule.severity, _fmt(rule.message, value=value, recommended_on=ref),
                 rule.void, rule.fix)


def score(rubric: Rubric, sub: Submission) -> ScoreReport:
    issues = tuple(i for rule in rubric.eligibility if (i := check_eligibility(rule, sub)))
    voided = {rule.void for rule in rubric.eligibility
              if rule.void and any(i.code == rule.code for i in issues)}

    criteria: list[CriterionScore] = []
    open_points: list[tuple[tuple[int, int, int], OpenPoint]] = []
    order = 0
    for criterion in rubric.criteria:
        item_scores = []
        for item in criterion.items:
            value = sub.evidence.get(item.id, item.rule.empty())
            if item.id in voided:
                value = item.rule.empty()
            points = item.rule.score(value)
            item_scores.append(ItemScore(item.id, points, item.max))
            # A voided item promises nothing: no upload can bring its points (the issue says
            # why and what fixes it).
            steps = [] if item.id in voided else item.rule.next_steps(value, item.hint)
            if steps:
                best = max(steps, key=lambda s: s.gain)
                point = OpenPoint(item.id, criterion.id, points, item.max, best.gain,
                                  item.hint if points == 0 else best.action)
                open_points.append(((-best.gain, -(item.max - points), order), point))
            order += 1
        criteria.append(CriterionScore(criterion.id, sum(s.points for s in item_scores),
                                       criterion.max, tuple(item_scores)))
    open_points.sort(key=lambda pair: pair[0])
    return ScoreReport(
        total=sum(c.points for c in criteria), max=rubric.max_total, criteria=tuple(criteria),
        issues=issues, open_points=tuple(p for _, p in open_points),
    )
