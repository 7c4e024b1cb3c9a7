"""The stored totals are kept while their basis holds (services/decisions/totals.py `basis`):
the rubric and the stored detail's words are in it as data, the scoring code only through
SCORING_VERSION, raised by hand. So fixed projects covering every rule kind, every
eligibility check and every kind of verdict are scored here along the path the stored totals
take (`totals.scored`), and what they would store is held to the digest recorded beside the
version (SCORED_AS): a change to the scoring code that changes a stored total and leaves the
version (and the digest) as they were fails here, instead of leaving every stored total
stale. The fixtures' rubric and words are fixed here, not read from data/: an edit of
data/rubric.toml or data/messages.toml changes the basis by itself and fails nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from types import SimpleNamespace

from domain.review import Verdict
from domain.rubric import RULE_KINDS, rubric_from_dict
from domain.scoring import CHECKS
from services.decisions import totals
from services.decisions.totals import SCORED_AS, SCORING_VERSION
from services.walk.view import EntryView, FileView, Loaded, VerdictView
from store.datafiles import load_rubric


def _text(zh: str) -> dict[str, str]:
    return {"zh": zh, "en": zh}


def _levels(*points: int) -> dict:
    return {level: {"points": p, "zh": level, "en": level}
            for level, p in zip(("city", "provincial", "national"), points, strict=True)}


RUBRIC = rubric_from_dict({
    "id": "fixture", "title": _text("fixture"), "max_total": 60,
    "criterion": [
        {"id": "fixed", "label": _text("fixed"), "item": [
            {"id": "certificate", "kind": "fixed", "points": 10, "label": _text("certificate"),
             "hint": _text("upload")},
            {"id": "photos", "kind": "fixed", "points": 5, "label": _text("photos"),
             "hint": _text("upload")}]},
        {"id": "kinds", "label": _text("kinds"), "item": [
            {"id": "documents", "kind": "per_kind", "points_each": 5, "cap": 10,
             "entry": _text("{kind}"), "label": _text("documents"), "hint": _text("upload"),
             "kinds": {k: _text(k) for k in ("contract", "plan", "summary")}}]},
        {"id": "rate", "label": _text("rate"), "item": [
            {"id": "rate", "kind": "bands", "min": 0, "max": 100, "unit": "%",
             "entry": _text("{start}{unit}{points}"), "label": _text("rate"),
             "hint": _text("enter"),
             "bands": [{"from": 0, "points": 0}, {"from": 70, "points": 6},
                       {"from": 80, "points": 8}, {"from": 90, "points": 10}]}]},
        {"id": "levels", "label": _text("levels"), "item": [
            {"id": "reports", "kind": "per_level", "cap": 10, "entry": _text("{level}"),
             "label": _text("reports"), "hint": _text("record"), "levels": _levels(1, 2, 3)},
            {"id": "talks", "kind": "per_level", "cap": 15, "entry": _text("{level}"),
             "label": _text("talks"), "hint": _text("record"), "levels": _levels(2, 3, 5)}]},
    ],
    "eligibility": [
        {"code": "young", "severity": "warning", "check": "younger_than",
         "field": "organization.established_on", "years": 2,
         "message": _text("young {value} {recommended_on}"), "missing": _text("young: none")},
        {"code": "expired", "severity": "blocking", "check": "before",
         "field": "organization.certificate_valid_until", "void": "certificate",
         "message": _text("expired {value} {recommended_on}"), "fix": _text("renew")},
        {"code": "unfinished", "severity": "blocking", "check": "after_or_missing",
         "field": "project.completed_on", "message": _text("unfinished {value} {recommended_on}"),
         "missing": _text("unfinished: none")},
        {"code": "old", "severity": "blocking", "check": "older_than",
         "field": "project.completed_on", "years": 3,
         "message": _text("old {value} {recommended_on}")},
        {"code": "open", "severity": "blocking", "check": "not_true",
         "field": "project.closed_and_evaluated", "message": _text("open")},
    ],
})


def _t(key: str, lang: str, **values: object) -> str:
    """The stored detail's words, as keys and values: their text is in the basis as data."""
    return f"{key}:{json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)}"


SVC = SimpleNamespace(rubric=RUBRIC, catalog=SimpleNamespace(t=_t))
# recommended on 29 Feb 2028 or the day after (a date's year later on the day itself)
ON = (dt.date(2028, 2, 29), dt.date(2028, 3, 1))
FOUNDED = (None, dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2019, 5, 10))
VALID_UNTIL = (dt.date(2030, 1, 1), None, dt.date(2028, 2, 28), dt.date(2028, 3, 1))
# 2025-02-28: three calendar years before 29 Feb 2028, not more
COMPLETED = (dt.date(2027, 6, 30), None, dt.date(2028, 3, 1), dt.date(2025, 2, 28),
             dt.date(2024, 12, 31))
CLOSED = (True, True, False, None)
KINDS = ((), ("contract",), ("contract", "plan"), ("contract", "plan", "summary"))
RATES = (None, 91.5, 69.9, 70, 80, 100, 85)
LEVELS = ("city", "provincial", "national")
# a target's verdicts: (reviewer, verdict, adjusted level or value); reviewer 0 resolves
WORDS = ((), ((7, "accept", None),), ((7, "reject", None),), ((7, "adjust", "lower"),),
         ((7, "accept", None), (8, "reject", None)), ((7, "accept", None), (8, "accept", None)),
         ((7, "accept", None), (8, "reject", None), (0, "accept", None)),
         ((7, "adjust", "lower"), (8, "adjust", "lowest")),
         ((7, "reject", None), (8, "reject", None)))


def _fixture(n: int) -> Loaded:
    """Fixture project `n`: its facts, evidence and verdicts chosen by `n` from the lists
    above, each list at its own stride, so that 66 projects meet most combinations."""
    org = SimpleNamespace(established_on=FOUNDED[n % 4], certificate_valid_until=VALID_UNTIL[
        n // 4 % 4], district="")
    project = SimpleNamespace(id=n, completed_on=COMPLETED[n % 5], closed_and_evaluated=CLOSED[
        n // 3 % 4], status="in_review", organization_id=1, version=1)
    files, entries = [], []
    for item, has in (("certificate", n % 3 != 1), ("photos", n % 2 == 0),
                      ("rate", n % 5 != 3)):
        if has:
            files.append(FileView(len(files) + 1, item, "", None, "f.pdf", 1, "0", ".pdf"))
    for kind in KINDS[n // 2 % 4]:
        files.append(FileView(len(files) + 1, "documents", kind, None, "f.pdf", 1, "0", ".pdf"))
    for i in range(n % 11):
        item = "reports" if i % 2 == 0 else "talks"
        level = "national" if n % 6 == 5 else LEVELS[(n + i) % 3]  # n % 6 == 5: full marks
        entries.append(EntryView(100 + i, item, level, f"e{i}", None,
                                 "" if (n + i) % 4 == 0 else "https://example.org", 1))
        if (n + i) % 8 == 0:  # no link, but a proof file
            files.append(FileView(len(files) + 1, item, "", 100 + i, "p.png", 1, "0", ".png"))
    rate = RATES[n % 7]
    figures = {} if rate is None else {"rate": (rate, 1)}
    targets = [f.item_id if not f.kind else f"{f.item_id}.{f.kind}"
               for f in files if f.entry_id is None] + [f"entry:{e.id}" for e in entries]
    verdicts = []
    for i, target in enumerate(dict.fromkeys(targets)):
        said = WORDS[5] if n % 6 == 5 else WORDS[(n * 4 + i + n // 9) % len(WORDS)]  # all accepted
        for reviewer, word, change in said:
            level = value = None
            if change and target.startswith("entry:"):
                level = "city" if change == "lower" else None
            elif change and target == "rate":
                value = 75.0 if change == "lower" else 65.0
            said_so = Verdict(target, word, f"r{i}.{reviewer}", level, value)
            verdicts.append(VerdictView(reviewer, said_so, None, dt.datetime(2028, 1, 1)))
    return Loaded(SVC, 0, None, project, org, None, ON[n // 5 % 2], files, entries, figures,
                  verdicts, required=1 + n // 7 % 2)


FIXTURES = [_fixture(n) for n in range(66)]


def _outputs() -> list[dict]:
    """What each fixture project's stored totals would hold."""
    return [dataclasses.asdict(kept) | {"detail": dataclasses.asdict(more)}
            for kept, more in map(totals.scored, FIXTURES)]


def digest() -> str:
    text = json.dumps(_outputs(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def test_the_scoring_code_scores_the_fixtures_as_recorded_beside_its_version():
    found = digest()
    assert found == SCORED_AS, (
        f"The scoring code now stores other totals for the fixture projects than it did at "
        f"SCORING_VERSION = {SCORING_VERSION}: every stored total would be stale. Raise "
        f"SCORING_VERSION to {SCORING_VERSION + 1} and set SCORED_AS = {found!r} in "
        f"services/decisions/totals.py (if the change is meant).")


def test_the_fixtures_meet_every_rule_kind_check_and_verdict_of_the_rubric():
    """The digest can only catch what the fixtures reach: every rule kind (those of
    data/rubric.toml among them) at nothing, at its maximum and, where it counts, in
    between; every eligibility check raised and not; every verdict and outcome."""
    data = load_rubric()
    assert {i.rule.kind for i in data.items} | set(RULE_KINDS) <= {
        i.rule.kind for i in RUBRIC.items}
    assert {r.check for r in data.eligibility} | set(CHECKS) <= {
        r.check for r in RUBRIC.eligibility}
    outputs = _outputs()
    for item in RUBRIC.items:
        for side in (0, 1):
            seen = {o["detail"]["items"][item.id][side] for o in outputs}
            assert {0, item.max} <= seen, (item.id, side, seen)
            if item.rule.kind != "fixed":
                assert len(seen) > 2, (item.id, side, seen)
    for rule in RUBRIC.eligibility:  # each message starts with its code
        raised = [o for o in outputs if any(i["zh"].startswith(rule.code)
                                            for i in o["detail"]["issues"])]
        assert 0 < len(raised) < len(outputs), rule.code
        if rule.missing is not None:
            assert any(i["zh"] == rule.missing["zh"] for o in raised
                       for i in o["detail"]["issues"]), rule.code
    assert {o["eligible"] for o in outputs} == {True, False}
    assert len({(o["claimed"], o["verified"]) for o in outputs}) > 20
    met: dict[str, set] = {}  # a rate, an entry, files of a kind: each pattern of WORDS, each
    for x in FIXTURES:  # number of reviews required
        said: dict[str, list] = {}
        for v in x.verdicts:
            said.setdefault(v.verdict.target, []).append((v.reviewer_id, v.verdict.verdict))
        for target, pattern in said.items():
            kind = "entry" if target.startswith("entry:") else target.split(".")[0]
            met.setdefault(kind, set()).add((tuple(pattern), x.required))
    for kind in ("rate", "entry", "documents"):
        assert len(met[kind]) == 2 * (len(WORDS) - 1), kind
    opinions = "".join(line for o in outputs for line in o["detail"]["opinions"])
    for state in ("adjusted", "rejected", "disputed", "pending", "passed"):
        assert state in opinions, state
