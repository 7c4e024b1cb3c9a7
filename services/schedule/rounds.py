"""Evaluation rounds and their deadlines; reminders planned as rows, sent once.

The database is the source of truth. Every change to a round, an extension or a staff
member plans the reminder rows anew (set-based, in the same transaction), so whoever sends
(a periodic job in one or several bot processes) only has to claim what is due:

planned → claimed (one atomic UPDATE … RETURNING, with a lease) → sending (just before the
send) → sent, or back to planned later when Telegram certainly did not deliver it, or failed
when the outcome is unknown. A lease that expires on a claimed row puts it back to planned
(it was never attempted); on a sending row it fails the row: at most once (rules R23).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.errors import InputError, check_name_length
from domain.reminders import REVIEW, days_left, schedule
from domain.scoring import OpenPoint
from services import audit
from services.core import Services
from services.walk.view import Loaded, ProjectView, load_many
from store.models import Project, Round
from store.repositories.rounds import ClaimedReminder
from store.uow import UnitOfWork

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
    review_deadline_at: dt.datetime | None = None  # reviewers are to have finished by then


def _view(r: Round, svc: Services) -> RoundView:
    return RoundView(r.id, r.name, r.level, r.year, r.opens_on, _aware(r.deadline_at, svc),
                     r.recommended_on, _aware(r.review_deadline_at, svc)
                     if r.review_deadline_at is not None else None)


def _aware(moment: dt.datetime, svc: Services) -> dt.datetime:
    """A stored moment (aware, UTC) in local time."""
    return moment.astimezone(svc.clock.tz)


def check_round(svc: Services, *, name: str, level: str, year: int, opens_on: dt.date,
                deadline_at: dt.datetime, recommended_on: dt.date) -> None:
    if not name.strip():
        raise InputError("name", "text")
    check_name_length(name.strip())
    if level not in LEVELS:
        raise InputError("level", "unknown_choice", value=level, choices=", ".join(LEVELS))
    if not 2000 <= year <= 2100:
        raise InputError("year", "year_range", value=year)
    if deadline_at.date() < opens_on:
        raise InputError("deadline", "deadline_before_open", opens=opens_on.isoformat())
    if recommended_on < opens_on:
        raise InputError("recommended", "recommended_before_open", opens=opens_on.isoformat())


async def create_round(svc: Services, *, name: str, level: str, year: int, opens_on: dt.date,
                       deadline_at: dt.datetime, recommended_on: dt.date,
                       reviews_required: int = 1) -> RoundView:
    if deadline_at.tzinfo is None:
        deadline_at = deadline_at.replace(tzinfo=svc.clock.tz)
    check_round(svc, name=name, level=level, year=year, opens_on=opens_on,
                deadline_at=deadline_at, recommended_on=recommended_on)
    async with svc.uow() as uow:
        if reviews_required not in (1, 2):
            raise InputError("reviews", "unknown_choice", value=reviews_required,
                             choices="1, 2")
        r = Round(name=name.strip(), level=level, year=year, opens_on=opens_on,
                  deadline_at=deadline_at, recommended_on=recommended_on,
                  reviews_required=reviews_required)
        uow.rounds.add(r)
        await uow.flush()
        now = svc.clock.now()
        if opens_on <= now.date() and now < deadline_at:  # drafts with no round join it
            await uow.projects.adopt_drafts(r.id)
        await _plan(uow, svc, round_id=r.id)
        await uow.commit()
        return _view(r, svc)


async def round_row(uow: UnitOfWork, round_id: int) -> Round:
    """The round with this id, or the input error that names it."""
    r = await uow.rounds.get(round_id)
    if r is None:
        raise InputError("round", "round_unknown", value=round_id)
    return r


async def change_deadline(svc: Services, round_id: int, deadline_at: dt.datetime,
                          actor_id: int | None = None) -> RoundView:
    """Move a round's deadline; reminders not yet sent are planned anew."""
    if deadline_at.tzinfo is None:
        deadline_at = deadline_at.replace(tzinfo=svc.clock.tz)
    async with svc.uow() as uow:
        r = await round_row(uow, round_id)
        if deadline_at.date() < r.opens_on:
            raise InputError("deadline", "deadline_before_open", opens=r.opens_on.isoformat())
        await audit.record(uow, svc, actor_id, "deadline", subject=f"round:{r.id}",
                           old=_aware(r.deadline_at, svc), new=deadline_at)
        r.deadline_at = deadline_at
        await uow.flush()
        await _plan(uow, svc, round_id=r.id)  # the rows move with it, in this transaction
        await uow.commit()
        return _view(r, svc)


async def rounds(svc: Services) -> list[RoundView]:
    async with svc.uow() as uow:
        return [_view(r, svc) for r in await uow.rounds.all()]


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    """A round open for an organisation, and its deadline for it (its extension, if any)."""

    round: RoundView
    deadline_at: dt.datetime
    extended: bool


async def open_deadlines(svc: Services, organization_id: int | None = None
                         ) -> list[OpenDeadline]:
    """The rounds taking submissions now, nearest deadline first, each with the deadline of
    ``organization_id`` (an extension moves it later; a round past its own deadline stays
    open for an organisation whose extension has not passed). Without an organisation,
    the rounds' own deadlines."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        views = [_view(r, svc) for r in await uow.rounds.all()]
        extended = {} if organization_id is None else {
            e.round_id: _aware(e.until, svc)
            for e in await uow.extensions.of_organization(organization_id)}
    out = []
    for view in views:
        until = max(view.deadline_at, extended.get(view.id, view.deadline_at))
        if view.opens_on <= now.date() and now < until:
            out.append(OpenDeadline(view, until, until != view.deadline_at))
    return sorted(out, key=lambda d: d.deadline_at)


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
        round_ = await round_row(uow, round_id)
        if until <= round_.deadline_at:  # an extension moves the deadline later, never earlier
            raise InputError("until", "extension_before_deadline",
                             deadline=_aware(round_.deadline_at, svc).strftime("%Y-%m-%d %H:%M"))
        if await uow.organizations.get(organization_id) is None:
            raise InputError("organization", "organization_unknown", value=organization_id)
        before = await uow.extensions.get(round_id, organization_id)
        await audit.record(uow, svc, user_id, "extension", organization_id=organization_id,
                           subject=f"round:{round_id}",
                           old=_aware(before.until, svc) if before else None, new=until)
        await uow.extensions.grant(round_id, organization_id, until, user_id)
        await _plan(uow, svc, round_id=round_id)  # its staff are reminded of the new time
        await uow.commit()


# -- reminders: planning ------------------------------------------------------------------------
async def plan_reminders(svc: Services, *, user_id: int | None = None) -> None:
    """Bring every reminder row in step with the rounds, extensions and staff (or with one
    staff member's): idempotent, safe at every start-up and after every change."""
    async with svc.uow() as uow:
        await _plan(uow, svc, user_id=user_id)
        await uow.commit()


async def _plan(uow: UnitOfWork, svc: Services, *, round_id: int | None = None,
                user_id: int | None = None) -> None:
    """A few statements per round and distinct deadline, whatever the number of staff."""
    now = svc.clock.now()
    extended: dict[int, dict[int, dt.datetime]] = {}  # round → organisation → its deadline
    for ext in await uow.extensions.all():
        extended.setdefault(ext.round_id, {})[ext.organization_id] = _aware(ext.until, svc)
    every_round = await uow.rounds.all()
    for r in every_round:
        if round_id is not None and r.id != round_id:
            continue
        deadline = _aware(r.deadline_at, svc)
        groups: dict[dt.datetime, list[int]] = {}  # an extension's deadline → organisations
        for org_id, until in extended.get(r.id, {}).items():
            if until > deadline:
                groups.setdefault(until, []).append(org_id)
        others = [org_id for orgs in groups.values() for org_id in orgs]
        plans: list[tuple[dt.datetime, list[int] | None]] = [(deadline, None), *groups.items()]
        for closes, orgs in plans:
            if closes <= now:
                continue  # what is left of it expires when claimed
            await uow.reminders.plan(r.id, closes, schedule(closes, svc.reminder_policy), now,
                                     orgs=orgs, not_orgs=() if orgs else others,
                                     user_id=user_id)
    if user_id is None:
        await plan_review_reminders(uow, svc, round_id=round_id, every_round=every_round)


async def plan_review_reminders(uow: UnitOfWork, svc: Services, *, round_id: int | None = None,
                                every_round: list[Round] | None = None) -> None:
    """Reviewers with projects of a round are reminded before its review deadline: rows of
    the kinds r7 … r0, claimed and sent as the staff's are (services/desk/assignments.py).
    `every_round`: the rounds, where the caller has read them already."""
    now = svc.clock.now()
    for r in every_round if every_round is not None else await uow.rounds.all():
        if (round_id is not None and r.id != round_id) or r.review_deadline_at is None:
            continue
        closes = _aware(r.review_deadline_at, svc)
        if closes > now:
            await uow.reminders.plan(
                r.id, closes, schedule(closes, svc.reminder_policy, REVIEW), now,
                reviewers=await uow.assignments.reviewers_in_round(r.id))


# -- reminders: sending ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReturnedItem:
    """One item of a returned project that staff are to fix: its item (and kind), the
    entry's title for a media report or exchange, the reviewer's reason."""

    item_id: str
    kind: str | None
    title: str | None
    reason: str


CHANGEABLE = ("draft", "returned")  # what staff can still change: reminders are about these


@dataclass(frozen=True, slots=True)
class ReminderMessage:
    reminder_id: int
    attempts: int  # the claim's token, given back to `start_sending` and `settle`
    user_id: int
    lang: str | None
    round_name: str
    deadline_at: dt.datetime
    days_left: int
    project_id: int | None
    project_name: str | None
    total: int
    open_points: tuple[OpenPoint, ...]
    returned: tuple[ReturnedItem, ...] = ()  # a returned project: what to fix, and why
    to_review: tuple[tuple[int, str], ...] = ()  # a reviewer's: (id, name) still to review


@dataclass(frozen=True, slots=True)
class Claimed:
    messages: list[ReminderMessage]
    skipped: int  # claimed, but not to be sent (reminders off, blocked, submitted …)

    def __bool__(self) -> bool:
        return bool(self.messages or self.skipped)


async def start_up(svc: Services) -> None:
    """At start-up, in ONE transaction: every reminder row brought in step (`plan_reminders`)
    and the rows whose lease expired (their process died) recovered: see the module's
    docstring."""
    async with svc.uow() as uow:
        await _plan(uow, svc)
        await uow.reminders.recover(svc.clock.now())
        await uow.commit()


async def claim_due(svc: Services, limit: int = 200) -> Claimed:
    """Claim up to `limit` reminders that are due now and write their messages. Nothing in
    the quiet hours; rows whose deadline has come expire; several due for one person
    collapse into the latest. Safe with several processes: each row is claimed once."""
    now = svc.clock.now()
    policy = svc.reminder_policy
    async with svc.uow() as uow:
        await uow.reminders.recover(now)
        await uow.reminders.expire(now)
        if policy.quiet(now):
            await uow.commit()
            return Claimed([], 0)
        await uow.reminders.collapse(now)
        rows = await uow.reminders.claim_due(now, now + dt.timedelta(seconds=policy.lease_s),
                                             limit)
        messages, skipped = await _messages(uow, svc, rows, now)
        await uow.commit()
    return Claimed(messages, sum(len(ids) for ids in skipped.values()))


async def _messages(uow: UnitOfWork, svc: Services, rows: list[ClaimedReminder],
                    now: dt.datetime) -> tuple[list[ReminderMessage], dict[str, list[int]]]:
    """Messages for the claimed rows, each organisation's project scored once; the rows that
    must not go are closed here. A handful of queries per batch, not per reminder."""
    skipped: dict[str, list[int]] = {}
    live, reviewing = [], []
    for row in rows:
        if _aware(row.deadline_at, svc) <= now:
            skipped.setdefault("expired", []).append(row.id)
        elif row.kind.startswith(REVIEW) and row.role == "reviewer" \
                and row.reminders_enabled and not row.blocked_bot:
            reviewing.append(row)
        elif row.kind.startswith(REVIEW) or not row.reminders_enabled or row.blocked_bot \
                or row.organization_id is None:  # staff: members, whatever their role
            skipped.setdefault("reminders off or user gone", []).append(row.id)
        else:
            live.append(row)
    to_review = await _to_review(uow, svc, reviewing)
    for row in reviewing:
        if not to_review.get(row.id):
            skipped.setdefault("nothing left to review", []).append(row.id)
    orgs = {row.organization_id for row in live}
    projects: dict[tuple[int, int], list[Project]] = {}  # (organisation, round) → projects
    round_ids = {row.round_id for row in live}
    for p in await uow.projects.for_reminders(orgs, round_ids):
        for rid in ([p.round_id] if p.round_id is not None else round_ids):
            projects.setdefault((p.organization_id, rid), []).append(p)
    chosen: dict[tuple[int, int], Project] = {}
    sendable = []
    for row in live:
        mine = projects.get((row.organization_id, row.round_id), [])
        if mine and not any(p.status in CHANGEABLE for p in mine):  # submitted (even before
            # the round existed), in review or verified: nobody can change it now
            skipped.setdefault("nothing to change (submitted, in review or verified)",
                               []).append(row.id)
            continue
        sendable.append(row)
        draft = next((p for p in mine if p.status == "draft"),
                     next((p for p in mine if p.status == "returned"), None))
        if draft is not None:
            chosen[(row.organization_id, row.round_id)] = draft
    views = {x.project.id: (x, x.view()) for x in await load_many(
        uow, svc, ids=[p.id for p in chosen.values()])} if chosen else {}
    for note, ids in skipped.items():
        await uow.reminders.close(ids, "expired" if note == "expired" else "skipped", note)
    out = []
    for row in sendable:
        project = chosen.get((row.organization_id, row.round_id))
        loaded, view = views.get(project.id, (None, None)) if project else (None, None)
        total, open_points = (view.report.total, view.report.open_points) if view else (0, ())
        deadline = _aware(row.deadline_at, svc)
        out.append(ReminderMessage(row.id, row.attempts, row.user_id, row.language,
                                   row.round_name, deadline, days_left(now, deadline),
                                   project.id if project else None,
                                   project.name if project else None, total, open_points,
                                   _to_fix(loaded, view)
                                   if view and loaded.project.status == "returned" else ()))
    for row in reviewing:
        if to_review.get(row.id):
            deadline = _aware(row.deadline_at, svc)
            out.append(ReminderMessage(row.id, row.attempts, row.user_id, row.language,
                                       row.round_name, deadline, days_left(now, deadline),
                                       None, None, 0, (), (), to_review[row.id]))
    return out, skipped


async def _to_review(uow: UnitOfWork, svc: Services, rows: list[ClaimedReminder]
                     ) -> dict[int, tuple[tuple[int, str], ...]]:
    """Each reviewer's row → their projects of its round still waiting for their word:
    the assignments and those projects loaded once for the batch."""
    if not rows:
        return {}
    pairs = await uow.assignments.pairs(reviewer_ids={row.user_id for row in rows})
    views = {x.project.id: (x.project.round_id, x.view())
             for x in await load_many(uow, svc, ids={p for p, _ in pairs})}
    out = {}
    for row in rows:
        mine = []
        for pid, rid in pairs:
            round_id, view = views.get(pid, (None, None))
            if rid != row.user_id or view is None or round_id != row.round_id \
                    or view.status not in ("submitted", "in_review"):
                continue
            if view.status == "submitted" or any(
                    view.seen_by(rid, t).state == "pending" or t in view.changed
                    for t in view.targets):
                mine.append((pid, view.name))
        out[row.id] = tuple(mine)
    return out


def _to_fix(loaded: Loaded, view: ProjectView) -> tuple[ReturnedItem, ...]:
    """What staff are to fix in a returned project."""
    titles = {f"entry:{e.id}": (e.item_id, e.title) for e in loaded.entries}
    items = []
    for target in view.targets:
        outcome = view.outcome(target)
        if outcome.state != "rejected":
            continue
        if target in titles:
            item_id, title = titles[target]
            items.append(ReturnedItem(item_id, None, title, outcome.verdict.reason))
        else:
            item_id, _, kind = target.partition(".")
            items.append(ReturnedItem(item_id, kind or None, None, outcome.verdict.reason))
    return tuple(items)


async def start_sending(svc: Services, msgs: list[ReminderMessage]) -> list[ReminderMessage]:
    """Just before a wave of sends: the messages whose rows this claim still holds, now
    marked as being sent (one statement for the wave)."""
    lease = svc.clock.now() + dt.timedelta(seconds=svc.reminder_policy.lease_s)
    async with svc.uow() as uow:
        held = await uow.reminders.start_sending([(m.reminder_id, m.attempts) for m in msgs],
                                                 lease)
        await uow.commit()
    return [m for m in msgs if m.reminder_id in held]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one send went: sent | blocked | retry (Telegram certainly did not deliver it:
    planned again after `retry_after` seconds, or the policy's backoff) | uncertain (we
    cannot know whether it arrived, even after sending it once more: failed, not resent)."""

    msg: ReminderMessage
    result: str
    note: str = ""
    retry_after: float | None = None


async def settle(svc: Services, outcomes: list[Outcome]) -> None:
    """Record how a wave of sends went, in one transaction."""
    now = svc.clock.now()
    policy = svc.reminder_policy
    async with svc.uow() as uow:
        sent = [(o.msg.reminder_id, o.msg.attempts) for o in outcomes if o.result == "sent"]
        await uow.reminders.settle(sent, status="sent", sent_at=now)
        for o in outcomes:
            claim = [(o.msg.reminder_id, o.msg.attempts)]
            if o.result == "blocked":
                await uow.reminders.settle(claim, status="blocked", note=o.note[:200])
                user = await uow.users.get(o.msg.user_id)
                if user is not None:
                    user.blocked_bot = True
            elif o.result == "retry":
                delay = dt.timedelta(seconds=o.retry_after) if o.retry_after is not None \
                    else policy.retry_delay(o.msg.attempts)
                await uow.reminders.settle(claim, status="planned", due_at=now + delay,
                                           note=o.note[:200])
            elif o.result != "sent":
                await uow.reminders.settle(claim, status="failed",
                                           note=f"outcome unknown, not resent: {o.note}"[:200])
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
