"""Shared by the repositories: a session's INSERT … ON CONFLICT and the base class."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from store.db import upsert_insert


def dialect_insert(session: AsyncSession, model):  # noqa: ANN001, ANN202
    """INSERT with ON CONFLICT in the session's dialect."""
    return upsert_insert(session.bind.dialect.name)(model)


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: object) -> None:
        self.session.add(obj)
