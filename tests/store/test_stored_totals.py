"""Stored totals (services/decisions/totals.py, table project_totals): after every kind of
write that can change a score, through the services, the command line or plain SQL, a stored total
the ranking would use equals the total scored afresh, and only the projects written to
are scored again. On SQLite and, with TEST_DATABASE_URL, PostgreSQL (the triggers are
written for each)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from bot.cli import main
from domain.ranking import Ranked, rank
from domain.uscc import check_character
from services.clock import SHANGHAI
from services.decisions import handover, ranking, totals
from services.desk import queue as desk_queue
from services.desk import review
from services.people import accounts
from services.schedule import rounds
from services.walk import evidence, projects
from services.walk.view import load_many
from store.datafiles import load_ranking
from tests.store.test_reminder_migration import _execute

PDF = b"%PDF-1.4 "
ADMIN = 1
RECOMMENDED = dt.date(2026, 12, 20)


def _uscc(n: int) -> str:
    first = f"91370200MA{n:07d}"
    return first + check_character(first)


async def _project(svc, n: int, *, accept: bool = True, reject: str | None = None,
                   entry_level: str = "city", link: bool = True,
                   figure: bool = True) -> tuple[int, int, int]:
    """Organisation n, its staff member, and a submitted project with five evidence
    targets, reviewed: every target accepted (or left pending with `accept=False`), one
    rejected and the project returned with `reject`. Returns (project, staff, org)."""
    org = await accounts.create_organization(
        svc, name=f"社会组织{n}", uscc=_uscc(n), district="崂山区",
        established_on=dt.date(2019, 5, 10), valid_until=dt.date(2030, 1, 1))
    staff = 2000 + n
    await accounts.join(svc, staff, org.invite_code, f"职工{n}")
    view = await projects.create_project(svc, staff, name=f"项目{n}", area="心理关怀",
                                         started_on=dt.date(2024, 3, 1),
                                         completed_on=dt.date(2025, 6, 30),
                                         closed_and_evaluated=True)
    pid = view.id
    for slot in ("study_records", "registration_certificate", "union_approval",
                 "satisfaction_rate"):
        await evidence.add_file(svc, staff, project_id=pid, slot_key=slot,
                                data=PDF + f"{n}{slot}".encode(), file_name=f"{slot}.pdf",
                                mime_type="application/pdf")
    if figure:
        await evidence.set_figure(svc, staff, pid, "satisfaction_rate", 91, 0)
    await evidence.add_entry(svc, staff, pid, "media_reports", level=entry_level,
                             title=f"报道{n}", happened_on=dt.date(2026, 1, 5),
                             link=f"https://example.org/{n}" if link else "")
    await projects.submit(svc, staff, pid)
    for target in (await review.open_project(svc, ADMIN, pid)).targets:
        if target == reject or target.startswith("entry:") and reject == "entry":
            await review.give_verdict(svc, ADMIN, pid, target, "reject", "材料不清晰")
        elif accept and not (target == "union_approval" and reject == "pending"):
            await review.give_verdict(svc, ADMIN, pid, target, "accept")
    if reject not in (None, "pending"):
        await review.return_project(svc, ADMIN, pid)
    return pid, staff, org.id


async def _truth(svc) -> tuple[dict[int, totals.Totals], dict[int, totals.Totals | None]]:
    """Every ranked project's totals scored afresh, and what the store holds that a reader
    would use (None: missing or outdated)."""
    async with svc.uow() as uow:
        rows = await uow.projects.rows(ranking.REVIEWED, totals=True)
        scored = {x.project.id: totals.totals_of(x) for x in await load_many(uow, svc)}
    return ({r.id: scored[r.id] for r in rows}, {r.id: totals.fresh(svc, r) for r in rows})


async def _check(svc, written: set[int], same: frozenset[int] = frozenset()) -> None:
    """What the store would give is the truth, and only the projects written to need
    scoring again; their totals changed (but for `same`)."""
    truth, kept = await _truth(svc)
    assert {pid: (k, truth[pid]) for pid, k in kept.items()
            if k is not None and k != truth[pid]} == {}
    assert {pid for pid, k in kept.items() if k is None} == written
    assert [pid for pid, before in _FILLED.items()
            if pid in written and (truth[pid].claimed, truth[pid].verified, truth[pid].eligible)
            == (before.claimed, before.verified, before.eligible)] == sorted(same)


_FILLED: dict[int, totals.Totals] = {}


async def _fill(svc) -> None:
    """A ranking stores every total; remember them."""
    await ranking.standing(svc, ADMIN)
    truth, kept = await _truth(svc)
    assert kept == truth
    _FILLED.clear()
    _FILLED.update(truth)


async def _entry(svc, project: tuple[int, int, int]) -> int:
    """The id of the project's media report."""
    view = await review.open_project(svc, ADMIN, project[0])
    return view.state("media_reports").entries[0].id


@pytest.fixture
async def round_(svc):
    return await rounds.create_round(
        svc, name="2026年市级评选", level="city", year=2026, opens_on=dt.date(2026, 11, 1),
        deadline_at=dt.datetime(2026, 12, 15, 17, 0, tzinfo=SHANGHAI),
        recommended_on=RECOMMENDED)


async def test_stored_totals_follow_every_write_that_changes_a_score(
        svc, round_, settings, monkeypatch, tmp_path):
    added, _, _ = p1 = await _project(svc, 1, reject="entry")
    removed = await _project(svc, 2, reject="study_records")
    accepted = await _project(svc, 3, reject="pending")
    rejected = await _project(svc, 4)
    adjusted = await _project(svc, 5)
    certificate = await _project(svc, 6)
    cli_edit = await _project(svc, 7)
    reopened = await _project(svc, 8)
    figure = await _project(svc, 9, reject="satisfaction_rate")
    untouched = await _project(svc, 10)
    proof = await _project(svc, 11, reject="entry", link=False)
    entry_edited = await _project(svc, 12, reject="entry")
    entry_removed = await _project(svc, 13, reject="entry")
    figure_new = await _project(svc, 14, reject="satisfaction_rate", figure=False)
    by_sql = [await _project(svc, n) for n in (15, 16, 17)]
    await _fill(svc)

    # staff change what was returned to them, and resubmit
    await evidence.add_entry(svc, p1[1], added, "media_reports", level="provincial",
                             title="省级报道", happened_on=dt.date(2026, 2, 1),
                             link="https://example.org/p")
    await projects.submit(svc, p1[1], added)
    view = await review.open_project(svc, ADMIN, removed[0])
    [file] = view.state("study_records").files
    await evidence.remove_file(svc, removed[1], removed[0], file.id)
    await evidence.set_figure(svc, figure[1], figure[0], "satisfaction_rate", 75, 1)
    await evidence.set_figure(svc, figure_new[1], figure_new[0], "satisfaction_rate", 91, 0)
    entry = await _entry(svc, proof)
    await evidence.add_file(svc, proof[1], project_id=proof[0], slot_key="media_reports",
                            data=PDF + b"proof", file_name="截图.pdf", mime_type="application/pdf",
                            entry_id=entry)
    await evidence.update_entry(svc, entry_edited[1], entry_edited[0],
                                await _entry(svc, entry_edited), 1, level="national")
    await evidence.remove_entry(svc, entry_removed[1], entry_removed[0],
                                await _entry(svc, entry_removed))
    # the reviewer's verdicts: a new one, one changed to a rejection, an adjustment
    await review.give_verdict(svc, ADMIN, accepted[0], "union_approval", "accept")
    await review.give_verdict(svc, ADMIN, rejected[0], "study_records", "reject", "不清晰")
    await review.give_verdict(svc, ADMIN, adjusted[0], "satisfaction_rate", "adjust",
                              "以问卷原件为准", value=75)
    # the organisation's certificate expires before the recommendation date: by an
    # administrator through the service, and by an operator on the command line
    await accounts.edit_organization(svc, certificate[2], valid_until=dt.date(2026, 12, 1))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EVIDENCE_DIR", str(settings.evidence_dir))
    assert await asyncio.to_thread(main, ["org", "edit", str(cli_edit[2]),
                                          "--valid-until", "2026-12-01"]) == 0
    # reopened, its facts corrected (no longer closed and evaluated), resubmitted
    await projects.reopen(svc, ADMIN, reopened[0])
    await projects.edit_project(svc, reopened[1], reopened[0], closed_and_evaluated=False)
    await projects.submit(svc, reopened[1], reopened[0])

    # an operator's corrections in SQL: a verdict withdrawn, a figure deleted, a file moved
    verdict_gone, figure_gone, file_moved = (p[0] for p in by_sql)
    for statement, pid in (
            ("DELETE FROM verdicts WHERE project_id = :p AND target = 'study_records'",
             verdict_gone),
            ("DELETE FROM evidence_figures WHERE project_id = :p", figure_gone),
            ("UPDATE evidence_files SET item_id = 'study_records' WHERE project_id = :p "
             "AND item_id = 'union_approval'", file_moved)):
        await _execute(settings.database_url, sa.text(statement), {"p": pid})

    written = {p[0] for p in (p1, removed, accepted, rejected, adjusted, certificate,
                              cli_edit, reopened, figure, proof, entry_edited, entry_removed,
                              figure_new, *by_sql)}
    await _check(svc, written)
    assert untouched[0] not in written

    # the round asks for two reviews now (an operator's SQL): every verdict alone is pending
    await _fill(svc)
    await _execute(settings.database_url, sa.text(
        "UPDATE rounds SET reviews_required = 2 WHERE id = :id"), {"id": round_.id})
    await _check(svc, set(_FILLED))
    # the recommendation date moves past every certificate's expiry
    await _fill(svc)
    await _execute(settings.database_url, sa.text(
        "UPDATE rounds SET recommended_on = :on WHERE id = :id"),
        {"on": dt.date(2031, 1, 10), "id": round_.id})
    # (the two whose certificates had expired already, with nothing verified, stay as
    # they were)
    await _check(svc, set(_FILLED), frozenset({certificate[0], cli_edit[0]}))


async def test_the_ranking_is_the_one_scored_afresh(svc, round_):
    for n in range(1, 6):
        await _project(svc, n, entry_level=("city", "provincial", "national")[n % 3],
                       reject="study_records" if n == 4 else None)
    first = await ranking.standing(svc, ADMIN)
    await review.give_verdict(svc, ADMIN, 2, "union_approval", "reject", "缺盖章")
    stored = await ranking.standing(svc, ADMIN)
    rules = load_ranking()
    async with svc.uow() as uow:
        loaded = await load_many(uow, svc)
    afresh = rank(rules, [Ranked(x.project.id, x.project.name, x.organization.name,
                                 x.organization.uscc, x.organization.district, round_.id,
                                 t.claimed, t.verified, t.eligible,
                                 x.figures["satisfaction_rate"][0], x.project.submitted_at,
                                 criteria=t.criteria, blocking=t.blocking)
                          for x in loaded for t in [totals.totals_of(x)]], 2026)
    assert list(stored.rows) == afresh
    assert stored.rows != first.rows  # the rejection moved #2 down
    # the workbook's detail, stored with the totals, is the one scored afresh too
    page = await ranking.detail(svc, stored.rows, stored.round_year, workbook=True)
    afresh_detail = {x.project.id: totals.scored(x)[1] for x in loaded}
    assert [p.detail for p in page] == [afresh_detail[r.project_id] for r in stored.rows]
    assert [(sum(c for c, _ in p.detail.items.values()), sum(v for _, v in
                                                               p.detail.items.values()))
            for p in page] == [(r.claimed_total, r.verified_total) for r in stored.rows]
    assert any(p.detail.opinions for p in page)


async def test_the_ranking_workbook_reads_no_evidence_of_projects_whose_totals_hold(
        svc, round_):
    """The export of a round whose totals are stored reads them with their detail: no
    project's evidence or verdicts are read, nothing is scored again; the workbook still
    holds each project's points and the reviewers' reasons."""
    for n in range(1, 4):
        await _project(svc, n, reject="study_records" if n == 2 else None)
    await ranking.standing(svc, ADMIN)  # every project's totals stored
    data, count = await _reading_no_evidence(svc, handover.ranking_file(svc, ADMIN, "zh"))
    assert count == 3
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("材料不清晰" in c for c in cells)


async def test_the_desk_queue_lists_its_page_on_the_stored_totals(svc, round_):
    for n in range(1, 4):
        await _project(svc, n, reject="study_records" if n == 2 else None)
    standing = await ranking.standing(svc, ADMIN)  # every project's totals stored
    found = await _reading_no_evidence(svc, desk_queue.queue(svc, ADMIN, "all", sort="verified"))
    assert [(v.id, v.claimed, v.verified, v.eligible) for v in found.views] == [
        (r.project_id, r.claimed_total, r.verified_total, r.eligible) for r in standing.rows]


async def _reading_no_evidence(svc, step):  # noqa: ANN001, ANN202
    """What `step` returns, checked not to read any evidence or verdict."""
    statements: list[str] = []
    engine = svc.sessions.kw["bind"].sync_engine

    def seen(conn, cursor, statement, *rest) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        out = await step
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "FROM evidence_files" in s or "FROM verdicts" in s]
    return out


async def test_totals_scored_while_a_write_lands_are_not_kept(svc, round_):
    pid, staff, _ = await _project(svc, 1, reject="entry")
    async with svc.uow() as uow:
        await uow.totals.ensure([pid])
        await uow.commit()
    async with svc.uow() as uow:
        seen = await uow.totals.generations([pid])
        [loaded] = await load_many(uow, svc, ids=[pid])
    before = totals.totals_of(loaded)
    await evidence.add_entry(svc, staff, pid, "media_reports", level="national",  # meanwhile
                             title="全国报道", happened_on=dt.date(2026, 2, 1),
                             link="https://example.org/n")
    async with svc.uow() as uow:
        await uow.totals.store([{"pid": pid, "seen": seen[pid], "basis": totals.basis(svc),
                                 "on_date": RECOMMENDED, "claimed": before.claimed,
                                 "verified": before.verified, "eligible": before.eligible,
                                 "criteria": {}, "blocking": [], "detail": {}}])
        await uow.commit()
    truth, kept = await _truth(svc)
    assert kept == {pid: None} and truth[pid].claimed == before.claimed + 3
    assert (await ranking.standing(svc, ADMIN)).rows[0].claimed_total == before.claimed + 3


async def test_a_project_without_a_recommendation_date_is_scored_again_the_next_day(svc):
    """No round: the score is for today (the certificate may expire overnight)."""
    pid, _, org = await _project(svc, 1)
    await accounts.edit_organization(svc, org, valid_until=svc.clock.today()
                                     + dt.timedelta(days=1))
    [row] = (await ranking.standing(svc, ADMIN)).rows
    assert row.eligible
    svc.clock.advance(dt.timedelta(days=2))
    truth, kept = await _truth(svc)
    assert kept == {pid: None} and not truth[pid].eligible
    [row] = (await ranking.standing(svc, ADMIN)).rows
    assert not row.eligible and row.claimed_total == truth[pid].claimed


async def test_the_sql_reading_of_the_recommendation_date_is_the_domains(svc, settings):
    """The background job finds outdated totals in SQL (store/repositories/projects.py
    `_scored_for`); a reader decides in Python (domain/scoring.py `recommendation_date`):
    for a project with its own date, one with its round's and one with neither (today),
    whatever date a total was stored for, both find the same ones outdated."""
    undated = (await _project(svc, 1))[0]
    await rounds.create_round(
        svc, name="2026年市级评选", level="city", year=2026, opens_on=dt.date(2026, 11, 1),
        deadline_at=dt.datetime(2026, 12, 15, 17, 0, tzinfo=SHANGHAI),
        recommended_on=RECOMMENDED)
    in_round, own = (await _project(svc, 2))[0], (await _project(svc, 3))[0]
    await _execute(settings.database_url, sa.text(
        "UPDATE projects SET recommended_on = :on WHERE id = :id"),
        {"on": dt.date(2026, 12, 25), "id": own})
    assert await ranking.refresh_totals(svc) == 3
    today = svc.clock.today()
    for stored, outdated in ((RECOMMENDED, {undated, own}), (today, {in_round, own}),
                             (dt.date(2026, 12, 25), {undated, in_round})):
        await _execute(settings.database_url, sa.text("UPDATE project_totals SET on_date = :on"),
                       {"on": stored})
        async with svc.uow() as uow:
            found = {r.id for r in await uow.projects.rows(
                ranking.REVIEWED, totals=True, outdated=(totals.basis(svc), today))}
        assert found == {pid for pid, kept in (await _truth(svc))[1].items()
                         if kept is None} == outdated


async def test_the_background_job_scores_what_a_bulk_change_outdated(svc, round_, settings):
    for n in range(1, 4):
        await _project(svc, n)
    assert await ranking.refresh_totals(svc) == 3  # none stored yet
    assert await ranking.refresh_totals(svc) == 0  # one light statement, nothing to do
    await _execute(settings.database_url, sa.text(
        "UPDATE rounds SET recommended_on = :on WHERE id = :id"),
        {"on": dt.date(2030, 6, 1), "id": round_.id})  # every certificate expired by then
    assert await ranking.refresh_totals(svc) == 3
    truth, kept = await _truth(svc)
    assert kept == truth and not any(t.eligible for t in truth.values())


async def test_the_desk_queue_filters_on_an_eligibility_that_still_holds(svc, round_):
    """A write since the totals were stored (a certificate expired before the
    recommendation date) shows in the queue's eligibility filter at once."""
    ids = {}
    for n in range(1, 4):
        ids[n], _, org = await _project(svc, n)
        if n == 1:
            expiring = org
    await ranking.standing(svc, ADMIN)  # every project's totals stored: all eligible
    await accounts.edit_organization(svc, expiring, valid_until=dt.date(2026, 12, 1))
    listed = await desk_queue.queue(svc, ADMIN, "all", eligible=True)
    assert ids[1] not in [v.id for v in listed.views]
    assert all(v.eligible for v in listed.views)
    [ineligible] = (await desk_queue.queue(svc, ADMIN, "all", eligible=False)).views
    assert ineligible.id == ids[1] and not ineligible.eligible
