"""Administrators correct an organisation's facts: `/editorg ORG FIELD VALUE` typed, or
`/editorg ORG` and a button per fact (a district is a button too, anything else is typed).

The conversation runs in a handler group before the others (bot/app.py): its callbacks
raise ApplicationHandlerStop, so what it handles goes nowhere else (a typed value is not a
policy question, nor an answer to the walk); any other command while a value is awaited
drops the correction and runs as usual.

Button data (handlers/callbacks.py): `og:f:<org>:<field>` picks a fact to change,
`og:d:<index>` a district from data/districts.toml."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from functools import wraps
from html import escape

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain.dates import date_field
from domain.errors import InputError
from domain.i18n import LANGS
from domain.limits import record_id
from handlers import callbacks as cb
from handlers.common import TYPED, Context, Who, admin_only, keyboard, pressed, reply
from services.people import accounts

FIELDS = cb.ORG_FIELDS  # what an administrator corrects
WAIT = dt.timedelta(minutes=10)  # a value typed later is not taken for a forgotten correction
LIST_PAGE = 30  # organisations listed at once: within Telegram's 4096 characters
VALUE = 0  # the conversation's one state: waiting for the new value

FIELD_PATTERN = cb.pattern("org_field")
DISTRICT_PATTERN = cb.pattern("org_district")
PENDING = "editorg"  # user_data while a value is awaited: {"org": id, "field": …, "at": iso}


Callback = Callable[[Update, Context], Awaitable[int]]


def handled(callback: Callback) -> Callback:
    """The update ends here: the other handler groups do not see it."""
    @wraps(callback)
    async def stop(update: Update, context: Context) -> int:
        raise ApplicationHandlerStop(await callback(update, context))
    return stop


def _line(w: Who, org: accounts.OrganizationView) -> str:
    until = org.certificate_valid_until
    return w.t("org.line", id=org.id, name=escape(org.name), uscc=org.uscc,
               district=org.district, established=org.established_on.isoformat(),
               valid_until=until.isoformat() if until else "—")


def _field(w: Who, word: str) -> str:
    """The field an administrator means by `word` (its id, or a word from the catalog)."""
    word = word.strip().lower()
    for field in FIELDS:
        words = {x.lower() for lang in LANGS
                 for x in w.t(f"admin.editorg_words.{field}", lang).split()}
        if word == field or word in words:
            return field
    raise InputError("field", "unknown_choice", value=word,
                     choices="、".join(w.t(f"field.{f}") for f in FIELDS))


def _listing(w: Who, views: list[accounts.OrganizationView], args: list[str]) -> str:
    """The organisations `args` pick (an id, part of a name, or none: all), one a line."""
    if args and args[0].isdigit():
        views = [o for o in views if o.id == int(args[0])]
        if not views:
            return w.problem(InputError("organization", "organization_unknown", value=args[0]))
    elif args:
        views = [o for o in views if " ".join(args) in o.name]
        if not views:
            return w.t("admin.org_list_no_match", text=escape(" ".join(args)))
    if not views:
        return w.t("admin.org_list_none")
    lines = [w.t("admin.org_list_title"), *(_line(w, o) for o in views[:LIST_PAGE])]
    if len(views) > LIST_PAGE:
        lines.append(w.t("admin.org_list_more", count=len(views) - LIST_PAGE))
    return "\n".join(lines)


def _field_buttons(w: Who, org_id: int):
    buttons = [(w.t("admin.editorg_btn", field=w.t(f"field.{f}")), cb.data("org_field", org_id, f))
               for f in FIELDS]
    return keyboard([buttons[:2], buttons[2:]])


async def _save(update: Update, w: Who, org_id: int, field: str, value: str,
                again: str) -> bool:
    """Check and store one fact; tell the administrator either way (on bad input, the
    problem and then the catalog text `again`). True when saved."""
    try:
        if field == "established":
            changes = {"established_on": date_field(value, field)}
        elif field == "valid_until":
            changes = {"valid_until": date_field(value, field)}
        else:
            changes = {field: value}
        org = await accounts.edit_organization(w.svc, org_id, actor_id=w.account.user_id,
                                               **changes)
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t(again))
        return False
    await reply(update, w.t("admin.org_edited", field=w.t(f"field.{field}"), line=_line(w, org)))
    return True


@handled
async def edit_org(update: Update, context: Context) -> int:
    """/editorg ORG FIELD VALUE: correct a fact. Otherwise (nothing, an id, part of a name):
    the organisations and how to correct them; for one organisation, a button per fact."""
    context.user_data.pop(PENDING, None)
    w = await admin_only(update, context)
    if w is None:
        return ConversationHandler.END
    args = context.args or []
    if len(args) >= 3 and args[0].isdigit():
        try:
            org_id = record_id(args[0], "organization")
            field = _field(w, args[1])
        except InputError as err:
            await reply(update, w.problem(err) + "\n\n" + w.t("admin.editorg_usage"))
            return ConversationHandler.END
        await _save(update, w, org_id, field, " ".join(args[2:]), "admin.editorg_usage")
        return ConversationHandler.END
    views = await accounts.organizations(w.svc)
    listing = _listing(w, views, args)
    if len(args) == 1 and args[0].isdigit() and any(o.id == int(args[0]) for o in views):
        await reply(update, listing + "\n\n" + w.t("admin.editorg_pick"),
                    _field_buttons(w, int(args[0])))
    else:
        await reply(update, listing + "\n\n" + w.t("admin.editorg_usage"))
    return ConversationHandler.END


@handled
async def field_chosen(update: Update, context: Context) -> int:
    """A fact's button: ask for its new value (districts as buttons)."""
    press = await pressed(update, context, "org_field")
    if press is None:
        return ConversationHandler.END
    await update.callback_query.answer()
    w = await admin_only(update, context)
    if w is None:
        return ConversationHandler.END
    org_id, field = press.org, press.org_field
    context.user_data[PENDING] = {"org": org_id, "field": field,
                                  "at": w.svc.clock.now().isoformat()}
    if field == "district":
        names = w.svc.districts.names
        buttons = [(name, cb.data("org_district", i)) for i, name in enumerate(names)]
        rows = [buttons[r:r + 3] for r in range(0, len(buttons), 3)]
        await reply(update, w.t("admin.editorg_ask_district"), keyboard(rows))
    else:
        await reply(update, w.t(f"admin.editorg_ask_{field}"))
    return VALUE


def _pending(w: Who | None, context: Context) -> dict | None:
    """The correction waiting for its value, unless it was left too long ago (then dropped)."""
    pending = context.user_data.get(PENDING)
    if w is None or pending is None:
        return None
    if w.svc.clock.now() - dt.datetime.fromisoformat(pending["at"]) > WAIT:
        context.user_data.pop(PENDING, None)
        return None
    return pending


async def value_typed(update: Update, context: Context) -> int:
    """The new value, typed. Left too long: the text goes on as any other message would."""
    w = await admin_only(update, context)
    pending = _pending(w, context)
    if pending is None:
        return ConversationHandler.END
    field = pending["field"]
    if await _save(update, w, pending["org"], field, update.message.text,
                   f"admin.editorg_ask_{field}"):
        context.user_data.pop(PENDING, None)
        raise ApplicationHandlerStop(ConversationHandler.END)
    raise ApplicationHandlerStop(VALUE)


@handled
async def district_chosen(update: Update, context: Context) -> int:
    press = await pressed(update, context, "org_district")
    if press is None:
        return ConversationHandler.END
    w = await admin_only(update, context)
    pending = _pending(w, context)
    index = press.district
    if pending is None:
        text = w.t("bot.unknown_button") if w else None
        await update.callback_query.answer(text, show_alert=bool(text))
        return ConversationHandler.END
    await update.callback_query.answer()
    await _save(update, w, pending["org"], "district", w.svc.districts.names[index],
                "admin.editorg_ask_district")
    context.user_data.pop(PENDING, None)
    return ConversationHandler.END


@handled
async def cancel(update: Update, context: Context) -> int:
    """/cancel while a value is awaited: nothing changes."""
    context.user_data.pop(PENDING, None)
    w = await admin_only(update, context)
    if w is not None:
        await reply(update, w.t("admin.editorg_cancelled"))
    return ConversationHandler.END


async def abandon(update: Update, context: Context) -> int:
    """Another command while a value is awaited: drop the correction; the command runs."""
    context.user_data.pop(PENDING, None)
    return ConversationHandler.END


# -- wiring (bot/app.py builds the ConversationHandler from these) -----------------------------
def entry_points() -> list[BaseHandler]:
    return [CommandHandler("editorg", edit_org), CallbackQueryHandler(field_chosen, FIELD_PATTERN)]


def states() -> dict[int, list[BaseHandler]]:
    return {VALUE: [CallbackQueryHandler(district_chosen, DISTRICT_PATTERN),
                    MessageHandler(TYPED, value_typed)]}


def fallbacks() -> list[BaseHandler]:
    return [CommandHandler("cancel", cancel), MessageHandler(filters.COMMAND, abandon)]
