"""Decisions at city scale (issue 14): 1,000 and 10,000 organisations, each with a submitted
project with evidence that a reviewer has reviewed (a verdict on every target: most projects
verified, every 25th in review with its media report rejected for a reason), a tenth of them
honoured and part-paid in the ledger. Through the whole PTB stack and the in-process Bot
API, as a reviewer would:

- `/review` (its first page), `/ranking` (its first page: cold, the first one, which stores
  every project's totals; then warm), `/ledger` (its first page);
- the full ranking export (the button, until the workbook arrives);
- while that export of every project runs, another user's `/start`: the time until its
  answer is sent;
- after a bulk invalidation (the round's recommendation date moved: every stored total
  outdated), `/ranking` cold and warm again;
- the baseline, side by side: the same user's `/start` on an idle bot.

The generator (`populate`) builds the synthetic database: the reminders bench's
organisations, projects and evidence, the projects submitted in one round and spread over
the districts, the reviewer's verdicts (bulk inserted, each with what its target held when
it was given, as the desk stores it), and ledger rows. `BENCH_ORGS` (default
"1000,10000") changes the sizes."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, update

from bot.app import build_application, build_services
from bot.settings import Settings
from bot.transport import FakeTelegram, FakeUser, build_inprocess, running
from services import rounds
from services.clock import SHANGHAI, FixedClock
from store.migrate import upgrade_async
from store.models import (
    EvidenceEntry,
    EvidenceFigure,
    EvidenceFile,
    LedgerEntry,
    Organization,
    Project,
    Round,
    Verdict,
)
from tests.bench.reminders import _populate
from tests.support.chat import Chat

SIZES = [int(n) for n in os.environ.get("BENCH_ORGS", "1000,10000").split(",")]
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
REVIEWER = 1
REJECTED_EVERY = 25  # every 25th project: its media report rejected, the project in review


async def _verdicts(s) -> None:
    """The reviewer's verdict on every target of every project, each with the fingerprint
    of what the target held (services/project_view.py `fingerprint`): three statements to
    read, one bulk insert, two updates of the statuses."""
    files = (await s.execute(select(EvidenceFile.id, EvidenceFile.project_id,
                                    EvidenceFile.item_id, EvidenceFile.kind,
                                    EvidenceFile.entry_id))).all()
    entries = (await s.execute(select(EvidenceEntry.id, EvidenceEntry.project_id,
                                      EvidenceEntry.version))).all()
    figures = (await s.execute(select(EvidenceFigure.project_id, EvidenceFigure.item_id,
                                      EvidenceFigure.value))).all()
    proofs: dict[int, list[int]] = {}
    for f in files:
        if f.entry_id is not None:
            proofs.setdefault(f.entry_id, []).append(f.id)
    rows = [dict(project_id=f.project_id, target=f"{f.item_id}.{f.kind}" if f.kind
                 else f.item_id, seen=[[f.id], None]) for f in files if f.entry_id is None]
    rows += [dict(project_id=g.project_id, target=g.item_id, seen=[[], g.value])
             for g in figures]
    rows += [dict(project_id=e.project_id, target=f"entry:{e.id}",
                  seen=[e.version, sorted(proofs.get(e.id, []))]) for e in entries]
    for r in rows:
        rejected = r["target"].startswith("entry:") and r["project_id"] % REJECTED_EVERY == 0
        r.update(reviewer_id=REVIEWER, verdict="reject" if rejected else "accept",
                 reason="报道链接无法打开，请补充原文截图" if rejected else "", level=None,
                 value=None, at=NOW - dt.timedelta(hours=2))
    await s.execute(insert(Verdict), rows)
    await s.execute(update(Project).values(status="verified"))
    await s.execute(update(Project).where(Project.id % REJECTED_EVERY == 0)
                    .values(status="in_review"))


async def populate(svc, organisations: int) -> None:
    """`organisations` organisations with a submitted, reviewed project each (ids 1…N)."""
    await _populate(svc, organisations * 2)  # two staff members per organisation
    current = await rounds.create_round(svc, name="基准轮次", level="city", year=2026,
                                        opens_on=dt.date(2026, 11, 1),
                                        deadline_at=NOW + dt.timedelta(days=20),
                                        recommended_on=dt.date(2026, 12, 20))
    names = svc.districts.names
    async with svc.uow() as uow:
        s = uow.session
        await s.execute(update(Project).values(status="submitted", round_id=current.id,
                                               submitted_at=NOW - dt.timedelta(days=1)))
        for n, name in enumerate(names):  # one statement per district
            await s.execute(update(Organization)
                            .where((Organization.id - 1000) % len(names) == n)
                            .values(district=name))
        honoured = range(1, organisations + 1, 10)
        await s.execute(insert(LedgerEntry), [
            {"project_id": p, "kind": kind, "level": "city" if kind == "honour" else None,
             "amount": 5000 if kind == "payment" else 0, "payer": "市总工会", "note": "",
             "on_date": dt.date(2026, 11, 1), "recorded_by": 1, "recorded_at": NOW}
            for p in honoured for kind in ("honour", "payment")])
        await _verdicts(s)
        await uow.commit()


async def _timed(step) -> float:
    started = time.perf_counter()
    await step
    return round(time.perf_counter() - started, 3)


async def _answered(chat: Chat, text: str) -> float:
    """The time from sending `text` to the bot's first message in that chat."""
    before = len(chat.messages)
    started = time.perf_counter()
    task = asyncio.create_task(chat.send(text))
    while len(chat.messages) == before and not task.done():
        await asyncio.sleep(0.002)
    took = time.perf_counter() - started
    await task
    return round(took, 3)


async def _size(workdir: Path, organisations: int) -> dict:
    settings = Settings(_env_file=None, telegram_bot_token=None,
                        database_url=f"sqlite+aiosqlite:///{workdir / f'd{organisations}.db'}",
                        evidence_dir=workdir / "evidence", admin_ids=[1], chat_send_rate=0,
                        send_rate=0, reminder_interval_s=3600,
                        totals_interval_s=0)  # the cold rankings timed, not the job's
    await upgrade_async(settings.database_url)
    svc = build_services(settings, clock=FixedClock(NOW))
    started = time.perf_counter()
    await populate(svc, organisations)
    out: dict = {"organisations": organisations,
                 "generate_s": round(time.perf_counter() - started, 1)}
    fake = FakeTelegram()
    app = build_application(settings, services=svc,
                            configure=lambda b: build_inprocess(b, fake))
    reviewer = Chat(app, fake, FakeUser(1, "评审"), settle_timeout=600)
    other = Chat(app, fake, FakeUser(99, "路人"), settle_timeout=600)
    async with running(app):
        await other.send("/start")  # accounts exist before timing
        await reviewer.send("/start")
        out["baseline_start_idle_s"] = await _answered(other, "/start")
        out["review_first_page_s"] = await _timed(reviewer.send("/review"))
        # the first ranking stores every project's totals (none yet: cold); then warm
        out["ranking_first_page_cold_s"] = await _timed(reviewer.send("/ranking"))
        out["ranking_first_page_s"] = await _timed(reviewer.send("/ranking"))
        out["ledger_first_page_s"] = await _timed(reviewer.send("/ledger"))
        started, finished = time.perf_counter(), []
        export = asyncio.create_task(reviewer.press("📥 导出排名表"))
        export.add_done_callback(lambda _: finished.append(time.perf_counter()))
        await asyncio.sleep(0.5)
        out["start_during_export_s"] = await _answered(other, "/start")
        out["export_still_running_then"] = not export.done()
        await export
        out["ranking_export_s"] = round(finished[0] - started, 2)
        [doc] = reviewer.documents_since
        out["export_mb"] = round(len(doc.file) / 1e6, 2)
        # a bulk invalidation: the round's recommendation date moves (every total outdated)
        async with svc.uow() as uow:
            await uow.session.execute(update(Round).values(
                recommended_on=dt.date(2026, 12, 21)))
            await uow.commit()
        out["ranking_after_round_edit_s"] = await _timed(reviewer.send("/ranking"))
        out["ranking_again_s"] = await _timed(reviewer.send("/ranking"))
    await svc.close()
    base = max(out["baseline_start_idle_s"], 0.001)
    out["start_during_export_vs_idle"] = round(out["start_during_export_s"] / base, 1)
    return out


async def _bench(workdir: Path) -> dict:
    return {f"orgs_{n}": await _size(workdir, n) for n in SIZES}


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_bench(Path(tmp)))
