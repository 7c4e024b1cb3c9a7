"""What the questions leave behind: feedback, declined questions, answer cards, digests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from store.models import AnswerCard, Feedback, GapDigest, Organization, QuestionGap
from store.repositories.base import Repo


class Feedbacks(Repo):
    async def count(self, helpful: bool | None = None) -> int:
        query = select(func.count(Feedback.id))
        if helpful is not None:
            query = query.where(Feedback.helpful == helpful)
        return int(await self.session.scalar(query) or 0)


class QuestionGaps(Repo):
    async def since(self, moment: dt.datetime | None = None, *, after_id: int = 0
                    ) -> list[tuple[QuestionGap, str | None]]:
        """The gaps asked at or after ``moment`` (all without one) and recorded after gap
        ``after_id``, in the order recorded, each with its organisation's name."""
        query = (select(QuestionGap, Organization.name)
                 .outerjoin(Organization, Organization.id == QuestionGap.organization_id)
                 .where(QuestionGap.id > after_id).order_by(QuestionGap.id))
        if moment is not None:
            query = query.where(QuestionGap.asked_at >= moment)
        return [(gap, name) for gap, name in (await self.session.execute(query)).all()]


class AnswerCards(Repo):
    async def all(self) -> list:
        """Every card by id, as plain read-only rows (id, question, answer, added_at): read
        on every question, so columns rather than ORM objects."""
        c = AnswerCard.__table__.c
        return list((await self.session.execute(
            select(c.id, c.question, c.answer, c.added_at).order_by(c.id))).all())


class GapDigests(Repo):
    async def last(self) -> GapDigest | None:
        return await self.session.scalar(
            select(GapDigest).order_by(GapDigest.sent_at.desc(), GapDigest.id.desc()).limit(1))
