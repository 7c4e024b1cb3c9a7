"""Migration 0004 on a database of the previous release: reminders planned then keep going."""

from __future__ import annotations

import asyncio
import datetime as dt

from alembic import command
from sqlalchemy import create_engine, text

from bot.app import build_services
from services import rounds
from services.clock import SHANGHAI, FixedClock
from store.migrate import alembic_config, upgrade_async
from store.models import Reminder


async def test_rows_planned_before_0004_are_about_their_rounds_deadline(settings, tmp_path):
    await upgrade_async(settings.database_url, "0003")
    engine = create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rounds (id, name, level, year, opens_on, deadline_at, recommended_on) "
            "VALUES (1, '市级评选', 'city', 2026, '2026-11-01', '2026-12-15 09:00:00.000000', "
            "'2026-12-20')"))
        conn.execute(text(
            "INSERT INTO reminders (round_id, user_id, kind, due_at, status, attempts, note) "
            "VALUES (1, 1001, 'd7', '2026-12-08 01:00:00.000000', 'planned', 0, '')"))
    engine.dispose()
    await upgrade_async(settings.database_url)
    svc = build_services(settings, clock=FixedClock(dt.datetime(2026, 12, 8, 9, 0,
                                                                tzinfo=SHANGHAI)))
    async with svc.uow() as uow:
        row = await uow.session.get(Reminder, 1)
        assert row.deadline_at.astimezone(SHANGHAI) == dt.datetime(2026, 12, 15, 17, 0,
                                                                   tzinfo=SHANGHAI)
    claimed = await rounds.claim_due(svc)  # the user is gone: claimed, then skipped
    assert (claimed.messages, claimed.skipped) == ([], 1)
    await svc.close()
    await asyncio.to_thread(command.downgrade, alembic_config(settings.database_url), "0003")
    engine = create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.connect() as conn:  # and back: the row is still there
        assert conn.execute(text("SELECT status FROM reminders")).scalars().all() == ["skipped"]
    engine.dispose()
