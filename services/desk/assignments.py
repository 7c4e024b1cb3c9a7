"""Reviewers' work assigned and followed: a round's review deadline; projects given to
reviewers by hand or balanced automatically within each reviewer's scope (never to one who
may not review them: services/desk/reviewers.py `conflicts`, recusals); reassigning; progress per
district and per reviewer; and where a project stands, for its staff, as dated steps."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from domain.assignment import Need, Step, balance, steps
from domain.errors import InputError
from domain.i18n import Catalog
from services import audit
from services.charts import Stack, render_stacked
from services.core import Services
from services.desk.reviewers import conflicts, judged
from services.errors import NotMember
from services.schedule.rounds import RoundView, plan_review_reminders, round_row, rounds
from services.walk.view import in_scope
from store.models import Assignment
from store.repositories.projects import ProjectRow
from store.uow import UnitOfWork

STATES = ("submitted", "in_review", "returned", "verified")
OPEN = ("submitted", "in_review", "returned")  # may be given to a reviewer
TO_REVIEW = ("submitted", "in_review")  # waiting for a reviewer


def _admin(svc: Services, user_id: int | None) -> None:
    if user_id is not None and user_id not in svc.admin_ids:
        raise NotMember(None)


async def review_round(svc: Services) -> RoundView | None:
    """The round under review: the one taking submissions now, else the one whose
    submissions closed last (review follows the deadline)."""
    now = svc.clock.now()
    taking = [r for r in await rounds(svc) if r.opens_on <= now.date() and now < r.deadline_at]
    if taking:
        return min(taking, key=lambda r: r.deadline_at)
    closed = [r for r in await rounds(svc) if r.deadline_at <= now]
    return max(closed, key=lambda r: (r.deadline_at, r.id), default=None)


async def set_review_deadline(svc: Services, admin_id: int | None, round_id: int,
                              at: dt.datetime) -> dt.datetime:
    """When reviewers are to have finished; their reminders are planned for it."""
    _admin(svc, admin_id)
    if at.tzinfo is None:
        at = at.replace(tzinfo=svc.clock.tz)
    async with svc.uow() as uow:
        r = await round_row(uow, round_id)
        if at <= r.deadline_at:
            raise InputError("review_deadline", "review_deadline_before_deadline",
                             deadline=r.deadline_at.astimezone(svc.clock.tz)
                             .strftime("%Y-%m-%d %H:%M"))
        await audit.record(uow, svc, admin_id, "deadline", subject=f"review:{r.id}",
                           old=r.review_deadline_at, new=at)
        r.review_deadline_at = at
        await uow.flush()
        await plan_review_reminders(uow, svc, round_id=r.id)
        await uow.commit()
        return at.astimezone(svc.clock.tz)


@dataclass(frozen=True, slots=True)
class AssignmentView:
    project_id: int
    project_name: str
    district: str
    reviewer_id: int
    reviewer_name: str


@dataclass(frozen=True, slots=True)
class Assigned:
    added: tuple[AssignmentView, ...]
    removed: tuple[AssignmentView, ...] = ()
    unassigned: tuple[int, ...] = ()  # projects no eligible reviewer is left for


@dataclass(slots=True)
class _Desk:
    """What assigning reads, once: the round's projects, the reviewers, who is assigned
    to what, recusals."""

    round_: RoundView | None
    required: int
    projects: dict[int, ProjectRow]
    reviewers: dict[int, object]  # user id → User row
    pairs: set[tuple[int, int]]
    recused: set[tuple[int, int]]
    conflicted: dict[tuple[int, int], str]  # (reviewer, project) → why (services/reviewers)

    def why_not(self, svc: Services, project_id: int, reviewer_id: int) -> str | None:
        """Why this reviewer may not be given this project (an input.* code), or None."""
        user = self.reviewers.get(reviewer_id)
        if user is None:
            return "reviewer_unknown"
        project = self.projects[project_id]
        if not in_scope(svc, reviewer_id, user, project.organization):
            return "assign_out_of_scope"
        if ((reviewer_id, project_id) in self.conflicted
                or (project_id, reviewer_id) in self.recused):
            return "assign_conflict"
        if (project_id, reviewer_id) in self.pairs:
            return "assign_already"
        return None


async def _desk(uow: UnitOfWork, svc: Services) -> _Desk:
    current = await review_round(svc)
    rows = await uow.projects.rows(STATES, round_id=current.id if current else None,
                                   unrounded=True)
    projects = {p.id: p for p in rows}
    reviewers = {u.id: u for u in await uow.users.with_role("reviewer")}
    pairs = set(await uow.assignments.pairs(project_ids=list(projects)))
    recused = await uow.reviews.recusal_pairs(list(projects))
    required = 1
    if current is not None:
        r = await uow.rounds.get(current.id)
        required = r.reviews_required if r else 1
    conflicted = await conflicts(uow, svc, list(reviewers.values()),
                                 [judged(p, p.organization) for p in rows])
    return _Desk(current, required, projects, reviewers, pairs, recused, conflicted)


def _view(desk: _Desk, project_id: int, reviewer_id: int) -> AssignmentView:
    p, user = desk.projects[project_id], desk.reviewers.get(reviewer_id)
    return AssignmentView(project_id, p.name, p.organization.district, reviewer_id,
                          (user.first_name if user else "") or str(reviewer_id))


async def _add(uow: UnitOfWork, svc: Services, desk: _Desk, admin_id: int | None,
               pairs: list[tuple[int, int]]) -> tuple[AssignmentView, ...]:
    now = svc.clock.now()
    for project_id, reviewer_id in pairs:
        uow.assignments.add(Assignment(project_id=project_id, reviewer_id=reviewer_id,
                                       assigned_by=admin_id, at=now))
        await audit.record(uow, svc, admin_id, "assign", project_id=project_id,
                           organization_id=desk.projects[project_id].organization.id,
                           subject=f"user:{reviewer_id}", new=reviewer_id)
        desk.pairs.add((project_id, reviewer_id))
    return tuple(_view(desk, p, r) for p, r in pairs)


def _project(desk: _Desk, project_id: int) -> ProjectRow:
    project = desk.projects.get(project_id)
    if project is None or project.status not in OPEN:
        raise InputError("project", "assign_not_submitted", value=project_id)
    return project


async def assign(svc: Services, admin_id: int | None, project_id: int,
                 reviewer_id: int) -> Assigned:
    """Give one project to one reviewer, by hand."""
    _admin(svc, admin_id)
    async with svc.uow() as uow:
        desk = await _desk(uow, svc)
        _project(desk, project_id)
        why = desk.why_not(svc, project_id, reviewer_id)
        if why is not None:
            raise InputError("reviewer", why, value=reviewer_id)
        added = await _add(uow, svc, desk, admin_id, [(project_id, reviewer_id)])
        await plan_review_reminders(uow, svc)
        await uow.commit()
        return Assigned(added)


async def reassign(svc: Services, admin_id: int | None, project_id: int, from_id: int,
                   to_id: int) -> Assigned:
    """Move a project from one reviewer to another (their verdicts stay on record)."""
    _admin(svc, admin_id)
    async with svc.uow() as uow:
        desk = await _desk(uow, svc)
        _project(desk, project_id)
        if (project_id, from_id) not in desk.pairs:
            raise InputError("reviewer", "assign_not_theirs", value=from_id)
        why = desk.why_not(svc, project_id, to_id)
        if why is not None:
            raise InputError("reviewer", why, value=to_id)
        gone = _view(desk, project_id, from_id)
        await uow.assignments.remove(project_id, from_id)
        desk.pairs.discard((project_id, from_id))
        await audit.record(uow, svc, admin_id, "assign", project_id=project_id,
                           organization_id=desk.projects[project_id].organization.id,
                           subject=f"user:{from_id}", old=from_id, new=to_id)
        added = await _add(uow, svc, desk, admin_id, [(project_id, to_id)])
        await plan_review_reminders(uow, svc)
        await uow.commit()
        return Assigned(added, (gone,))


async def assign_auto(svc: Services, admin_id: int | None) -> Assigned:
    """Every project waiting for review gets the reviewers its round asks for, balanced:
    each time the eligible reviewer with the fewest projects (domain/assignment.py)."""
    _admin(svc, admin_id)
    async with svc.uow() as uow:
        desk = await _desk(uow, svc)
        load = Counter(r for p, r in desk.pairs if p in desk.projects)
        needs, unassigned = [], []
        for project in desk.projects.values():
            if project.status not in TO_REVIEW:
                continue
            have = sum(1 for p, _ in desk.pairs if p == project.id)
            if have >= desk.required:
                continue
            eligible = frozenset(r for r in desk.reviewers
                                 if desk.why_not(svc, project.id, r) is None)
            if len(eligible) < desk.required - have:
                unassigned.append(project.id)
            if eligible:
                needs.append(Need(project.id, desk.required - have, eligible))
        added = await _add(uow, svc, desk, admin_id, balance(needs, load))
        await plan_review_reminders(uow, svc)
        await uow.commit()
        return Assigned(added, (), tuple(unassigned))


async def assignments(svc: Services, admin_id: int | None) -> list[AssignmentView]:
    """Who reviews what in the round under review."""
    _admin(svc, admin_id)
    async with svc.uow() as uow:
        desk = await _desk(uow, svc)
        return [_view(desk, p, r) for p, r in sorted(desk.pairs)]


# -- progress ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProgressRow:
    name: str  # a district, or a reviewer's name
    submitted: int = 0  # waiting for a first verdict
    assigned: int = 0
    in_review: int = 0
    returned: int = 0
    verified: int = 0
    overdue: int = 0  # waiting for a reviewer past the review deadline


COLUMNS = ("submitted", "assigned", "in_review", "returned", "verified", "overdue")


@dataclass(frozen=True, slots=True)
class Progress:
    round_name: str | None
    review_deadline: dt.datetime | None
    districts: tuple[ProgressRow, ...]
    reviewers: tuple[ProgressRow, ...]
    total: ProgressRow


def _row(name: str, projects: list[ProjectRow], assigned: set[int], late: bool
         ) -> ProgressRow:
    status = Counter(p.status for p in projects)
    return ProgressRow(name, status["submitted"], sum(1 for p in projects if p.id in assigned),
                       status["in_review"], status["returned"], status["verified"],
                       sum(1 for p in projects if late and p.status in TO_REVIEW))


async def progress(svc: Services, admin_id: int | None) -> Progress:
    """The round under review, per district and per reviewer: a handful of statements."""
    _admin(svc, admin_id)
    async with svc.uow() as uow:
        desk = await _desk(uow, svc)
        r = await uow.rounds.get(desk.round_.id) if desk.round_ else None
    deadline = r.review_deadline_at.astimezone(svc.clock.tz) \
        if r is not None and r.review_deadline_at is not None else None
    late = deadline is not None and svc.clock.now() > deadline
    assigned = {p for p, _ in desk.pairs}
    projects = list(desk.projects.values())
    districts = [d for d in svc.districts.names
                 if any(p.organization.district == d for p in projects)]
    by_reviewer: dict[int, list[ProjectRow]] = {}
    for p, rid in sorted(desk.pairs):
        by_reviewer.setdefault(rid, []).append(desk.projects[p])
    return Progress(
        desk.round_.name if desk.round_ else None, deadline,
        tuple(_row(d, [p for p in projects if p.organization.district == d], assigned, late)
              for d in districts),
        tuple(_row(_view(desk, mine[0].id, rid).reviewer_name, mine, assigned, late)
              for rid, mine in by_reviewer.items()),
        _row("", projects, assigned, late))


STACKED = ("submitted", "in_review", "returned", "verified")  # the chart's parts


def progress_chart(report: Progress, catalog: Catalog, lang: str, *, font: Path) -> bytes:
    """The progress as a picture: a stacked bar per district, then per reviewer (PNG).
    CPU work: call it in a worker thread."""
    stacks = tuple(Stack(r.name, tuple(getattr(r, c) for c in STACKED),
                         catalog.t("progress.chart_late", lang, count=r.overdue)
                         if r.overdue else "")
                   for r in (*report.districts, *report.reviewers))
    return render_stacked(catalog.t("progress.chart_title", lang,
                                    round=report.round_name or "—"),
                          tuple(catalog.t(f"desk.filter_{c}", lang) for c in STACKED), stacks,
                          font=font)


# -- where a project stands, for its staff ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class StatusLine:
    project_id: int
    name: str
    status: str
    steps: tuple[Step, ...]


async def status_lines(svc: Services, user_id: int) -> list[StatusLine]:
    """The user's organisation's projects, each with its dated steps through review."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.organization_id is None:
            raise NotMember(None)
        projects = await uow.projects.many_in_context(user.organization_id)
        entries = await uow.audit.entries(organization_id=user.organization_id)
    actions: dict[int, list[tuple[str, dt.datetime]]] = {}
    for e in entries:
        if e.project_id is not None:
            actions.setdefault(e.project_id, []).append((e.action, e.at))
    return [StatusLine(p.id, p.name, p.status, tuple(
        Step(s.status, s.at.astimezone(svc.clock.tz)) for s in steps(actions.get(p.id, []))))
        for p, *_ in projects]
