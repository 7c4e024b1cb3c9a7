"""A project's audit log in words (plain text, the bot adds HTML around it): the chat's
/history and the dossier's 操作记录 read the same lines. Items, states, verdicts and levels
by their labels in the reader's language, people by name — never ids."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.i18n import Catalog, local
from domain.rubric import Rubric, Text

STATES = ("draft", "closed", "submitted", "in_review", "returned", "verified")
VERDICTS = ("accept", "reject", "adjust")
STATUS_ACTIONS = ("submit", "reopen", "return")
VERDICT_ACTIONS = ("verdict", "resolve")
LEVEL_ACTIONS = ("honour", "recommend", "outcome")
OUTCOMES = ("recommended", "awarded", "not awarded")  # services/decisions/ledger.py


@dataclass(frozen=True, slots=True)
class Reading:
    """What the lines need besides the log: the rules, the words, people's names, the
    project's entries (id → item, level, title; those deleted since too) and the honour
    levels' labels."""

    rubric: Rubric
    catalog: Catalog
    lang: str
    names: Mapping[int, str]
    entries: Mapping[int, tuple[str, str, str]]
    honours: Mapping[str, Text]


def history_lines(entries: Iterable[Any], reading: Reading) -> list[str]:
    """One line per audit entry (`at`, `actor_id`, `action`, `subject`, `old`, `new`,
    `reason`), oldest first."""
    return [_line(e, reading) for e in entries]


def _line(e: Any, r: Reading) -> str:
    t = r.catalog.t
    subject = _subject(e, r)
    subject = f" {subject}" if subject else ""
    change = ""
    if e.action == "note":  # the note's text is the entry's reason
        return t("audit.line", r.lang, at=e.at.strftime("%Y-%m-%d %H:%M"), actor=_actor(e, r),
                 action=t("audit.action_note", r.lang), subject="",
                 change=t("audit.note", r.lang, text=e.reason), reason="")
    if e.old is not None or e.new is not None:
        change = t("audit.change", r.lang, old=_value(e, e.old, r), new=_value(e, e.new, r))
    return t("audit.line", r.lang, at=e.at.strftime("%Y-%m-%d %H:%M"), actor=_actor(e, r),
             action=t(f"audit.action_{e.action}", r.lang), subject=subject,
             change=change,
             reason=t("audit.reason", r.lang, reason=e.reason) if e.reason else "")


def _actor(e: Any, r: Reading) -> str:
    if e.actor_id is None:
        return r.catalog.t("audit.actor_operator", r.lang)
    return r.names.get(e.actor_id) or r.catalog.t("audit.actor_unknown", r.lang, id=e.actor_id)


def target_text(target: str, r: Reading) -> str:
    """An evidence target (a slot's key, or entry:<id>) by its label."""
    if target.startswith("entry:") and target[6:].isdigit():
        found = r.entries.get(int(target[6:]))
        if found is None:
            return r.catalog.t("audit.entry_gone", r.lang)
        item_id, level, title = found
        return r.catalog.t("audit.entry", r.lang, label=_item_label(item_id, None, r),
                           level=_level_label(item_id, level, r), title=title)
    item_id, _, kind = target.partition(".")
    return _item_label(item_id, kind or None, r)


def _item_label(item_id: str, kind: str | None, r: Reading) -> str:
    try:
        item = r.rubric.item(item_id)
    except KeyError:
        return item_id
    return local(item.rule.slot_label(kind) or item.label, r.lang)


def _level_label(item_id: str, level: str, r: Reading) -> str:
    try:
        levels = getattr(r.rubric.item(item_id).rule, "levels", {})
    except KeyError:
        return level
    return local(levels[level].label, r.lang) if level in levels else level


def _subject(e: Any, r: Reading) -> str:
    if not e.subject:
        return ""
    if e.action in ("verdict", "adjust", "resolve", "return"):
        return r.catalog.t("ask.list_sep", r.lang).join(
            target_text(t, r) for t in e.subject.split(","))
    if e.action == "remove_evidence":
        return _item_label(e.subject, None, r)
    if e.action == "edit_evidence":
        return target_text(e.subject, r)
    if e.action in LEVEL_ACTIONS and e.subject in r.honours:
        return local(r.honours[e.subject], r.lang)
    return e.subject


def _value(e: Any, value: Any, r: Reading) -> str:
    t = r.catalog.t
    if value is None:
        return "—"
    if e.action in STATUS_ACTIONS and value in STATES:
        return t(f"bot.status_{value}", r.lang)
    if e.action in VERDICT_ACTIONS + ("adjust",) and value in VERDICTS:
        return t(f"audit.verdict_{value}", r.lang)
    if e.action == "adjust" and isinstance(value, str):  # an entry's lower level
        found = r.entries.get(int(e.subject[6:])) if e.subject[6:].isdigit() else None
        return _level_label(found[0], value, r) if found else value
    if e.action == "remove_evidence" and isinstance(value, dict):
        if "entry" in value:
            return r.catalog.t("audit.entry", r.lang, label=_item_label(e.subject, None, r),
                               level=_level_label(e.subject, str(value.get("level", "")), r),
                               title=value.get("title", ""))
        return str(value.get("file", "—"))
    if e.action == "edit_evidence" and isinstance(value, dict):  # an entry's fields
        found = r.entries.get(int(e.subject[6:])) if e.subject[6:].isdigit() else None
        return t("ask.list_sep", r.lang).join(
            t(f"audit.field_{k}", r.lang) + t("audit.field_value", r.lang, value=(
                _level_label(found[0], str(v), r) if k == "level" and found else v or "—"))
            for k, v in value.items())
    if e.action == "outcome" and value in OUTCOMES:
        return t(f"audit.outcome_{value.replace(' ', '_')}", r.lang)
    if e.action in LEVEL_ACTIONS and isinstance(value, list):
        return r.catalog.t("ask.list_sep", r.lang).join(
            local(r.honours[v], r.lang) if v in r.honours else str(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
