"""Ranking a round's projects: the order and tie-breaks, and the city's selection line, all
from data/ranking.toml. Pure: rows in, ranked rows out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
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
    place: int = 0  # 1, 2, … in the ranking shown
    selected: bool = False  # within the city's selection line


def rules_from_dict(data: Mapping[str, Any]) -> RankingRules:
    order = tuple((o["key"], bool(o.get("descending", True))) for o in data["order"])
    bad = [key for key, _ in order if key not in KEYS]
    if bad:
        raise ValueError(f"ranking.toml: unknown order key {bad[0]!r} (known: {KEYS})")
    sel = data.get("selection", {})

    def selection(d: Mapping[str, Any], base: Selection | None = None) -> Selection:
        return Selection(int(d.get("places", base.places if base else 10)),
                         int(d.get("min_total", base.min_total if base else 0)))

    default = selection(sel)
    years = {int(y): selection(d, default) for y, d in sel.get("year", {}).items()}
    return RankingRules(order, default, years, data.get("satisfaction_item", "satisfaction_rate"))


def _key(rules: RankingRules, row: Ranked) -> tuple:
    parts: list[Any] = []
    for key, descending in rules.order:
        value = getattr(row, key)
        if key == "submitted_at":
            value = (value or _FAR).timestamp()
        elif value is None:
            value = -1.0
        parts.append(-value if descending else value)
    return (*parts, row.project_id)  # the last word: the older project


def rank(rules: RankingRules, rows: Iterable[Ranked], year: int | None = None) -> list[Ranked]:
    """Ineligible projects after the eligible ones; places 1, 2, … in the order of the
    rules; the first `places` eligible projects at or above `min_total` are selected."""
    ordered = sorted(rows, key=lambda r: (not r.eligible, *_key(rules, r)))
    line = rules.selection_for(year)
    out, chosen = [], 0
    for place, row in enumerate(ordered, 1):
        pick = row.eligible and row.verified_total >= line.min_total and chosen < line.places
        chosen += pick
        out.append(replace(row, place=place, selected=pick))
    return out
