"""Administrators appoint reviewers in chat (/reviewer add|list|remove) and, in the terminal
chat where one user plays every part, act as a reviewer or as staff (/as)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from domain.errors import InputError
from handlers.common import Context, Who, for_admins, reply, tell
from handlers.menus import set_menu
from services.desk import reviewers


def _scope(w: Who, district: str | None) -> str:
    return district or w.t("reviewer.city")


@for_admins
async def reviewer(update: Update, context: Context, w: Who) -> None:
    args = context.args or []
    me = w.account.user_id
    try:
        if args[:1] == ["add"] and len(args) <= 2:
            invite = await reviewers.appoint(w.svc, me, args[1] if len(args) == 2 else None)
            await reply(update, w.t("reviewer.invite", scope=_scope(w, invite.district),
                                    link=escape(invite.link), code=invite.code))
        elif args == ["list"]:
            found = await reviewers.reviewers(w.svc, me)
            await reply(update, "\n".join(
                w.t("reviewer.line", id=r.user_id, name=escape(r.name),
                    scope=_scope(w, r.district)) for r in found) or w.t("reviewer.none"))
        elif len(args) == 2 and args[0] == "remove" and args[1].isdigit():
            gone = await reviewers.remove(w.svc, me, int(args[1]))
            await set_menu(context.bot, w.svc, gone.user_id, "guest")  # the desk's gone too
            lang = (await reviewers.languages(w.svc, {gone.user_id}))[gone.user_id]
            await tell(context.bot, gone.user_id, w.t("reviewer.removed_to_them", lang))
            await reply(update, w.t("reviewer.removed", name=escape(gone.name or
                                                                     str(gone.user_id))))
        else:
            await reply(update, w.t("reviewer.usage"))
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t("reviewer.usage"))


@for_admins
async def act_as(update: Update, context: Context, w: Who) -> None:
    """/as reviewer | /as staff: an administrator switches the part they play."""
    args = context.args or []
    if args not in (["reviewer"], ["staff"]):
        await reply(update, w.t("reviewer.as_usage"))
        return
    if args[0] == "reviewer" and w.account.organization_id is not None:
        context.user_data["as_staff_of"] = w.account.organization_id
    await reviewers.switch(w.svc, w.account.user_id, args[0],
                           context.user_data.get("as_staff_of"))
    await reply(update, w.t("reviewer.as_done", role=w.t(f"bot.role_{args[0]}")))


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("reviewer", reviewer), CommandHandler("as", act_as)]
