"""/submit: the guided walk through the 13 evidence slots. Stop any time; /submit resumes
where the user was (the place is kept in the database, not only in the conversation).

Shaped as PTB's nestedconversationbot: real states (creating a project, the walk, a rate,
an entry's title, date and proof, correcting the project's facts), one small callback per
button with its own pattern (handlers/callbacks.py builds and parses the data). Each
handler parses, calls one service, renders.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from domain import limits
from domain.amounts import parse_rate
from domain.dates import parse_typed_date
from domain.errors import InputError
from domain.i18n import local
from domain.review import entry_target
from handlers import callbacks as cb
from handlers import submit_views as views
from handlers.ask import answer_question
from handlers.common import (
    STAY,
    TYPED,
    UPLOADS,
    Context,
    Handler,
    Who,
    guarded_by,
    keyboard,
    main_menu,
    pressed_by,
    reply,
    who,
)
from handlers.desk import notify_resubmitted, notify_submitted
from services.errors import Conflict, Locked, NotFound, NotMember
from services.walk import evidence, projects
from services.walk import view as pv

(NEW_NAME, NEW_AREA, NEW_START, NEW_END, NEW_CLOSED, WALK, RATE, ENTRY_TITLE, ENTRY_DATE,
 ENTRY_PROOF, EDIT_NAME, EDIT_START, EDIT_END) = range(13)


guarded = guarded_by("walk")
pressed = pressed_by(guarded)


async def _typed_date(update: Update, w: Who) -> dt.date | None:
    """The date typed, or None after asking again politely."""
    try:
        return parse_typed_date(update.message.text)
    except ValueError:
        await reply(update, w.t("walk.bad_date"))
        return None


# -- showing places ---------------------------------------------------------------------------
async def show_checklist(update: Update, context: Context, w: Who, pid: int) -> int:
    view = await projects.open_at(w.svc, w.account.user_id, pid)
    context.user_data.pop("entry", None)
    text, markup = views.checklist(w, view)
    await reply(update, text, markup)
    return WALK


async def show_slot(update: Update, context: Context, w: Who, pid: int, index: int) -> int:
    slot = pv.slots(w.svc)[index]
    view = await projects.open_at(w.svc, w.account.user_id, pid, slot.key)
    state = view.state(slot.key)
    context.user_data["seen"] = state.figure_version
    context.user_data.pop("entry", None)
    text, markup = views.slot_view(w, view, state)
    await reply(update, text, markup)
    rule = w.svc.rubric.item(slot.item_id).rule
    return RATE if rule.step == "rate" and views.fixable(w, view, state) else WALK


async def after_save(update: Update, w: Who, saved: pv.Saved) -> None:
    view = saved.view
    state = view.state(saved.slot_key)
    if saved.duplicate:
        text = w.t("walk.saved_duplicate", total=view.report.total, max=view.report.max)
    else:
        text = views.saved_text(w, view, saved.gained)
    text += "\n" + w.t("walk.saved_in", label=escape(views.slot_label(w, state.slot)))
    if state.void:
        text += "\n" + views.void_text(w, view, state)
    if state.capped:
        text += "\n" + w.t("walk.cap_reached", cap=w.svc.rubric.item(state.slot.item_id).max)
    rows = []
    if view.next_slot and view.next_slot.key != state.slot.key:
        rows.append([views.next_button(w, view)])
    rows.append([(w.t("walk.btn_back"), cb.data("checklist", view.id))])
    await reply(update, text, keyboard(rows))


# -- entry: /submit ---------------------------------------------------------------------------
@guarded
async def begin(update: Update, context: Context, w: Who) -> int:
    if w.account.organization_id is None:
        await reply(update, w.t("walk.need_org"), main_menu(w))
        return ConversationHandler.END
    pid, slot_key = await pv.cursor(w.svc, w.account.user_id)
    if pid is not None:
        try:
            await pv.project_view(w.svc, w.account.user_id, pid)
        except (NotFound, NotMember):  # a place the user can no longer reach
            await projects.set_cursor(w.svc, w.account.user_id)
            pid = None
    if pid is not None:
        await reply(update, w.t("walk.resumed"))
        slot = pv.slot_by_key(w.svc, slot_key)
        if slot is not None:
            return await show_slot(update, context, w, pid, slot.index)
        return await show_checklist(update, context, w, pid)
    rows = [[(w.t("walk.project_line", name=p.name, total=p.report.total, max=p.report.max),
              cb.data("project", p.id))]
            for p in await pv.list_projects(w.svc, w.account.user_id)]
    rows.append([(w.t("walk.btn_new"), cb.data("new"))])
    await reply(update, w.t("walk.pick_project"), keyboard(rows))
    return WALK


# -- creating a project -----------------------------------------------------------------------
@pressed("new")
async def new(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    await reply(update, w.t("walk.ask_name"))
    return NEW_NAME


def area_keyboard(w: Who, action: str, *head: object):
    areas = [(a, cb.data(action, *head, i)) for i, a in enumerate(w.svc.service_areas)]
    return keyboard([areas[i:i + 2] for i in range(0, len(areas), 2)])


@guarded
async def new_name(update: Update, context: Context, w: Who) -> int:
    name = update.message.text.strip()
    projects.check_project_fields(w.svc, name=name)
    context.user_data["new"] = {"name": name}
    await reply(update, w.t("walk.ask_area"), area_keyboard(w, "area"))
    return NEW_AREA


@pressed("area")
async def new_area(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    context.user_data.setdefault("new", {})["area"] = w.svc.service_areas[press.area]
    await reply(update, w.t("walk.ask_start"))
    return NEW_START


@guarded
async def new_start(update: Update, context: Context, w: Who) -> int | None:
    day = await _typed_date(update, w)
    if day is None:
        return STAY
    context.user_data.setdefault("new", {})["start"] = day.isoformat()
    await reply(update, w.t("walk.ask_end"))
    return NEW_END


@guarded
async def new_end(update: Update, context: Context, w: Who) -> int | None:
    day = await _typed_date(update, w)
    if day is None:
        return STAY
    new = context.user_data.setdefault("new", {})
    try:
        projects.check_project_fields(w.svc, started_on=dt.date.fromisoformat(new["start"]),
                                      completed_on=day)
    except InputError as err:
        await reply(update, w.problem(err) + "\n" + w.t("walk.ask_end"))
        return STAY
    new["end"] = day.isoformat()
    await reply(update, w.t("walk.ask_closed"), keyboard([[
        (w.t("walk.yes"), cb.data("closed", 1)), (w.t("walk.no"), cb.data("closed", 0))]]))
    return NEW_CLOSED


@pressed("closed")
async def new_closed(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    new = context.user_data.pop("new", {})
    view = await projects.create_project(
        w.svc, w.account.user_id, name=new["name"], area=new["area"],
        started_on=dt.date.fromisoformat(new["start"]),
        completed_on=dt.date.fromisoformat(new["end"]), closed_and_evaluated=press.flag)
    await reply(update, w.t("walk.created", name=escape(view.name)))
    return await show_checklist(update, context, w, view.id)


# -- moving around ----------------------------------------------------------------------------
@pressed("stop")
async def stop(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    await reply(update, w.t("walk.stopped"), main_menu(w))
    return ConversationHandler.END


@pressed("project")
async def pick_project(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await show_checklist(update, context, w, press.pid)


@pressed("checklist")
async def checklist(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await show_checklist(update, context, w, press.pid)


@pressed("criterion")
async def criterion(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    view = await pv.project_view(w.svc, w.account.user_id, press.pid)
    text, markup = views.criterion_view(w, view, press.criterion)
    await reply(update, text, markup)
    return WALK


@pressed("slot")
async def slot(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await show_slot(update, context, w, press.pid, press.slot)


@pressed("skip")
async def skip(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    """The next open slot after this one, else the checklist."""
    view = await pv.project_view(w.svc, w.account.user_id, press.pid)
    if view.status == "returned":  # the next returned item still to fix
        later = [view.state(view.slot_of(t).key) for t in view.to_fix
                 if view.slot_of(t).index != press.slot]
    else:
        later = [s for s in view.slots[press.slot + 1:] if s.points < s.max and not s.void]
    if later:
        return await show_slot(update, context, w, press.pid, later[0].slot.index)
    return await show_checklist(update, context, w, press.pid)


# -- files ------------------------------------------------------------------------------------
@pressed("files")
async def files(update: Update, context: Context, w: Who, press: cb.Press) -> int | None:
    view = await pv.project_view(w.svc, w.account.user_id, press.pid)
    state = view.slots[press.slot]
    if not state.files:
        await reply(update, w.t("walk.no_files"))
        return STAY
    lines, rows = [], []
    for n, f in enumerate(state.files, 1):
        row, content = await pv.file_content(w.svc, w.account.user_id, press.pid, f.id)
        await update.effective_chat.send_document(content, filename=row.file_name or
                                                  f"{row.sha256[:12]}{row.suffix}")
        lines.append(w.t("walk.file_line", n=n, name=escape(row.file_name),
                         size=max(1, row.size // 1024)))
        if views.fixable(w, view, state):
            rows.append([(w.t("walk.file_delete", n=n), cb.data("file_delete", press.pid, f.id))])
    rows.append([(w.t("walk.btn_back"), cb.data("checklist", press.pid))])
    await reply(update, "\n".join(lines), keyboard(rows))
    return STAY


@pressed("file_delete")
async def file_delete(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    saved = await evidence.remove_file(w.svc, w.account.user_id, press.pid, press.file)
    await reply(update, w.t("walk.deleted", total=saved.view.report.total,
                            max=saved.view.report.max))
    return await show_checklist(update, context, w, press.pid)


async def _download(update: Update, context: Context, w: Who
                    ) -> tuple[bytes, str, str, str] | None:
    msg = update.message
    if msg.document:
        doc = msg.document
        file_id, size = doc.file_id, doc.file_size
        name, mime = doc.file_name or "file", doc.mime_type or ""
    else:
        photo = msg.photo[-1]
        file_id, size = photo.file_id, photo.file_size
        name, mime = f"photo-{photo.file_unique_id}.jpg", "image/jpeg"
    evidence.check_file(w.svc, name, mime, size)  # refuse before downloading anything
    try:
        tg_file = await context.bot.get_file(file_id)
        content = bytes(await tg_file.download_as_bytearray())
    except TelegramError as exc:
        await reply(update, w.t("walk.downloading_failed", problem=escape(str(exc))))
        return None
    return content, name, mime, file_id


@guarded
async def upload(update: Update, context: Context, w: Who) -> int | None:
    """A file in the walk goes to the slot the user has open — the place stored in the
    database when the slot was shown, whatever this process remembers."""
    got = await _download(update, context, w)
    if got is None:
        return STAY
    try:
        data, name, mime, file_id = got
        saved = await evidence.add_file(w.svc, w.account.user_id, data=data, file_name=name,
                                        mime_type=mime, telegram_file_id=file_id)
    except NotFound:
        await reply(update, w.t("walk.not_here"))
        return STAY
    await after_save(update, w, saved)
    return STAY


# -- the rate ---------------------------------------------------------------------------------
@guarded
async def rate(update: Update, context: Context, w: Who) -> int | None:
    """The rate for the slot the user has open (the place stored in the database)."""
    pid, slot_key = await pv.cursor(w.svc, w.account.user_id)
    slot = pv.slot_by_key(w.svc, slot_key)
    if slot is None or w.svc.rubric.item(slot.item_id).rule.step != "rate":
        await answer_question(update, context, update.message.text.strip(), w)  # not a rate
        return WALK
    try:
        value = parse_rate(update.message.text.strip())
        saved = await evidence.set_figure(w.svc, w.account.user_id, pid, slot_key, value,
                                          context.user_data.get("seen", 0))
    except (ValueError, InputError):
        await reply(update, w.t("walk.bad_rate"))
        return STAY
    except Conflict:
        state = (await pv.project_view(w.svc, w.account.user_id, pid)).state(slot_key)
        context.user_data["seen"] = state.figure_version
        await reply(update, w.t("walk.rate_conflict", rate=f"{state.figure:g}"))
        return STAY
    context.user_data["seen"] = saved.view.state(slot_key).figure_version
    await after_save(update, w, saved)
    return STAY


# -- entries ----------------------------------------------------------------------------------
@pressed("entry_add")
async def entry_add(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    context.user_data["entry"] = {"project": press.pid, "slot": press.slot,
                                  "level": press.level}
    await reply(update, w.t("walk.entry_ask_title"))
    return ENTRY_TITLE


@guarded
async def entry_title(update: Update, context: Context, w: Who) -> int:
    title = limits.entry_title(update.message.text)  # too long: said, asked again
    context.user_data.setdefault("entry", {})["title"] = title
    await reply(update, w.t("walk.entry_ask_date"))
    return ENTRY_DATE


@guarded
async def entry_date(update: Update, context: Context, w: Who) -> int | None:
    day = await _typed_date(update, w)
    if day is None:
        return STAY
    if day > w.svc.clock.today():
        raise InputError("date", "future_date", value=day.isoformat())
    context.user_data.setdefault("entry", {})["date"] = day.isoformat()
    await reply(update, w.t("walk.entry_ask_proof"))
    return ENTRY_PROOF


async def _save_entry(update: Update, context: Context, w: Who, link: str = "",
                      proof: tuple[bytes, str, str, str] | None = None) -> int:
    entry = context.user_data.get("entry") or {}
    if not {"project", "slot", "level", "title", "date"} <= set(entry):
        await reply(update, w.t("walk.gone"))  # a half-typed entry lost to a restart
        return WALK
    item_id = pv.slots(w.svc)[entry["slot"]].item_id
    _, saved = await evidence.add_entry(
        w.svc, w.account.user_id, entry["project"], item_id, level=entry["level"],
        title=entry["title"], happened_on=dt.date.fromisoformat(entry["date"]), link=link,
        proof=proof)
    context.user_data.pop("entry", None)
    await after_save(update, w, saved)
    return WALK


@guarded
async def entry_link(update: Update, context: Context, w: Who) -> int | None:
    message = update.message.text.strip()
    if not message.lower().startswith(("http://", "https://")):
        await reply(update, w.t("walk.bad_link"))
        return STAY
    if (context.user_data.get("entry") or {}).get("fix"):
        return await _fix_entry(update, context, w, link=message)
    return await _save_entry(update, context, w, link=message)


@guarded
async def entry_proof(update: Update, context: Context, w: Who) -> int | None:
    got = await _download(update, context, w)
    if got is None:
        return STAY
    if (context.user_data.get("entry") or {}).get("fix"):
        return await _fix_entry(update, context, w, proof=got)
    return await _save_entry(update, context, w, proof=got)


@pressed("entry")
async def entry_menu(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    view = await pv.project_view(w.svc, w.account.user_id, press.pid)
    state = view.slots[press.slot]
    entry = next((e for e in state.entries if e.id == press.entry), None)
    if entry is None:
        raise NotFound(press.entry)
    target = entry_target(entry.id)
    if view.status == "returned" and target not in view.returned:
        raise Locked(view.id, "returned")
    rule = w.svc.rubric.item(state.slot.item_id).rule
    text = "\n".join([w.t("walk.entry_menu", n=state.entries.index(entry) + 1,
                           level=local(rule.levels[entry.level].label, w.lang),
                           title=escape(entry.title), date=entry.happened_on or "—",
                           link=escape(entry.link)),
                      *views.returned_lines(w, view, (target,))])
    rows = [[(w.t("walk.entry_change_level", level=local(lv.label, w.lang)),
              cb.data("entry_level", press.pid, press.slot, entry.id, entry.version, lid))]
            for lid, lv in rule.levels.items() if lid != entry.level]
    if view.status == "returned":  # a returned entry: a new proof or link fixes it
        rows.insert(0, [(w.t("walk.entry_fix"),
                         cb.data("entry_fix", press.pid, press.slot, entry.id))])
    rows.append([(w.t("walk.entry_delete"),
                  cb.data("entry_delete", press.pid, press.slot, entry.id))])
    rows.append([(w.t("walk.btn_back_criterion"), cb.data("slot", press.pid, press.slot))])
    await reply(update, text, keyboard(rows))
    return WALK


@pressed("entry_fix")
async def entry_fix(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    """A returned entry: its new proof (a file) or link, typed or sent next."""
    view = await pv.project_view(w.svc, w.account.user_id, press.pid)
    if entry_target(press.entry) not in view.returned:
        raise Locked(view.id, "returned")
    entry = next(e for e in view.slots[press.slot].entries if e.id == press.entry)
    context.user_data["entry"] = {"fix": entry.id, "project": press.pid, "slot": press.slot,
                                  "version": entry.version}
    await reply(update, w.t("walk.entry_fix_ask"))
    return ENTRY_PROOF


async def _fix_entry(update: Update, context: Context, w: Who, link: str = "",
                     proof: tuple[bytes, str, str, str] | None = None) -> int:
    """The new proof or link of a returned entry (`entry_fix`)."""
    fix = context.user_data.get("entry") or {}
    slot = pv.slots(w.svc)[fix["slot"]]
    if proof is not None:
        data, name, mime, file_id = proof
        saved = await evidence.add_file(w.svc, w.account.user_id, project_id=fix["project"],
                                        slot_key=slot.key, data=data, file_name=name,
                                        mime_type=mime, telegram_file_id=file_id,
                                        entry_id=fix["fix"])
    else:
        saved = await evidence.update_entry(w.svc, w.account.user_id, fix["project"],
                                            fix["fix"], fix["version"], link=link)
    context.user_data.pop("entry", None)
    await after_save(update, w, saved)
    return WALK


@pressed("entry_level")
async def entry_level(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    await evidence.update_entry(w.svc, w.account.user_id, press.pid, press.entry, press.version,
                                level=press.level)
    return await show_slot(update, context, w, press.pid, press.slot)


@pressed("entry_delete")
async def entry_delete(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    saved = await evidence.remove_entry(w.svc, w.account.user_id, press.pid, press.entry)
    await reply(update, w.t("walk.deleted", total=saved.view.report.total,
                            max=saved.view.report.max))
    return await show_slot(update, context, w, press.pid, press.slot)


# -- correcting the project's facts -------------------------------------------------------------
@pressed("facts")
async def facts(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    view = await pv.project_view(w.svc, w.account.user_id, press.pid)
    if view.locked:
        raise Locked(view.id, "deadline" if view.status == "closed" else "submitted")
    text, markup = views.facts_view(w, view)
    await reply(update, text, markup)
    return WALK


@pressed("fact")
async def fact(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    context.user_data["edit"] = {"project": press.pid}
    if press.fact == "area":
        await reply(update, w.t("walk.edit_ask_area"), area_keyboard(w, "fact_area", press.pid))
        return WALK
    if press.fact == "closed":
        await reply(update, w.t("walk.edit_ask_closed"), keyboard([[
            (w.t("walk.yes"), cb.data("fact_closed", press.pid, 1)),
            (w.t("walk.no"), cb.data("fact_closed", press.pid, 0))]]))
        return WALK
    ask = {"name": ("walk.edit_ask_name", EDIT_NAME),
           "start": ("walk.edit_ask_start", EDIT_START),
           "end": ("walk.edit_ask_end", EDIT_END)}[press.fact]
    await reply(update, w.t(ask[0]))
    return ask[1]


async def _edited(update: Update, context: Context, w: Who, pid: int, **changes) -> int:
    view = await projects.edit_project(w.svc, w.account.user_id, pid, **changes)
    context.user_data.pop("edit", None)
    await reply(update, w.t("walk.facts_saved"))
    text, markup = views.checklist(w, view)
    await reply(update, text, markup)
    return WALK


@pressed("fact_area")
async def fact_area(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await _edited(update, context, w, press.pid,
                         service_area=w.svc.service_areas[press.area])


@pressed("fact_closed")
async def fact_closed(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await _edited(update, context, w, press.pid, closed_and_evaluated=press.flag)


def _editing(context: Context) -> int | None:
    return (context.user_data.get("edit") or {}).get("project")


@guarded
async def edit_name(update: Update, context: Context, w: Who) -> int | None:
    pid = _editing(context)
    if pid is None:
        raise NotFound(None)
    return await _edited(update, context, w, pid, name=update.message.text)


async def _edit_date(update: Update, context: Context, w: Who, key: str) -> int | None:
    pid = _editing(context)
    if pid is None:
        raise NotFound(None)
    day = await _typed_date(update, w)
    if day is None:
        return STAY
    return await _edited(update, context, w, pid, **{key: day})


@guarded
async def edit_start(update: Update, context: Context, w: Who) -> int | None:
    return await _edit_date(update, context, w, "started_on")


@guarded
async def edit_end(update: Update, context: Context, w: Who) -> int | None:
    return await _edit_date(update, context, w, "completed_on")


# -- submitting -------------------------------------------------------------------------------
@pressed("submit")
async def submit(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    view = await pv.project_view(w.svc, w.account.user_id, press.pid)
    if view.locked:
        raise Locked(press.pid)
    await reply(update, w.t("walk.summary", checklist=views.checklist_text(w, view)),
                keyboard([[(w.t("walk.btn_confirm"), cb.data("confirm", press.pid)),
                           (w.t("walk.btn_back_criterion"), cb.data("checklist", press.pid))]]))
    return WALK


@pressed("confirm")
async def confirm(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    view = await projects.submit(w.svc, w.account.user_id, press.pid)
    await reply(update, "\n".join((w.t("walk.submitted", name=escape(view.name),
                                         total=view.report.total, max=view.report.max),
                                    w.t("walk.project_number", id=view.id))), main_menu(w))
    if view.reviewers:  # a resubmission: its reviewers see what changed
        await notify_resubmitted(context, w, view)
    else:  # the reviewers who may review it hear of it
        await notify_submitted(context, w, view)
    return ConversationHandler.END


# -- anything else ----------------------------------------------------------------------------
@guarded
async def expired(update: Update, context: Context, w: Who) -> None:
    """A walk button no pattern matches: forged, or from an older version of the bot."""
    raise cb.Expired(update.callback_query.data)


@guarded
async def question(update: Update, context: Context, w: Who) -> None:
    """Anything typed in the walk is a question; the walk stays where it was."""
    await answer_question(update, context, update.message.text.strip(), w)


async def stray_upload(update: Update, context: Context) -> None:
    """A file outside the walk: tell the user how to submit it."""
    w = await who(update, context)
    await reply(update, w.t("walk.not_here") + "\n/submit")


# -- wiring (bot/app.py builds the ConversationHandler from these) -----------------------------
BUTTONS: tuple[Handler, ...] = (
    new, stop, pick_project, checklist, criterion, slot, skip, files, file_delete, entry_add,
    entry_menu, entry_fix, entry_level, entry_delete, submit, confirm, facts, fact, fact_area,
    fact_closed)


def buttons() -> list[BaseHandler]:
    """One handler per walk button, each with its own pattern (the entry points too: any
    walk button re-enters the walk)."""
    return [CallbackQueryHandler(b, cb.pattern(b.action)) for b in BUTTONS]


def entry_points() -> list[BaseHandler]:
    return [CommandHandler("submit", begin), CallbackQueryHandler(begin, cb.pattern("menu_submit")),
            *buttons()]


def fallbacks() -> list[BaseHandler]:
    return [CommandHandler("submit", begin)]


def states() -> dict[int, list[BaseHandler]]:
    text, uploads = TYPED, UPLOADS
    walk = [*buttons(), CallbackQueryHandler(expired, cb.ANY)]  # then the expired ones
    return {
        NEW_NAME: [MessageHandler(text, new_name)],
        NEW_AREA: [CallbackQueryHandler(new_area, cb.pattern("area")), *walk],
        NEW_START: [MessageHandler(text, new_start)],
        NEW_END: [MessageHandler(text, new_end)],
        NEW_CLOSED: [CallbackQueryHandler(new_closed, cb.pattern("closed")), *walk],
        WALK: [*walk, MessageHandler(uploads, upload), MessageHandler(text, question)],
        RATE: [*walk, MessageHandler(uploads, upload), MessageHandler(text, rate)],
        ENTRY_TITLE: [*walk, MessageHandler(text, entry_title)],
        ENTRY_DATE: [*walk, MessageHandler(text, entry_date)],
        ENTRY_PROOF: [*walk, MessageHandler(uploads, entry_proof),
                      MessageHandler(text, entry_link)],
        EDIT_NAME: [*walk, MessageHandler(text, edit_name)],
        EDIT_START: [*walk, MessageHandler(text, edit_start)],
        EDIT_END: [*walk, MessageHandler(text, edit_end)],
    }
