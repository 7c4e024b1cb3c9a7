"""`python -m bot desk-link USER_ID`: a short-lived, single-use sign-in link to the desk's web
pages (handlers/webpages.py) for a plain browser, signed with WEBAPP_SECRET (or the bot's
token), so the running bot's web server accepts it once."""

from __future__ import annotations

import argparse
import time

from bot.settings import Settings
from domain.errors import InputError
from handlers.webdesk import link_url


def cmd_desk_link(args: argparse.Namespace) -> int:
    from bot.runtime.webapp import desk_key, public_url

    settings = Settings()
    if not (settings.webapp_secret or settings.token):
        raise InputError("WEBAPP_SECRET", "webapp_secret_needed")
    print(link_url(public_url(settings, settings.webapp_port or 8765),
                   desk_key(settings), args.user_id, time.time()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("desk-link", help="a single-use sign-in link to the web desk")
    p.add_argument("user_id", type=int, help="the reviewer's or administrator's Telegram id")
    p.set_defaults(func=cmd_desk_link)
