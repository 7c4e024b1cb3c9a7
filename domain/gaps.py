"""Closing the loop on questions: the questions the answers did not serve (declined, or
marked 👎) grouped for the federation, and the administrators' answer cards matched to a
question worded nearly alike.

Pure and light (the standard library only): the bot loads it at start-up.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_RUN_RE = re.compile(r"[^\W_]+")


def flat(text: str) -> str:
    """Letters and digits only, folded (full-width to ASCII, lower case)."""
    return "".join(_RUN_RE.findall(unicodedata.normalize("NFKC", text).lower()))


def card_for(question: str, cards: Sequence[tuple[int, str]], similarity: float
             ) -> int | None:
    """The answer card (id, its question) whose question this one is, worded nearly alike
    (the similarity of the texts without punctuation, 0–100, ≥ ``similarity``), or None."""
    asked = flat(question)
    if not asked:
        return None
    best, best_id = 0.0, None
    for card_id, text in cards:
        score = 100 * SequenceMatcher(None, asked, flat(text)).ratio()
        if score > best:
            best, best_id = score, card_id
    return best_id if best >= similarity else None


@dataclass(frozen=True, slots=True)
class GapRow:
    question: str
    kind: str  # declined | unhelpful
    answered: str
    organization: str
    asked_at: dt.datetime


@dataclass(frozen=True, slots=True)
class GapLine:
    """One question the answers did not serve, as often as it was asked (worded alike):
    what was answered, which organisations asked, when last."""

    question: str
    count: int
    kinds: tuple[str, ...]
    answered: tuple[str, ...]
    organizations: tuple[str, ...]
    last_asked: dt.datetime


def gap_lines(rows: Iterable[GapRow]) -> list[GapLine]:
    """The gaps grouped by their question (without punctuation or spaces, folded), most
    asked first, then the latest."""
    groups: dict[str, list[GapRow]] = {}
    for row in rows:
        groups.setdefault(flat(row.question), []).append(row)
    lines = [GapLine(group[-1].question, len(group),
                     tuple(dict.fromkeys(r.kind for r in group)),
                     tuple(dict.fromkeys(r.answered for r in group if r.answered)),
                     tuple(dict.fromkeys(r.organization for r in group if r.organization)),
                     max(r.asked_at for r in group))
             for group in groups.values()]
    return sorted(lines, key=lambda line: (-line.count, -line.last_asked.timestamp()))
