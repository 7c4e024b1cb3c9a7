"""/start (with invite deep links), /help, /menu, /join, /lang, /cancel, unknowns."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from domain.i18n import LANGS
from handlers import callbacks as cb
from handlers.common import Context, keyboard, main_menu, pressed, reply, services, who
from handlers.members import joining
from services.people import accounts


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
    if w.account.role == "reviewer" and w.account.organization_id is not None:
        extra = (*extra, "help.staff")  # a member appointed reviewer is staff too
    await reply(update, w.t("bot.help") + "".join(w.t(key) for key in extra), main_menu(w))


async def menu(update: Update, context: Context) -> None:
    w = await who(update, context)
    await reply(update, w.t("bot.menu_title"), main_menu(w))


async def _join(update: Update, context: Context, code: str) -> None:
    await joining(update, context, code)


async def join(update: Update, context: Context) -> None:
    if not context.args:
        w = await who(update, context)
        await reply(update, w.t("bot.join_usage"))
        return
    await _join(update, context, context.args[0])


async def lang(update: Update, context: Context) -> None:
    w = await who(update, context)
    await reply(update, w.t("bot.lang_choose"),
                keyboard([[(w.t("bot.lang_name", lang), cb.data("lang", lang))
                           for lang in LANGS]]))


async def lang_chosen(update: Update, context: Context) -> None:
    press = await pressed(update, context, "lang")
    if press is None:
        return
    await update.callback_query.answer()
    await accounts.set_language(services(context), update.effective_user.id, press.lang)
    w = await who(update, context)
    await reply(update, w.t("bot.lang_set"), main_menu(w))


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside a conversation: end it; nothing saved changes."""
    w = await who(update, context)
    context.user_data.pop("draft", None)
    await reply(update, w.t("bot.cancelled"), main_menu(w))
    return ConversationHandler.END


async def abandon(update: Update, context: Context) -> int:
    """Another dialog's command or button while this one is open: this one ends (what it
    saved stays saved), the other runs (bot/app.py)."""
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


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("start", start), CommandHandler("help", help_command),
            CommandHandler("menu", menu), CommandHandler("join", join),
            CommandHandler("lang", lang), CommandHandler("cancel", cancel_idle),
            CallbackQueryHandler(help_command, cb.pattern("menu_help")),
            CallbackQueryHandler(lang_chosen, cb.pattern("lang"))]
