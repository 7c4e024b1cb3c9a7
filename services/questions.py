"""Policy questions: the asker's own data when the question is about it, else search the
corpus, put the computed figure first, label past dates, decline what the documents do
not cover (with the contact); store feedback."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.core import Services
from services.own_data import OwnAnswer, own_answer
from store.models import Feedback

# The documents (store.documents, with the corpus parser and its patterns) load on the first
# question, as the search stack does: nothing before the bot's first poll needs them.
if TYPE_CHECKING:  # the search stack (numpy, rapidfuzz) loads on the first question
    from domain.asking import Contact
    from domain.search import SearchIndex


@dataclass(frozen=True, slots=True)
class Hit:
    passage_id: str
    text: str
    citation: str
    score: float
    dated: dt.date | None = None  # the past date the passage states (shown with it)


@dataclass(frozen=True, slots=True)
class Answer:
    hits: list[Hit]
    computed: str | None = None  # the figure a rule computes, as a sentence
    confident: bool = True  # False: the documents do not cover it; the closest passages follow
    own: OwnAnswer | None = None  # the asker's own data, answered first
    contact: Contact | None = None  # whom to ask (the newest document's contact)
    english: bool = False  # an English question: the Chinese passages get an English frame
    replaces: Hit | None = None  # an older document's passage the first one replaces


async def _library(svc: Services) -> tuple[SearchIndex, Contact | None]:
    """The search index over the documents as they are now, rebuilt (off the event loop)
    when a document is added or removed: each question first compares the documents
    folder's version, a cheap listing."""
    from store.documents import documents_version
    from store.search_index import load_library

    cache = svc.search
    async with cache.lock:
        version = documents_version()
        if cache.index is None or version != cache.version:
            cache.index, cache.contact = await asyncio.to_thread(load_library)
            cache.version = version
        return cache.index, cache.contact


async def ask(svc: Services, text: str, lang: str, k: int = 10, *, user_id: int | None = None,
              organization: str | None = None, reviewer: bool = False,
              organization_id: int | None = None) -> Answer:
    from domain.answers import answer, render_computed
    from domain.asking import english_share, own_intent, past_date
    from store.search_index import load_answer_rules, load_question_rules

    index, contact = await _library(svc)
    rules = load_answer_rules()
    qrules = load_question_rules()
    english = english_share(text) > 0.5
    own = None
    intent = own_intent(text, qrules, reviewer)
    if intent is not None and user_id is not None:
        own = await own_answer(svc, user_id, organization, intent, reviewer, text,
                               qrules.generic, organization_id=organization_id)
    result = answer(text, index, svc.rubric, svc.subsidy_table, k, rules=rules)
    today = svc.clock.today()

    def hit(passage, score: float) -> Hit:
        return Hit(passage.id, passage.text, passage.citation, score,
                   past_date(passage.text, today, qrules))

    hits = [hit(h.passage, h.score) for h in result.hits]
    computed = None
    if result.computed is not None:
        computed = render_computed(result.computed, svc.catalog, lang)
        rests_on = result.computed.passage
        if rests_on is not None:
            hits = [hit(rests_on, result.computed.score),
                    *[h for h in hits if h.passage_id != rests_on.id]]
    if own is not None:
        # the own data answers it, standing alone: the passages (the policy behind it) only
        # behind the 📖 原文 button, none when they merely look alike
        computed = None
        if result.fallback:
            hits = []
    confident = not result.fallback or own is not None
    replaces = hit(result.replaces, 0.0) if result.replaces is not None else None
    return Answer(hits=hits, computed=computed, confident=confident, own=own,
                  contact=contact, english=english, replaces=replaces)


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    title: str
    date: dt.date
    passages: int
    added: bool = True


def _document_view(document, added: bool = True) -> DocumentView:
    return DocumentView(document.id, document.title, document.date, len(document.passages),
                        added)


async def add_document(svc: Services, file_name: str, data: bytes) -> DocumentView:
    """An administrator's document (.txt/.md/.docx/.pdf): stored, and answered from at the
    next question (the library sees the documents folder change). InputError when it
    cannot be read."""
    from store import documents as store_documents

    document = await asyncio.to_thread(store_documents.add_document_bytes, file_name, data,
                                       date=svc.clock.today())
    return _document_view(document)


async def documents(svc: Services) -> list[DocumentView]:
    from store import documents as store_documents

    listed = await asyncio.to_thread(store_documents.list_documents)
    return [_document_view(item.document, item.added) for item in listed]


async def remove_document(svc: Services, doc_id: str) -> DocumentView:
    """Remove an added document; InputError for a shipped or unknown one."""
    from store import documents as store_documents

    return _document_view(await asyncio.to_thread(store_documents.remove_document, doc_id))


async def record_feedback(svc: Services, user_id: int, question: str, passage_id: str,
                          helpful: bool) -> None:
    async with svc.uow() as uow:
        uow.feedback.add(Feedback(user_id=user_id, question=question, passage_id=passage_id,
                                  helpful=helpful))
        await uow.commit()
