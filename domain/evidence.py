"""From stored evidence records to the rule values the scorer reads. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.rubric import BandsRule, FixedRule, PerKindRule, PerLevelRule, Rubric


@dataclass(frozen=True, slots=True)
class FileRecord:
    item_id: str
    kind: str = ""  # for per-kind items


@dataclass(frozen=True, slots=True)
class EntryRecord:
    item_id: str
    level: str
    supported: bool  # has a link or at least one file


def evidence_values(rubric: Rubric, files: Iterable[FileRecord], entries: Iterable[EntryRecord],
                    figures: Mapping[str, float | None]) -> dict[str, Any]:
    """A fixed item counts with at least one file; a kind with one file of that kind; a
    figure together with at least one supporting file; an entry with a link or a file."""
    files = list(files)
    with_files = {f.item_id for f in files}
    kinds = {(f.item_id, f.kind) for f in files}
    levels = Counter((e.item_id, e.level) for e in entries if e.supported)
    values: dict[str, Any] = {}
    for item in rubric.items:
        rule = item.rule
        if isinstance(rule, FixedRule):
            values[item.id] = item.id in with_files
        elif isinstance(rule, PerKindRule):
            values[item.id] = frozenset(k for k in rule.kinds if (item.id, k) in kinds)
        elif isinstance(rule, BandsRule):
            figure = figures.get(item.id)
            values[item.id] = figure if figure is not None and item.id in with_files else None
        elif isinstance(rule, PerLevelRule):
            values[item.id] = {lv: n for (iid, lv), n in levels.items() if iid == item.id}
    return values
