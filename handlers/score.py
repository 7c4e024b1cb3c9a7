"""/score: the organisation's projects, a line per criterion, issues, open points, a chart;
/standard: the 100-point standard explained (no account needed)."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from domain.i18n import local
from domain.report import score_lines
from handlers import callbacks as cb
from handlers.common import Context, fits_caption, main_menu, reply, services, who
from handlers.submit_views import claimed_and_verified, open_items, verified_lines
from services.charts import CACHED_CHARTS, Bar, bars, render
from services.walk.scoring import organization_scores


async def score(update: Update, context: Context) -> None:
    w = await who(update, context)
    if update.callback_query:
        await update.callback_query.answer()
    if w.account.organization_id is None:
        await reply(update, w.t("bot.score_need_org"), main_menu(w))
        return
    projects = await organization_scores(w.svc, w.account.organization_id)
    if not projects:
        await reply(update, w.t("bot.score_no_projects"), main_menu(w))
        return
    for p in projects:
        head = "\n".join((w.t("bot.score_project", name=escape(p.name),
                               status=w.t(f"bot.status_{p.status}")),
                          w.t("walk.project_number", id=p.project_id)))
        body = "\n".join(escape(line) for line in score_lines(
            p.report, w.svc.rubric, w.svc.catalog, w.lang, open_items=open_items(p.view)))
        if p.verified is not None:
            body += "\n" + "\n".join([*claimed_and_verified(w, p.report, p.verified),
                                       *verified_lines(w, p.view)])
        text = f"{head}\n{body}"
        title = w.t("bot.chart_title", name=p.name, total=p.report.total, max=p.report.max)
        chart = bars(p.report, w.svc.rubric, w.lang)
        markup = main_menu(w) if p is projects[-1] else None
        if fits_caption(text):
            try:
                await _send_chart(update, context, title, chart, text, markup)
                continue
            except BadRequest:  # Telegram would not take it as a caption after all
                pass
        await reply(update, text)  # too long to go under the picture: a message of its own
        await _send_chart(update, context, title, chart, None, markup)


async def _send_chart(update: Update, context: Context, title: str, chart: tuple[Bar, ...],
                      caption: str | None, markup: InlineKeyboardMarkup | None) -> None:
    """The chart, with the score under it when it fits and the menu's buttons on the last
    one: one message per project. A picture sent before goes again by Telegram's file_id:
    not drawn, not uploaded."""
    sent: dict[tuple[str, tuple[Bar, ...]], str] = context.bot_data.setdefault("charts", {})
    key = (title, chart)
    file_id = sent.get(key)
    if file_id is not None:
        try:
            await update.effective_chat.send_photo(file_id, caption=caption, reply_markup=markup)
            return
        except BadRequest:  # Telegram no longer knows it: upload the picture again
            sent.pop(key, None)
    # CPU work off the event loop
    png = await asyncio.to_thread(render, title, chart, font=services(context).cjk_font)
    message = await update.effective_chat.send_photo(png, caption=caption, reply_markup=markup)
    if message.photo:
        if len(sent) >= CACHED_CHARTS:
            sent.pop(next(iter(sent)))  # the oldest
        sent[key] = message.photo[-1].file_id


async def standard(update: Update, context: Context) -> None:
    w = await who(update, context)
    if update.callback_query:
        await update.callback_query.answer()
    rubric = w.svc.rubric
    lines = [w.t("bot.standard_title", title=escape(local(rubric.title, w.lang)),
                 max=rubric.max_total)]
    for c in rubric.criteria:
        lines.append(w.t("bot.standard_criterion", label=escape(local(c.label, w.lang)),
                         max=c.max))
        for i in c.items:
            lines.append(w.t("bot.standard_item", label=escape(local(i.label, w.lang)),
                             max=i.max, hint=escape(local(i.hint, w.lang))))
    await reply(update, "\n".join(lines), main_menu(w))


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("score", score), CommandHandler("standard", standard),
            CallbackQueryHandler(score, cb.pattern("menu_score")),
            CallbackQueryHandler(standard, cb.pattern("menu_standard"))]
