"""Policy questions: search the corpus, add computed answers, store feedback."""

from __future__ import annotations

from dataclasses import dataclass

from services.core import Services
from store.models import Feedback


@dataclass(frozen=True, slots=True)
class Hit:
    passage_id: str
    text: str
    citation: str
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    hits: list[Hit]
    computed: str | None = None
    confident: bool = True


async def ask(svc: Services, text: str, lang: str, k: int = 10) -> Answer:
    raise NotImplementedError  # wired to domain.search once it lands


async def record_feedback(svc: Services, user_id: int, question: str, passage_id: str,
                          helpful: bool) -> None:
    async with svc.uow() as uow:
        uow.feedback.add(Feedback(user_id=user_id, question=question, passage_id=passage_id,
                                  helpful=helpful))
        await uow.commit()
