"""The submission walk: projects, the checklist, evidence per slot, submitting for review.

Every write is committed before it returns, so a reply saying "已保存" is never ahead
of the database. Files and entries are added, never overwritten; a figure or an entry
carries a version, and a write made on an outdated view is refused (`Conflict`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from domain.errors import InputError
from domain.rubric import BandsRule, PerKindRule, PerLevelRule
from domain.scoring import OpenPoint, ScoreReport, score
from services.core import Services
from services.rounds import closes_at, open_round
from services.scoring import submission_of
from store.models import EvidenceEntry, EvidenceFigure, EvidenceFile, Project, User
from store.uow import UnitOfWork

MAX_NAME = 200


class Locked(Exception):
    """The project is read-only: submitted for review, or past its round's deadline."""

    def __init__(self, project_id: int | None, reason: str = "submitted") -> None:
        super().__init__(project_id, reason)
        self.reason = reason


class Conflict(Exception):
    """Someone else changed this since the user looked at it."""


class NotFound(Exception):
    """The project, file or entry does not exist (any more)."""


class NotMember(Exception):
    """The user does not belong to the project's organisation."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One of the 13 things staff provide: an item, or one kind of a per-kind item."""

    index: int
    item_id: str
    kind: str | None

    @property
    def key(self) -> str:
        return f"{self.item_id}.{self.kind}" if self.kind else self.item_id


def slots(svc: Services) -> tuple[Slot, ...]:
    return tuple(Slot(i, item, kind) for i, (item, kind) in enumerate(svc.rubric.evidence_slots))


def slot_by_key(svc: Services, key: str | None) -> Slot | None:
    return next((s for s in slots(svc) if s.key == key), None)


@dataclass(frozen=True, slots=True)
class SlotState:
    slot: Slot
    files: tuple[EvidenceFile, ...]
    entries: tuple[EvidenceEntry, ...]
    figure: float | None
    figure_version: int  # 0 when no figure yet
    points: int
    max: int
    capped: bool  # per-level: entries beyond the cap add nothing

    @property
    def mark(self) -> str:
        if self.points >= self.max or (self.slot.kind and self.files):
            return "✅"
        return "◐" if (self.files or self.entries or self.figure is not None) else "⬜"


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: int
    name: str
    status: str
    version: int
    organization_id: int
    report: ScoreReport
    slots: tuple[SlotState, ...]
    next_slot: Slot | None  # the best open slot

    @property
    def locked(self) -> bool:
        return self.status != "draft"


@dataclass(frozen=True, slots=True)
class Saved:
    view: ProjectView
    duplicate: bool = False
    before: int = 0  # the total before this save

    @property
    def gained(self) -> int:
        return self.view.report.total - self.before


# ------------------------------------------------------------------------------------------
async def _member_project(uow: UnitOfWork, svc: Services, user_id: int,
                          project_id: int) -> tuple[User, Project]:
    user = await uow.users.get(user_id)
    project = await uow.projects.get(project_id)
    if project is None:
        raise NotFound(project_id)
    if user_id in svc.admin_ids or (user is not None and (
            user.organization_id == project.organization_id or user.role == "reviewer")):
        return user, project
    raise NotMember(project_id)


async def _writable(uow: UnitOfWork, svc: Services, project: Project) -> None:
    if project.status != "draft":
        raise Locked(project.id, "submitted")
    closes = await closes_at(uow, svc, project)
    if closes is not None and svc.clock.now() >= closes:
        raise Locked(project.id, "deadline")


def _slot_for_open(svc: Services, point: OpenPoint, states: dict[str, SlotState]) -> Slot:
    for state in states.values():
        if state.slot.item_id == point.item_id and (state.slot.kind is None or not state.files):
            return state.slot
    return next(s for s in slots(svc) if s.item_id == point.item_id)


async def _view(uow: UnitOfWork, svc: Services, project: Project) -> ProjectView:
    org = await uow.organizations.get(project.organization_id)
    sub = await submission_of(uow, svc, org, project, svc.clock.today())
    report = score(svc.rubric, sub)
    files = await uow.projects.files(project.id)
    entries = await uow.projects.entries(project.id)
    figures = {f.item_id: f for f in await uow.projects.figures(project.id)}
    points = {i.id: (i.points, i.max) for c in report.criteria for i in c.items}
    states: dict[str, SlotState] = {}
    for slot in slots(svc):
        item = svc.rubric.item(slot.item_id)
        rule = item.rule
        own_files = tuple(f for f in files if f.item_id == slot.item_id
                          and (slot.kind is None or f.kind == slot.kind))
        own_entries = tuple(e for e in entries if e.item_id == slot.item_id)
        fig = figures.get(slot.item_id) if isinstance(rule, BandsRule) else None
        got, top = points[slot.item_id]
        if isinstance(rule, PerKindRule):
            got, top = (rule.points_each if own_files else 0), rule.points_each
        capped = isinstance(rule, PerLevelRule) and got >= rule.cap
        states[slot.key] = SlotState(slot, own_files, own_entries,
                                     fig.value if fig else None, fig.version if fig else 0,
                                     got, top, capped)
    next_slot = (_slot_for_open(svc, report.open_points[0], states)
                 if report.open_points else None)
    closes = await closes_at(uow, svc, project)
    status = project.status
    if status == "draft" and closes is not None and svc.clock.now() >= closes:
        status = "closed"
    return ProjectView(project.id, project.name, status, project.version,
                       project.organization_id, report, tuple(states.values()), next_slot)


@asynccontextmanager
async def _editing(svc: Services, user_id: int, project_id: int
                   ) -> AsyncIterator[tuple[UnitOfWork, Project, int]]:
    """A unit of work on a project the user may change now, with its total before."""
    async with svc.uow() as uow:
        _, project = await _member_project(uow, svc, user_id, project_id)
        await _writable(uow, svc, project)
        yield uow, project, (await _view(uow, svc, project)).report.total


def _of_project(row: EvidenceFile | EvidenceEntry | None, project_id: int, row_id: int):
    if row is None or row.project_id != project_id:
        raise NotFound(row_id)
    return row


# -- projects ------------------------------------------------------------------------------
async def list_projects(svc: Services, user_id: int) -> list[ProjectView]:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.organization_id is None:
            return []
        return [await _view(uow, svc, p)
                for p in await uow.projects.of_organization(user.organization_id)]


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
                          honours=[], round_id=current.id if current else None)
        uow.projects.add(project)
        await uow.flush()
        user.current_project_id, user.current_slot = project.id, None
        await uow.commit()
        return await _view(uow, svc, project)


async def project_view(svc: Services, user_id: int, project_id: int) -> ProjectView:
    async with svc.uow() as uow:
        _, project = await _member_project(uow, svc, user_id, project_id)
        return await _view(uow, svc, project)


# -- where the user is -----------------------------------------------------------------------
async def set_cursor(svc: Services, user_id: int, project_id: int | None,
                     slot_key: str | None) -> None:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is not None:
            user.current_project_id, user.current_slot = project_id, slot_key
            await uow.commit()


async def cursor(svc: Services, user_id: int) -> tuple[int | None, str | None]:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            return None, None
        return user.current_project_id, user.current_slot


# -- evidence --------------------------------------------------------------------------------
def file_suffix(file_name: str, mime_type: str) -> str:
    suffix = PurePath(file_name).suffix.lower()
    if not suffix and mime_type.startswith("image/"):
        suffix = "." + mime_type.split("/", 1)[1].replace("jpeg", "jpg")
    return suffix


def check_file(svc: Services, file_name: str, mime_type: str, size: int | None) -> str:
    """The file's suffix if it may be stored; InputError saying why not otherwise."""
    suffix = file_suffix(file_name, mime_type)
    if suffix.lstrip(".") not in svc.allowed_types:
        raise InputError("file", "file_type", suffix=suffix or "?",
                         allowed="、".join(sorted(svc.allowed_types)))
    if size is not None and size > svc.max_file_bytes:
        raise InputError("file", "file_too_big", size_mb=f"{size / 1048576:.1f}",
                         max_mb=svc.max_file_bytes // 1048576)
    return suffix


async def add_file(svc: Services, user_id: int, project_id: int, slot_key: str, data: bytes,
                   file_name: str, mime_type: str, telegram_file_id: str = "",
                   entry_id: int | None = None) -> Saved:
    slot = slot_by_key(svc, slot_key)
    if slot is None:
        raise NotFound(slot_key)
    suffix = check_file(svc, file_name, mime_type, len(data))
    async with _editing(svc, user_id, project_id) as (uow, project, before):
        stored = svc.evidence.put(project.organization_id, project.id, data, suffix)
        row = EvidenceFile(project_id=project.id, item_id=slot.item_id, kind=slot.kind or "",
                           entry_id=entry_id, sha256=stored.sha256, size=stored.size,
                           mime_type=mime_type, file_name=file_name[:255], suffix=suffix,
                           telegram_file_id=telegram_file_id, uploaded_by=user_id)
        uow.session.add(row)
        try:
            await uow.commit()
            duplicate = False
        except IntegrityError:  # the same content for the same slot: stored once
            await uow.session.rollback()
            duplicate = True
        project = await uow.projects.get(project_id)
        return Saved(await _view(uow, svc, project), duplicate, before)


async def remove_file(svc: Services, user_id: int, project_id: int, file_id: int) -> Saved:
    async with _editing(svc, user_id, project_id) as (uow, project, before):
        row = _of_project(await uow.projects.file(file_id), project_id, file_id)
        await uow.session.delete(row)
        await uow.commit()
        return Saved(await _view(uow, svc, project), False, before)


async def file_bytes(svc: Services, user_id: int, project_id: int, file_id: int
                     ) -> tuple[EvidenceFile, bytes]:
    async with svc.uow() as uow:
        _, project = await _member_project(uow, svc, user_id, project_id)
        row = _of_project(await uow.projects.file(file_id), project_id, file_id)
        return row, svc.evidence.get(project.organization_id, project.id, row.sha256, row.suffix)


async def set_figure(svc: Services, user_id: int, project_id: int, item_id: str, value: float,
                     seen_version: int) -> Saved:
    """Set a figure (the satisfaction rate). `seen_version` is the figure's version the
    user was shown (0: none); if it changed meanwhile, raise Conflict and change nothing."""
    rule = svc.rubric.item(item_id).rule
    if not isinstance(rule, BandsRule):
        raise NotFound(item_id)
    value = rule.read(value, item_id)
    async with _editing(svc, user_id, project_id) as (uow, project, before):
        fig = await uow.projects.figure(project_id, item_id)
        if (fig.version if fig else 0) != seen_version:
            raise Conflict(fig.value if fig else None)
        if fig is None:
            uow.session.add(EvidenceFigure(project_id=project_id, item_id=item_id, value=value,
                                           updated_by=user_id))
        else:
            fig.value, fig.updated_by = value, user_id
        try:
            await uow.commit()
        except (IntegrityError, StaleDataError) as exc:  # someone wrote it in between
            raise Conflict(None) from exc
        return Saved(await _view(uow, svc, project), False, before)


async def add_entry(svc: Services, user_id: int, project_id: int, item_id: str, *, level: str,
                    title: str, happened_on: dt.date | None, link: str = "") -> tuple[int, Saved]:
    rule = svc.rubric.item(item_id).rule
    if not isinstance(rule, PerLevelRule):
        raise NotFound(item_id)
    if level not in rule.levels:
        raise InputError("level", "unknown_choice", value=level, choices=", ".join(rule.levels))
    if happened_on is not None and happened_on > svc.clock.today():
        raise InputError("date", "future_date", value=happened_on.isoformat())
    async with _editing(svc, user_id, project_id) as (uow, project, before):
        entry = EvidenceEntry(project_id=project_id, item_id=item_id, level=level,
                              title=title.strip()[:300], happened_on=happened_on,
                              link=link.strip()[:500], created_by=user_id)
        uow.session.add(entry)
        await uow.commit()
        return entry.id, Saved(await _view(uow, svc, project), False, before)


async def update_entry(svc: Services, user_id: int, project_id: int, entry_id: int,
                       seen_version: int, **changes: object) -> Saved:
    async with _editing(svc, user_id, project_id) as (uow, project, before):
        entry = _of_project(await uow.projects.entry(entry_id), project_id, entry_id)
        if entry.version != seen_version:
            raise Conflict(entry_id)
        for field, value in changes.items():
            setattr(entry, field, value)
        try:
            await uow.commit()
        except StaleDataError as exc:
            raise Conflict(entry_id) from exc
        return Saved(await _view(uow, svc, project), False, before)


async def remove_entry(svc: Services, user_id: int, project_id: int, entry_id: int) -> Saved:
    async with _editing(svc, user_id, project_id) as (uow, project, before):
        entry = _of_project(await uow.projects.entry(entry_id), project_id, entry_id)
        for f in await uow.projects.files(project_id):
            if f.entry_id == entry_id:
                await uow.session.delete(f)
        await uow.session.delete(entry)
        await uow.commit()
        return Saved(await _view(uow, svc, project), False, before)


# -- review ----------------------------------------------------------------------------------
async def submit(svc: Services, user_id: int, project_id: int) -> ProjectView:
    async with svc.uow() as uow:
        _, project = await _member_project(uow, svc, user_id, project_id)
        await _writable(uow, svc, project)
        project.status = "submitted"
        project.submitted_at = svc.clock.now()
        project.submitted_by = user_id
        await uow.commit()
        return await _view(uow, svc, project)


async def _reviewed_project(uow: UnitOfWork, svc: Services, user_id: int,
                            project_id: int) -> Project:
    """A project a reviewer (or an administrator) acts on."""
    user = await uow.users.get(user_id)
    if not svc.may_review(user_id, user.role if user else None):
        raise NotMember(project_id)
    project = await uow.projects.get(project_id)
    if project is None:
        raise NotFound(project_id)
    return project


async def reopen(svc: Services, user_id: int, project_id: int) -> ProjectView:
    async with svc.uow() as uow:
        project = await _reviewed_project(uow, svc, user_id, project_id)
        project.status = "draft"
        await uow.commit()
        return await _view(uow, svc, project)


async def submitted_projects(svc: Services, user_id: int,
                             include_drafts: bool = False) -> list[ProjectView]:
    """For reviewers: every submitted project (or every project), best total first."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise NotMember(None)
        projects = await (uow.projects.all() if include_drafts else uow.projects.submitted())
        views = [await _view(uow, svc, p) for p in projects]
        return sorted(views, key=lambda v: (-v.report.total, v.id))


async def organization_names(svc: Services) -> dict[int, str]:
    async with svc.uow() as uow:
        return {o.id: o.name for o in await uow.organizations.all()}


@dataclass(frozen=True, slots=True)
class Honours:
    project_id: int
    name: str
    honours: tuple[str, ...]
    paid: int


async def record_honours(svc: Services, user_id: int, project_id: int, honours: list[str],
                         paid: int) -> Honours:
    """Reviewers record the honours a project received and the subsidy already paid."""
    for level in honours:
        svc.subsidy_table.level(level)  # InputError for an unknown level
    if paid < 0:
        raise InputError("paid", "amount", value=paid)
    async with svc.uow() as uow:
        project = await _reviewed_project(uow, svc, user_id, project_id)
        project.honours, project.paid = list(dict.fromkeys(honours)), paid
        await uow.commit()
        return Honours(project.id, project.name, tuple(project.honours), project.paid)


async def organization_honours(svc: Services, user_id: int) -> list[Honours]:
    """The user's organisation's projects that have honours on record."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.organization_id is None:
            return []
        return [Honours(p.id, p.name, tuple(p.honours or ()), p.paid)
                for p in await uow.projects.of_organization(user.organization_id) if p.honours]
