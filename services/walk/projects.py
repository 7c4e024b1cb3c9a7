"""Writes on projects: create, correct the facts, move the user's place in the walk,
submit, reopen (honours: services/decisions/ledger.py). Each is one unit of work, committed
before it returns."""

from __future__ import annotations

import datetime as dt

from domain.errors import MAX_NAME, InputError
from services import audit
from services.core import Services
from services.errors import Locked, NotMember
from services.schedule.rounds import open_round
from services.walk.view import Loaded, ProjectView, load, reviewed_project
from store.models import Project
from store.uow import UnitOfWork

FACT_FIELDS = ("name", "service_area", "started_on", "completed_on", "closed_and_evaluated")


def check_project_fields(svc: Services, *, name: str | None = None, area: str | None = None,
                         started_on: dt.date | None = None,
                         completed_on: dt.date | None = None) -> None:
    """Raise InputError for a bad field (each field is checked when given)."""
    if name is not None and not (0 < len(name.strip()) <= MAX_NAME):
        raise InputError("name", "name_length", max=MAX_NAME)
    if area is not None and area not in svc.service_areas:
        raise InputError("service_area", "unknown_choice", value=area,
                         choices="、".join(svc.service_areas))
    if completed_on is not None and completed_on > svc.clock.today():
        raise InputError("completed_on", "future_date", value=completed_on.isoformat())
    if started_on and completed_on and completed_on < started_on:
        raise InputError("completed_on", "end_before_start", start=started_on.isoformat())


def writable(svc: Services, loaded: Loaded, target: str | None = None) -> None:
    """Staff change a draft; of a returned project only the targets returned to them
    (`target`: the one about to change; None: the project's facts). Both until the
    deadline (or the organisation's extension)."""
    if loaded.project.status not in ("draft", "returned"):
        raise Locked(loaded.project.id, "submitted")
    if loaded.status == "closed":
        raise Locked(loaded.project.id, "deadline")
    if loaded.project.status == "returned":
        view = loaded.view()
        if target is None or target not in view.returned | view.removed:
            raise Locked(loaded.project.id, "returned")


async def editable(uow: UnitOfWork, svc: Services, user_id: int,
                   project_id: int | None, target: str | None = None) -> Loaded:
    """The project (given, else the user's current one), loaded once, if the user may
    change it now (`target`: see `writable`)."""
    loaded = await load(uow, svc, user_id, project_id)
    writable(svc, loaded, target)
    return loaded


async def create_project(svc: Services, user_id: int, *, name: str, area: str,
                         started_on: dt.date, completed_on: dt.date,
                         closed_and_evaluated: bool) -> ProjectView:
    check_project_fields(svc, name=name, area=area, started_on=started_on,
                         completed_on=completed_on)
    current = await open_round(svc)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.organization_id is None:
            raise NotMember(None)
        project = Project(organization_id=user.organization_id, name=name.strip(),
                          service_area=area, started_on=started_on, completed_on=completed_on,
                          closed_and_evaluated=closed_and_evaluated, created_by=user_id,
                          round_id=current.id if current else None)
        uow.projects.add(project)
        await uow.flush()
        user.current_project_id, user.current_slot = project.id, None
        await uow.commit()
        return (await load(uow, svc, user_id, project.id)).view()


async def edit_project(svc: Services, user_id: int, project_id: int,
                       **changes: object) -> ProjectView:
    """Correct the project's facts (name, service area, dates, closed and evaluated) while
    it is a draft; the returned view has eligibility re-evaluated."""
    unknown = set(changes) - set(FACT_FIELDS)
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown_field", choices=", ".join(FACT_FIELDS))
    async with svc.uow() as uow:
        loaded = await editable(uow, svc, user_id, project_id)
        project = loaded.project
        name = changes.get("name")
        check_project_fields(
            svc, name=name, area=changes.get("service_area"),
            started_on=changes.get("started_on", project.started_on),
            completed_on=changes.get("completed_on", project.completed_on))
        if name is not None:
            changes["name"] = name.strip()
        for key, value in changes.items():
            setattr(project, key, value)
        await uow.commit()
        return loaded.view()


async def open_at(svc: Services, user_id: int, project_id: int,
                  slot_key: str | None = None) -> ProjectView:
    """The user opens the project's checklist (or one slot): the place is stored before
    the view is shown, so uploads and /submit after any restart go there."""
    async with svc.uow() as uow:
        loaded = await load(uow, svc, user_id, project_id, read_only=True)
        if (loaded.cursor_project, loaded.cursor_slot) != (project_id, slot_key):
            await uow.users.move_cursor(user_id, project_id, slot_key)  # else no write at all
            await uow.commit()
        return loaded.view()


async def set_cursor(svc: Services, user_id: int, *, project_id: int | None = None,
                     slot_key: str | None = None) -> None:
    async with svc.uow() as uow:
        await uow.users.move_cursor(user_id, project_id, slot_key)
        await uow.commit()


async def submit(svc: Services, user_id: int, project_id: int) -> ProjectView:
    """Submit a draft, or resubmit a returned project (its reviewers see what changed)."""
    async with svc.uow() as uow:
        loaded = await load(uow, svc, user_id, project_id)
        if loaded.project.status == "returned":
            view = loaded.view()
            writable(svc, loaded, next(iter(view.returned | view.removed), None))
        else:
            writable(svc, loaded)
        project = loaded.project
        old = project.status
        project.status = "submitted"
        project.submitted_at = svc.clock.now()
        project.submitted_by = user_id
        await audit.record(uow, svc, user_id, "submit", project_id=project.id,
                           organization_id=project.organization_id, old=old, new="submitted")
        await uow.users.move_cursor(user_id, None, None)
        await uow.commit()
        return loaded.view()


async def reopen(svc: Services, user_id: int, project_id: int) -> ProjectView:
    async with svc.uow() as uow:
        project = await reviewed_project(uow, svc, user_id, project_id)
        await audit.record(uow, svc, user_id, "reopen", project_id=project.id,
                           organization_id=project.organization_id, old=project.status,
                           new="draft")
        project.status = "draft"
        await uow.commit()
        return (await load(uow, svc, user_id, project_id)).view()

