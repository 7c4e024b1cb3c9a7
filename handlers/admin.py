"""Administrators register organisations in chat (corrections: handlers/orgs.py); reviewers
see submissions, reopen them and record honours."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from domain.dates import date_field
from domain.errors import InputError
from domain.i18n import LANGS, local
from domain.limits import record_id
from handlers import callbacks as cb
from handlers import decide
from handlers.common import (
    Context,
    Who,
    for_admins,
    keyboard,
    reply,
)
from services.errors import NotMember
from services.people import accounts
from services.walk import projects
from services.walk import view as sub


@for_admins
async def new_org(update: Update, context: Context, w: Who) -> None:
    args = context.args or []
    if len(args) not in (4, 5):
        await reply(update, w.t("admin.neworg_usage"))
        return
    try:
        dates = [date_field(text, field) for field, text
                 in zip(("established", "valid_until"), args[3:], strict=False)]
        org = await accounts.create_organization(
            w.svc, name=args[0], uscc=args[1], district=args[2], established_on=dates[0],
            valid_until=dates[1] if len(dates) > 1 else None, created_by=w.account.user_id)
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t("admin.neworg_usage"))
        return
    await reply(update, w.t("admin.org_created", name=escape(org.name), district=org.district,
                            code=org.invite_code, link=escape(org.link)))


def _honour_ids(w: Who, words: list[str]) -> list[str]:
    """Honour levels as typed (an id such as national, or its label in either language)
    → their ids."""
    table = w.svc.subsidy_table
    known = {name.lower(): lv.id for lv in table.levels
             for name in (lv.id, *(local(lv.short, lang) for lang in LANGS))}
    unknown = [word for word in words if word.lower() not in known]
    if unknown:
        raise InputError("honours", "unknown_choice", value=unknown[0],
                         choices="、".join(local(lv.short, w.lang) for lv in table.levels))
    return [known[word.lower()] for word in words]


def _reviewer(w: Who, pid: int) -> None:
    if not w.svc.may_review(w.account.user_id, w.account.role):
        raise NotMember(pid)


@decide.pressed("reopen")
async def reopen(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    """🔓 asks first: reopening unlocks every item of a submitted project."""
    _reviewer(w, press.pid)
    view = await sub.project_view(w.svc, w.account.user_id, press.pid)
    await reply(update, w.t("review.reopen_confirm", name=escape(view.name)), keyboard([[
        (w.t("review.btn_reopen_yes"), cb.data("reopen_confirm", view.id)),
        (w.t("review.btn_reopen_no"), cb.data("open", view.id))]]))


@decide.pressed("reopen_confirm")
async def reopen_confirmed(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    _reviewer(w, press.pid)
    view = await projects.reopen(w.svc, w.account.user_id, press.pid)
    await reply(update, w.t("walk.reopened", name=escape(view.name)))


async def export(update: Update, context: Context) -> None:
    """/export [DISTRICT]: the one ranking workbook, as /ranking's button gives it."""
    await decide.export_command(update, context)


@decide.guarded
async def honour(update: Update, context: Context, w: Who) -> None:
    """/honour PROJECT LEVELS: each level asks to be confirmed, with where the project stands,
    as 🏅 on /decide's card does (payments: /pay)."""
    args = context.args or []
    if len(args) == 3:  # the amount it once took: a payment is /pay's, one at a time
        await reply(update, w.t("review.honour_no_amount", id=escape(args[0])))
        return
    words = [lv.strip() for lv in args[1].replace("，", ",").replace("、", ",").split(",")
             ] if len(args) == 2 else []
    try:
        project_id = record_id(args[0], "project") if words else None
        levels = _honour_ids(w, [word for word in words if word])
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t("review.honour_usage"))
        return
    if not levels:
        await reply(update, w.t("review.honour_usage"))
    for level in dict.fromkeys(levels):
        await decide.confirm(update, w, project_id, "honour", level)


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("neworg", new_org), CommandHandler("export", export),
            CommandHandler("honour", honour), CallbackQueryHandler(reopen, cb.pattern("reopen")),
            CallbackQueryHandler(reopen_confirmed, cb.pattern("reopen_confirm"))]
