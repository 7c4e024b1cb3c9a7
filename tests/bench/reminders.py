"""Reminders at 1,000 and 10,000 staff: planning, start-up, a join, and delivery.

Every two staff members share an organisation, and every organisation has a project with
evidence to score (files, a media report, a satisfaction figure), so each reminder carries a
real score and its open points. Through the whole PTB stack and the in-process Bot API.

- planning: `create_round` (plans a row per staff member and kind, in its transaction);
  start-up with no rows yet (post_init plans them all) and a restart (all rows there);
- a join: one `/start CODE` through the chat while everyone else is planned;
- delivery: the clock set to the 7-day reminders, `dispatch_due` sends them all (what the
  periodic job runs), beside a baseline of bare `send_message` calls through the same app;
  a second pass must send nothing.

`BENCH_STAFF` (default "1000,10000") and `BENCH_SEND_RATE` (messages a second; default 0:
unthrottled) change the sizes and the rate; `BENCH_VERBOSE=1` prints each step as it ends."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import delete, insert

from bot.app import build_application, build_services
from bot.settings import Settings
from fakegram import FakeTelegram, FakeUser, build_inprocess, running
from handlers.reminders import CONCURRENCY, dispatch_due
from services.clock import SHANGHAI, FixedClock
from services.people import accounts
from services.schedule import rounds
from store.migrate import upgrade_async
from store.models import (
    EvidenceEntry,
    EvidenceFigure,
    EvidenceFile,
    Organization,
    Project,
    Reminder,
    User,
)
from tests.support.chat import Chat


def _log(*args) -> None:
    if os.environ.get("BENCH_VERBOSE"):
        print(f"{time.strftime('%H:%M:%S')}", *args, flush=True)


SIZES = [int(n) for n in os.environ.get("BENCH_STAFF", "1000,10000").split(",")]
RATE = float(os.environ.get("BENCH_SEND_RATE", "0"))
FIRST_USER = 100_000
DEADLINE = dt.datetime(2026, 12, 15, 17, 0, tzinfo=SHANGHAI)


async def _populate(svc, staff: int) -> None:
    """staff/2 organisations, each with two staff members and a project with evidence."""
    orgs = staff // 2
    rows = {
        Organization: [{"id": 1000 + i, "name": f"组织{i}", "uscc": f"B{i:017d}",
                        "district": "市南区", "established_on": dt.date(2019, 1, 1),
                        "certificate_valid_until": dt.date(2030, 1, 1)} for i in range(orgs)],
        User: [{"id": FIRST_USER + i, "first_name": f"职工{i}", "role": "staff",
                "organization_id": 1000 + i // 2, "reminders_enabled": True,
                "blocked_bot": False} for i in range(staff)],
        Project: [{"id": 1 + i, "organization_id": 1000 + i, "name": f"项目{i}",
                   "service_area": "心理关怀", "completed_on": dt.date(2025, 6, 30),
                   "closed_and_evaluated": True, "status": "draft",
                   "version": 1} for i in range(orgs)],
        EvidenceFile: [{"project_id": 1 + i, "item_id": item, "kind": kind,
                        "sha256": f"{i:032x}{n:032x}", "size": 100, "mime_type": "application/pdf",
                        "file_name": f"{item}.pdf"}
                       for i in range(orgs)
                       for n, (item, kind) in enumerate([("study_records", ""),
                                                         ("registration_certificate", ""),
                                                         ("project_documents", "contract")])],
        EvidenceEntry: [{"project_id": 1 + i, "item_id": "media_reports", "level": "city",
                         "title": "报道", "link": "https://example.org/a"} for i in range(orgs)],
        EvidenceFigure: [{"project_id": 1 + i, "item_id": "satisfaction_rate", "value": 91.0}
                         for i in range(orgs)],
    }
    async with svc.uow() as uow:
        for model, values in rows.items():
            await uow.session.execute(insert(model), values)
        await uow.commit()


def _app(settings, svc, fake):
    return build_application(settings, services=svc, configure=lambda b: build_inprocess(b, fake))


async def _size(workdir: Path, staff: int) -> dict:
    settings = Settings(_env_file=None, telegram_bot_token=None,
                        database_url=f"sqlite+aiosqlite:///{workdir / f'bench{staff}.db'}",
                        evidence_dir=workdir / "evidence", admin_ids=[1], send_rate=RATE,
                        chat_send_rate=0, reminder_interval_s=0)
    await upgrade_async(settings.database_url)
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    svc = build_services(settings, clock=clock)
    await _populate(svc, staff)
    joiner_org = await accounts.create_organization(
        svc, name="新组织", uscc="91350100M000100Y43", district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=None)
    fake = FakeTelegram()
    for i in range(staff):
        fake.add_user(FakeUser(FIRST_USER + i, f"职工{i}"))
    out: dict = {"staff": staff, "organisations": staff // 2}

    started = time.perf_counter()
    await rounds.create_round(svc, name="基准轮次", level="city", year=2026,
                              opens_on=dt.date(2026, 11, 1), deadline_at=DEADLINE,
                              recommended_on=dt.date(2026, 12, 20))
    out["create_round_s"] = round(time.perf_counter() - started, 2)
    _log(staff, "round created")

    async with svc.uow() as uow:  # start-up on a database whose rows are not planned yet
        await uow.session.execute(delete(Reminder))
        await uow.commit()
    app = _app(settings, svc, fake)
    started = time.perf_counter()
    async with running(app):
        out["start_up_planning_all_s"] = round(time.perf_counter() - started, 2)
        _log(staff, "started, rows planned")
    app = _app(settings, svc, fake)
    started = time.perf_counter()
    async with running(app):
        out["restart_s"] = round(time.perf_counter() - started, 2)
        _log(staff, "restarted")
        joiner = Chat(app, fake, FakeUser(99, "新职工"))
        started = time.perf_counter()
        await joiner.send(f"/start {joiner_org.invite_code}")
        out["join_s"] = round(time.perf_counter() - started, 3)
        _log(staff, "joined")
        assert "加入成功" in joiner.last_text, joiner.last_text
    async with svc.uow() as uow:
        out["rows"] = sum((await uow.reminders.counts()).values())

    clock.current = dt.datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
    app = _app(settings, svc, fake)
    async with running(app):
        gate = asyncio.Semaphore(CONCURRENCY)

        async def bare(user_id: int) -> None:
            async with gate:
                await app.bot.send_message(user_id, "基准")

        started = time.perf_counter()
        await asyncio.gather(*(bare(FIRST_USER + i) for i in range(staff)))
        baseline = staff / (time.perf_counter() - started)
        _log(staff, "baseline sent")
        fake.sent.clear()
        started = time.perf_counter()
        outcomes = await dispatch_due(app)
        send_s = time.perf_counter() - started
        _log(staff, "reminders sent")
        again = await dispatch_due(app)
    per_chat = Counter(m.chat_id for m in fake.sent if m.text.startswith("⏰"))
    sent = sum(per_chat.values())
    out.update({
        "send_rate_setting": RATE or "unthrottled",
        "sent": sent,
        "send_s": round(send_s, 1),
        "reminders_per_s": round(sent / send_s, 1),
        "baseline_bare_sends_per_s": round(baseline, 1),
        "reminders_vs_baseline": round(sent / send_s / baseline, 2),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "second_pass": again,
        "outcomes": outcomes,
    })
    if RATE:
        out["reminders_vs_rate_pct"] = round(100 * sent / send_s / RATE, 1)
    return out


async def _bench(workdir: Path) -> dict:
    return {f"staff_{n}": await _size(workdir, n) for n in SIZES}


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_bench(Path(tmp)))


if __name__ == "__main__":
    print(run())
