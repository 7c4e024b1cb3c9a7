"""Reviewers' work assigned and followed, in chat: /assign (by hand, balanced, reassign),
/progress (per district and per reviewer, a message and a chart), /reviewdeadline for
administrators; /status for staff (where their project stands, with dates)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from html import escape

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from domain.dates import datetime_field
from domain.errors import InputError
from domain.limits import record_id, user_id
from handlers import callbacks as cb
from handlers.common import Context, Who, for_admins, keyboard, reply, tell, who
from services.desk import assignments, reviewers
from services.errors import NotMember

SHOWN = 8  # projects named in one reviewer's notice


async def _tell_assigned(context: Context, w: Who, done: assignments.Assigned) -> None:
    """Each reviewer with new projects hears of them, in their language, with buttons."""
    theirs: dict[int, list[assignments.AssignmentView]] = defaultdict(list)
    for a in done.added:
        theirs[a.reviewer_id].append(a)
    t = w.svc.catalog.t
    for reviewer_id, lang in (await reviewers.languages(w.svc, set(theirs))).items():
        mine = theirs[reviewer_id]
        lines = [t("assign.to_reviewer", lang, count=len(mine))]
        lines += [t("assign.to_reviewer_line", lang, id=a.project_id,
                    name=escape(a.project_name), district=escape(a.district))
                  for a in mine[:SHOWN]]
        rows = [[(t("desk.btn_open", lang, id=a.project_id, name=a.project_name[:24]),
                  cb.data("open", a.project_id))] for a in mine[:SHOWN]]
        rows.append([(t("bot.btn_review", lang), cb.data("queue", "mine", 0, 0))])
        await tell(context.bot, reviewer_id, "\n".join(lines), keyboard(rows))


def _line(w: Who, a: assignments.AssignmentView) -> str:
    return w.t("assign.line", id=a.project_id, name=escape(a.project_name),
               district=escape(a.district), reviewer=escape(a.reviewer_name),
               reviewer_id=a.reviewer_id)


@for_admins
async def assign(update: Update, context: Context, w: Who) -> None:
    """/assign · /assign auto · /assign PROJECT REVIEWER · /assign PROJECT FROM TO"""
    args = context.args or []
    me = w.account.user_id
    try:
        if not args:
            found = await assignments.assignments(w.svc, me)
            await reply(update, "\n".join([w.t("assign.title"),
                                           *(_line(w, a) for a in found)])
                        if found else w.t("assign.none") + "\n\n" + w.t("assign.usage"))
            return
        if args == ["auto"]:
            done = await assignments.assign_auto(w.svc, me)
        elif len(args) == 2:
            done = await assignments.assign(w.svc, me, record_id(args[0], "project"),
                                            user_id(args[1], "reviewer"))
        elif len(args) == 3:
            done = await assignments.reassign(w.svc, me, record_id(args[0], "project"),
                                              user_id(args[1], "reviewer"),
                                              user_id(args[2], "reviewer"))
        else:
            await reply(update, w.t("assign.usage"))
            return
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t("assign.usage"))
        return
    lines = [w.t("assign.done", count=len(done.added))]
    lines += [_line(w, a) for a in done.added[:40]]
    lines += [w.t("assign.moved_from", reviewer=escape(a.reviewer_name)) for a in done.removed]
    if done.unassigned:
        lines.append(w.t("assign.unassigned", ids=", ".join(f"#{p}" for p in done.unassigned)))
    await reply(update, "\n".join(lines))
    await _tell_assigned(context, w, done)


@for_admins
async def review_deadline(update: Update, context: Context, w: Who) -> None:
    """/reviewdeadline ROUND DATE TIME"""
    args = context.args or []
    if len(args) != 3:
        await reply(update, w.t("assign.deadline_usage"))
        return
    try:
        at = await assignments.set_review_deadline(
            w.svc, w.account.user_id, record_id(args[0], "round"),
            datetime_field(f"{args[1]} {args[2]}", "review_deadline"))
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t("assign.deadline_usage"))
        return
    await reply(update, w.t("assign.deadline_set", round=int(args[0]),
                            deadline=at.strftime("%Y-%m-%d %H:%M")))


def progress_text(w: Who, p: assignments.Progress) -> str:
    def line(row: assignments.ProgressRow, name: str) -> str:
        return w.t("progress.line", name=escape(name), submitted=row.submitted,
                   assigned=row.assigned, in_review=row.in_review, returned=row.returned,
                   verified=row.verified, overdue=row.overdue)

    deadline = p.review_deadline.strftime("%Y-%m-%d %H:%M") if p.review_deadline else "—"
    lines = [w.t("progress.title", round=escape(p.round_name or "—"), deadline=deadline),
             w.t("progress.legend"), line(p.total, w.t("progress.total")),
             w.t("progress.by_district")]
    lines += [line(r, r.name) for r in p.districts] or [w.t("progress.nothing")]
    lines.append(w.t("progress.by_reviewer"))
    lines += [line(r, r.name) for r in p.reviewers] or [w.t("progress.nothing")]
    return "\n".join(lines)


@for_admins
async def progress(update: Update, context: Context, w: Who) -> None:
    """/progress: the round under review per district and per reviewer, and its chart."""
    p = await assignments.progress(w.svc, w.account.user_id)
    await reply(update, progress_text(w, p))
    if p.districts or p.reviewers:
        png = await asyncio.to_thread(assignments.progress_chart, p, w.svc.catalog,
                                      w.lang, font=w.svc.cjk_font)  # off the event loop
        await update.effective_chat.send_photo(png, caption=w.t(
            "progress.chart_caption", round=escape(p.round_name or "—")))


def status_text(w: Who, line: assignments.StatusLine) -> str:
    steps = [w.t("status.step", status=w.t(f"bot.status_{s.status}"),
                 at=s.at.strftime("%Y-%m-%d")) for s in line.steps]
    return w.t("status.line", id=line.project_id, name=escape(line.name),
               status=w.t(f"bot.status_{line.status}"),
               steps=w.t("status.sep").join(steps) or w.t("status.not_submitted"))


async def status(update: Update, context: Context) -> None:
    """/status: where each of the organisation's projects stands, with dates."""
    w = await who(update, context)
    try:
        lines = await assignments.status_lines(w.svc, w.account.user_id)
    except NotMember:
        await reply(update, w.t("own.need_org"))
        return
    if not lines:
        await reply(update, w.t("status.none"))
        return
    await reply(update, "\n".join([w.t("status.title"), *(status_text(w, s) for s in lines)]))


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("assign", assign), CommandHandler("progress", progress),
            CommandHandler("reviewdeadline", review_deadline), CommandHandler("status", status)]
