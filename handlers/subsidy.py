"""/subsidy: pick the honours held, enter what was received, get what is due (the top-up
rule)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from domain.amounts import parse_amount
from domain.i18n import local
from domain.report import subsidy_lines
from handlers import callbacks as cb
from handlers.common import TYPED, Context, keyboard, main_menu, pressed, reply, who
from services.decisions import ledger as ledgers
from services.decisions.subsidy import subsidy_due
from services.errors import NotFound, NotMember

CHOOSE, PAID = range(2)


def _chooser(w, chosen: list[str], recorded: list[ledgers.Honours] = ()):
    table = w.svc.subsidy_table
    rows = [[(w.t("bot.subsidy_recorded", name=h.name[:30]),
              cb.data("subsidy_project", h.project_id))] for h in recorded]
    rows += [[(("✅ " if lv.id in chosen else "⬜ ") + local(lv.short, w.lang),
               cb.data("subsidy_honour", lv.id))] for lv in table.levels]
    rows.append([(w.t("bot.subsidy_next"), cb.data("subsidy_next"))])
    return keyboard(rows)


def _result(w, honours, paid: int, district: str | None = None) -> str:
    if district not in w.svc.subsidy_table.districts:
        district = None
    result = subsidy_due(w.svc, honours, paid, district)
    lines = subsidy_lines(result, w.svc.subsidy_table, w.svc.catalog, w.lang, district)
    return "\n".join(escape(line) for line in lines)


async def begin(update: Update, context: Context) -> int:
    w = await who(update, context)
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data["subsidy"] = []
    recorded = await ledgers.organization_honours(w.svc, w.account.user_id)
    await reply(update, w.t("bot.subsidy_choose"), _chooser(w, [], recorded))
    return CHOOSE


async def recorded(update: Update, context: Context) -> int:
    """A project whose honours and payments are on record: the answer at once, from its
    ledger (dated honours and payments, the district's matching standard)."""
    press = await pressed(update, context, "subsidy_project")
    if press is None:
        return CHOOSE
    w = await who(update, context)
    await update.callback_query.answer()
    project_id = press.pid
    try:
        book = await ledgers.project_ledger(w.svc, w.account.user_id, project_id)
    except (NotFound, NotMember):
        await reply(update, w.t("walk.gone"), main_menu(w))
        return ConversationHandler.END
    head = w.t("bot.subsidy_for_project", name=escape(book.name))
    rows = "\n".join(escape(ledgers.line_text(w.svc, x, w.lang, book)) for x in book.lines)
    b = book.balance
    matching = [w.t("decide.money_district", district=book.district, entitled=b.matching,
                    paid=b.district_paid, due=b.district_due)] if b.matching else []
    await reply(update, "\n".join((head, _result(w, book.honours, b.city_paid, book.district),
                                   *matching, "", w.t("decide.history"), rows,
                                   w.t("decide.subsidy_from_ledger"))), main_menu(w))
    return ConversationHandler.END


async def toggle(update: Update, context: Context) -> int:
    press = await pressed(update, context, "subsidy_honour")
    if press is None:
        return CHOOSE
    w = await who(update, context)
    query = update.callback_query
    level = press.honour
    chosen: list[str] = context.user_data.setdefault("subsidy", [])
    chosen.remove(level) if level in chosen else chosen.append(level)
    await query.answer()
    recorded = await ledgers.organization_honours(w.svc, w.account.user_id)
    await query.edit_message_reply_markup(_chooser(w, chosen, recorded))
    return CHOOSE


async def chosen(update: Update, context: Context) -> int:
    w = await who(update, context)
    query = update.callback_query
    honours = context.user_data.get("subsidy", [])
    if not honours:
        await query.answer(w.t("bot.subsidy_none_chosen"), show_alert=True)
        return CHOOSE
    await query.answer()
    names = "、".join(local(w.svc.subsidy_table.level(h).short, w.lang) for h in honours)
    await reply(update, w.t("bot.subsidy_ask_paid", honours=escape(names)))
    return PAID


async def paid(update: Update, context: Context) -> int:
    w = await who(update, context)
    try:
        amount = parse_amount(update.message.text)
    except ValueError:
        await reply(update, w.t("bot.subsidy_bad_paid"))
        return PAID
    honours = context.user_data.pop("subsidy", [])
    await reply(update, _result(w, honours, amount), main_menu(w))
    return ConversationHandler.END


# -- wiring (bot/app.py builds the ConversationHandler from these) -----------------------------
def entry_points() -> list[BaseHandler]:
    return [CommandHandler("subsidy", begin),
            CallbackQueryHandler(begin, cb.pattern("menu_subsidy"))]


def states() -> dict[int, list[BaseHandler]]:
    return {CHOOSE: [CallbackQueryHandler(toggle, cb.pattern("subsidy_honour")),
                     CallbackQueryHandler(recorded, cb.pattern("subsidy_project")),
                     CallbackQueryHandler(chosen, cb.pattern("subsidy_next"))],
            PAID: [MessageHandler(TYPED, paid)]}


def fallbacks() -> list[BaseHandler]:
    return [CommandHandler("subsidy", begin)]
