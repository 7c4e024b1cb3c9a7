"""Review of a submission, pure: what each evidence item's verdict is, what counts as
verified, and the verified score — the same rule classes as the claimed score, fed with
the accepted evidence only.

An item under review is a *target*: a slot of files (its key, e.g. `union_approval` or
`project_documents.contract`, a rate slot's key for its figure and files) or one entry
(`entry:<id>`, a media report or an exchange).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.evidence import EntryRecord, FileRecord, evidence_values
from domain.rubric import Rubric, Text

ACCEPT, REJECT, ADJUST = "accept", "reject", "adjust"
VERDICTS = (ACCEPT, REJECT, ADJUST)


def slot_target(item_id: str, kind: str | None) -> str:
    return f"{item_id}.{kind}" if kind else item_id


def entry_target(entry_id: int) -> str:
    return f"entry:{entry_id}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A reviewer's word on one target. An adjustment accepts it with a lower level (an
    entry) or a corrected figure (a rate)."""

    target: str
    verdict: str
    reason: str = ""
    level: str | None = None
    value: float | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict in (ACCEPT, ADJUST)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one target stands after every reviewer's verdict."""

    target: str
    state: str  # pending | accepted | rejected | disputed
    verdict: Verdict | None = None  # the one that counts (accepted or rejected)
    verdicts: tuple[Verdict, ...] = ()


def combine(target: str, verdicts: Iterable[Verdict], required: int,
            resolution: Verdict | None = None) -> Outcome:
    """One target's state: an administrator's resolution decides; else a rejection by any
    reviewer rejects only where it is the sole verdict or all agree; it is accepted when
    `required` reviewers accepted; reviewers who disagree make it disputed."""
    given = tuple(verdicts)
    if resolution is not None:
        return Outcome(target, "accepted" if resolution.accepted else "rejected",
                       resolution, given)
    if not given:
        return Outcome(target, "pending")
    accepted = [v for v in given if v.accepted]
    rejected = [v for v in given if not v.accepted]
    if accepted and rejected:
        return Outcome(target, "disputed", None, given)
    if rejected:
        return Outcome(target, "rejected", rejected[0], given)
    if len(accepted) >= required:
        # of two adjustments the lower counts: the most careful reading
        counting = min(accepted, key=lambda v: (v.value is None and v.level is None,
                                                v.value if v.value is not None else 0))
        return Outcome(target, "accepted", counting, given)
    return Outcome(target, "pending", None, given)


def verified_evidence(rubric: Rubric, files: Iterable[tuple[str, FileRecord]],
                      entries: Iterable[tuple[str, EntryRecord]],
                      figures: Mapping[str, float | None],
                      outcomes: Mapping[str, Outcome]) -> dict[str, Any]:
    """The item values as `evidence_values` reads them, from accepted targets only (an
    adjustment's level or figure in place of the claimed one)."""

    def counted(target: str) -> Verdict | None:
        outcome = outcomes.get(target)
        return outcome.verdict if outcome is not None and outcome.state == "accepted" else None

    kept_files = [f for target, f in files if counted(target)]
    kept_entries = []
    for target, e in entries:
        verdict = counted(target)
        if verdict is not None:
            kept_entries.append(EntryRecord(e.item_id, verdict.level or e.level, e.supported))
    kept_figures: dict[str, float | None] = {}
    for item_id, value in figures.items():
        verdict = counted(item_id)
        if verdict is not None:
            kept_figures[item_id] = verdict.value if verdict.value is not None else value
    return evidence_values(rubric, kept_files, kept_entries, kept_figures)


@dataclass(frozen=True, slots=True)
class ReviewRules:
    """From data/review.toml: preset reasons, and exclusions beyond membership."""

    reject_reasons: tuple[Text, ...]
    same_district: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def review_rules_from_dict(data: Mapping[str, Any]) -> ReviewRules:
    reasons = tuple({"zh": r["zh"], "en": r["en"]} for r in data.get("reject_reason", []))
    conflict = data.get("conflict", {})
    return ReviewRules(reasons, bool(conflict.get("same_district", False)))


def excluded(rules: ReviewRules, *, member_of: int | None, scope: str | None,
             organization_id: int, district: str, left_on: dt.date | None = None,
             round_opens: dt.date | None = None, authored: bool = False) -> str | None:
    """Why this reviewer may not review this organisation's project (a catalog key), or
    None: they are a member of it, or were during the round (`left_on`: when they last left
    it; a round not known counts as any time), or wrote the project's evidence."""
    if member_of is not None and member_of == organization_id:
        return "desk.conflict_member"
    if left_on is not None and (round_opens is None or left_on >= round_opens):
        return "desk.conflict_former_member"
    if authored:
        return "desk.conflict_author"
    if rules.same_district and scope is not None and scope == district:
        return "desk.conflict_district"
    return None
