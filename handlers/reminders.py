"""Reminders before deadlines, through PTB's JobQueue; /remind; rounds in chat for admins.

Jobs follow rows: one periodic job claims the reminder rows that are due (whoever planned
them: this process, the CLI, or another bot process) and sends them. At start-up the rows
are brought in step with the rounds and staff, and rows of a process that died are
recovered (services/schedule/rounds.py says how)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from html import escape

from telegram import Update
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

from domain.dates import date_field, datetime_field
from domain.errors import InputError
from domain.i18n import DEFAULT_LANG, local
from domain.limits import record_id
from handlers import callbacks as cb
from handlers.common import Context, Who, for_admins, keyboard, pressed, reply, who
from handlers.errors import is_stand_in, performed
from services.core import Services
from services.schedule import rounds

log = logging.getLogger("unionbot.reminders")
MAX_OPEN_LINES = 5
CONCURRENCY = 32  # sends in flight at once (the rate limiter paces them)
BATCH = 200  # rows claimed per statement
JOB = "reminders"


def render(svc: Services, msg: rounds.ReminderMessage) -> tuple[str, object]:
    lang = msg.lang or DEFAULT_LANG
    t = svc.catalog.t
    if msg.to_review:  # a reviewer's, before the review deadline
        lines = [t("remind.review_title", lang, round=escape(msg.round_name),
                   deadline=msg.deadline_at.strftime("%Y-%m-%d %H:%M"), days=msg.days_left,
                   count=len(msg.to_review))]
        lines += [t("remind.review_line", lang, id=pid, name=escape(name))
                  for pid, name in msg.to_review[:MAX_OPEN_LINES]]
        return "\n".join(lines), keyboard([[(t("bot.btn_review", lang),
                                              cb.data("queue", "mine", 0, 0))]])
    lines = [t("remind.title", lang, round=escape(msg.round_name),
               deadline=msg.deadline_at.strftime("%Y-%m-%d %H:%M"), days=msg.days_left)]
    if msg.project_name is None:
        lines.append(t("remind.no_project", lang))
        button = (t("remind.continue", lang), cb.data("menu_submit"))
    elif msg.returned:  # returned for changes: what to fix, and why, before the deadline
        lines.append(t("remind.returned", lang, name=escape(msg.project_name)))
        for item in msg.returned:
            rule = svc.rubric.item(item.item_id)
            label = local(rule.rule.slot_label(item.kind) or rule.label, lang)
            if item.title:
                label = f"{label} {item.title}"
            lines.append(t("remind.returned_line", lang, label=escape(label),
                           reason=escape(item.reason)))
        button = (t("remind.fix", lang), cb.data("checklist", msg.project_id))
    else:
        lines.append(t("remind.project", lang, name=escape(msg.project_name), total=msg.total))
        if msg.open_points:
            lines.append(t("remind.open_title", lang))
            for o in msg.open_points[:MAX_OPEN_LINES]:
                lines.append(t("remind.open_line", lang,
                               label=escape(local(svc.rubric.item(o.item_id).label, lang)),
                               gain=o.gain))
        button = (t("remind.continue", lang), cb.data("checklist", msg.project_id))
    return "\n".join(lines), keyboard([[button]])


SENDS = 2  # a reminder whose send got no answer is sent once more, and no more


async def send(app: Application, msg: rounds.ReminderMessage) -> rounds.Outcome:
    """Send one reminder whose row is marked as being sent; how it went. Whether Telegram got
    it is judged by the one rule (handlers/errors.py `performed`). A send that went out but got
    no answer (a timeout, a connection lost: the sending layer's stand-in) is sent once more:
    a second reminder costs less than a missed deadline. Replies to a user's own action are
    not repeated (bot/runtime/delivery.py)."""
    svc: Services = app.bot_data["services"]
    text, markup = render(svc, msg)
    for attempt in range(1, SENDS + 1):
        try:
            message = await app.bot.send_message(msg.user_id, text, reply_markup=markup)
        except Forbidden as exc:
            return rounds.Outcome(msg, "blocked", str(exc))
        except RetryAfter as exc:  # the rate limiter's retries ran out: try again later
            delay = exc.retry_after  # int today, timedelta in PTB's next major version
            seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
            return rounds.Outcome(msg, "retry", "retry after", retry_after=seconds + 1)
        except TelegramError as exc:
            log.warning("reminder %s failed: %s", msg.reminder_id, exc)
            return rounds.Outcome(msg, "retry" if performed(exc) is False else "uncertain",
                                  str(exc))
        except Exception as exc:  # whatever it was, we cannot know whether the message went
            log.exception("reminder %s failed", msg.reminder_id)
            return rounds.Outcome(msg, "uncertain", repr(exc))
        if not is_stand_in(message):
            return rounds.Outcome(msg, "sent")
        log.warning("reminder %s: no answer from Telegram to send %d of %d", msg.reminder_id,
                    attempt, SENDS)
    return rounds.Outcome(msg, "uncertain", f"no answer from Telegram to {SENDS} sends")


REPORTED = {"uncertain": "failed"}  # how dispatch_due counts an outcome


async def dispatch_due(app: Application, concurrency: int = CONCURRENCY,
                       batch: int = BATCH) -> dict[str, int]:
    """Claim and send every reminder due at the clock's now: what the periodic job runs
    (tests with an injected clock and the benchmark call it directly). A batch is claimed
    at once and sent in waves of `concurrency`: each wave is marked as being sent in one
    statement just before it goes, and its outcomes are recorded in one transaction.
    Returns how many went each way (sent, skipped, blocked, retry, failed, taken)."""
    svc: Services = app.bot_data["services"]
    outcomes: Counter[str] = Counter()
    while claimed := await rounds.claim_due(svc, batch):
        if claimed.skipped:
            outcomes["skipped"] += claimed.skipped
        for i in range(0, len(claimed.messages), concurrency):
            wave = claimed.messages[i:i + concurrency]
            held = await rounds.start_sending(svc, wave)
            outcomes["taken"] += len(wave) - len(held)  # this claim lost them meanwhile
            results = await asyncio.gather(*(send(app, msg) for msg in held))
            await rounds.settle(svc, list(results))
            outcomes.update(REPORTED.get(r.result, r.result) for r in results)
    return {k: n for k, n in outcomes.items() if n}


async def _tick(context: Context) -> None:
    try:
        if outcomes := await dispatch_due(context.application):  # counted in the metrics
            log.info("reminders: %s", outcomes, extra={"reminders": outcomes})
    except Exception:  # the next tick tries again; rows in flight are recovered by lease
        log.exception("sending reminders failed")


def add_job(app: Application, interval_s: float) -> None:
    """The one periodic job (every `interval_s` seconds; 0: this process sends none)."""
    if app.job_queue is not None and interval_s > 0:
        app.job_queue.run_repeating(_tick, interval=interval_s, first=interval_s, name=JOB)


async def start_up(app: Application) -> None:
    """Rows in step with rounds and staff; rows of a process that died recovered."""
    svc: Services = app.bot_data["services"]
    await rounds.start_up(svc)


# -- /remind -----------------------------------------------------------------------------------
async def remind(update: Update, context: Context) -> None:
    w = await who(update, context)
    on = await rounds.reminders_enabled(w.svc, w.account.user_id)
    await reply(update, w.t("remind.status_on" if on else "remind.status_off"),
                keyboard([[(w.t("remind.turn_off" if on else "remind.turn_on"),
                            cb.data("remind", "off" if on else "on"))]]))


async def remind_set(update: Update, context: Context) -> None:
    press = await pressed(update, context, "remind")
    if press is None:
        return
    w = await who(update, context)
    await update.callback_query.answer()
    enabled = press.switch == "on"
    await rounds.set_reminders(w.svc, w.account.user_id, enabled)
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


@for_admins
async def new_round(update: Update, context: Context, w: Who) -> None:
    """/newround NAME LEVEL YEAR OPENS DEADLINE_DATE DEADLINE_TIME RECOMMENDED"""
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
    await reply(update, w.t("round.created", id=view.id, name=escape(view.name),
                            deadline=view.deadline_at.strftime("%Y-%m-%d %H:%M")))


@for_admins
async def set_deadline(update: Update, context: Context, w: Who) -> None:
    """/deadline ROUND DATE TIME"""
    args = context.args or []
    if len(args) != 3 or not args[0].isdigit():
        await reply(update, w.t("round.deadline_usage"))
        return
    try:
        view = await rounds.change_deadline(w.svc, record_id(args[0], "round"),
                                            datetime_field(f"{args[1]} {args[2]}", "deadline"),
                                            actor_id=w.account.user_id)
    except InputError as err:
        await reply(update, w.problem(err))
        return
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
        await rounds.extend(w.svc, w.account.user_id, record_id(args[0], "round"),
                            record_id(args[1], "organization"), until)
    except PermissionError:
        await reply(update, w.t("review.only"))
        return
    except InputError as err:
        await reply(update, w.problem(err))
        return
    await reply(update, w.t("round.extended", org=args[1], until=until.strftime("%Y-%m-%d %H:%M")))


async def after_join(app: Application, user_id: int | None = None) -> None:
    """A new staff member gets the reminders of the open rounds."""
    await rounds.plan_reminders(app.bot_data["services"], user_id=user_id)


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("remind", remind),
            CallbackQueryHandler(remind_set, cb.pattern("remind")),
            CommandHandler("rounds", list_rounds), CommandHandler("newround", new_round),
            CommandHandler("deadline", set_deadline), CommandHandler("extend", extend)]
