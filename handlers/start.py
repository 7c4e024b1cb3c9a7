"""/start (with invite deep links), /help, /menu, /join, /lang, /cancel, unknowns."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import ConversationHandler

from domain.errors import InputError
from handlers.common import Context, keyboard, main_menu, reply, services, who
from handlers.menus import set_menu
from handlers.reminders import after_join
from services import accounts


def _role_text(w, role: str) -> str:
    return w.t(f"bot.role_{role}")


async def start(update: Update, context: Context) -> None:
    if context.args:  # t.me/<bot>?start=<invite code>
        await _join(update, context, context.args[0])
        return
    w = await who(update, context)
    lines = [w.t("bot.welcome", name=escape(update.effective_user.first_name or ""))]
    if w.account.organization_name:
        lines.append(w.t("bot.welcome_member", organization=escape(w.account.organization_name),
                         role=_role_text(w, w.account.role)))
    elif w.account.role in ("guest", "staff"):
        lines.append(w.t("bot.welcome_guest"))
    await reply(update, "\n\n".join(lines), main_menu(w))


async def help_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    extra = {"staff": ("help.staff",), "reviewer": ("help.reviewer",),
             "admin": ("help.reviewer", "help.admin")}.get(w.account.role, ())
    await reply(update, w.t("bot.help") + "".join(w.t(key) for key in extra), main_menu(w))


async def menu(update: Update, context: Context) -> None:
    w = await who(update, context)
    await reply(update, w.t("bot.menu_title"), main_menu(w))


async def _join(update: Update, context: Context, code: str) -> None:
    user = update.effective_user
    try:
        account = await accounts.join(services(context), user.id, code, user.first_name or "",
                                      user.username)
    except InputError as err:
        w = await who(update, context)
        await reply(update, w.t(f"input.{err.code}", **err.params), main_menu(w))
        return
    await after_join(context.application, user.id)
    if account.role in ("reviewer", "admin"):
        await set_menu(context.bot, services(context), user.id, account.role)
    w = await who(update, context)
    if account.organization_name:
        text = w.t("bot.joined", organization=escape(account.organization_name),
                   role=_role_text(w, account.role))
    else:
        text = w.t("bot.joined_reviewer")
    await reply(update, text, main_menu(w))


async def join(update: Update, context: Context) -> None:
    if not context.args:
        w = await who(update, context)
        await reply(update, w.t("bot.join_usage"))
        return
    await _join(update, context, context.args[0])


async def lang(update: Update, context: Context) -> None:
    w = await who(update, context)
    await reply(update, w.t("bot.lang_choose"),
                keyboard([[(w.t("bot.lang_name", "zh"), "lang:zh"),
                          (w.t("bot.lang_name", "en"), "lang:en")]]))


async def lang_chosen(update: Update, context: Context) -> None:
    query = update.callback_query
    await query.answer()
    await accounts.set_language(services(context), update.effective_user.id,
                                query.data.split(":", 1)[1])
    w = await who(update, context)
    await reply(update, w.t("bot.lang_set"), main_menu(w))


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside a conversation: end it; nothing saved changes."""
    w = await who(update, context)
    context.user_data.pop("draft", None)
    await reply(update, w.t("bot.cancelled"), main_menu(w))
    return ConversationHandler.END


async def cancel_idle(update: Update, context: Context) -> None:
    w = await who(update, context)
    await reply(update, w.t("bot.nothing_to_cancel"))


async def unknown_command(update: Update, context: Context) -> None:
    w = await who(update, context)
    await reply(update, w.t("bot.unknown_command"))


async def unknown_button(update: Update, context: Context) -> None:
    w = await who(update, context)
    await update.callback_query.answer(w.t("bot.unknown_button"), show_alert=True)


async def unsupported(update: Update, context: Context) -> None:
    w = await who(update, context)
    await reply(update, w.t("bot.unsupported"))
