"""/desk: the desk's web pages (webapp/, issue 24) for reviewers and administrators: a Web App
button that opens them inside Telegram (when WEBAPP_URL is https) and a short-lived
single-use 🔗 sign-in link for a plain browser (the terminal chat prints it)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo

from domain.signin import LINK_MAX_AGE
from handlers.common import Context, reply, who

DESK = "webdesk"  # the served desk in bot_data (webapp/server.py puts it there)


async def desk(update: Update, context: Context) -> None:
    w = await who(update, context)
    if not w.svc.may_review(w.account.user_id, w.account.role):
        await reply(update, w.t("review.only"))
        return
    served = context.bot_data.get(DESK)
    if served is None:
        await reply(update, w.t("web.not_here"))
        return
    link = served.link(w.account.user_id)
    if not served.url.startswith("https://"):  # Telegram opens Web Apps over https only
        await reply(update, w.t("web.desk_link", minutes=LINK_MAX_AGE // 60, url=escape(link)))
        return
    await reply(update, w.t("web.desk_intro", minutes=LINK_MAX_AGE // 60, url=escape(link)),
                InlineKeyboardMarkup([[InlineKeyboardButton(
                    w.t("web.btn_open"), web_app=WebAppInfo(f"{served.url}/desk/"))]]))
