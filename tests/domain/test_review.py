"""The verified score: the same rules, fed with accepted evidence only."""

from __future__ import annotations

import datetime as dt

from domain.evidence import EntryRecord, FileRecord
from domain.review import Outcome, Verdict, combine, verified_evidence
from domain.scoring import Submission, score
from store.datafiles import load_rubric

RUBRIC = load_rubric()


def _total(outcomes):
    files = [("union_approval", FileRecord("union_approval")),
             ("satisfaction_rate", FileRecord("satisfaction_rate"))]
    entries = [("entry:1", EntryRecord("media_reports", "national", True)),
               ("entry:2", EntryRecord("media_reports", "city", True))]
    evidence = verified_evidence(RUBRIC, files, entries, {"satisfaction_rate": 96.0}, outcomes)
    return score(RUBRIC, Submission(dt.date(2026, 11, 1), evidence=evidence)).total


def accepted(target, **kw):
    return Outcome(target, "accepted", Verdict(target, "adjust" if kw else "accept", **kw))


def test_only_accepted_evidence_counts_and_adjustments_replace_the_claim():
    assert _total({}) == 0
    everything = {t: accepted(t) for t in ("union_approval", "satisfaction_rate", "entry:1",
                                           "entry:2")}
    assert _total(everything) == 10 + 10 + 3 + 1  # approval, rate 96 %, national + city
    lowered = dict(everything, **{"entry:1": accepted("entry:1", level="city"),
                                  "satisfaction_rate": accepted("satisfaction_rate",
                                                                value=85.0)})
    assert _total(lowered) == 10 + 8 + 1 + 1
    rejected = dict(everything, **{"entry:2": Outcome("entry:2", "rejected"),
                                   "union_approval": Outcome("union_approval", "pending")})
    assert _total(rejected) == 10 + 3


def test_two_reviewers_agree_or_the_item_is_disputed_until_an_administrator_decides():
    yes, no = Verdict("x", "accept"), Verdict("x", "reject", "材料不清晰")
    assert combine("x", [yes], 2).state == "pending"
    assert combine("x", [yes, yes], 2).state == "accepted"
    assert combine("x", [yes, no], 2).state == "disputed"
    assert combine("x", [yes, no], 2, Verdict("x", "accept", "核实无误")).state == "accepted"
    assert combine("x", [no], 1).state == "rejected"
