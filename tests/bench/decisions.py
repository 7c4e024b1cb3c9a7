"""Decisions at city scale (issues 14, 19, 21): organisations each with a submitted
project as a reviewed round really has it (20 evidence files on disk, 5 entries, 14
verdicts: one on every target; most projects verified, every 25th in review with its media
reports rejected for a reason), a tenth of them honoured and part-paid in the ledger.

- the start-up of `python -m bot run` on that data (over HTTP, tests/bench/_over_http.py), to
  its first poll, twice; then in process, through the whole PTB stack and the in-process Bot API, as
  a reviewer would:
- `/review` (its first page), `/ranking` (its first page: cold, the process's first, on
  the totals the round's writes left stored, with the time to its first message; then
  warm), `/ledger`;
- the full ranking export (the button, until the workbook arrives);
- while that export of every project runs, another user's `/start`: the time until its
  answer is sent;
- after a bulk invalidation (the round's recommendation date moved: every stored total
  outdated), `/ranking` cold and warm again;
- the baseline, side by side: the same user's `/start` on an idle bot; the peak memory of
  the process (the data is generated in a child process, not counted).

The generator (`populate`) builds the synthetic database: the reminders bench's
organisations and projects, their evidence files written where and as the evidence store
keeps them (in bulk, without its per-file fsync), the projects submitted in one round and
spread over the districts, the reviewer's verdicts (bulk inserted, each with what its
target held when it was given, as the desk stores it), and ledger rows; then, as a bulk
change must, the stored totals it outdated are scored again (what the background job
does). `BENCH_ORGS` (default "1000,10000") changes the sizes; the load average is read
before and after."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from bot.app import build_application, build_services
from bot.settings import Settings
from fakegram import FakeTelegram, FakeUser, build_inprocess, running
from services.clock import SHANGHAI, FixedClock
from services.decisions import ranking
from services.schedule import rounds
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
from tests.bench._harness import rss_kib
from tests.bench._over_http import first_poll_seconds
from tests.bench.reminders import _populate
from tests.support.chat import Chat

SIZES = [int(n) for n in os.environ.get("BENCH_ORGS", "1000,10000").split(",")]
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
REVIEWER = 1
REJECTED_EVERY = 25  # every 25th project: its media report rejected, the project in review


async def _verdicts(s) -> None:
    """The reviewer's verdict on every target of every project (a slot with its files or
    figure, an entry with its proofs), each with the fingerprint of what the target held
    (services/walk/view.py `fingerprint`): three statements to read, one bulk insert,
    two updates of the statuses."""
    files = (await s.execute(select(EvidenceFile.id, EvidenceFile.project_id,
                                    EvidenceFile.item_id, EvidenceFile.kind,
                                    EvidenceFile.entry_id))).all()
    entries = (await s.execute(select(EvidenceEntry.id, EvidenceEntry.project_id,
                                      EvidenceEntry.version))).all()
    figures = (await s.execute(select(EvidenceFigure.project_id, EvidenceFigure.item_id,
                                      EvidenceFigure.value))).all()
    proofs: dict[int, list[int]] = {}
    slots: dict[tuple[int, str, str], list[int]] = {}
    for f in files:
        if f.entry_id is not None:
            proofs.setdefault(f.entry_id, []).append(f.id)
        else:
            slots.setdefault((f.project_id, f.item_id, f.kind), []).append(f.id)
    values = {(g.project_id, g.item_id): g.value for g in figures}
    rows = [dict(project_id=p, target=f"{item}.{kind}" if kind else item,
                 seen=[sorted(ids), values.pop((p, item), None)])
            for (p, item, kind), ids in slots.items()]
    rows += [dict(project_id=p, target=item, seen=[[], value])
             for (p, item), value in values.items()]
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


# A reviewed project's evidence, as staff upload it: 15 files in 8 slots (item, kind, the
# name it was sent under), 5 entries (the reminders bench's media report and 4 more), each
# entry with a screenshot as its proof, and the satisfaction rate: 14 targets, 14 verdicts.
SLOT_FILES = [("study_records", "", f"2025年{m}月学习记录.pdf") for m in (3, 6, 9)] + [
    ("activity_materials", "", f"活动签到表_第{k}期.jpg") for k in (1, 2, 3)] + [
    ("registration_certificate", "", "民办非企业单位登记证书.jpg"),
    ("premises_photos", "", "服务场地照片1.jpg"), ("premises_photos", "", "服务场地照片2.jpg"),
    ("union_approval", "", "关于同意成立工会的批复.pdf"),
    ("project_documents", "contract", "项目服务合同（盖章）.pdf"),
    ("project_documents", "plan", "项目实施方案.docx"),
    ("project_documents", "plan", "项目实施方案（修订）.pdf"),
    ("project_documents", "evaluation_summary", "结项评估报告.pdf"),
    ("project_documents", "evaluation_summary", "服务对象满意度调查汇总.xlsx")]
MORE_ENTRIES = [("media_reports", "provincial", "省级媒体报道"),
                ("media_reports", "city", "青岛日报报道"),
                ("exchanges", "city", "全市经验交流会发言"),
                ("exchanges", "provincial", "全省社会组织工作推进会交流")]
MIME = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".xlsx":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _content(project_id: int, n: int, suffix: str) -> bytes:
    """A small file of its type, different for every project and slot (400–2,000 bytes)."""
    head = b"%PDF-1.4\n" if suffix == ".pdf" else b"\xff\xd8\xff\xe0" \
        if suffix == ".jpg" else b"PK\x03\x04"
    return head + f"project {project_id} file {n} ".encode() * (10 + (project_id + n) % 60)


def _write(store, org_id: int, project_id: int, n: int, file_name: str) -> dict:
    """One file written where and as the evidence store keeps it (content-addressed, per
    organisation and project), without its per-file fsync (the bench's data, written in
    bulk); the values of its row."""
    suffix = Path(file_name).suffix
    data = _content(project_id, n, suffix)
    digest = hashlib.sha256(data).hexdigest()
    path = store.path_for(org_id, project_id, digest, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"project_id": project_id, "sha256": digest, "size": len(data), "suffix": suffix,
            "mime_type": MIME[suffix], "file_name": file_name, "uploaded_by": None}


async def _evidence(svc, s, organisations: int) -> None:
    """Every project's 20 files on disk and in rows, and its 5 entries."""
    await s.execute(delete(EvidenceFile))  # the reminders bench's rows have no file on disk
    await s.execute(insert(EvidenceEntry), [
        {"project_id": p, "item_id": item, "level": level, "title": f"{title}{p}",
         "happened_on": dt.date(2026, 1 + k, 10), "link": f"https://example.org/{p}/{k}"}
        for p in range(1, organisations + 1) for k, (item, level, title)
        in enumerate(MORE_ENTRIES)])
    entries = (await s.execute(select(EvidenceEntry.id, EvidenceEntry.project_id,
                                      EvidenceEntry.item_id))).all()
    org_of = dict((await s.execute(select(Project.id, Project.organization_id))).all())
    rows = [dict(_write(svc.evidence, org_of[p], p, n, name), item_id=item, kind=kind,
                 entry_id=None)
            for p in range(1, organisations + 1)
            for n, (item, kind, name) in enumerate(SLOT_FILES)]
    rows += [dict(_write(svc.evidence, org_of[e.project_id], e.project_id, 100 + e.id,
                         f"报道截图{e.id}.jpg"), item_id=e.item_id, kind="", entry_id=e.id)
             for e in entries]
    await s.execute(insert(EvidenceFile), rows)


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
        await _evidence(svc, s, organisations)
        await _verdicts(s)
        await uow.commit()
    # A bulk change says so: the totals the round's writes through the services would have
    # left stored (each write outdates its project; the next reader or the background job
    # scores it again) are scored now, as the job would.
    await ranking.refresh_totals(svc, chunk=2000)


async def _timed(step) -> float:
    started = time.perf_counter()
    await step
    return round(time.perf_counter() - started, 3)


async def _answered(chat: Chat, text: str, whole: bool = False) -> float | tuple:
    """The time from sending `text` to the bot's first message in that chat (`whole`: and
    to the end of its handling)."""
    before = len(chat.messages)
    started = time.perf_counter()
    task = asyncio.create_task(chat.send(text))
    while len(chat.messages) == before and not task.done():
        await asyncio.sleep(0.002)
    took = time.perf_counter() - started
    await task
    if whole:
        return round(took, 3), round(time.perf_counter() - started, 3)
    return round(took, 3)


def _settings(workdir: Path) -> Settings:
    """The database and the evidence folder where `python -m bot run` finds them under
    tests/bench/_over_http.py `startup`."""
    return Settings(_env_file=None, telegram_bot_token=None,
                    database_url=f"sqlite+aiosqlite:///{workdir / 'start.db'}",
                    evidence_dir=workdir / "evidence", admin_ids=[1], chat_send_rate=0,
                    send_rate=0, reminder_interval_s=3600,
                    totals_interval_s=0)  # the cold rankings timed, not the job's


async def _generate(workdir: Path, organisations: int) -> None:
    settings = _settings(workdir)
    await upgrade_async(settings.database_url)
    svc = build_services(settings, clock=FixedClock(NOW))
    await populate(svc, organisations)
    await svc.close()


async def _measure(workdir: Path, out: dict) -> None:
    settings = _settings(workdir)
    svc = build_services(settings, clock=FixedClock(NOW))
    fake = FakeTelegram()
    app = build_application(settings, services=svc,
                            configure=lambda b: build_inprocess(b, fake))
    reviewer = Chat(app, fake, FakeUser(1, "评审"), settle_timeout=600)
    other = Chat(app, fake, FakeUser(99, "路人"), settle_timeout=600)
    started = time.perf_counter()
    async with running(app):
        out["start_in_process_s"] = round(time.perf_counter() - started, 2)
        await other.send("/start")  # accounts exist before timing
        await reviewer.send("/start")
        out["baseline_start_idle_s"] = await _answered(other, "/start")
        out["review_first_page_s"] = await _timed(reviewer.send("/review"))
        # the process's first ranking (cold: nothing read yet), then warm
        out["ranking_cold_first_message_s"], out["ranking_first_page_cold_s"] = \
            await _answered(reviewer, "/ranking", whole=True)
        out["ranking_cold_first_message"] = reviewer.since[0].text[:60]
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
    out["peak_rss_mib"] = round(rss_kib()[1] / 1024, 1)


def generated(workdir: Path, organisations: int) -> dict:
    """The data generated in `workdir` by a child process (its memory not counted): the
    figures of the generation."""
    workdir.mkdir()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tests.bench.decisions", "generate", str(workdir),
                    str(organisations)], check=True)
    return {"organisations": organisations,
            "generate_s": round(time.perf_counter() - started, 1),
            "load_average": os.getloadavg()}


def _size(workdir: Path, organisations: int) -> dict:
    """The data generated in a child process (its memory not counted), the start-up of
    `python -m bot run` on it timed in another, then the chats and the peak memory here."""
    out = generated(workdir, organisations)
    out |= {"evidence_files_on_disk": sum(1 for _ in (workdir / "evidence").rglob("*.*")),
                 "load_average": os.getloadavg()}
    out["startup_to_first_poll_s"] = [  # with reminders to plan, then not
        round(asyncio.run(first_poll_seconds(workdir, "start.db")), 2) for _ in range(2)]
    asyncio.run(_measure(workdir, out))
    out["load_average_after"] = os.getloadavg()
    return out


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return {f"orgs_{n}": _size(Path(tmp) / str(n), n) for n in SIZES}


if __name__ == "__main__":  # the generator's child process: generate WORKDIR ORGANISATIONS
    asyncio.run(_generate(Path(sys.argv[2]), int(sys.argv[3])))
