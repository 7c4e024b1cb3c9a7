"""What changed in a review target since its last verdict (issue 24): the files added and
removed, a figure corrected, an entry's fields changed, an entry registered, read from what
the verdict saw (its `seen`: services/walk/view.py fingerprint) and from the audit log. Pure:
the records are given.

`seen` of a slot: [file ids, figure version]; of an entry: [entry version, file ids].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FILE_ADDED, FILE_REMOVED, FIGURE, FIELD, ENTRY_ADDED = (
    "file_added", "file_removed", "figure", "field", "entry_added")


@dataclass(frozen=True, slots=True)
class Change:
    what: str  # one of the five above
    name: str = ""  # a file's name, an entry field's name
    old: Any = None
    new: Any = None
    at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Logged:
    """An audit entry as this module reads it (services/audit.AuditView has these)."""

    at: dt.datetime
    action: str
    subject: str
    old: Any
    new: Any


def _seen_files(target: str, seen: Any) -> set[int] | None:
    try:
        ids = seen[1] if target.startswith("entry:") else seen[0]
        return {int(i) for i in ids}
    except (TypeError, IndexError, ValueError):
        return None


def since(target: str, seen: Any, verdict_at: dt.datetime,
          files: Mapping[int, tuple[str, dt.datetime | None]],
          log: Iterable[Logged]) -> tuple[Change, ...]:
    """The changes of `target` since a verdict given at `verdict_at` that saw `seen`.
    `files`: the target's files now (id → name, added at); `log`: the project's audit
    entries, oldest first."""
    out: list[Change] = []
    before = _seen_files(target, seen)
    item_id = target.partition(".")[0]
    later = [e for e in log if e.at >= verdict_at]
    if before is not None:
        out += [Change(FILE_ADDED, name, at=at) for fid, (name, at) in sorted(files.items())
                if fid not in before]
        gone = before - set(files)
        named = {int(e.old["id"]): e for e in later if e.action == "remove_evidence"
                 and isinstance(e.old, dict) and "id" in e.old and "file" in e.old}
        out += [Change(FILE_REMOVED, str(named[fid].old["file"]), at=named[fid].at)
                if fid in named else Change(FILE_REMOVED) for fid in sorted(gone)]
    edits = [e for e in later if e.action == "edit_evidence"
             and e.subject == (target if target.startswith("entry:") else item_id)]
    if edits and not target.startswith("entry:"):
        out.append(Change(FIGURE, old=edits[0].old, new=edits[-1].new, at=edits[-1].at))
    fields: dict[str, list] = {}
    for e in edits if target.startswith("entry:") else ():
        for name in (e.new or {}):
            first = fields.setdefault(name, [(e.old or {}).get(name), None, None])
            first[1], first[2] = e.new[name], e.at
    out += [Change(FIELD, name, old, new, at) for name, (old, new, at) in fields.items()
            if old != new]
    return tuple(out)


def registered(entries: Mapping[str, dt.datetime | None], judged: Iterable[str],
               last_verdict: dt.datetime | None) -> dict[str, Change]:
    """The entries (target → added at) registered after the project's last verdict that
    no verdict has judged yet."""
    if last_verdict is None:
        return {}
    done = set(judged)
    return {t: Change(ENTRY_ADDED, at=at) for t, at in entries.items()
            if t not in done and at is not None and at > last_verdict}
