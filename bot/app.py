"""The one place the Application is built: settings, database, services, handlers."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import warnings
from collections.abc import Callable
from types import ModuleType
from zoneinfo import ZoneInfo

from telegram import BotCommandScopeDefault, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.runtime.delivery import RetryPolicy
from bot.runtime.inbox import Inbox, InboxApplication, InboxQueue, replay
from bot.runtime.network import with_shared_tls
from bot.runtime.observe import instrument
from bot.runtime.ratelimit import ChatRateLimiter
from bot.runtime.updates import PerUserUpdateProcessor
from bot.settings import Settings
from domain.reminders import ReminderPolicy
from handlers import (
    admin,
    ask,
    assign,
    decide,
    desk,
    digest,
    members,
    menus,
    org_import,
    orgs,
    reminders,
    reviewers,
    score,
    start,
    submit,
    subsidy,
    totals,
    webdesk,
)
from handlers.common import TYPED, UPLOADS
from handlers.errors import on_error
from services.clock import Clock, SystemClock
from services.core import Services
from services.desk import reviewers as reviewers_service
from services.walk.files import collect_garbage
from store.datafiles import (
    load_catalog,
    load_districts,
    load_review_rules,
    load_rubric,
    load_service_areas,
    load_subsidy_table,
)
from store.db import make_engine, make_sessionmaker
from store.evidence_store import EvidenceStore
from store.inbox import InboxStore
from store.persistence import DatabasePersistence

log = logging.getLogger("unionbot")
SWEEP_JOB = "evidence_sweep"  # the orphaned evidence files' sweep, daily
SWEEP_AFTER = 60  # seconds after start: the first poll and the first users come first

# Commands shown in Telegram's menu: per role in handlers/menus.py (every one's description is
# the catalog key cmd.<command>).
COMMANDS = tuple(dict.fromkeys(c for role in menus.BY_ROLE.values() for c in role))


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    sessions = make_sessionmaker(make_engine(settings.database_url))
    policy = ReminderPolicy(days_before=tuple(settings.reminder_days),
                            hour=settings.reminder_hour, quiet_start=settings.quiet_start,
                            quiet_end=settings.quiet_end)
    return Services(sessions=sessions, clock=clock or SystemClock(ZoneInfo(settings.tz_name)),
                    rubric=load_rubric(), subsidy_table=load_subsidy_table(),
                    catalog=load_catalog(), admin_ids=frozenset(settings.admin_ids),
                    bot_username=settings.bot_username, districts=load_districts(),
                    evidence=EvidenceStore(settings.evidence_dir),
                    max_file_bytes=settings.max_file_mb * 1024 * 1024,
                    allowed_types=frozenset(t.lower() for t in settings.allowed_file_types),
                    service_areas=load_service_areas(),
                    reminder_policy=policy, invite_days=settings.invite_days,
                    cjk_font=settings.cjk_font, review=load_review_rules())


# A command always starts its own dialog and ends the others; what a dialog handled goes
# nowhere else. Each dialog (a ConversationHandler) has a handler group of its own, in
# DIALOG_GROUPS, so that each sees every command and every dialog's button: the dialog it
# belongs to starts; each other open one ends (its `abandon` fallback). Whatever a dialog
# handled is marked on the update's context (one per update, shared by the groups), and the
# handlers of MAIN_GROUP skip what is marked: text typed in a dialog is not also a policy
# question, nor a dialog's command an unknown one. The groups come after observe.py's first
# one, which opens each update's log line.
DIALOG_GROUPS = (0, 1, 2)
MAIN_GROUP = 3
IN_DIALOG = "unionbot_in_dialog"  # the mark: a custom attribute of the update's context


def _marking(handler: BaseHandler) -> BaseHandler:
    """The handler's callback marks the update as handled by a dialog."""
    callback = handler.callback

    @functools.wraps(callback)
    async def run(update: object, context: ContextTypes.DEFAULT_TYPE) -> object:
        setattr(context, IN_DIALOG, True)
        return await callback(update, context)

    handler.callback = run
    return handler


def _unless_in_dialog(handler: BaseHandler) -> BaseHandler:
    """The handler's callback does nothing for an update a dialog handled."""
    callback = handler.callback

    @functools.wraps(callback)
    async def run(update: object, context: ContextTypes.DEFAULT_TYPE) -> object:
        if getattr(context, IN_DIALOG, False):
            return None
        return await callback(update, context)

    handler.callback = run
    return handler


def _leaves(conv: ConversationHandler) -> list[BaseHandler]:
    handlers = [*conv.entry_points, *(h for hs in conv.states.values() for h in hs),
                *conv.fallbacks]
    return list({id(h): h for h in handlers}.values())  # states share their button lists


def dialog_buttons(dialogs: list[ConversationHandler]) -> Callable[[object], bool]:
    """Whether a button's data starts one of these dialogs."""
    patterns = [h.pattern for d in dialogs for h in d.entry_points
                if isinstance(h, CallbackQueryHandler) and h.pattern is not None]
    return lambda data: isinstance(data, str) and any(p.match(data) for p in patterns)


def dialog(name: str, parts: ModuleType) -> ConversationHandler:
    """A persistent conversation that another dialog's command or button ends, from its
    handler module's `entry_points()`, `states()` and `fallbacks()`."""
    with warnings.catch_warnings():  # per_message=False with button states is what we want
        warnings.simplefilter("ignore", PTBUserWarning)
        conv = ConversationHandler(
            entry_points=parts.entry_points(), states=parts.states(),
            fallbacks=[CommandHandler("cancel", start.cancel), *parts.fallbacks()],
            name=name, persistent=True, allow_reentry=True)
    for handler in _leaves(conv):
        _marking(handler)
    return conv


def add_handlers(app: Application) -> None:
    """Each handler module says its handlers one way: a dialog's `entry_points()`,
    `states()` and `fallbacks()`, every other command and button in `handlers()`. Here only
    the groups and the order: the dialogs first, then the commands, last what nothing else
    took."""
    submit_conv, desk_conv, subsidy_conv = dialogs = [
        dialog("submit", submit), dialog("desk", desk), dialog("subsidy", subsidy)]
    button = dialog_buttons(dialogs)
    for conv in dialogs:  # another dialog's command or button ends this one
        conv.fallbacks.extend([MessageHandler(filters.COMMAND, start.abandon),
                               CallbackQueryHandler(start.abandon, button)])
    app.add_handlers([  # before the walk: a caption command is not evidence
        _marking(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^/docs\b"),
                                ask.docs_upload)),
        _marking(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^/orgimport\b"),
                                org_import.upload)),
        submit_conv], group=DIALOG_GROUPS[0])
    app.add_handler(desk_conv, group=DIALOG_GROUPS[1])
    app.add_handler(subsidy_conv, group=DIALOG_GROUPS[2])
    commands = [module.handlers() for module in (
        start, ask, score, admin, reminders, desk, webdesk, assign, reviewers, members, decide)]
    app.add_handlers([_unless_in_dialog(h) for h in [
        *(h for found in commands for h in found),
        MessageHandler(TYPED, ask.question),
        MessageHandler(filters.COMMAND, start.unknown_command),
        MessageHandler(UPLOADS, submit.stray_upload),
        CallbackQueryHandler(start.unknown_button),
        MessageHandler(filters.ALL, start.unsupported),
    ]], group=MAIN_GROUP)
    with warnings.catch_warnings():  # per_message=False with button states is what we want
        warnings.simplefilter("ignore", PTBUserWarning)
        app.add_handler(ConversationHandler(  # before the rest: see handlers/orgs.py
            entry_points=orgs.entry_points(), states=orgs.states(), fallbacks=orgs.fallbacks(),
            name="editorg", persistent=True, allow_reentry=True), group=-1)
    app.add_error_handler(on_error)


async def on_start(app: Application) -> None:
    # The commands go over the network, the rest to the database and disk: side by side.
    await asyncio.gather(register_commands(app), _tidy_up(app))
    await replay(app)  # updates left unfinished by the last run, before any new one


async def _tidy_up(app: Application) -> None:
    await reminders.start_up(app)


async def _sweep_files(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Evidence files a crash left without a row, deleted in the background once the bot
    polls (a round's 200,000 files listed before the first poll delayed it by seconds)."""
    gone = await collect_garbage(context.application.bot_data["services"])
    log.info("evidence sweep: %d orphaned files deleted", len(gone))


async def register_commands(app: Application) -> None:
    """setMyCommands for every language; reviewers and admins get their role's menu in
    their own chat (handlers/menus.py). Independent calls, sent at once (one round trip to
    Telegram at start-up instead of one per scope)."""
    svc: Services = app.bot_data["services"]
    svc.bot_username = app.bot.username or svc.bot_username
    calls = [app.bot.set_my_commands(menus.commands(svc, "staff", lang),
                                     scope=BotCommandScopeDefault(), language_code=code)
             for lang, code in (("zh", None), ("zh", "zh"), ("en", "en"))]
    calls += [menus.set_menu(app.bot, svc, found.user_id,
                             menus.menu_of("reviewer", member=found.member))
              for found in await reviewers_service.reviewers(svc)]
    calls += [menus.set_menu(app.bot, svc, admin_id, "admin") for admin_id in svc.admin_ids]
    await asyncio.gather(*calls)


def build_application(settings: Settings, *, services: Services | None = None,
                      configure: Callable[[ApplicationBuilder], ApplicationBuilder] | None = None,
                      ) -> Application:
    """`configure` adjusts the builder (tests and the terminal chat plug the in-process
    transport in there); otherwise the bot talks to TELEGRAM_API_BASE_URL."""
    svc = services or build_services(settings)
    defaults = Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.tz_name),
                        link_preview_options=LinkPreviewOptions(is_disabled=True))
    retry = RetryPolicy(attempts=settings.send_attempts, backoff=settings.send_backoff)
    inbox = Inbox(InboxStore(svc.sessions), svc.clock)
    builder = (ApplicationBuilder()
               .application_class(InboxApplication)
               .update_queue(InboxQueue(inbox))
               .defaults(defaults)
               .persistence(DatabasePersistence(svc.sessions))
               .post_init(on_start)
               .concurrent_updates(PerUserUpdateProcessor())  # users side by side, each in order
               .rate_limiter(ChatRateLimiter(settings.send_rate, settings.chat_send_rate,
                                             settings.send_retries, retry)))
    if configure is not None:
        builder = configure(builder)
    else:
        builder = with_shared_tls(builder.token(settings.token or "")
                                  .base_url(settings.telegram_api_base_url)
                                  .base_file_url(settings.telegram_file_base_url),
                                  settings.proxy)
    app = builder.build()
    app.bot_data["services"] = svc
    add_handlers(app)
    instrument(app)  # one log line per handled update, the monitor behind the health checks
    reminders.add_job(app, settings.reminder_interval_s)
    totals.add_job(app, settings.totals_interval_s)  # the ranking's stored totals kept warm
    digest.add_job(app)  # the weekly digest of the questions the answers did not serve
    if app.job_queue is not None:
        app.job_queue.run_repeating(_sweep_files, interval=dt.timedelta(days=1),
                                    first=SWEEP_AFTER, name=SWEEP_JOB)
    return app
