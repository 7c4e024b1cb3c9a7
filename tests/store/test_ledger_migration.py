"""Migration 0010: the projects' overwritable honours/paid pair becomes ledger rows."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import sqlalchemy as sa
from alembic import command

from bot.app import build_services
from services.clock import SHANGHAI, FixedClock
from services.decisions import ledger
from store.migrate import alembic_config, upgrade_async
from tests.store.test_reminder_migration import _execute

BEFORE = "0009"
OLD_PROJECTS = sa.table("projects", sa.column("id", sa.Integer), sa.column("organization_id"),
                        sa.column("name"), sa.column("closed_and_evaluated", sa.Boolean),
                        sa.column("honours", sa.JSON), sa.column("paid", sa.Integer),
                        sa.column("status"), sa.column("version"),
                        sa.column("updated_at", sa.DateTime(timezone=True)))
ORGS = sa.table("organizations", sa.column("id", sa.Integer), sa.column("name"),
                sa.column("uscc"), sa.column("district"), sa.column("established_on", sa.Date))


async def test_recorded_honours_and_payments_become_dated_rows_and_back(settings,
                                                                        database_url):
    settings = dataclasses.replace(settings, database_url=database_url)  # empty
    await upgrade_async(database_url, BEFORE)
    await _execute(database_url, sa.insert(ORGS).values(
        id=1, name="海都", uscc="91350100M000100Y43", district="崂山区",
        established_on=dt.date(2019, 5, 10)))
    updated = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)
    await _execute(database_url, sa.insert(OLD_PROJECTS), [
        {"id": 1, "organization_id": 1, "name": "P1", "closed_and_evaluated": True,
         "honours": ["provincial", "city"], "paid": 10000, "status": "submitted",
         "version": 1, "updated_at": updated},
        {"id": 2, "organization_id": 1, "name": "P2", "closed_and_evaluated": True,
         "honours": [], "paid": 0, "status": "submitted", "version": 1,
         "updated_at": updated}])
    await upgrade_async(database_url)
    svc = build_services(settings, clock=FixedClock(dt.datetime(2026, 12, 8, 9, 0,
                                                                tzinfo=SHANGHAI)))
    books = await ledger.ledger(svc, settings.admin_ids[0])
    assert [b.project_id for b in books] == [1]
    [book] = books
    assert book.honours == ("provincial", "city")
    assert [(x.kind, x.level, x.amount, x.on_date) for x in book.lines] == [
        ("honour", "provincial", 0, dt.date(2026, 10, 1)),
        ("honour", "city", 0, dt.date(2026, 10, 1)),
        ("payment", None, 10000, dt.date(2026, 10, 1))]
    assert (book.balance.entitled, book.balance.paid, book.balance.due) == (20000, 10000, 10000)
    await svc.close()
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), BEFORE)
    rows = await _execute(database_url, sa.select(OLD_PROJECTS.c.id, OLD_PROJECTS.c.honours,
                                                  OLD_PROJECTS.c.paid).order_by("id"))
    assert [tuple(r) for r in rows] == [(1, ["provincial", "city"], 10000), (2, [], 0)]
