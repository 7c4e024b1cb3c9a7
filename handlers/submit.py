"""/submit: the guided walk through the 13 evidence slots. Stop any time; /submit resumes
where the user was (the place is kept in the database, not only in the conversation)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from html import escape

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from domain.amounts import parse_rate
from domain.dates import parse_typed_date
from domain.errors import InputError
from domain.i18n import local
from domain.rubric import BandsRule, PerLevelRule
from handlers import submit_views as views
from handlers.ask import answer_question
from handlers.common import Context, Who, keyboard, main_menu, reply, who
from services import submission as sub

NEW_NAME, NEW_AREA, NEW_START, NEW_END, NEW_CLOSED, WALK = range(6)
Handler = Callable[[Update, Context], Awaitable[int]]


def guarded(func: Callable[[Update, Context, Who], Awaitable[int]]) -> Handler:
    """Run a walk step; turn the service's refusals into a polite reply. Nothing is lost."""

    @functools.wraps(func)
    async def run(update: Update, context: Context) -> int:
        w = await who(update, context)
        if update.callback_query:
            await update.callback_query.answer()
        try:
            return await func(update, context, w)
        except InputError as err:
            await reply(update, w.problem(err))
        except sub.Locked as locked:
            await reply(update, w.t("walk.locked_deadline" if locked.reason == "deadline"
                                    else "walk.locked"))
        except sub.Conflict:
            await reply(update, w.t("walk.conflict"))
        except sub.NotFound:
            await reply(update, w.t("walk.gone"))
        except sub.NotMember:
            await reply(update, w.t("walk.need_org"), main_menu(w))
            return ConversationHandler.END
        return WALK

    return run


def _walk(context: Context) -> dict:
    return context.user_data.setdefault("walk", {})


async def _show_checklist(update: Update, context: Context, w: Who, pid: int) -> int:
    view = await sub.project_view(w.svc, w.account.user_id, pid)
    await sub.set_cursor(w.svc, w.account.user_id, pid, None)
    context.user_data["walk"] = {"project": pid}
    text, markup = views.checklist(w, view)
    await reply(update, text, markup)
    return WALK


async def _show_slot(update: Update, context: Context, w: Who, pid: int, index: int) -> int:
    view = await sub.project_view(w.svc, w.account.user_id, pid)
    state = view.slots[index]
    await sub.set_cursor(w.svc, w.account.user_id, pid, state.slot.key)
    rule = w.svc.rubric.item(state.slot.item_id).rule
    step = "rate" if isinstance(rule, BandsRule) else (
        "entries" if isinstance(rule, PerLevelRule) else "files")
    context.user_data["walk"] = {"project": pid, "slot": state.slot.key, "step": step,
                                 "seen": state.figure_version}
    text, markup = views.slot_view(w, view, state)
    await reply(update, text, markup)
    return WALK


async def _after_save(update: Update, w: Who, saved: sub.Saved, slot_key: str) -> None:
    view = saved.view
    if saved.duplicate:
        text = w.t("walk.saved_duplicate", total=view.report.total, max=view.report.max)
    else:
        text = views.saved_text(w, view, saved.gained)
    state = next(s for s in view.slots if s.slot.key == slot_key)
    rule = w.svc.rubric.item(state.slot.item_id).rule
    if state.capped and isinstance(rule, PerLevelRule):
        text += "\n" + w.t("walk.cap_reached", cap=rule.cap)
    rows = []
    if view.next_slot and view.next_slot.key != slot_key:
        rows.append([views.next_button(w, view)])
    rows.append([(w.t("walk.btn_back"), f"w:c:{view.id}")])
    await reply(update, text, keyboard(rows))


# -- entry: /submit ---------------------------------------------------------------------------
@guarded
async def begin(update: Update, context: Context, w: Who) -> int:
    if w.account.organization_id is None:
        await reply(update, w.t("walk.need_org"), main_menu(w))
        return ConversationHandler.END
    pid, slot_key = await sub.cursor(w.svc, w.account.user_id)
    if pid is not None:
        try:
            await sub.project_view(w.svc, w.account.user_id, pid)
        except (sub.NotFound, sub.NotMember):  # a place the user can no longer reach
            await sub.set_cursor(w.svc, w.account.user_id, None, None)
            pid = None
    if pid is not None:
        await reply(update, w.t("walk.resumed"))
        slot = sub.slot_by_key(w.svc, slot_key)
        if slot is not None:
            return await _show_slot(update, context, w, pid, slot.index)
        return await _show_checklist(update, context, w, pid)
    projects = await sub.list_projects(w.svc, w.account.user_id)
    rows = [[(w.t("walk.project_line", name=p.name, total=p.report.total, max=p.report.max),
              f"w:p:{p.id}")] for p in projects]
    rows.append([(w.t("walk.btn_new"), "w:new")])
    await reply(update, w.t("walk.pick_project"), keyboard(rows))
    return WALK


# -- creating a project -----------------------------------------------------------------------
@guarded
async def new_name(update: Update, context: Context, w: Who) -> int:
    name = update.message.text.strip()
    sub.check_project_fields(w.svc, name=name)
    context.user_data["new"] = {"name": name}
    areas = [(a, f"w:area:{i}") for i, a in enumerate(w.svc.service_areas)]
    await reply(update, w.t("walk.ask_area"),
                keyboard([areas[i:i + 2] for i in range(0, len(areas), 2)]))
    return NEW_AREA


@guarded
async def new_area(update: Update, context: Context, w: Who) -> int:
    index = int(update.callback_query.data.split(":")[2])
    context.user_data.setdefault("new", {})["area"] = w.svc.service_areas[index]
    await reply(update, w.t("walk.ask_start"))
    return NEW_START


def _date(text: str) -> dt.date | None:
    try:
        return parse_typed_date(text)
    except ValueError:
        return None


@guarded
async def new_start(update: Update, context: Context, w: Who) -> int:
    day = _date(update.message.text)
    if day is None:
        await reply(update, w.t("walk.bad_date"))
        return NEW_START
    context.user_data.setdefault("new", {})["start"] = day.isoformat()
    await reply(update, w.t("walk.ask_end"))
    return NEW_END


@guarded
async def new_end(update: Update, context: Context, w: Who) -> int:
    day = _date(update.message.text)
    if day is None:
        await reply(update, w.t("walk.bad_date"))
        return NEW_END
    new = context.user_data.setdefault("new", {})
    try:
        sub.check_project_fields(w.svc, started_on=dt.date.fromisoformat(new["start"]),
                                 completed_on=day)
    except InputError as err:
        await reply(update, w.problem(err) + "\n" + w.t("walk.ask_end"))
        return NEW_END
    new["end"] = day.isoformat()
    await reply(update, w.t("walk.ask_closed"),
                keyboard([[(w.t("walk.yes"), "w:closed:1"), (w.t("walk.no"), "w:closed:0")]]))
    return NEW_CLOSED


@guarded
async def new_closed(update: Update, context: Context, w: Who) -> int:
    new = context.user_data.pop("new", {})
    view = await sub.create_project(
        w.svc, w.account.user_id, name=new["name"], area=new["area"],
        started_on=dt.date.fromisoformat(new["start"]),
        completed_on=dt.date.fromisoformat(new["end"]),
        closed_and_evaluated=update.callback_query.data.endswith(":1"))
    await reply(update, w.t("walk.created", name=escape(view.name)))
    return await _show_checklist(update, context, w, view.id)


# -- buttons in the walk ----------------------------------------------------------------------
@guarded
async def button(update: Update, context: Context, w: Who) -> int:
    parts = update.callback_query.data.split(":")
    action, args = parts[1], [p for p in parts[2:]]
    if action == "new":
        await reply(update, w.t("walk.ask_name"))
        return NEW_NAME
    if action == "stop":
        await reply(update, w.t("walk.stopped"), main_menu(w))
        return ConversationHandler.END
    pid = int(args[0])
    if action in ("p", "c"):
        return await _show_checklist(update, context, w, pid)
    if action == "cr":
        view = await sub.project_view(w.svc, w.account.user_id, pid)
        text, markup = views.criterion_view(w, view, int(args[1]))
        await reply(update, text, markup)
        return WALK
    if action == "s":
        return await _show_slot(update, context, w, pid, int(args[1]))
    if action == "k":  # skip: the next open slot after this one, else the checklist
        view = await sub.project_view(w.svc, w.account.user_id, pid)
        index = int(args[1])
        later = [s for s in view.slots[index + 1:] if s.points < s.max]
        if later:
            return await _show_slot(update, context, w, pid, later[0].slot.index)
        return await _show_checklist(update, context, w, pid)
    if action == "f":
        return await _send_files(update, context, w, pid, int(args[1]))
    if action == "fd":
        saved = await sub.remove_file(w.svc, w.account.user_id, pid, int(args[1]))
        await reply(update, w.t("walk.deleted", total=saved.view.report.total,
                                max=saved.view.report.max))
        return await _show_checklist(update, context, w, pid)
    if action == "lv":
        context.user_data["walk"] = {"project": pid, "slot": views.slots_key(w, int(args[1])),
                                     "step": "entry_title", "entry": {"level": args[2]}}
        await reply(update, w.t("walk.entry_ask_title"))
        return WALK
    if action == "e":
        return await _entry_menu(update, w, pid, int(args[1]), int(args[2]))
    if action == "el":  # change level: w:el:pid:slot:entry:version:level
        await sub.update_entry(w.svc, w.account.user_id, pid, int(args[2]), int(args[3]),
                               level=args[4])
        return await _show_slot(update, context, w, pid, int(args[1]))
    if action == "ed":
        saved = await sub.remove_entry(w.svc, w.account.user_id, pid, int(args[2]))
        await reply(update, w.t("walk.deleted", total=saved.view.report.total,
                                max=saved.view.report.max))
        return await _show_slot(update, context, w, pid, int(args[1]))
    if action == "sub":
        view = await sub.project_view(w.svc, w.account.user_id, pid)
        if view.locked:
            raise sub.Locked(pid)
        await reply(update, w.t("walk.summary", checklist=views.checklist_text(w, view)),
                    keyboard([[(w.t("walk.btn_confirm"), f"w:ok:{pid}"),
                               (w.t("walk.btn_back_criterion"), f"w:c:{pid}")]]))
        return WALK
    if action == "ok":
        view = await sub.submit(w.svc, w.account.user_id, pid)
        await sub.set_cursor(w.svc, w.account.user_id, None, None)
        await reply(update, w.t("walk.submitted", name=escape(view.name),
                                total=view.report.total, max=view.report.max), main_menu(w))
        return ConversationHandler.END
    await reply(update, w.t("bot.unknown_button"))
    return WALK


async def _send_files(update: Update, context: Context, w: Who, pid: int, index: int) -> int:
    view = await sub.project_view(w.svc, w.account.user_id, pid)
    state = view.slots[index]
    if not state.files:
        await reply(update, w.t("walk.no_files"))
        return WALK
    lines, rows = [], []
    for n, f in enumerate(state.files, 1):
        row, data = await sub.file_bytes(w.svc, w.account.user_id, pid, f.id)
        await update.effective_chat.send_document(data, filename=row.file_name or
                                                  f"{row.sha256[:12]}{row.suffix}")
        lines.append(w.t("walk.file_line", n=n, name=escape(row.file_name),
                         size=max(1, row.size // 1024)))
        if not view.locked:
            rows.append([(w.t("walk.file_delete", n=n), f"w:fd:{pid}:{f.id}")])
    rows.append([(w.t("walk.btn_back"), f"w:c:{pid}")])
    await reply(update, "\n".join(lines), keyboard(rows))
    return WALK


async def _entry_menu(update: Update, w: Who, pid: int, index: int, entry_id: int) -> int:
    view = await sub.project_view(w.svc, w.account.user_id, pid)
    state = view.slots[index]
    entry = next((e for e in state.entries if e.id == entry_id), None)
    if entry is None:
        raise sub.NotFound(entry_id)
    rule = w.svc.rubric.item(state.slot.item_id).rule
    n = state.entries.index(entry) + 1
    text = w.t("walk.entry_menu", n=n, level=local(rule.levels[entry.level].label, w.lang),
               title=escape(entry.title), date=entry.happened_on or "—",
               link=escape(entry.link))
    rows = [[(w.t("walk.entry_change_level", level=local(lv.label, w.lang)),
              f"w:el:{pid}:{index}:{entry.id}:{entry.version}:{lid}")]
            for lid, lv in rule.levels.items() if lid != entry.level]
    rows.append([(w.t("walk.entry_delete"), f"w:ed:{pid}:{index}:{entry.id}")])
    rows.append([(w.t("walk.btn_back_criterion"), f"w:s:{pid}:{index}")])
    await reply(update, text, keyboard(rows))
    return WALK


# -- text and files in the walk ---------------------------------------------------------------
@guarded
async def text(update: Update, context: Context, w: Who) -> int:
    walk = _walk(context)
    step, pid, slot_key = walk.get("step"), walk.get("project"), walk.get("slot")
    message = update.message.text.strip()
    if step == "rate":
        try:
            value = parse_rate(message)
        except ValueError:
            await reply(update, w.t("walk.bad_rate"))
            return WALK
        try:
            saved = await sub.set_figure(w.svc, w.account.user_id, pid, slot_key, value,
                                         walk.get("seen", 0))
        except InputError:
            await reply(update, w.t("walk.bad_rate"))
            return WALK
        except sub.Conflict:
            view = await sub.project_view(w.svc, w.account.user_id, pid)
            state = next(s for s in view.slots if s.slot.key == slot_key)
            walk["seen"] = state.figure_version
            await reply(update, w.t("walk.rate_conflict", rate=f"{state.figure:g}"))
            return WALK
        walk["seen"] = next(s for s in saved.view.slots if s.slot.key == slot_key
                            ).figure_version
        await _after_save(update, w, saved, slot_key)
        return WALK
    if step == "entry_title":
        walk["entry"]["title"] = message
        walk["step"] = "entry_date"
        await reply(update, w.t("walk.entry_ask_date"))
        return WALK
    if step == "entry_date":
        day = _date(message)
        if day is None:
            await reply(update, w.t("walk.bad_date"))
            return WALK
        if day > w.svc.clock.today():
            raise InputError("date", "future_date", value=day.isoformat())
        walk["entry"]["date"] = day.isoformat()
        walk["step"] = "entry_proof"
        await reply(update, w.t("walk.entry_ask_proof"))
        return WALK
    if step == "entry_proof":
        if not message.lower().startswith(("http://", "https://")):
            await reply(update, w.t("walk.bad_link"))
            return WALK
        return await _save_entry(update, context, w, link=message)
    # Anything else typed in the walk is a question; the walk stays where it was.
    await answer_question(update, context, message)
    return WALK


async def _save_entry(update: Update, context: Context, w: Who, link: str = "",
                      file: tuple[bytes, str, str, str] | None = None) -> int:
    walk = _walk(context)
    pid, slot_key, entry = walk["project"], walk["slot"], walk["entry"]
    entry_id, saved = await sub.add_entry(
        w.svc, w.account.user_id, pid, slot_key, level=entry["level"], title=entry["title"],
        happened_on=dt.date.fromisoformat(entry["date"]), link=link)
    if file is not None:
        data, name, mime, file_id = file
        after = await sub.add_file(w.svc, w.account.user_id, pid, slot_key, data, name, mime,
                                   file_id, entry_id=entry_id)
        saved = sub.Saved(after.view, after.duplicate, saved.before)
    walk.update(step="entries", entry={})
    await _after_save(update, w, saved, slot_key)
    return WALK


@guarded
async def upload(update: Update, context: Context, w: Who) -> int:
    walk = _walk(context)
    step, pid, slot_key = walk.get("step"), walk.get("project"), walk.get("slot")
    if step not in ("files", "rate", "entry_proof") or pid is None:
        await reply(update, w.t("walk.not_here"))
        return WALK
    msg = update.message
    if msg.document:
        doc = msg.document
        file_id, size = doc.file_id, doc.file_size
        name, mime = doc.file_name or "file", doc.mime_type or ""
    else:
        photo = msg.photo[-1]
        file_id, size = photo.file_id, photo.file_size
        name, mime = f"photo-{photo.file_unique_id}.jpg", "image/jpeg"
    sub.check_file(w.svc, name, mime, size)  # refuse before downloading anything
    try:
        tg_file = await context.bot.get_file(file_id)
        data = bytes(await tg_file.download_as_bytearray())
    except TelegramError as exc:
        await reply(update, w.t("walk.downloading_failed", problem=escape(str(exc))))
        return WALK
    if step == "entry_proof":
        return await _save_entry(update, context, w, file=(data, name, mime, file_id))
    saved = await sub.add_file(w.svc, w.account.user_id, pid, slot_key, data, name, mime,
                               file_id)
    await _after_save(update, w, saved, slot_key)
    return WALK


async def stray_upload(update: Update, context: Context) -> None:
    """A file outside the walk: tell the user how to submit it."""
    w = await who(update, context)
    await reply(update, w.t("walk.not_here") + "\n/submit")
