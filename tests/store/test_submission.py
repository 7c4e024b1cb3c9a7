"""The submission service on a real database: evidence in, score out, nothing lost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from bot.app import build_services
from domain.errors import InputError
from services.clock import FixedClock
from services.errors import Conflict, Locked, NotMember
from services.walk import evidence, projects
from services.walk import view as pv
from tests.store.conftest import NOW

PDF = b"%PDF-1.4 contract"


@pytest.fixture
async def project(svc, staff):
    view = await projects.create_project(svc, 1001, name="职工心理关爱项目", area="心理关怀",
                                    started_on=dt.date(2024, 3, 1),
                                    completed_on=dt.date(2025, 6, 30), closed_and_evaluated=True)
    return view.id


async def test_new_project_starts_at_zero_with_thirteen_slots(svc, project):
    view = await pv.project_view(svc, 1001, project)
    assert view.report.total == 0 and len(view.slots) == 13
    assert view.next_slot.key == "study_records"


async def test_a_file_scores_its_item_and_is_stored_by_content(svc, project, settings):
    saved = await evidence.add_file(svc, 1001, project_id=project, slot_key="study_records",
                                    data=PDF, file_name="学习记录.pdf", mime_type="application/pdf")
    assert (saved.view.report.total, saved.gained, saved.duplicate) == (10, 10, False)
    stored = list((settings.evidence_dir).rglob("*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    row, data = await pv.file_content(svc, 1002, project, saved.view.slots[0].files[0].id)
    assert data == PDF and row.file_name == "学习记录.pdf"


async def test_the_same_file_twice_is_recognised_and_stored_once(svc, project, settings):
    await evidence.add_file(svc, 1001, project_id=project, slot_key="study_records", data=PDF,
                            file_name="a.pdf", mime_type="application/pdf")
    again = await evidence.add_file(svc, 1002, project_id=project, slot_key="study_records",
                                    data=PDF, file_name="b.pdf", mime_type="application/pdf")
    assert again.duplicate and again.view.report.total == 10
    assert len(again.view.slots[0].files) == 1
    assert len(list(settings.evidence_dir.rglob("*.pdf"))) == 1


@pytest.mark.parametrize(("name", "mime", "size", "code"), [
    ("virus.exe", "application/octet-stream", 10, "file_type"),
    ("big.pdf", "application/pdf", 2 * 1024 * 1024, "file_too_big"),  # limit is 1 MB here
])
async def test_refused_files_change_nothing(svc, project, settings, name, mime, size, code):
    with pytest.raises(InputError) as err:
        await evidence.add_file(svc, 1001, project_id=project, slot_key="study_records",
                                data=b"x" * size, file_name=name, mime_type=mime)
    assert err.value.code == code
    assert (await pv.project_view(svc, 1001, project)).report.total == 0
    assert not settings.evidence_dir.exists() or not list(settings.evidence_dir.rglob("*.*"))


async def test_project_documents_score_per_kind(svc, project):
    await evidence.add_file(svc, 1001, project_id=project, slot_key="project_documents.contract",
                            data=PDF, file_name="合同.pdf", mime_type="application/pdf")
    saved = await evidence.add_file(svc, 1001, project_id=project,
                                    slot_key="project_documents.plan", data=b"%PDF plan",
                                    file_name="方案.pdf", mime_type="application/pdf")
    assert saved.view.report.criteria[3].points == 10


async def test_satisfaction_needs_the_figure_and_its_files(svc, project):
    saved = await evidence.set_figure(svc, 1001, project, "satisfaction_rate", 85, seen_version=0)
    assert saved.view.report.total == 0  # a figure alone is no evidence
    saved = await evidence.add_file(svc, 1001, project_id=project, slot_key="satisfaction_rate",
                                    data=b"%PDF survey", file_name="测评结果.pdf",
                                    mime_type="application/pdf")
    assert saved.view.report.total == 8


async def test_two_staff_editing_the_same_figure_do_not_overwrite_silently(svc, project):
    view = await pv.project_view(svc, 1001, project)
    seen = next(s for s in view.slots if s.slot.key == "satisfaction_rate").figure_version
    await evidence.set_figure(svc, 1002, project, "satisfaction_rate", 91, seen_version=seen)
    with pytest.raises(Conflict):
        await evidence.set_figure(svc, 1001, project, "satisfaction_rate", 85, seen_version=seen)
    view = await pv.project_view(svc, 1001, project)
    assert next(s for s in view.slots if s.slot.key == "satisfaction_rate").figure == 91


async def test_media_entries_need_support_and_cap_at_ten(svc, project):
    entry_id, saved = await evidence.add_entry(svc, 1001, project, "media_reports",
                                               level="national",
                                          title="工人日报", happened_on=dt.date(2025, 5, 1))
    assert saved.view.report.total == 0  # no link, no screenshot yet
    await evidence.add_file(svc, 1001, project_id=project, slot_key="media_reports",
                            data=b"\x89PNG shot", file_name="shot.png", mime_type="image/png",
                            entry_id=entry_id)
    assert (await pv.project_view(svc, 1001, project)).report.total == 3
    for n in range(4):
        _, saved = await evidence.add_entry(svc, 1001, project, "media_reports", level="national",
                                       title=f"报道{n}", happened_on=dt.date(2025, 5, 2),
                                       link=f"https://example.cn/{n}")
    media = next(s for s in saved.view.slots if s.slot.key == "media_reports")
    assert media.points == 10 and media.capped


async def test_a_future_completion_date_is_refused(svc, staff):
    with pytest.raises(InputError) as err:
        await projects.create_project(svc, 1001, name="未来项目", area="法律服务",
                                 started_on=dt.date(2026, 1, 1),
                                 completed_on=dt.date(2026, 12, 31), closed_and_evaluated=False)
    assert err.value.code == "future_date"


async def test_submitting_locks_and_a_reviewer_can_reopen(svc, project):
    await projects.submit(svc, 1001, project)
    with pytest.raises(Locked):
        await evidence.add_file(svc, 1002, project_id=project, slot_key="study_records", data=PDF,
                                file_name="a.pdf", mime_type="application/pdf")
    with pytest.raises(NotMember):
        await projects.reopen(svc, 1001, project)  # staff cannot reopen
    view = await projects.reopen(svc, 1, project)  # an admin (or reviewer) can
    assert view.status == "draft"
    saved = await evidence.add_file(svc, 1002, project_id=project, slot_key="study_records",
                                    data=PDF, file_name="a.pdf", mime_type="application/pdf")
    assert saved.view.report.total == 10


async def test_outsiders_cannot_touch_a_project(svc, project):
    with pytest.raises(NotMember):
        await evidence.add_file(svc, 4242, project_id=project, slot_key="study_records", data=PDF,
                                file_name="a.pdf", mime_type="application/pdf")


async def test_everything_confirmed_survives_a_restart(svc, settings, project):
    await evidence.add_file(svc, 1001, project_id=project, slot_key="union_approval", data=PDF,
                            file_name="批复.pdf", mime_type="application/pdf")
    await projects.set_cursor(svc, 1001, project_id=project, slot_key="union_work_materials")
    fresh = build_services(settings, clock=FixedClock(NOW))  # a new process on the same DB
    view = await pv.project_view(fresh, 1001, project)
    assert view.report.total == 10
    assert await pv.cursor(fresh, 1001) == (project, "union_work_materials")


async def test_opening_the_place_the_user_is_at_writes_nothing(svc, project):
    """Back to the checklist after a criterion, again and again: the walk's cursor is where
    it was, so no UPDATE (and no commit synced to disk); moving somewhere else writes it."""
    await projects.set_cursor(svc, 1001, project_id=project, slot_key="union_approval")
    writes: list[str] = []

    def executed(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE USERS"):
            writes.append(statement)

    engine = svc.sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", executed)
    try:
        await projects.open_at(svc, 1001, project)
        assert len(writes) == 1  # moved to the checklist
        for _ in range(3):
            await projects.open_at(svc, 1001, project)
        assert len(writes) == 1  # already there
        await projects.open_at(svc, 1001, project, "study_records")
        assert len(writes) == 2
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    assert await pv.cursor(svc, 1001) == (project, "study_records")


async def test_a_full_submission_reaches_100(svc, project):
    for slot in pv.slots(svc):
        if slot.item_id in ("media_reports", "exchanges"):
            for n in range(4):
                await evidence.add_entry(svc, 1001, project, slot.item_id, level="national",
                                    title=f"{slot.item_id}{n}", happened_on=dt.date(2025, 1, 1),
                                    link=f"https://example.cn/{slot.item_id}/{n}")
            continue
        if slot.item_id == "satisfaction_rate":
            await evidence.set_figure(svc, 1001, project, slot.item_id, 96.5, seen_version=0)
        await evidence.add_file(svc, 1001, project_id=project, slot_key=slot.key,
                                data=f"%PDF {slot.key}".encode(), file_name=f"{slot.key}.pdf",
                                mime_type="application/pdf")
    view = await pv.project_view(svc, 1001, project)
    assert view.report.total == 100 and view.next_slot is None and view.report.eligible


async def test_an_entry_and_its_proof_are_saved_together_or_not_at_all(svc, project):
    with pytest.raises(InputError):  # an empty screenshot: neither is saved
        await evidence.add_entry(svc, 1001, project, "exchanges", level="city", title="交流会",
                                 happened_on=dt.date(2025, 5, 1), proof=(b"", "s.png",
                                                                         "image/png", ""))
    view = await pv.project_view(svc, 1001, project)
    assert view.state("exchanges").entries == ()
    shot = (b"\x89PNG shot", "s.png", "image/png", "")
    for title in ("交流会", "推进会"):  # one screenshot proves both
        _, saved = await evidence.add_entry(svc, 1001, project, "exchanges", level="city",
                                            title=title, happened_on=dt.date(2025, 5, 1),
                                            proof=shot)
    state = saved.view.state("exchanges")
    assert len(state.entries) == 2 and state.supported == {e.id for e in state.entries}
    assert saved.view.report.total == 2
