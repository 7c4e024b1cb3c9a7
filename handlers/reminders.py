"""Reminders before deadlines, through PTB's JobQueue; /remind; rounds in chat for admins.

Jobs are rebuilt from the database rows at start-up (`schedule_reminders`); each job
delivers one row: claim it, send, and record the outcome."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from html import escape

from telegram import Update
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from domain.dates import date_field, datetime_field
from domain.errors import InputError
from domain.i18n import DEFAULT_LANG, local
from handlers.common import Context, admin_only, keyboard, reply, who
from services import rounds
from services.core import Services

log = logging.getLogger("unionbot.reminders")
MAX_OPEN_LINES = 5
CONCURRENCY = 32


def render(svc: Services, msg: rounds.ReminderMessage) -> tuple[str, object]:
    lang = msg.lang or DEFAULT_LANG
    t = svc.catalog.t
    lines = [t("remind.title", lang, round=escape(msg.round_name),
               deadline=msg.deadline_at.strftime("%Y-%m-%d %H:%M"), days=msg.days_left)]
    if msg.project_name is None:
        lines.append(t("remind.no_project", lang))
        button = (t("remind.continue", lang), "m:submit")
    else:
        lines.append(t("remind.project", lang, name=escape(msg.project_name), total=msg.total))
        if msg.open_points:
            lines.append(t("remind.open_title", lang))
            for o in msg.open_points[:MAX_OPEN_LINES]:
                lines.append(t("remind.open_line", lang,
                               label=escape(local(svc.rubric.item(o.item_id).label, lang)),
                               gain=o.gain))
        button = (t("remind.continue", lang), f"w:c:{msg.project_id}")
    return "\n".join(lines), keyboard([[button]])


async def deliver(app: Application, reminder_id: int) -> str:
    """Send one reminder if it is still due; returns what happened."""
    svc: Services = app.bot_data["services"]
    msg = await rounds.claim(svc, reminder_id)
    if msg is None:
        return "not due"
    text, markup = render(svc, msg)
    try:
        await app.bot.send_message(msg.user_id, text, reply_markup=markup)
    except Forbidden as exc:
        await rounds.settle(svc, reminder_id, "blocked", str(exc))
        return "blocked"
    except RetryAfter as exc:  # the rate limiter's retries ran out: try again later
        await rounds.settle(svc, reminder_id, "retry", "retry after")
        delay = exc.retry_after  # int today, timedelta in PTB's next major version
        seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
        if app.job_queue is not None:
            app.job_queue.run_once(_job, when=seconds + 1, data=reminder_id,
                                   name=f"reminder:{reminder_id}:retry")
        return "retry"
    except TelegramError as exc:
        log.warning("reminder %s failed: %s", reminder_id, exc)
        await rounds.settle(svc, reminder_id, "failed", str(exc))
        return "failed"
    await rounds.settle(svc, reminder_id, "sent")
    return "sent"


async def _job(context: Context) -> None:
    await deliver(context.application, context.job.data)


async def schedule_reminders(app: Application) -> int:
    """Plan rows for everyone due one, then (re)build a job per planned row."""
    svc: Services = app.bot_data["services"]
    await rounds.plan_reminders(svc)
    jobs = app.job_queue
    if jobs is None:
        return 0
    scheduled = 0
    for planned in await rounds.pending(svc):
        name = f"reminder:{planned.reminder_id}"
        if jobs.get_jobs_by_name(name):
            continue
        jobs.run_once(_job, when=max(planned.at, svc.clock.now()), data=planned.reminder_id,
                      name=name)
        scheduled += 1
    return scheduled


async def dispatch_due(app: Application, concurrency: int = CONCURRENCY) -> dict[str, int]:
    """Deliver every reminder due at the clock's now (what the jobs do, all at once): for
    tests with an injected clock and for the benchmark."""
    svc: Services = app.bot_data["services"]
    now = svc.clock.now()
    due = [p.reminder_id for p in await rounds.pending(svc) if p.at <= now]
    gate = asyncio.Semaphore(concurrency)
    outcomes: dict[str, int] = {}

    async def one(rid: int) -> None:
        async with gate:
            result = await deliver(app, rid)
        outcomes[result] = outcomes.get(result, 0) + 1

    await asyncio.gather(*(one(rid) for rid in due))
    return outcomes


# -- /remind -----------------------------------------------------------------------------------
async def remind(update: Update, context: Context) -> None:
    w = await who(update, context)
    on = await rounds.reminders_enabled(w.svc, w.account.user_id)
    await reply(update, w.t("remind.status_on" if on else "remind.status_off"),
                keyboard([[(w.t("remind.turn_off" if on else "remind.turn_on"),
                            "rm:off" if on else "rm:on")]]))


async def remind_set(update: Update, context: Context) -> None:
    w = await who(update, context)
    await update.callback_query.answer()
    enabled = update.callback_query.data == "rm:on"
    await rounds.set_reminders(w.svc, w.account.user_id, enabled)
    if enabled:
        await schedule_reminders(context.application)
    await reply(update, w.t("remind.now_on" if enabled else "remind.now_off"))


# -- rounds in chat ----------------------------------------------------------------------------
async def list_rounds(update: Update, context: Context) -> None:
    w = await who(update, context)
    views = await rounds.rounds(w.svc)
    if not views:
        await reply(update, w.t("round.none"))
        return
    lines = [w.t("round.title")]
    for r in views:
        lines.append(w.t("round.line", id=r.id, name=escape(r.name),
                         level=local(w.svc.subsidy_table.level(r.level).short, w.lang),
                         deadline=r.deadline_at.strftime("%Y-%m-%d %H:%M"),
                         recommended=r.recommended_on.isoformat()))
    await reply(update, "\n".join(lines))


async def new_round(update: Update, context: Context) -> None:
    """/newround NAME LEVEL YEAR OPENS DEADLINE_DATE DEADLINE_TIME RECOMMENDED"""
    w = await admin_only(update, context)
    if w is None:
        return
    args = context.args or []
    if len(args) != 7:
        await reply(update, w.t("round.usage"))
        return
    name, level, year, opens, day, time, recommended = args
    try:
        if not year.isdigit():
            raise InputError("year", "year_range", value=year)
        view = await rounds.create_round(
            w.svc, name=name, level=level, year=int(year), opens_on=date_field(opens, "opens"),
            deadline_at=datetime_field(f"{day} {time}", "deadline"),
            recommended_on=date_field(recommended, "recommended"))
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t("round.usage"))
        return
    await schedule_reminders(context.application)
    await reply(update, w.t("round.created", id=view.id, name=escape(view.name),
                            deadline=view.deadline_at.strftime("%Y-%m-%d %H:%M")))


async def set_deadline(update: Update, context: Context) -> None:
    """/deadline ROUND DATE TIME"""
    w = await admin_only(update, context)
    if w is None:
        return
    args = context.args or []
    if len(args) != 3 or not args[0].isdigit():
        await reply(update, w.t("round.deadline_usage"))
        return
    try:
        view = await rounds.change_deadline(w.svc, int(args[0]),
                                            datetime_field(f"{args[1]} {args[2]}", "deadline"))
    except InputError as err:
        await reply(update, w.problem(err))
        return
    await schedule_reminders(context.application)
    await reply(update, w.t("round.deadline_set", name=escape(view.name),
                            deadline=view.deadline_at.strftime("%Y-%m-%d %H:%M")))


async def extend(update: Update, context: Context) -> None:
    """/extend ROUND ORGANISATION DATE TIME: reviewers extend one organisation's deadline."""
    w = await who(update, context)
    args = context.args or []
    if len(args) != 4 or not (args[0].isdigit() and args[1].isdigit()):
        await reply(update, w.t("round.extend_usage"))
        return
    try:
        until = datetime_field(f"{args[2]} {args[3]}", "until")
        await rounds.extend(w.svc, w.account.user_id, int(args[0]), int(args[1]), until)
    except PermissionError:
        await reply(update, w.t("review.only"))
        return
    except InputError as err:
        await reply(update, w.problem(err))
        return
    await reply(update, w.t("round.extended", org=args[1], until=until.strftime("%Y-%m-%d %H:%M")))


async def after_join(app: Application) -> None:
    """A new staff member gets the reminders of the open rounds."""
    await schedule_reminders(app)
