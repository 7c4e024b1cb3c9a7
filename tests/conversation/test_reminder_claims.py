"""Several bot processes on one database: every due reminder is claimed and sent once."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import insert

from bot.app import build_application, build_services
from fakegram import FakeTelegram, FakeUser, build_inprocess
from handlers.reminders import dispatch_due
from services.clock import SHANGHAI, FixedClock
from services.people import accounts
from services.schedule import rounds
from store.models import User
from tests.conversation.conftest import make_settings
from tests.support.chat import running

STAFF = 200
FIRST = 50_000


@pytest.fixture
async def processes(migrated_database_url, tmp_path):
    """Two Services with engines of their own (two processes), 200 staff with reminders
    due now."""
    settings = dataclasses.replace(make_settings(tmp_path, migrated_database_url), send_rate=0)
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    setup = build_services(settings, clock=clock)
    org = await accounts.create_organization(
        setup, name="青岛海都心理健康服务中心", uscc="91350100M000100Y43", district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=dt.date(2029, 5, 9))
    async with setup.uow() as uow:
        await uow.session.execute(insert(User), [
            {"id": FIRST + i, "first_name": f"职工{i}", "role": "staff",
             "organization_id": org.id, "reminders_enabled": True, "blocked_bot": False}
            for i in range(STAFF)])
        await uow.commit()
    await rounds.create_round(setup, name="市级评选", level="city", year=2026,
                              opens_on=dt.date(2026, 11, 1),
                              deadline_at=dt.datetime(2026, 12, 15, 17, 0, tzinfo=SHANGHAI),
                              recommended_on=dt.date(2026, 12, 20))
    await setup.close()
    clock.current = dt.datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
    return settings, clock


async def test_two_processes_claiming_the_same_due_reminders_claim_each_once(processes):
    settings, clock = processes
    a, b = (build_services(settings, clock=clock) for _ in range(2))

    async def claim_all(svc) -> list[int]:
        got = []
        while claimed := await rounds.claim_due(svc, limit=7):
            got += [m.reminder_id for m in claimed.messages]
            await asyncio.sleep(0)
        return got

    got_a, got_b = await asyncio.gather(claim_all(a), claim_all(b))
    for svc in (a, b):
        await svc.close()
    assert len(got_a) + len(got_b) == STAFF
    assert set(got_a).isdisjoint(got_b) and len(set(got_a) | set(got_b)) == STAFF


async def test_two_bots_sending_at_once_send_each_reminder_once(processes):
    settings, clock = processes
    fake = FakeTelegram()
    for i in range(STAFF):
        fake.add_user(FakeUser(FIRST + i, f"职工{i}"))
    services = [build_services(settings, clock=clock) for _ in range(2)]
    apps = [build_application(settings, services=svc,
                              configure=lambda builder: build_inprocess(builder, fake))
            for svc in services]
    async with running(apps[0]), running(apps[1]):
        outcomes = await asyncio.gather(*(dispatch_due(app, batch=20) for app in apps))
    for svc in services:
        await svc.close()
    per_chat = Counter(m.chat_id for m in fake.sent if m.text.startswith("⏰"))
    assert len(per_chat) == STAFF and set(per_chat.values()) == {1}
    assert sum(o.get("sent", 0) for o in outcomes) == STAFF
