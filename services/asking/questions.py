"""Policy questions: the asker's own data when the question is about it, else search the
corpus, put the computed figure first, label past dates, decline what the documents do
not cover (with the contact); store feedback."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.errors import InputError
from domain.gaps import GapLine, GapRow, card_for, gap_lines
from services.asking.own_data import OwnAnswer, own_answer
from services.core import Services
from store.models import AnswerCard, Feedback, GapDigest, QuestionGap

MAX_QUESTION = 500  # characters of a question kept
MAX_CARD = 2000  # characters of an answer card's answer
DIGEST_EVERY = dt.timedelta(days=7)

# The documents (store.documents, with the corpus parser and its patterns) load on the first
# question, as the search stack does: nothing before the bot's first poll needs them.
if TYPE_CHECKING:  # the search stack (rapidfuzz, jieba's table) loads on the first question
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
    card: CardView | None = None  # an administrator's answer card answers it


@dataclass(frozen=True, slots=True)
class CardView:
    id: int
    question: str
    answer: str
    added_at: dt.datetime


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
    if own is None and (card := await _card(svc, text, qrules.card_similarity)) is not None:
        return Answer(hits=[], card=card, contact=contact, english=english_share(text) > 0.5)
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
    if not confident and user_id is not None:  # someone asked (not a "more" of theirs):
        await _record_gap(svc, "declined", text, "", organization_id)  # stored first
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
                          helpful: bool, *, answered: str = "",
                          organization_id: int | None = None) -> None:
    """👍/👎 on an answer; a 👎 is also a question gap (what was answered, the asker's
    organisation), in the same transaction."""
    async with svc.uow() as uow:
        uow.feedback.add(Feedback(user_id=user_id, question=question, passage_id=passage_id,
                                  helpful=helpful))
        if not helpful:
            uow.gaps.add(_gap(svc, "unhelpful", question, answered, organization_id))
        await uow.commit()


# ---- closing the loop: gaps, answer cards, the weekly digest


def _gap(svc: Services, kind: str, question: str, answered: str,
         organization_id: int | None) -> QuestionGap:
    return QuestionGap(kind=kind, question=question[:MAX_QUESTION], answered=answered[:500],
                       organization_id=organization_id, asked_at=svc.clock.now())


async def _record_gap(svc: Services, kind: str, question: str, answered: str,
                      organization_id: int | None) -> None:
    async with svc.uow() as uow:
        uow.gaps.add(_gap(svc, kind, question, answered, organization_id))
        await uow.commit()


async def _card(svc: Services, text: str, similarity: float) -> CardView | None:
    async with svc.uow() as uow:
        cards = await uow.cards.all()
    found = card_for(text, [(c.id, c.question) for c in cards], similarity)
    card = next((c for c in cards if c.id == found), None)
    return None if card is None else CardView(card.id, card.question, card.answer,
                                              card.added_at.astimezone(svc.clock.tz))


async def add_card(svc: Services, user_id: int | None, question: str, answer_text: str
                   ) -> CardView:
    """An administrator's answer to a question: it answers that question (worded nearly
    alike) from the next question on. InputError when either part is empty or too long."""
    question, answer_text = question.strip(), answer_text.strip()
    if not question or len(question) > MAX_QUESTION:
        raise InputError("card_question", "ask.error.card_question", max=MAX_QUESTION)
    if not answer_text or len(answer_text) > MAX_CARD:
        raise InputError("card_answer", "ask.error.card_answer", max=MAX_CARD)
    async with svc.uow() as uow:
        card = AnswerCard(question=question, answer=answer_text, added_by=user_id,
                          added_at=svc.clock.now())
        uow.cards.add(card)
        await uow.commit()
        return CardView(card.id, card.question, card.answer,
                        card.added_at.astimezone(svc.clock.tz))


def _rows(found: list[tuple[QuestionGap, str | None]], svc: Services) -> list[GapRow]:
    return [GapRow(gap.question, gap.kind, gap.answered, name or "",
                   gap.asked_at.astimezone(svc.clock.tz)) for gap, name in found]


async def gaps(svc: Services, *, since: dt.date | None = None) -> list[GapLine]:
    """The questions declined or marked 👎 (since a day), grouped, most asked first: the
    question, how often, what was answered, which organisations asked (no person)."""
    start = None if since is None else dt.datetime.combine(since, dt.time(), svc.clock.tz)
    async with svc.uow() as uow:
        return gap_lines(_rows(await uow.gaps.since(start), svc))


@dataclass(frozen=True, slots=True)
class Digest:
    since: dt.datetime | None  # the previous digest (None: the first)
    lines: list[GapLine]


async def due_digest(svc: Services) -> Digest | None:
    """The weekly digest of question gaps, when one is due at the clock's now (a week after
    the last one sent, and new gaps since): recorded as sent before it goes, so that one
    process sends it, once. None when none is due."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        last = await uow.digests.last()
        if last is not None and now < last.sent_at + DIGEST_EVERY:
            return None
        since = None if last is None else last.sent_at
        found = await uow.gaps.since(after_id=0 if last is None else last.last_gap_id)
        if not found:
            return None
        uow.digests.add(GapDigest(sent_at=now, last_gap_id=found[-1][0].id))
        await uow.commit()
    return Digest(None if since is None else since.astimezone(svc.clock.tz),
                  gap_lines(_rows(found, svc)))
