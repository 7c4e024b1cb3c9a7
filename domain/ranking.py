"""Ranking a round's projects: the order and tie-breaks, and the city's selection line, all
from data/ranking.toml. Pure: rows in, ranked rows out. Projects with a blocking eligibility
issue are listed apart (after the eligible, with no place), never ranked among them; each
row of a tie says which key separated it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

KEYS = ("verified_total", "claimed_total", "satisfaction", "submitted_at")
_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Selection:
    places: int
    min_total: int


@dataclass(frozen=True, slots=True)
class RankingRules:
    order: tuple[tuple[str, bool], ...]  # (key, descending)
    selection: Selection
    by_year: Mapping[int, Selection]
    satisfaction_item: str = "satisfaction_rate"
    # tie-break keys made of verified criterion points: key → the criteria summed
    points: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def value(self, row: Ranked, key: str) -> Any:
        """A row's value of an order key (a points key: its criteria's verified points)."""
        if key in self.points:
            return sum(row.criteria.get(c, 0) for c in self.points[key])
        return getattr(row, key)

    def selection_for(self, year: int | None) -> Selection:
        return self.by_year.get(year, self.selection) if year is not None else self.selection


@dataclass(frozen=True, slots=True)
class Ranked:
    project_id: int
    name: str
    organization: str
    uscc: str
    district: str
    round_id: int | None
    claimed_total: int
    verified_total: int
    eligible: bool
    satisfaction: float | None
    submitted_at: dt.datetime | None
    place: int = 0  # 1, 2, … among the eligible; 0: listed apart (a blocking issue)
    selected: bool = False  # within the city's selection line
    criteria: Mapping[str, int] = field(default_factory=dict)  # verified points by criterion
    blocking: tuple[str, ...] = ()  # the blocking eligibility issues' codes
    separated_by: str | None = None  # in a tie on the first key: the key that decided


def rules_from_dict(data: Mapping[str, Any]) -> RankingRules:
    order = tuple((o["key"], bool(o.get("descending", True))) for o in data["order"])
    points = {key: tuple(ids) for key, ids in data.get("points", {}).items()}
    bad = [key for key, _ in order if key not in KEYS and key not in points]
    if bad:
        raise ValueError(f"ranking.toml: unknown order key {bad[0]!r} (known: {KEYS})")
    sel = data.get("selection", {})

    def selection(d: Mapping[str, Any], base: Selection | None = None) -> Selection:
        return Selection(int(d.get("places", base.places if base else 10)),
                         int(d.get("min_total", base.min_total if base else 0)))

    default = selection(sel)
    years = {int(y): selection(d, default) for y, d in sel.get("year", {}).items()}
    return RankingRules(order, default, years, data.get("satisfaction_item", "satisfaction_rate"),
                        points)


def _key(rules: RankingRules, row: Ranked) -> tuple:
    parts: list[Any] = []
    for key, descending in rules.order:
        value = rules.value(row, key)
        if key == "submitted_at":
            value = (value or _FAR).timestamp()
        elif value is None:
            value = -1.0
        parts.append(-value if descending else value)
    return (*parts, row.project_id)  # the last word: the older project


def rank(rules: RankingRules, rows: Iterable[Ranked], year: int | None = None) -> list[Ranked]:
    """Places 1, 2, … for the eligible in the order of the rules; the ineligible listed
    after them, apart (place 0); the first `places` eligible projects at or above
    `min_total` are selected."""
    ordered = sorted(rows, key=lambda r: (not r.eligible, *_key(rules, r)))
    line = rules.selection_for(year)
    out, chosen = [], 0
    for place, row in enumerate(ordered, 1):
        pick = row.eligible and row.verified_total >= line.min_total and chosen < line.places
        chosen += pick
        out.append(replace(row, place=place if row.eligible else 0, selected=pick,
                           separated_by=_separated(rules, ordered, place - 1)))
    return out


def _separated(rules: RankingRules, ordered: list[Ranked], i: int) -> str | None:
    """The key that put row i where it is within a tie on the first key: compared with the
    row above in the same tie (the row below for the first of a tie); None: no tie."""
    row, first = ordered[i], rules.order[0][0]
    peers = [ordered[j] for j in (i - 1, i + 1) if 0 <= j < len(ordered)
             and ordered[j].eligible == row.eligible
             and rules.value(ordered[j], first) == rules.value(row, first)]
    if not peers:
        return None
    for key, _ in rules.order[1:]:
        if rules.value(peers[0], key) != rules.value(row, key):
            return key
    return "project_id"
