"""Every button's data: built and parsed here only.

Each action has a code (its prefix: `w:` for the walk, `sub:` /subsidy, `rv:` review, `a:`
answers, `rm:` /remind, `lang:`, `m:` the menu, `og:` /editorg, `jn:` joining, `mb:`
/members) and typed fields; `data()` builds the string a button carries, `pattern()` is the
regular expression its handler is registered with, and `parse()` reads it back into a
`Press`, checking every field against what exists (a slot index within the checklist, a
level of that slot's rule, a service area, a fact, an honour level, a district). Forged or
outdated data raises `Expired` — never an exception from deep inside, never a stored value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from services.core import Services

PREFIX = "w"
FACTS = ("name", "area", "start", "end", "closed")
MENU = ("ask", "score", "subsidy", "submit", "standard", "help")
ORG_FIELDS = ("name", "district", "established", "valid_until")  # what /editorg corrects

# action → (code, field names); a walk action's code follows PREFIX. Field types: _TYPES.
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "new": ("new", ()),
    "stop": ("stop", ()),
    "area": ("area", ("area",)),
    "closed": ("closed", ("flag",)),
    "project": ("p", ("pid",)),
    "checklist": ("c", ("pid",)),
    "criterion": ("cr", ("pid", "criterion")),
    "slot": ("s", ("pid", "slot")),
    "skip": ("k", ("pid", "slot")),
    "files": ("f", ("pid", "slot")),
    "file_delete": ("fd", ("pid", "file")),
    "entry_add": ("lv", ("pid", "slot", "level")),
    "entry": ("e", ("pid", "slot", "entry")),
    "entry_level": ("el", ("pid", "slot", "entry", "version", "level")),
    "entry_delete": ("ed", ("pid", "slot", "entry")),
    "submit": ("sub", ("pid",)),
    "confirm": ("ok", ("pid",)),
    "facts": ("pf", ("pid",)),
    "fact": ("pe", ("pid", "fact")),
    "fact_area": ("pa", ("pid", "area")),
    "fact_closed": ("pc", ("pid", "flag")),
}
WALK = frozenset(ACTIONS)
ACTIONS |= {f"menu_{target}": (f"m:{target}", ()) for target in MENU}
ACTIONS |= {
    "subsidy_honour": ("sub:h", ("honour",)),
    "subsidy_project": ("sub:p", ("pid",)),
    "subsidy_next": ("sub:next", ()),
    "reopen": ("rv:open", ("pid",)),
    "ask_more": ("a:more", ("question", "shown")),
    "ask_feedback": ("a:fb", ("question", "flag")),
    "remind": ("rm", ("switch",)),
    "lang": ("lang", ("lang",)),
    "org_field": ("og:f", ("org", "org_field")),
    "org_district": ("og:d", ("district",)),
    "join_confirm": ("jn:ok", ("code",)),
    "join_cancel": ("jn:no", ()),
    "member_remove": ("mb:rm", ("org", "user")),
}
_TYPES = {"pid": r"\d{1,9}", "criterion": r"\d{1,3}", "slot": r"\d{1,3}", "file": r"\d{1,12}",
          "entry": r"\d{1,12}", "version": r"\d{1,9}", "area": r"\d{1,3}", "flag": "[01]",
          "level": r"[a-z_]{1,20}", "fact": "|".join(FACTS), "honour": r"[a-z_]{1,20}",
          "question": r"\d{1,9}", "shown": r"\d{1,3}", "switch": "on|off", "lang": "zh|en",
          "org": r"\d{1,9}", "org_field": "|".join(ORG_FIELDS), "district": r"\d{1,3}",
          "code": r"[A-Za-z0-9_-]{1,32}", "user": r"\d{1,16}"}
_TEXT = {"level", "fact", "honour", "switch", "lang", "org_field", "code"}


class Expired(Exception):
    """The button's data is not one this bot made, or no longer fits what exists."""


@dataclass(frozen=True, slots=True)
class Press:
    action: str
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def _code(action: str) -> str:
    code = ACTIONS[action][0]
    return f"{PREFIX}:{code}" if action in WALK else code


def data(action: str, *values: object) -> str:
    names = ACTIONS[action][1]
    if len(values) != len(names):
        raise TypeError(f"{action} takes {names}")
    return ":".join((_code(action), *(str(v) for v in values)))


def pattern(action: str) -> str:
    names = ACTIONS[action][1]
    return "^" + ":".join((_code(action), *(f"(?:{_TYPES[n]})" for n in names))) + "$"


ANY = f"^{PREFIX}:"  # every walk button; those no pattern above matches are expired


def parse(raw: str | None, action: str, svc: Services) -> Press:
    if raw is None or not re.fullmatch(pattern(action)[1:-1], raw):
        raise Expired(raw)
    names = ACTIONS[action][1]
    parts = raw.split(":")[len(_code(action).split(":")):]
    values: dict[str, Any] = {}
    for name, text in zip(names, parts, strict=True):
        values[name] = text if name in _TEXT else int(text)
    slots = svc.rubric.evidence_slots
    if "slot" in values and values["slot"] >= len(slots):
        raise Expired(raw)
    if "criterion" in values and values["criterion"] >= len(svc.rubric.criteria):
        raise Expired(raw)
    if "area" in values and values["area"] >= len(svc.service_areas):
        raise Expired(raw)
    if "level" in values:
        rule = svc.rubric.item(slots[values["slot"]][0]).rule
        if values["level"] not in getattr(rule, "levels", {}):
            raise Expired(raw)
    if "honour" in values and values["honour"] not in svc.subsidy_table.ids:
        raise Expired(raw)
    if "district" in values and values["district"] >= len(svc.districts.names):
        raise Expired(raw)
    if "flag" in values:
        values["flag"] = values["flag"] == 1
    return Press(action, values)
