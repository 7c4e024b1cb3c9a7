"""/desk: the desk's web pages (handlers/webpages.py, served by bot/runtime/webapp.py; issue 24)
for reviewers and administrators: a Web App button that opens them inside Telegram (when
WEBAPP_URL is https) and a short-lived single-use 🔗 sign-in link for a plain browser (the
terminal chat prints it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import BaseHandler, CommandHandler

from domain import signin
from domain.signin import LINK_MAX_AGE
from handlers.common import Context, reply, who
from services import signins
from services.core import Services

DESK = "webdesk"  # the served desk in bot_data (bot/runtime/webapp.py puts it there)


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


@dataclass
class Desk:
    """What the pages share: the services, the bot (to tell staff), the keys, the public
    address and the failed sign-ins (services/signins.py keeps the links already used)."""

    svc: Services
    bot: Bot | None
    key: bytes  # signs sign-in links, sessions and CSRF tokens
    bot_token: str  # checks Telegram's init data ("" without a token: only links work)
    url: str  # public base address, no trailing slash
    secure: bool = False  # cookies only over https
    throttle: signin.Throttle = field(default_factory=signin.Throttle)

    def link(self, user_id: int) -> str:
        """A short-lived single-use sign-in link for a plain browser."""
        return link_url(self.url, self.key, user_id, self.svc.clock.now().timestamp())

    async def use_link(self, token: str, now: float) -> int:
        """The user a sign-in link names; Refused if forged, expired or used before (also
        before a restart: the database remembers it)."""
        found = signin.read_token(self.key, "link", token, now, signin.LINK_MAX_AGE)
        if not await signins.use_once(self.svc, found.nonce,
                                      found.issued + signin.LINK_MAX_AGE + 1):
            raise signin.Refused("reused")
        return found.user_id


def link_url(base: str, key: bytes, user_id: int, now: float) -> str:
    token = signin.make_token(key, "link", user_id, now, secrets.token_urlsafe(9))
    return f"{base}/desk/link?{urlencode({'t': token})}"


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("desk", desk)]
