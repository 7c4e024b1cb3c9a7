"""What every handler needs: the services, who is talking, in which language."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape, unescape
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes, ConversationHandler, filters

from domain.errors import InputError
from domain.fields import field_label
from domain.i18n import pick_lang
from domain.limits import record_id
from handlers import callbacks as cb
from services.core import Services
from services.errors import (
    AlreadyRecorded,
    Conflict,
    Locked,
    NotFound,
    NotMember,
    NotPayer,
    Refused,
    WrongState,
)
from services.people.accounts import Account, ensure_account

log = logging.getLogger("unionbot")
Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Awaitable["int | None"]]

TYPED = filters.TEXT & ~filters.COMMAND  # what a user types in a dialog (not a command)
UPLOADS = filters.Document.ALL | filters.PHOTO


def services(context: Context) -> Services:
    return context.application.bot_data["services"]


@dataclass(frozen=True, slots=True)
class Who:
    svc: Services
    account: Account
    lang: str

    def t(self, key: str, lang: str | None = None, /, **values: object) -> str:
        return self.svc.catalog.t(key, lang or self.lang, **values)

    def problem(self, err: InputError) -> str:
        """A bad-input message: the field and what to do, in the user's language."""
        problem = self.t(f"input.{err.code}", **err.params)
        field = field_label(err.field, self.svc.catalog, self.svc.rubric, self.lang)
        return self.t("bot.bad_input", field=escape(field), problem=escape(problem))


async def who(update: Update, context: Context) -> Who:
    svc = services(context)
    user = update.effective_user
    account = await ensure_account(svc, user.id, user.first_name or "", user.username)
    return Who(svc, account, account.lang or pick_lang(user.language_code))


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)
                                  for text, data in row] for row in rows])


def main_menu(w: Who) -> InlineKeyboardMarkup:
    """The menu of the user's role: a reviewer's leads to the review queue instead of the
    staff's submission, score and subsidy; an administrator, and a member of an organisation
    appointed reviewer, have both."""
    queue = [(w.t("bot.btn_review"), cb.data("queue", "all", 0, 0))]
    if w.account.role == "reviewer" and w.account.organization_id is None:
        return keyboard([
            queue,
            [(w.t("bot.btn_ask"), cb.data("menu_ask")),
             (w.t("bot.btn_standard"), cb.data("menu_standard"))],
            [(w.t("bot.btn_help"), cb.data("menu_help"))],
        ])
    return keyboard([
        [(w.t("bot.btn_ask"), cb.data("menu_ask")), (w.t("bot.btn_score"), cb.data("menu_score"))],
        [(w.t("bot.btn_subsidy"), cb.data("menu_subsidy")),
         (w.t("bot.btn_submit"), cb.data("menu_submit"))],
        [(w.t("bot.btn_standard"), cb.data("menu_standard")),
         (w.t("bot.btn_help"), cb.data("menu_help"))],
        *([queue] if w.account.role in ("admin", "reviewer") else []),
    ])


async def pressed(update: Update, context: Context, action: str) -> cb.Press | None:
    """The button's data, checked against its schema (handlers/callbacks.py); None after
    telling the user the button has expired (forged or outdated data)."""
    try:
        return cb.parse(update.callback_query.data, action, services(context))
    except cb.Expired:
        w = await who(update, context)
        await update.callback_query.answer(w.t("bot.unknown_button"), show_alert=True)
        return None


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the chat the update came from (message or button press)."""
    await update.effective_chat.send_message(text, reply_markup=markup)


async def tell(bot: Bot, user_id: int, text: str,
               markup: InlineKeyboardMarkup | None = None) -> bool:
    """A notice pushed to another user. One who blocked the bot or never started it is
    skipped (logged): never the acting user's error, and the others are still told."""
    try:
        await bot.send_message(user_id, text, reply_markup=markup)
    except (Forbidden, BadRequest) as exc:
        log.info("notice to user %s not delivered: %s", user_id, exc)
        return False
    return True


CAPTION_LIMIT = 1024  # Telegram's limit for a picture's caption, in UTF-16 units as shown


def fits_caption(html: str) -> bool:
    """Whether this HTML text, as the user sees it (tags gone, entities read), fits under a
    picture."""
    shown = unescape(re.sub(r"<[^>]*>", "", html))
    return len(shown.encode("utf-16-le")) // 2 <= CAPTION_LIMIT


async def admin_only(update: Update, context: Context) -> Who | None:
    """The administrator talking, or None after telling a non-administrator so."""
    w = await who(update, context)
    if w.account.role == "admin":
        return w
    await reply(update, w.t("admin.only"))
    return None


def for_admins(func: Callable[[Update, Context, Who], Awaitable[Any]]) -> Handler:
    """An administrators' command: `func` gets the administrator talking; anyone else is
    told the command is theirs (admin_only)."""
    @functools.wraps(func)
    async def run(update: Update, context: Context) -> Any:
        w = await admin_only(update, context)
        return None if w is None else await func(update, context, w)

    return run


def not_theirs(w: Who) -> str:
    """What a reviewer's command refused on a project says: a reviewer (or administrator)
    is told the project is outside their scope; anyone else that the command is theirs."""
    if w.svc.may_review(w.account.user_id, w.account.role):
        return w.t("desk.out_of_scope")
    return w.t("review.only")


Refusal = tuple[str, InlineKeyboardMarkup | None, "int | None"]
STAY = None  # a dialog stays in the state it is in


def _locked(w: Who, exc: Locked) -> Refusal:
    return w.t({"deadline": "walk.locked_deadline",
                "returned": "walk.locked_returned"}.get(exc.reason, "walk.locked")), None, STAY


# The services' refusals (services/errors.py) in the user's words, in one table: (where it
# was met: "walk" the staff's submission walk, "desk" a reviewer's or administrator's work on
# a project; the refusal) → (the reply, its buttons, the dialog's next state).
REFUSALS: dict[tuple[str, type[Exception]], Callable[[Who, Any], Refusal]] = {
    ("walk", Locked): _locked,
    ("walk", Conflict): lambda w, e: (w.t("walk.conflict"), None, STAY),
    ("walk", NotFound): lambda w, e: (w.t("walk.gone"), None, STAY),
    ("walk", NotMember): lambda w, e: (w.t("walk.need_org"), main_menu(w),
                                       ConversationHandler.END),
    ("desk", Refused): lambda w, e: (w.t(e.key), None, STAY),
    ("desk", WrongState): lambda w, e: (w.t("desk.wrong_state",
                                            status=w.t(f"bot.status_{e.status}")), None, STAY),
    ("desk", NotFound): lambda w, e: (w.t("walk.gone"), None, STAY),
    ("desk", NotMember): lambda w, e: (not_theirs(w), None, ConversationHandler.END),
    ("desk", AlreadyRecorded): lambda w, e: (w.t("decide.already"), None, STAY),
    ("desk", NotPayer): lambda w, e: (w.t("decide.payer_only"), None, STAY),
}


def refusal(where: str, w: Who, exc: Exception) -> Refusal | None:
    """What the user is told of a service's refusal met `where` (REFUSALS); None for an
    exception that is no refusal there."""
    said = next((REFUSALS[where, kind] for kind in type(exc).__mro__
                 if (where, kind) in REFUSALS), None)
    return None if said is None else said(w, exc)


def guarded_by(where: str) -> Callable[[Callable[..., Awaitable[int | None]]], Handler]:
    """A conversation step's wrapper: who is talking, the button answered, and the
    services' refusals met `where` (REFUSALS: the text, buttons and next state) turned into
    a polite reply; nothing is lost, the conversation stays where it was."""
    def guarded(func: Callable[..., Awaitable[int | None]]) -> Handler:
        @functools.wraps(func)
        async def run(update: Update, context: Context) -> int | None:
            w = await who(update, context)
            if update.callback_query:
                await update.callback_query.answer()
            try:
                return await func(update, context, w)
            except cb.Expired:
                await reply(update, w.t("bot.unknown_button"))
            except InputError as err:
                await reply(update, w.problem(err))
            except Exception as exc:
                said = refusal(where, w, exc)
                if said is None:
                    raise
                text, markup, state = said
                await reply(update, text, markup)
                return state
            return None

        return run

    return guarded


def pressed_by(guarded: Callable[[Callable[..., Awaitable[int | None]]], Handler]):
    """`pressed(action)`: a button's handler, its data parsed and checked into a Press."""
    def pressed(action: str) -> Callable[[Callable[..., Awaitable[int | None]]], Handler]:
        def wrap(func: Callable[..., Awaitable[int | None]]) -> Handler:
            @guarded
            @functools.wraps(func)
            async def run(update: Update, context: Context, w: Who) -> int | None:
                return await func(update, context, w,
                                  cb.parse(update.callback_query.data, action, w.svc))

            run.action = action  # type: ignore[attr-defined]
            return run

        return wrap

    return pressed


async def id_argument(update: Update, w: Who, word: str, usage_key: str,
                      field: str = "project") -> int | None:
    """The record id a command was given, or None after saying what is wrong and how the
    command is used (never an id too large for the database)."""
    try:
        return record_id(word, field)
    except InputError as err:
        await reply(update, w.problem(err) + "\n\n" + w.t(usage_key))
        return None
