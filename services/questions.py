"""Policy questions: search the corpus, put the computed figure first, store feedback."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from domain.answers import AnswerRules, answer, render_computed
from domain.search import SearchIndex
from services.core import Services
from store.models import Feedback
from store.search_index import load_answer_rules, load_index


@dataclass(frozen=True, slots=True)
class Hit:
    passage_id: str
    text: str
    citation: str
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    hits: list[Hit]
    computed: str | None = None  # the figure a rule computes, as a sentence
    confident: bool = True  # False: nothing answers it well; the closest passages follow


async def _index(svc: Services) -> tuple[SearchIndex, AnswerRules]:
    """The search index, built once per process (off the event loop: jieba may load)."""
    cache = svc.search
    async with cache.lock:
        if cache.index is None or cache.rules is None:
            cache.index = await asyncio.to_thread(load_index)
            cache.rules = load_answer_rules()
        return cache.index, cache.rules


def forget_index(svc: Services) -> None:
    """After documents are added or removed: the next question rebuilds the index."""
    svc.search.index = None


async def ask(svc: Services, text: str, lang: str, k: int = 10) -> Answer:
    index, rules = await _index(svc)
    result = answer(text, index, svc.rubric, svc.subsidy_table, k, rules=rules)
    hits = [Hit(h.passage.id, h.passage.text, h.passage.citation, h.score) for h in result.hits]
    computed = None
    if result.computed is not None:
        computed = render_computed(result.computed, svc.catalog, lang)
        rests_on = result.computed.passage
        if rests_on is not None:
            hits = [Hit(rests_on.id, rests_on.text, rests_on.citation, result.computed.score),
                    *[h for h in hits if h.passage_id != rests_on.id]]
    return Answer(hits=hits, computed=computed, confident=not result.fallback)


async def record_feedback(svc: Services, user_id: int, question: str, passage_id: str,
                          helpful: bool) -> None:
    async with svc.uow() as uow:
        uow.feedback.add(Feedback(user_id=user_id, question=question, passage_id=passage_id,
                                  helpful=helpful))
        await uow.commit()
