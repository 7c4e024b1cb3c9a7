"""/subsidy: pick the honours held, enter what was received, get what is due (the top-up
rule)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import ConversationHandler

from domain.amounts import parse_amount
from domain.i18n import local
from domain.report import subsidy_lines
from handlers.common import Context, keyboard, main_menu, reply, who
from services.subsidy import subsidy_due

CHOOSE, PAID = range(2)


def _chooser(w, chosen: list[str]):
    table = w.svc.subsidy_table
    rows = [[(("✅ " if lv.id in chosen else "⬜ ") + local(lv.short, w.lang), f"sub:h:{lv.id}")]
            for lv in table.levels]
    rows.append([(w.t("bot.subsidy_next"), "sub:next")])
    return keyboard(rows)


async def begin(update: Update, context: Context) -> int:
    w = await who(update, context)
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data["subsidy"] = []
    await reply(update, w.t("bot.subsidy_choose"), _chooser(w, []))
    return CHOOSE


async def toggle(update: Update, context: Context) -> int:
    w = await who(update, context)
    query = update.callback_query
    level = query.data.split(":")[2]
    chosen: list[str] = context.user_data.setdefault("subsidy", [])
    if level in w.svc.subsidy_table.ids:
        chosen.remove(level) if level in chosen else chosen.append(level)
    await query.answer()
    await query.edit_message_reply_markup(_chooser(w, chosen))
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
    result = subsidy_due(w.svc, honours, amount)
    lines = subsidy_lines(result, w.svc.subsidy_table, w.svc.catalog, w.lang)
    await reply(update, "\n".join(escape(line) for line in lines), main_menu(w))
    return ConversationHandler.END
