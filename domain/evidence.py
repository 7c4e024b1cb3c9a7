"""From stored evidence records to the rule values the scorer reads. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.rubric import Held, Rubric


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
    """Each item's value, read by its rule from the records."""
    files = list(files)
    held = Held(frozenset(f.item_id for f in files), frozenset((f.item_id, f.kind) for f in files),
                Counter((e.item_id, e.level) for e in entries if e.supported), figures)
    return {item.id: item.rule.value_from(item.id, held) for item in rubric.items}


def same_entry_key(item_id: str, level: str, title: str, happened_on: object) -> tuple:
    """What makes two entries the same report: item, level, date and the title as read
    (full-width and half-width alike, case, spaces and punctuation ignored)."""
    import unicodedata

    text = unicodedata.normalize("NFKC", title).casefold()
    words = "".join(ch for ch in text if ch.isalnum())
    return item_id, level, words, happened_on


def twin_of(entries: Iterable[Any], item_id: str, level: str, title: str,
            happened_on: object) -> int | None:
    """The number (1, 2 … within the item, as the walk shows them) of the entry that is
    already this report, if one is."""
    key = same_entry_key(item_id, level, title, happened_on)
    own = (e for e in entries if e.item_id == item_id)
    return next((n for n, e in enumerate(own, 1)
                 if same_entry_key(e.item_id, e.level, e.title, e.happened_on) == key), None)
