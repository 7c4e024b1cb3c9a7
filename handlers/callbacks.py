"""Every button's data: built and parsed here only.

Each action has a code (its prefix: `w:` for the walk, `sub:` /subsidy, `rv:` review, `a:`
answers, `rm:` /remind, `lang:`, `m:` the menu, `og:` /editorg, `jn:` joining, `mb:`
/members, `d:` the reviewers' desk, `dc:` the decisions) and typed fields; `data()` builds
the string a button carries, `pattern()` is the regular expression its handler is registered
with, and `parse()` reads it back into a
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
    "entry_fix": ("ef", ("pid", "slot", "entry")),
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
    "reopen_confirm": ("rv:ok", ("pid",)),
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
# The reviewers' desk: its own prefix, so the walk never takes a desk button for its own.
DESK = "d"
QUEUE_STATES = ("mine", "all", "submitted", "in_review", "returned", "verified")
DESK_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "queue": ("q", ("state", "district", "page")),
    "open": ("o", ("pid",)),
    "item": ("i", ("pid", "target")),
    "item_files": ("if", ("pid", "target")),
    "accept": ("a", ("pid", "target")),
    "reject": ("r", ("pid", "target")),
    "reason": ("rr", ("pid", "target", "reason")),
    "reason_other": ("ro", ("pid", "target")),
    "lower": ("lv", ("pid", "target", "level")),
    "rate": ("rt", ("pid", "target")),
    "return": ("ret", ("pid",)),
    "verify": ("ok", ("pid",)),
    "recuse": ("rc", ("pid",)),
    "resolve": ("rs", ("pid", "target", "flag")),
}
ACTIONS |= {name: (f"{DESK}:{code}", names) for name, (code, names) in DESK_ACTIONS.items()}
# The decisions (issue 14: ranking, honours, recommendations, ledger, dossier): their own
# prefix too — `d:` is the desk's.
DECISIONS = "dc"
DECISION_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rank_page": ("rk", ("district", "page")),
    "rank_export": ("rx", ("district",)),
    "decide": ("d", ("pid",)),
    "honour_city": ("h", ("pid",)),
    "recommend": ("r", ("pid", "honour")),
    "outcome": ("o", ("pid", "honour", "flag")),
    "ledger_page": ("lg", ("page",)),
    "ledger_export": ("lx", ()),
    "dossier": ("z", ("pid",)),
    "pay_confirm": ("pc", ("pid", "amount")),
    "honour_ok": ("hc", ("pid", "honour")),
    "recommend_ok": ("rc", ("pid", "honour")),
    "outcome_ok": ("oc", ("pid", "honour", "flag")),
}
ACTIONS |= {name: (f"{DECISIONS}:{code}", names)
            for name, (code, names) in DECISION_ACTIONS.items()}
_TYPES = {"pid": r"\d{1,9}", "state": "|".join(QUEUE_STATES), "page": r"\d{1,5}",
          "target": r"[se]\d{1,12}", "reason": r"\d{1,2}", "criterion": r"\d{1,3}",
          "slot": r"\d{1,3}", "file": r"\d{1,12}",
          "entry": r"\d{1,12}", "version": r"\d{1,9}", "area": r"\d{1,3}", "flag": "[01]",
          "level": r"[a-z_]{1,20}", "fact": "|".join(FACTS), "honour": r"[a-z_]{1,20}",
          "question": r"\d{1,9}", "shown": r"\d{1,3}", "switch": "on|off", "lang": "zh|en",
          "org": r"\d{1,9}", "org_field": "|".join(ORG_FIELDS), "district": r"\d{1,3}",
          "code": r"[A-Za-z0-9_-]{1,32}", "user": r"\d{1,16}",
          "amount": r"[1-9]\d{0,9}"}
_TEXT = {"level", "fact", "honour", "switch", "lang", "org_field", "code", "state", "target"}


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
DESK_ANY = f"^{DESK}:"  # every desk button; likewise


def target_code(svc: Services, target: str) -> str:
    """A review target (domain/review.py) as a button carries it: s<slot> or e<entry id>."""
    if target.startswith("entry:"):
        return "e" + target[6:]
    return "s" + str(next(i for i, (item, kind) in enumerate(svc.rubric.evidence_slots)
                          if (f"{item}.{kind}" if kind else item) == target))


def parse(raw: str | None, action: str, svc: Services) -> Press:
    if raw is None or not re.fullmatch(pattern(action)[1:-1], raw):
        raise Expired(raw)
    names = ACTIONS[action][1]
    parts = raw.split(":")[len(_code(action).split(":")):]
    values: dict[str, Any] = {}
    for name, text in zip(names, parts, strict=True):
        values[name] = text if name in _TEXT else int(text)
    slots = svc.rubric.evidence_slots
    if "target" in values:
        code = values["target"]
        if code[0] == "s":
            if int(code[1:]) >= len(slots):
                raise Expired(raw)
            item, kind = slots[int(code[1:])]
            values["target"] = f"{item}.{kind}" if kind else item
        else:
            values["target"] = f"entry:{int(code[1:])}"
    if "reason" in values and values["reason"] >= len(svc.review.reject_reasons):
        raise Expired(raw)
    if "district" in values and values["district"] > len(svc.districts.names):
        raise Expired(raw)
    if "slot" in values and values["slot"] >= len(slots):
        raise Expired(raw)
    if "criterion" in values and values["criterion"] >= len(svc.rubric.criteria):
        raise Expired(raw)
    if "area" in values and values["area"] >= len(svc.service_areas):
        raise Expired(raw)
    if "level" in values and "slot" not in values:  # a desk adjustment: any entry level
        if not any(values["level"] in getattr(i.rule, "levels", {}) for i in svc.rubric.items):
            raise Expired(raw)
    elif "level" in values:
        rule = svc.rubric.item(slots[values["slot"]][0]).rule
        if values["level"] not in getattr(rule, "levels", {}):
            raise Expired(raw)
    if "honour" in values and values["honour"] not in svc.subsidy_table.ids:
        raise Expired(raw)
    if action == "org_district" and values["district"] >= len(svc.districts.names):
        raise Expired(raw)  # /editorg's district is an index; elsewhere 0 is every district
    if "flag" in values:
        values["flag"] = values["flag"] == 1
    return Press(action, values)
