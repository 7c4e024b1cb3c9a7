"""Plan and send 10,000 reminders through the in-process transport with the rate limit on.

Reports throughput against the configured overall rate (goal: within 5 %) and duplicates
(goal: none). `BENCH_REMINDERS` and `BENCH_SEND_RATE` change the size and the rate."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import insert

from bot.app import build_application, build_services
from bot.settings import Settings
from bot.transport import FakeTelegram, FakeUser, build_inprocess, running
from handlers.reminders import dispatch_due
from services import accounts, rounds
from services.clock import SHANGHAI, FixedClock
from store.migrate import upgrade_async
from store.models import User

COUNT = int(os.environ.get("BENCH_REMINDERS", "10000"))
RATE = float(os.environ.get("BENCH_SEND_RATE", "100"))


async def _bench(workdir: Path) -> dict:
    settings = Settings(_env_file=None, telegram_bot_token=None,
                        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
                        evidence_dir=workdir / "evidence", admin_ids=[1], send_rate=RATE,
                        chat_send_rate=1, reminder_days=[7])
    await upgrade_async(settings.database_url)
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    svc = build_services(settings, clock=clock)
    org = await accounts.create_organization(
        svc, name="基准测试组织", uscc="91350100M000100Y43", district="市南区",
        established_on=dt.date(2019, 1, 1), valid_until=None)
    fake = FakeTelegram()
    first = 100_000
    async with svc.uow() as uow:
        await uow.session.execute(insert(User), [
            {"id": first + i, "first_name": f"职工{i}", "role": "staff",
             "organization_id": org.id, "reminders_enabled": True, "blocked_bot": False}
            for i in range(COUNT)])
        await uow.commit()
    for i in range(COUNT):
        fake.add_user(FakeUser(first + i, f"职工{i}"))

    started = time.perf_counter()
    await rounds.create_round(svc, name="基准轮次", level="city", year=2026,
                              opens_on=dt.date(2026, 11, 1),
                              deadline_at=dt.datetime(2026, 12, 15, 17, 0, tzinfo=SHANGHAI),
                              recommended_on=dt.date(2026, 12, 20))
    planned_s = time.perf_counter() - started

    app = build_application(settings, services=svc, configure=lambda b: build_inprocess(b, fake))
    clock.current = dt.datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
    async with running(app):
        started = time.perf_counter()
        outcomes = await dispatch_due(app, concurrency=64)
        send_s = time.perf_counter() - started
        again = await dispatch_due(app)  # a second pass must send nothing
    per_chat = Counter(m.chat_id for m in fake.sent if m.text.startswith("⏰"))
    sent = sum(per_chat.values())
    throughput = sent / send_s
    return {
        "reminders": COUNT,
        "planning_s": round(planned_s, 2),
        "configured_rate_per_s": RATE,
        "sent": sent,
        "send_s": round(send_s, 1),
        "throughput_per_s": round(throughput, 1),
        "throughput_vs_rate_pct": round(100 * throughput / RATE, 1),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "second_pass": again,
        "outcomes": outcomes,
    }


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_bench(Path(tmp)))


if __name__ == "__main__":
    print(run())
