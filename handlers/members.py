"""Membership under control: invites that expire, single-use invites, revoking them
(/invite, /revoke: administrators); members listed and removed (/members: administrators
and the organisation's lead); joining another organisation (handlers/start.py) refused,
or confirmed by an administrator moving themselves."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from domain.errors import InputError
from domain.i18n import LANGS
from domain.limits import record_id
from handlers import callbacks as cb
from handlers.common import Context, Who, for_admins, keyboard, main_menu, pressed, reply, who
from handlers.menus import menu_of, set_menu
from handlers.reminders import after_join
from services.desk import reviewers
from services.errors import MemberElsewhere, NotAllowed
from services.people import accounts

MAX_LISTED = 40  # members shown at once, each with its button: within Telegram's limits


def invite_text(w: Who, invite: accounts.InviteView) -> str:
    until = invite.expires_at.strftime("%Y-%m-%d %H:%M") if invite.expires_at else "—"
    return w.t("invite.issued", organization=escape(invite.organization_name or ""),
               code=invite.code, link=escape(invite.link), until=until,
               single=w.t("invite.single_mark") if invite.single_use else "",
               lead=w.t("invite.lead_mark") if invite.lead else "")


def _invite_words(w: Who, words: list[str]) -> dict:
    """/invite's options after the organisation: once, lead (their catalog words in either
    language), a number of days."""
    options: dict = {}
    for word in words:
        low = word.lower()
        if low in {w.t("invite.once_word", lang) for lang in LANGS}:
            options["single_use"] = True
        elif low in {w.t("invite.lead_word", lang) for lang in LANGS}:
            options["lead"] = True
        elif low.isdigit():
            options["days"] = int(low) if len(low) < 6 else 0
        else:
            raise InputError("days", "unknown_choice", value=word,
                             choices=w.t("invite.choices"))
    return options


@for_admins
async def invite(update: Update, context: Context, w: Who) -> None:
    """/invite ORG [once] [lead] [DAYS]: a new invite code for an organisation."""
    args = context.args or []
    if not args:
        await reply(update, w.t("invite.usage"))
        return
    try:
        org_id = record_id(args[0], "organization")
        view = await accounts.issue_invite(w.svc, org_id, created_by=w.account.user_id,
                                           **_invite_words(w, args[1:]))
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t("invite.usage"))
        return
    await reply(update, invite_text(w, view))


@for_admins
async def revoke(update: Update, context: Context, w: Who) -> None:
    """/revoke CODE: the code no longer lets anyone in (members stay members)."""
    if len(context.args or []) != 1:
        await reply(update, w.t("invite.revoke_usage"))
        return
    try:
        view = await accounts.revoke_invite(w.svc, context.args[0], w.account.user_id)
    except InputError as err:
        await reply(update, w.problem(err))
        return
    await reply(update, w.t("invite.revoked", code=escape(view.code),
                            organization=escape(view.organization_name or "")))


def _refused(w: Who, exc: Exception) -> str:
    """Why managing members was refused: not allowed, or bad input."""
    return w.problem(exc) if isinstance(exc, InputError) else w.t("members.only")


def _name(m: accounts.Member) -> str:
    return m.first_name or (f"@{m.username}" if m.username else str(m.user_id))


async def members(update: Update, context: Context) -> None:
    """/members [ORG]: the members, each with a button to remove them. Administrators name
    the organisation; a lead sees their own."""
    w = await who(update, context)
    args = context.args or []
    try:
        if args:
            org_id = record_id(args[0], "organization")
        else:
            org_id = await accounts.lead_of(w.svc, w.account.user_id)
            if org_id is None:
                await reply(update, w.t("members.usage"))
                return
        name, listed = await accounts.members(w.svc, w.account.user_id, org_id)
    except (NotAllowed, InputError) as exc:
        await reply(update, _refused(w, exc))
        return
    if not listed:
        await reply(update, w.t("members.none", organization=escape(name)))
        return
    lines = [w.t("members.title", organization=escape(name), count=len(listed))]
    rows = []
    for m in listed[:MAX_LISTED]:
        lines.append(w.t("members.line", name=escape(_name(m)), id=m.user_id,
                         role=w.t(f"bot.role_{m.role}"),
                         lead=w.t("members.lead_mark") if m.lead else ""))
        if m.user_id != w.account.user_id:
            rows.append([(w.t("members.remove_btn", name=_name(m)[:30]),
                          cb.data("member_remove", org_id, m.user_id))])
    await reply(update, "\n".join(lines), keyboard(rows) if rows else None)


async def remove_pressed(update: Update, context: Context) -> None:
    press = await pressed(update, context, "member_remove")
    if press is None:
        return
    w = await who(update, context)
    await update.callback_query.answer()
    try:
        name, gone = await accounts.remove_member(w.svc, w.account.user_id, press.org,
                                                  press.user)
    except (NotAllowed, InputError) as exc:
        await reply(update, _refused(w, exc))
        return
    await reply(update, w.t("members.removed", name=escape(_name(gone)),
                            organization=escape(name)))


async def join_confirmed(update: Update, context: Context) -> None:
    """An administrator confirms moving to another organisation."""
    press = await pressed(update, context, "join_confirm")
    if press is None:
        return
    await update.callback_query.answer()
    await joining(update, context, press.code, confirmed=True)


async def join_cancelled(update: Update, context: Context) -> None:
    w = await who(update, context)
    await update.callback_query.answer()
    await reply(update, w.t("bot.join_kept", organization=escape(
        w.account.organization_name or "")), main_menu(w))


async def joining(update: Update, context: Context, code: str, *,
                  confirmed: bool = False) -> None:
    """Join with a code; refused (or, for an administrator, confirmed) while a member of
    another organisation."""
    user = update.effective_user
    w = await who(update, context)
    try:
        account = await accounts.join(w.svc, user.id, code, user.first_name or "",
                                      user.username, confirmed=confirmed)
    except InputError as err:
        await reply(update, w.t(f"input.{err.code}", **err.params), main_menu(w))
        return
    except MemberElsewhere as elsewhere:
        names = {"current": escape(elsewhere.current), "target": escape(elsewhere.target)}
        if elsewhere.may_move and len(code) <= 32:
            await reply(update, w.t("bot.join_move_confirm", **names), keyboard([[
                (w.t("bot.join_move_yes"), cb.data("join_confirm", code)),
                (w.t("bot.join_move_no"), cb.data("join_cancel"))]]))
        else:
            await reply(update, w.t("bot.join_elsewhere", **names), main_menu(w))
        return
    await after_join(context.application, user.id)
    if account.role in ("reviewer", "admin"):
        await set_menu(context.bot, w.svc, user.id,
                       menu_of(account.role, member=account.organization_id is not None))
    w = await who(update, context)
    if account.appointed_by is not None:  # a member appointed: they and the admin are told
        await _tell_appointer(context, w, account, user.first_name or str(user.id))
        text = w.t("bot.joined_reviewer_member",
                   organization=escape(account.organization_name or ""))
    elif account.organization_name:
        text = w.t("bot.joined", organization=escape(account.organization_name),
                   role=w.t(f"bot.role_{account.role}"))
    else:
        district = await reviewers.scope(w.svc, user.id)
        text = w.t("bot.joined_reviewer", scope=escape(district or w.t("reviewer.city")))
    await reply(update, text, main_menu(w))


async def _tell_appointer(context: Context, w: Who, account: accounts.Account,
                          name: str) -> None:
    """The administrator whose reviewer invite a member opened: that member keeps their
    organisation and may not review its projects."""
    admin_id = account.appointed_by
    if admin_id == account.user_id:
        return
    lang = (await reviewers.languages(w.svc, {admin_id}))[admin_id]
    await context.bot.send_message(admin_id, w.t(
        "reviewer.appointed_member", lang, name=escape(name), id=account.user_id,
        organization=escape(account.organization_name or "")))


# -- wiring (bot/app.py adds these) -------------------------------------------------------------
def handlers() -> list[BaseHandler]:
    return [CommandHandler("invite", invite), CommandHandler("revoke", revoke),
            CommandHandler("members", members),
            CallbackQueryHandler(remove_pressed, cb.pattern("member_remove")),
            CallbackQueryHandler(join_confirmed, cb.pattern("join_confirm")),
            CallbackQueryHandler(join_cancelled, cb.pattern("join_cancel"))]
