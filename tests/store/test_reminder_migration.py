"""Migration 0004 on a database of the previous release: reminders planned then keep going."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from alembic import command
from sqlalchemy import insert, text

from bot.app import build_services
from services.clock import SHANGHAI, FixedClock
from services.schedule import rounds
from store.db import make_engine
from store.migrate import alembic_config, upgrade_async
from store.models import Reminder, Round


async def _execute(url: str, statement, params=None) -> list:  # noqa: ANN001
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(statement, params)
            return result.all() if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_rows_planned_before_0004_are_about_their_rounds_deadline(settings,
                                                                        database_url):
    settings = dataclasses.replace(settings, database_url=database_url)  # empty
    await upgrade_async(database_url, "0003")
    await _execute(database_url, insert(Round.__table__).values(
        id=1, name="市级评选", level="city", year=2026, opens_on=dt.date(2026, 11, 1),
        deadline_at=dt.datetime(2026, 12, 15, 17, 0, tzinfo=SHANGHAI),
        recommended_on=dt.date(2026, 12, 20)))
    await _execute(database_url, insert(Reminder.__table__).values(
        round_id=1, user_id=1001, kind="d7",
        due_at=dt.datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)))
    await upgrade_async(database_url)
    svc = build_services(settings, clock=FixedClock(dt.datetime(2026, 12, 8, 9, 0,
                                                                tzinfo=SHANGHAI)))
    async with svc.uow() as uow:
        row = await uow.session.get(Reminder, 1)
        assert row.deadline_at.astimezone(SHANGHAI) == dt.datetime(2026, 12, 15, 17, 0,
                                                                   tzinfo=SHANGHAI)
    claimed = await rounds.claim_due(svc)  # the user is gone: claimed, then skipped
    assert (claimed.messages, claimed.skipped) == ([], 1)
    await svc.close()
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0003")
    statuses = await _execute(database_url, text("SELECT status FROM reminders"))
    assert [s for s, in statuses] == ["skipped"]  # and back: the row is still there
