"""Reviewers' work, pure: balancing projects over the reviewers who may review them, and a
project's way through review as dated steps.

`balance` gives each project the reviewers it still needs, each time the eligible reviewer
with the fewest projects so far (ties: the lowest id), so work is even within each
reviewer's scope and nobody is given a project they may not review (the caller says who
may: scope, conflict of interest, recusal)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Need:
    project_id: int
    reviewers: int  # how many more reviewers it needs
    eligible: frozenset[int]  # who may review it (and does not yet)


def balance(needs: Iterable[Need], load: Mapping[int, int]) -> list[tuple[int, int]]:
    """(project, reviewer) pairs to add. `load`: each reviewer's projects so far. The
    projects with the fewest eligible reviewers go first (they have the least choice)."""
    counts = dict(load)
    out: list[tuple[int, int]] = []
    for need in sorted(needs, key=lambda n: (len(n.eligible), n.project_id)):
        chosen = sorted(need.eligible, key=lambda r: (counts.get(r, 0), r))[:need.reviewers]
        for reviewer in chosen:
            counts[reviewer] = counts.get(reviewer, 0) + 1
            out.append((need.project_id, reviewer))
    return sorted(out)


# the audit log's actions as steps of a project's way through review (services/audit.py)
STEP_OF = {"submit": "submitted", "return": "returned", "verified": "verified",
           "reopen": "draft"}
VERDICTS = ("verdict", "adjust", "resolve")


@dataclass(frozen=True, slots=True)
class Step:
    status: str  # submitted | in_review | returned | verified | draft (reopened)
    at: dt.datetime


def steps(actions: Iterable[tuple[str, dt.datetime]]) -> list[Step]:
    """A project's audit actions (in order) as its dated steps: each submission, the first
    verdict after it (in review), a return, the verification, a reopening."""
    out: list[Step] = []
    for action, at in actions:
        if action in VERDICTS:
            if out and out[-1].status == "submitted":
                out.append(Step("in_review", at))
        elif action in STEP_OF:
            out.append(Step(STEP_OF[action], at))
    return out
