"""What a question is about before the documents are searched, and what the documents say
about time and whom to ask.

Pure code over data/questions.toml:

- ``own_intent``: a question about the asker's own situation (their score, what is
  missing, the deadline, their project's status, their subsidy, a reviewer's queue) is
  recognised by the patterns of an intent, unless it names something the documents
  themselves date (调研报告): it is answered from the database, not the documents;
- ``past_date``: the latest date a passage states, when it is before today (the 2018
  report deadline is shown with its date, never as the current one);
- ``latest_contact``: the contact the newest document names (a newer document's contact
  replaces an older one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from domain.corpus import PolicyDocument
from domain.i18n import Catalog
from domain.search import fold, runs


@dataclass(frozen=True, slots=True)
class OwnIntent:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[str, ...] = ()  # a question naming one of these asks the documents
    reviewers: bool = False  # only a reviewer's question is this intent


@dataclass(frozen=True, slots=True)
class QuestionRules:
    intents: tuple[OwnIntent, ...]
    contact: tuple[re.Pattern[str], ...]
    date: re.Pattern[str]
    generic: frozenset[str] = frozenset()  # words that do not name a project (项目, 中心)
    card_similarity: float = 85.0  # a question this alike to an answer card's takes it


def question_rules_from_dict(data: Mapping[str, Any]) -> QuestionRules:
    """data/questions.toml → ``QuestionRules``."""
    intents = tuple(
        OwnIntent(name, tuple(re.compile(p) for p in entry.get("patterns", [])),
                  tuple(t for raw in entry.get("unless", []) if (t := "".join(runs(raw)))),
                  bool(entry.get("reviewers", False)))
        for name, entry in data.get("own", {}).items())
    contact = tuple(re.compile(p) for p in data.get("contact", {}).get("patterns", []))
    date = re.compile(data.get("dates", {}).get("pattern", r"(\d{4})年(\d{1,2})月(\d{1,2})日"))
    generic = frozenset(data.get("names", {}).get("generic", []))
    similarity = float(data.get("cards", {}).get("similarity", 85.0))
    return QuestionRules(intents, contact, date, generic, similarity)


def _flat(text: str) -> str:
    return "".join(runs(text))


def own_intent(question: str, rules: QuestionRules, reviewer: bool = False) -> str | None:
    """The own-data intent a question has (first in data order), or None."""
    flat = _flat(question)
    spaced = " ".join(runs(question))  # English patterns see the words apart
    for intent in rules.intents:
        if intent.reviewers and not reviewer:
            continue
        if any(term in flat for term in intent.unless):
            continue
        if any(p.search(flat) or p.search(spaced) for p in intent.patterns):
            return intent.name
    return None


@lru_cache(maxsize=4096)
def _latest_date(text: str, pattern: re.Pattern[str]) -> dt.date | None:
    """The latest date ``text`` states (kept per passage text: the same passages come back
    question after question)."""
    out = []
    for match in pattern.finditer(re.sub(r"\s+", "", fold(text))):
        try:
            out.append(dt.date(*(int(g) for g in match.groups()[:3])))
        except ValueError:
            continue
    return max(out, default=None)


def past_date(text: str, today: dt.date, rules: QuestionRules) -> dt.date | None:
    """The latest date ``text`` states, if it is before ``today`` (a passage that dates
    itself: 请于2018年11月30日前报送)."""
    latest = _latest_date(text, rules.date)
    return latest if latest is not None and latest < today else None


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str
    email: str
    unit: str
    doc_title: str
    doc_date: dt.date


def latest_contact(documents: Iterable[PolicyDocument], rules: QuestionRules
                   ) -> Contact | None:
    """The contact named by the newest document that names one (its last mention)."""
    for document in sorted(documents, key=lambda d: d.date, reverse=True):
        found: Contact | None = None
        for passage in document.passages:
            match = next((m for pattern in rules.contact
                          if (m := pattern.search(passage.text))), None)  # first pattern wins
            if match is not None:
                parts = match.groupdict()
                found = Contact(parts.get("name") or "", parts.get("phone") or "",
                                parts.get("email") or "", parts.get("unit") or "",
                                document.title, document.date)
        if found is not None:
            return found
    return None


def english_share(text: str) -> float:
    """The share of a question's letters that are Latin (an English question: > 0.5)."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isascii() for ch in letters) / len(letters) if letters else 0.0


def contact_line(contact: Contact | None, catalog: Catalog, lang: str) -> str:
    """Whom to ask, from the newest document that names a contact (or the general line)."""
    if contact is None:
        return catalog.t("ask.reply.contact_general", lang)
    email = catalog.t("ask.reply.contact_email", lang, email=contact.email) \
        if contact.email else ""
    return catalog.t("ask.reply.contact", lang, unit=contact.unit, name=contact.name,
                     phone=contact.phone, email=email, title=contact.doc_title,
                     date=contact.doc_date.isoformat())
