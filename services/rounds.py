"""Evaluation rounds and their deadlines; reminders planned as rows, sent once.

The database is the source of truth. A reminder row goes planned → sending → sent; it is
claimed (sending) before the message goes out and marked sent only after Telegram
accepted it. A row left in `sending` by a crash is not sent again (at most once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from domain.errors import InputError
from domain.reminders import ReminderPolicy, days_left, schedule, send_time
from domain.scoring import OpenPoint
from services.core import Services
from services.scoring import submission_of
from store.models import Project, Reminder, Round, RoundExtension, User

LEVELS = ("city", "provincial", "national")


@dataclass(frozen=True, slots=True)
class RoundView:
    id: int
    name: str
    level: str
    year: int
    opens_on: dt.date
    deadline_at: dt.datetime
    recommended_on: dt.date


def _view(r: Round, svc: Services) -> RoundView:
    return RoundView(r.id, r.name, r.level, r.year, r.opens_on, _aware(r.deadline_at, svc),
                     r.recommended_on)


def _aware(moment: dt.datetime, svc: Services) -> dt.datetime:
    """A stored moment (aware, UTC) in local time."""
    return moment.astimezone(svc.clock.tz)


def check_round(svc: Services, *, name: str, level: str, year: int, opens_on: dt.date,
                deadline_at: dt.datetime, recommended_on: dt.date) -> None:
    if not name.strip():
        raise InputError("name", "text")
    if level not in LEVELS:
        raise InputError("level", "unknown_choice", value=level, choices=", ".join(LEVELS))
    if not 2000 <= year <= 2100:
        raise InputError("year", "year_range", value=year)
    if deadline_at.date() < opens_on:
        raise InputError("deadline", "deadline_before_open", opens=opens_on.isoformat())


async def create_round(svc: Services, *, name: str, level: str, year: int, opens_on: dt.date,
                       deadline_at: dt.datetime, recommended_on: dt.date) -> RoundView:
    if deadline_at.tzinfo is None:
        deadline_at = deadline_at.replace(tzinfo=svc.clock.tz)
    check_round(svc, name=name, level=level, year=year, opens_on=opens_on,
                deadline_at=deadline_at, recommended_on=recommended_on)
    async with svc.uow() as uow:
        r = Round(name=name.strip(), level=level, year=year, opens_on=opens_on,
                  deadline_at=deadline_at, recommended_on=recommended_on)
        uow.session.add(r)
        await uow.flush()
        now = svc.clock.now()
        if opens_on <= now.date() and now < deadline_at:  # drafts with no round join it
            await uow.session.execute(update(Project).where(
                Project.round_id.is_(None), Project.status == "draft").values(round_id=r.id))
        await uow.commit()
        view = _view(r, svc)
    await plan_reminders(svc)
    return view


async def change_deadline(svc: Services, round_id: int, deadline_at: dt.datetime) -> RoundView:
    """Move a round's deadline; reminders not yet sent are planned anew."""
    if deadline_at.tzinfo is None:
        deadline_at = deadline_at.replace(tzinfo=svc.clock.tz)
    async with svc.uow() as uow:
        r = await uow.session.get(Round, round_id)
        if r is None:
            raise InputError("round", "round_unknown", value=round_id)
        if deadline_at.date() < r.opens_on:
            raise InputError("deadline", "deadline_before_open", opens=r.opens_on.isoformat())
        r.deadline_at = deadline_at
        await uow.session.execute(update(Reminder).where(
            Reminder.round_id == round_id, Reminder.status == "planned").values(status="replanned"))
        await uow.session.execute(Reminder.__table__.delete().where(
            Reminder.round_id == round_id, Reminder.status == "replanned"))
        await uow.commit()
        view = _view(r, svc)
    await plan_reminders(svc)
    return view


async def rounds(svc: Services) -> list[RoundView]:
    async with svc.uow() as uow:
        rows = await uow.session.scalars(select(Round).order_by(Round.deadline_at.desc()))
        return [_view(r, svc) for r in rows]


async def open_round(svc: Services) -> RoundView | None:
    """The round that takes submissions now (the one with the nearest deadline)."""
    now = svc.clock.now()
    candidates = [r for r in await rounds(svc)
                  if r.opens_on <= now.date() and now < r.deadline_at]
    return min(candidates, key=lambda r: r.deadline_at, default=None)


async def extend(svc: Services, user_id: int, round_id: int, organization_id: int,
                 until: dt.datetime) -> None:
    if until.tzinfo is None:
        until = until.replace(tzinfo=svc.clock.tz)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise PermissionError(user_id)
        if await uow.session.get(Round, round_id) is None:
            raise InputError("round", "round_unknown", value=round_id)
        if await uow.organizations.get(organization_id) is None:
            raise InputError("organization", "organization_unknown", value=organization_id)
        ext = await uow.session.get(RoundExtension, (round_id, organization_id))
        if ext is None:
            uow.session.add(RoundExtension(round_id=round_id, organization_id=organization_id,
                                           until=until, granted_by=user_id))
        else:
            ext.until, ext.granted_by = until, user_id
        await uow.commit()


async def closes_at(uow, svc: Services, project: Project) -> dt.datetime | None:
    """When the project's round stops taking changes for its organisation (None: no round)."""
    if project.round_id is None:
        return None
    r = await uow.session.get(Round, project.round_id)
    ext = await uow.session.get(RoundExtension, (project.round_id, project.organization_id))
    deadline = _aware(r.deadline_at, svc)
    return max(deadline, _aware(ext.until, svc)) if ext else deadline


# -- reminders ---------------------------------------------------------------------------------
def policy_of(svc: Services) -> ReminderPolicy:
    return svc.extras.get("reminder_policy") or ReminderPolicy()


async def plan_reminders(svc: Services) -> int:
    """Plan a row for every staff member × open round × reminder kind that has none yet.
    Idempotent: safe at every start-up and after every change. Returns rows added."""
    now = svc.clock.now()
    policy = policy_of(svc)
    added = 0
    async with svc.uow() as uow:
        live = [r for r in await uow.session.scalars(select(Round))
                if _aware(r.deadline_at, svc) > now]
        staff = list(await uow.session.scalars(select(User).where(
            User.organization_id.is_not(None), User.role == "staff")))
        existing = {(m.round_id, m.user_id, m.kind)
                    for m in await uow.session.scalars(select(Reminder))}
        for r in live:
            for kind, due in schedule(_aware(r.deadline_at, svc), policy).items():
                for user in staff:
                    if (r.id, user.id, kind) not in existing:
                        uow.session.add(Reminder(round_id=r.id, user_id=user.id, kind=kind,
                                                 due_at=due))
                        added += 1
        await uow.commit()
    return added


@dataclass(frozen=True, slots=True)
class PlannedSend:
    reminder_id: int
    at: dt.datetime


async def pending(svc: Services) -> list[PlannedSend]:
    """Every planned reminder with the moment it should go (missed ones: now, out of quiet
    hours). Rows that can no longer go before their deadline are marked expired."""
    now = svc.clock.now()
    policy = policy_of(svc)
    out = []
    async with svc.uow() as uow:
        rows = await uow.session.execute(
            select(Reminder, Round).join(Round, Reminder.round_id == Round.id)
            .where(Reminder.status == "planned"))
        missed: dict[tuple[int, int], list[Reminder]] = {}
        for reminder, r in rows:
            due = _aware(reminder.due_at, svc)
            at = send_time(due, now, _aware(r.deadline_at, svc), policy)
            if at is None:
                reminder.status, reminder.note = "expired", "deadline passed before it could go"
                continue
            if due <= now:  # missed while down: several for one person collapse into one
                missed.setdefault((reminder.round_id, reminder.user_id), []).append(reminder)
            out.append(PlannedSend(reminder.id, at))
        superseded = set()
        for group in missed.values():
            for old in sorted(group, key=lambda m: m.due_at)[:-1]:
                old.status, old.note = "skipped", "superseded by a later reminder"
                superseded.add(old.id)
        out = [p for p in out if p.reminder_id not in superseded]
        # a crash between claim and confirmation: never resend (at most once)
        await uow.session.execute(update(Reminder).where(Reminder.status == "sending")
                                  .values(status="failed", note="interrupted; not resent"))
        await uow.commit()
    return sorted(out, key=lambda p: (p.at, p.reminder_id))


@dataclass(frozen=True, slots=True)
class ReminderMessage:
    reminder_id: int
    user_id: int
    lang: str | None
    round_name: str
    deadline_at: dt.datetime
    days_left: int
    project_id: int | None
    project_name: str | None
    total: int
    open_points: tuple[OpenPoint, ...]


async def claim(svc: Services, reminder_id: int) -> ReminderMessage | None:
    """Take a due reminder for sending. None when it must not go: already claimed or sent,
    the user turned reminders off or blocked the bot, the submission is in, the deadline
    passed, or it is quiet time (then it stays planned)."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        reminder = await uow.session.get(Reminder, reminder_id)
        if reminder is None or reminder.status != "planned":
            return None
        r = await uow.session.get(Round, reminder.round_id)
        user = await uow.users.get(reminder.user_id)
        deadline = _aware(r.deadline_at, svc)
        if now >= deadline:
            reminder.status = "expired"
            await uow.commit()
            return None
        if policy_of(svc).quiet(now):
            return None
        if user is None or not user.reminders_enabled or user.blocked_bot \
                or user.organization_id is None:
            reminder.status, reminder.note = "skipped", "reminders off or user gone"
            await uow.commit()
            return None
        projects = [p for p in await uow.projects.of_organization(user.organization_id)
                    if p.round_id == r.id]
        if projects and all(p.status == "submitted" for p in projects):
            reminder.status, reminder.note = "skipped", "submitted"
            await uow.commit()
            return None
        project = next((p for p in projects if p.status != "submitted"), None)
        total, open_points = 0, ()
        if project is not None:
            from domain.scoring import score

            org = await uow.organizations.get(project.organization_id)
            report = score(svc.rubric, await submission_of(uow, svc, org, project, now.date()))
            total, open_points = report.total, report.open_points
        reminder.status = "sending"
        reminder.attempts += 1
        await uow.commit()
        return ReminderMessage(reminder.id, user.id, user.language, r.name, deadline,
                               days_left(now, deadline), project.id if project else None,
                               project.name if project else None, total, open_points)


async def settle(svc: Services, reminder_id: int, outcome: str, note: str = "") -> None:
    """Record how a claimed reminder went: sent | blocked | retry | failed."""
    async with svc.uow() as uow:
        reminder = await uow.session.get(Reminder, reminder_id)
        if reminder is None:
            return
        if outcome == "sent":
            reminder.status, reminder.sent_at = "sent", svc.clock.now()
        elif outcome == "blocked":
            reminder.status, reminder.note = "blocked", note
            user = await uow.users.get(reminder.user_id)
            if user is not None:
                user.blocked_bot = True
        elif outcome == "retry":
            reminder.status, reminder.note = "planned", note
        else:
            reminder.status, reminder.note = "failed", note[:200]
        await uow.commit()


async def set_reminders(svc: Services, user_id: int, enabled: bool) -> None:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is not None:
            user.reminders_enabled = enabled
            if enabled:
                user.blocked_bot = False
            await uow.commit()


async def reminders_enabled(svc: Services, user_id: int) -> bool:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        return bool(user and user.reminders_enabled)


async def reminder_counts(svc: Services) -> dict[str, int]:
    async with svc.uow() as uow:
        rows = await uow.session.scalars(select(Reminder.status))
        counts: dict[str, int] = {}
        for status in rows:
            counts[status] = counts.get(status, 0) + 1
        return counts
