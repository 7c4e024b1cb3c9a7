"""Telegram's command menu per role (staff, reviewer, administrator), in zh and en."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, BotCommand, BotCommandScopeChat

from services.core import Services

log = logging.getLogger("unionbot")

STAFF = ("menu", "submit", "ask", "score", "status", "subsidy", "standard", "rounds",
         "remind", "history", "join", "lang", "help", "cancel")
REVIEWER = ("menu", "review", "desk", "ranking", "decide", "pay", "reverse", "ledger",
            "dossier", "history", "export", "honour", "extend", "rounds", "ask", "standard",
            "lang", "help", "cancel")
ADMIN = (*REVIEWER, "reviewer", "payer", "neworg", "editorg", "invite", "revoke", "members",
         "newround", "deadline", "assign", "progress", "reviewdeadline", "as", "submit", "score")
BY_ROLE = {"staff": STAFF, "guest": STAFF, "reviewer": REVIEWER, "admin": ADMIN}
# a member of an organisation appointed reviewer: the desk and their organisation's work
MENUS = {**BY_ROLE, "member_reviewer": (*REVIEWER, "submit", "score", "status", "subsidy",
                                        "remind")}


def menu_of(role: str, *, member: bool) -> str:
    """The menu a user gets: a reviewer who is a member of an organisation keeps its staff's
    commands."""
    return "member_reviewer" if role == "reviewer" and member else role


def commands(svc: Services, role: str, lang: str) -> list[BotCommand]:
    return [BotCommand(c, svc.catalog.t(f"cmd.{c}", lang)) for c in MENUS[role]]


async def set_menu(bot: Bot, svc: Services, chat_id: int, role: str) -> None:
    """One user's menu for their role, in both languages (zh unless Telegram says en): the
    two calls are independent, so they are sent at once (one round trip, at start-up too)."""
    results = await asyncio.gather(
        *(bot.set_my_commands(commands(svc, role, lang), scope=BotCommandScopeChat(chat_id),
                              language_code=code) for lang, code in (("zh", None), ("en", "en"))),
        return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result  # cancelled: not a chat's problem
    if any(isinstance(result, Exception) for result in results):
        # the user has not started the bot yet: the chat does not exist
        log.info("user %s has no chat with the bot yet", chat_id)
