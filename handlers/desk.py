"""The reviewers' desk: the queue (/review), a project's evidence item by item, verdicts
with reasons, returning a project, verifying it, recusal; and the history of every project
(/history N). Shaped as the walk: real states, one small callback per button with its own
pattern (handlers/callbacks.py builds and parses the data); each handler parses, calls one
service, renders.
"""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
)

from domain.amounts import parse_rate
from domain.i18n import local
from domain.review import Verdict
from handlers import callbacks as cb
from handlers import submit_views as views
from handlers.common import (
    STAY,
    TYPED,
    Context,
    Handler,
    Who,
    guarded_by,
    id_argument,
    keyboard,
    pressed_by,
    reply,
    tell,
    who,
)
from handlers.decide import issues_text
from services import audit
from services.desk import notices, review, reviewers
from services.desk import queue as dq
from services.errors import NoHistory, NotFound
from services.walk import view as pv

DESK, REASON, RATE = range(100, 103)


guarded = guarded_by("desk")
pressed = pressed_by(guarded)


# -- rendering ------------------------------------------------------------------------------
OUTCOME_MARK = {"pending": "⬜", "accepted": "✅", "rejected": "❌", "disputed": "⚖️"}


def seer(w: Who) -> int | None:
    """Whose verdicts this user sees (ProjectView.seen_by): an administrator, who decides
    disagreements, everyone's; a reviewer their own where reviews are blind."""
    return None if w.account.role == "admin" else w.account.user_id


def side_by_side(w: Who, view: pv.ProjectView) -> list[str]:
    return views.claimed_and_verified(w, view.report, view.verified)[1:]


def project_text(w: Who, view: pv.ProjectView) -> str:
    lines = [w.t("desk.project_title", id=view.id, name=escape(view.name),
                 status=w.t(f"bot.status_{view.status}"))]
    lines += side_by_side(w, view)
    lines.append(w.t("desk.items_title"))
    for target in view.targets:
        outcome = view.seen_by(seer(w), target)
        changed = w.t("desk.changed") if target in view.changed else ""
        lines.append(w.t("desk.item_line", mark=OUTCOME_MARK[outcome.state],
                         label=escape(views.target_label(w, view, target)), changed=changed))
    return "\n".join(lines)


def project_keyboard(w: Who, view: pv.ProjectView):
    items = [(f"{OUTCOME_MARK[view.seen_by(seer(w), t).state]} "
              f"{views.target_label(w, view, t)[:28]}",
              cb.data("item", view.id, cb.target_code(w.svc, t))) for t in view.targets]
    rows = [items[i:i + 2] for i in range(0, len(items), 2)]
    if view.status in review.REVIEWABLE:
        rows.append([(w.t("desk.btn_return"), cb.data("return", view.id)),
                     (w.t("desk.btn_verify"), cb.data("verify", view.id))])
        rows.append([(w.t("desk.btn_recuse"), cb.data("recuse", view.id)),
                     (w.t("review.reopen", name=view.name[:20]), cb.data("reopen", view.id))])
    rows.append([(w.t("desk.btn_queue"), cb.data("queue", "all", 0, 0))])
    return keyboard(rows)


async def show_project(update: Update, w: Who, pid: int) -> int:
    view = await review.open_project(w.svc, w.account.user_id, pid)
    await reply(update, project_text(w, view), project_keyboard(w, view))
    return DESK


def verdict_line(w: Who, view: pv.ProjectView, v: Verdict) -> str:
    """A verdict as the desk shows it: an adjusted entry's level by its name."""
    level = ""
    if v.level and v.target.startswith("entry:"):
        entry = next((e for s in view.slots for e in s.entries if f"entry:{e.id}" == v.target),
                     None)
        levels = w.svc.rubric.item(entry.item_id).rule.levels if entry else {}
        level = local(levels[v.level].label, w.lang) if v.level in levels else v.level
    return w.t(f"desk.verdict_{v.verdict}", reason=escape(v.reason), level=escape(level),
               value=f"{v.value:g}" if v.value is not None else "")


def _item_lines(w: Who, view: pv.ProjectView, target: str) -> list[str]:
    lines = [w.t("desk.item_title", label=escape(views.target_label(w, view, target)))]
    if target.startswith("entry:"):
        entry_id = int(target[6:])
        entry = next(e for s in view.slots for e in s.entries if e.id == entry_id)
        proofs = [f for s in view.slots for f in s.files if f.entry_id == entry_id]
        lines.append(w.t("desk.entry_proof", date=entry.happened_on or "—",
                         link=escape(entry.link or "—"), files=len(proofs)))
    else:
        state = view.state(target)
        lines.append(w.t("desk.slot_claim", points=state.points, max=state.max,
                         files=len(state.files)))
        if state.figure is not None:
            lines.append(w.t("walk.rate_now", rate=f"{state.figure:g}",
                             points=w.svc.rubric.item(state.slot.item_id).rule.score(
                                 state.figure)))
    lines += [verdict_line(w, view, v) for v in view.seen_by(seer(w), target).verdicts]
    if target in view.changed:
        lines.append(w.t("desk.changed_since"))
    return lines


async def show_item(update: Update, w: Who, pid: int, target: str) -> int:
    view = await review.open_project(w.svc, w.account.user_id, pid)
    if target not in view.outcomes:
        raise NotFound(target)
    code = cb.target_code(w.svc, target)
    rows = [[(w.t("desk.btn_files"), cb.data("item_files", pid, code))]]
    lines = _item_lines(w, view, target)
    deciding = view.outcome(target).state == "disputed" and w.account.role == "admin"
    if deciding:  # the decision is one of the two ⚖️ buttons, never a third verdict
        lines.append(w.t("desk.resolve_hint"))
        rows.append([(w.t("desk.btn_resolve_accept"), cb.data("resolve", pid, code, 1)),
                     (w.t("desk.btn_resolve_reject"), cb.data("resolve", pid, code, 0))])
    elif view.status in review.REVIEWABLE:
        rows.append([(w.t("desk.btn_accept"), cb.data("accept", pid, code)),
                     (w.t("desk.btn_reject"), cb.data("reject", pid, code))])
        if target.startswith("entry:"):
            entry_id = int(target[6:])
            entry = next(e for s in view.slots for e in s.entries if e.id == entry_id)
            levels = w.svc.rubric.item(entry.item_id).rule.levels
            rows += [[(w.t("desk.btn_lower", level=local(lv.label, w.lang)),
                       cb.data("lower", pid, code, lid))]
                     for lid, lv in levels.items()
                     if lv.points < levels[entry.level].points]
        elif w.svc.rubric.item(target.partition(".")[0]).rule.step == "rate":
            rows.append([(w.t("desk.btn_rate"), cb.data("rate", pid, code))])
    rows.append([(w.t("desk.btn_back"), cb.data("open", pid))])
    await reply(update, "\n".join(lines), keyboard(rows))
    return DESK


# -- the queue --------------------------------------------------------------------------------
async def show_queue(update: Update, w: Who, state: str | None = None, district: int = 0,
                     page: int = 0) -> int:
    """The queue; `state` None: the reviewer's own assignments when they have some."""
    names = w.svc.districts.names
    q = await dq.queue(w.svc, w.account.user_id, state,
                       names[district - 1] if district else None, page)
    state = q.state
    lines = [w.t("desk.queue_title", round=escape(q.round_name or "—"))]
    lines.append(" · ".join(w.t("desk.count", status=w.t(f"desk.filter_{s}"), count=n)
                            for s, n in q.counts.items() if n or s != "mine"))
    if not q.views:
        lines.append(w.t("desk.queue_empty"))
    # a project with a blocking eligibility issue listed apart, after the page's others
    listed = sorted(q.views, key=lambda v: not v.eligible)
    for n, v in enumerate(listed):
        if v.blocking and (n == 0 or listed[n - 1].eligible):
            lines.append(w.t("decide.rank_apart"))
        lines.append(w.t("desk.queue_line", id=v.id, name=escape(v.name),
                         district=escape(v.district), status=w.t(f"bot.status_{v.status}"),
                         claimed=v.claimed, verified=v.verified)
                     + (" ⛔" + issues_text(w, v.blocking) if v.blocking else ""))
    rows = [[(w.t("desk.btn_open", id=v.id, name=v.name[:24]), cb.data("open", v.id))]
            for v in listed]
    states = [(("• " if s == state else "") + w.t(f"desk.filter_{s}"),
               cb.data("queue", s, district, 0)) for s in cb.QUEUE_STATES]
    rows += [states[:3], states[3:]]  # mine, all, awaiting · in review, returned, verified
    nxt = (district + 1) % (len(names) + 1)  # the button names the filter shown now
    rows.append([(w.t("desk.btn_district", district=names[district - 1] if district else
                      w.t("desk.all_districts")), cb.data("queue", state, nxt, 0))])
    nav = []
    if q.page > 0:
        nav.append((w.t("desk.btn_prev"), cb.data("queue", state, district, q.page - 1)))
    if q.page + 1 < q.pages:
        nav.append((w.t("desk.btn_next"), cb.data("queue", state, district, q.page + 1)))
    if nav:
        rows.append(nav)
    await reply(update, "\n".join(lines), keyboard(rows))
    return DESK


@guarded
async def begin(update: Update, context: Context, w: Who) -> int:
    """/review: the queue of the open round."""
    return await show_queue(update, w)


@pressed("queue")
async def queue(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await show_queue(update, w, press.state, press.district, press.page)


@pressed("open")
async def open_project(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await show_project(update, w, press.pid)


@pressed("item")
async def item(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await show_item(update, w, press.pid, press.target)


@pressed("item_files")
async def item_files(update: Update, context: Context, w: Who, press: cb.Press) -> int | None:
    """The files of one item, sent on demand."""
    view = await review.open_project(w.svc, w.account.user_id, press.pid)
    if press.target.startswith("entry:"):
        entry_id = int(press.target[6:])
        files = [f for s in view.slots for f in s.files if f.entry_id == entry_id]
    else:
        files = list(view.state(press.target).files)
    if not files:
        await reply(update, w.t("walk.no_files"))
        return STAY
    label = views.target_label(w, view, press.target)
    for n, f in enumerate(files, start=1):
        row, content = await pv.file_content(w.svc, w.account.user_id, press.pid, f.id)
        await update.effective_chat.send_document(
            content, filename=row.file_name or f"{row.sha256[:12]}{row.suffix}",
            caption=w.t("desk.file_caption", id=view.id, name=escape(view.name),
                        label=escape(label), n=n, count=len(files)))
    return STAY


async def _verdict_given(update: Update, w: Who, view: pv.ProjectView, target: str,
                         by: int | None = None) -> int:
    """After a verdict (`by`: whose, 0 for an administrator's resolution; None: the user's):
    the new value said back, then the next item to do."""
    await tell_disputed(update.get_bot(), w, view, target)
    given = w.account.user_id if by is None else by
    verdict = next((v.verdict for v in view.verdicts
                    if v.reviewer_id == given and v.verdict.target == target), None)
    await reply(update, w.t("desk.saved", label=escape(views.target_label(w, view, target)),
                            verdict=verdict_line(w, view, verdict) if verdict else "",
                            claimed=view.report.total, verified=view.verified.total,
                            max=view.report.max))
    seen = {t: view.seen_by(seer(w), t).state for t in view.targets}
    nxt = next((t for t in view.targets if seen[t] == "pending"
                or (t in view.changed and seen[t] != "accepted")), None)
    if nxt is not None:
        return await show_item(update, w, view.id, nxt)
    await reply(update, project_text(w, view), project_keyboard(w, view))
    return DESK


async def tell_disputed(bot, w: Who, view: pv.ProjectView, target: str) -> None:
    """Two reviewers disagree on `target`: the administrators are asked to decide (the
    chat's desk and the web desk alike)."""
    if view.outcome(target).state != "disputed":
        return
    for admin_id, lang in (await reviewers.languages(w.svc, w.svc.admin_ids)).items():
        t = w.svc.catalog.t
        await bot.send_message(admin_id, t(
            "desk.disputed", lang, name=escape(view.name), id=view.id,
            label=escape(views.target_label(w, view, target))), reply_markup=keyboard(
            [[(t("desk.btn_decide", lang),
               cb.data("item", view.id, cb.target_code(w.svc, target)))]]))


@pressed("accept")
async def accept(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    view = await review.give_verdict(w.svc, w.account.user_id, press.pid, press.target,
                                     "accept")
    return await _verdict_given(update, w, view, press.target)


@pressed("reject")
async def reject(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    code = cb.target_code(w.svc, press.target)
    rows = [[(local(r, w.lang), cb.data("reason", press.pid, code, i))]
            for i, r in enumerate(w.svc.review.reject_reasons)]
    rows.append([(w.t("desk.btn_reason_other"), cb.data("reason_other", press.pid, code))])
    rows.append([(w.t("desk.btn_back"), cb.data("item", press.pid, code))])
    await reply(update, w.t("desk.ask_reason"), keyboard(rows))
    return DESK


@pressed("reason")
async def reason(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    text = local(w.svc.review.reject_reasons[press.reason], w.lang)
    view = await review.give_verdict(w.svc, w.account.user_id, press.pid, press.target,
                                     "reject", text)
    return await _verdict_given(update, w, view, press.target)


async def _ask(update: Update, context: Context, w: Who, key: str, state: int,
               **pending: object) -> int:
    """Ask for typed words (a reason, a rate); the press's values wait in user_data."""
    context.user_data["desk"] = pending
    await reply(update, w.t(key))
    return state


@pressed("reason_other")
async def reason_other(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await _ask(update, context, w, "desk.ask_reason_typed", REASON, pid=press.pid,
                      target=press.target, do="reject")


@pressed("lower")
async def lower(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await _ask(update, context, w, "desk.ask_reason_typed", REASON, pid=press.pid,
                      target=press.target, do="lower", level=press.level)


@pressed("rate")
async def rate(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await _ask(update, context, w, "desk.ask_rate", RATE, pid=press.pid,
                      target=press.target, do="rate")


@pressed("recuse")
async def recuse(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await _ask(update, context, w, "desk.ask_recuse", REASON, pid=press.pid,
                      do="recuse")


@pressed("resolve")
async def resolve(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    return await _ask(update, context, w, "desk.ask_reason_typed", REASON, pid=press.pid,
                      target=press.target, do="resolve", flag=press.flag)


@guarded
async def reason_typed(update: Update, context: Context, w: Who) -> int | None:
    pending = context.user_data.get("desk") or {}
    text = update.message.text.strip()
    pid, target = pending.get("pid"), pending.get("target")
    if pending.get("do") == "recuse":
        await review.recuse(w.svc, w.account.user_id, pid, text)
        context.user_data.pop("desk", None)
        await reply(update, w.t("desk.recused"))
        return await show_queue(update, w)
    if pending.get("do") == "resolve":
        view = await review.resolve(w.svc, w.account.user_id, pid, target,
                                    "accept" if pending["flag"] else "reject", text)
        context.user_data.pop("desk", None)
        return await _verdict_given(update, w, view, target, by=0)
    if pending.get("do") not in ("reject", "lower"):
        raise NotFound(None)
    if pending["do"] == "reject":
        view = await review.give_verdict(w.svc, w.account.user_id, pid, target, "reject", text)
    else:
        view = await review.give_verdict(w.svc, w.account.user_id, pid, target, "adjust", text,
                                         level=pending["level"])
    context.user_data.pop("desk", None)
    return await _verdict_given(update, w, view, target)


@guarded
async def rate_typed(update: Update, context: Context, w: Who) -> int | None:
    """The corrected rate, then the reason (desk.ask_rate shows an example)."""
    pending = context.user_data.get("desk") or {}
    if pending.get("do") != "rate":
        raise NotFound(None)
    value_text, _, why = update.message.text.strip().partition(" ")
    try:
        value = parse_rate(value_text)
    except ValueError:
        await reply(update, w.t("desk.ask_rate"))
        return STAY
    view = await review.give_verdict(w.svc, w.account.user_id, pending["pid"],
                                     pending["target"], "adjust", why, value=value)
    context.user_data.pop("desk", None)
    return await _verdict_given(update, w, view, pending["target"])


@pressed("return")
async def return_project(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    done = await review.return_project(w.svc, w.account.user_id, press.pid)
    await tell_returned(context.bot, w, done)
    await reply(update, w.t("desk.returned", name=escape(done.view.name),
                            count=len(done.items), staff=len(done.staff)))
    return await show_queue(update, w)


async def tell_returned(bot, w: Who, done: review.Returned) -> None:
    """Tell each staff member of a returned project what to fix and why (the chat's desk
    and the web desk send the same message)."""
    view = done.view
    for user_id, lang in done.staff:
        them = Who(w.svc, w.account, lang or "zh")  # written in each staff member's language
        lines = [them.t("desk.returned_to_staff", name=escape(view.name))]
        rows = []
        for target, why in done.items:
            label = views.target_label(them, view, target)
            lines.append(them.t("desk.returned_line", label=escape(label), reason=escape(why)))
            rows.append([(them.t("desk.btn_fix", label=label[:40]),
                          cb.data("slot", view.id, _slot_index(view, target)))])
        lines += side_by_side(them, view)
        lines.append(them.t("walk.project_number", id=view.id))
        await bot.send_message(user_id, "\n".join(lines), reply_markup=keyboard(rows))


def _slot_index(view: pv.ProjectView, target: str) -> int:
    return view.slot_of(target).index


@pressed("verify")
async def verify(update: Update, context: Context, w: Who, press: cb.Press) -> int:
    view = await review.verify(w.svc, w.account.user_id, press.pid)
    await tell_verified(context.bot, w, view)
    await reply(update, w.t("desk.verified", name=escape(view.name),
                            claimed=view.report.total, verified=view.verified.total,
                            max=view.report.max))
    return await show_queue(update, w)


async def tell_verified(bot, w: Who, view: pv.ProjectView) -> None:
    """Tell the staff of a verified project (the chat's desk and the web desk alike)."""
    for staff in await notices.staff_of(w.svc, view.id):  # in each one's language
        them = Who(w.svc, w.account, staff.lang)
        await tell(bot, staff.user_id, "\n".join([
            them.t("desk.verified_to_staff", name=escape(view.name)),
            *side_by_side(them, view)]),
            keyboard([[(them.t("bot.btn_score"), cb.data("menu_score"))]]))


@guarded
async def expired(update: Update, context: Context, w: Who) -> None:
    raise cb.Expired(update.callback_query.data)


async def notify_submitted(context: Context, w: Who, view: pv.ProjectView) -> None:
    """Tell the reviewers who may review a project just submitted."""
    t = w.svc.catalog.t
    for r in await notices.reviewers_of(w.svc, view.id):
        await tell(context.bot, r.user_id, t(
            "desk.submitted", r.lang, id=view.id, name=escape(view.name),
            district=escape(view.district), total=view.report.total, max=view.report.max),
            keyboard([[(t("desk.btn_open", r.lang, id=view.id, name=view.name[:24]),
                        cb.data("open", view.id))]]))


async def notify_resubmitted(context: Context, w: Who, view: pv.ProjectView) -> None:
    """Tell the reviewers of a resubmitted project (who gave verdicts, and those it is
    assigned to) what changed since their verdicts."""
    changed = [views.target_label(w, view, t) for t in view.targets if t in view.changed]
    t = w.svc.catalog.t
    for r in await notices.resubmitted_to(w.svc, view.id, view.reviewers):
        text = t("desk.resubmitted", r.lang, name=escape(view.name), id=view.id,
                 changed=t("ask.list_sep", r.lang).join(escape(c) for c in changed) or "—")
        await tell(context.bot, r.user_id, text, keyboard(
            [[(t("desk.btn_open", r.lang, id=view.id, name=view.name[:24]),
               cb.data("open", view.id))]]))


# -- /history N ---------------------------------------------------------------------------------
async def history(update: Update, context: Context) -> None:
    """/history N: one project's audit log."""
    w = await who(update, context)
    args = context.args or []
    if len(args) != 1:
        await reply(update, w.t("audit.usage"))
        return
    pid = await id_argument(update, w, args[0], "audit.usage")
    if pid is None:
        return
    try:
        found = await audit.history(w.svc, w.account.user_id, pid)
    except NoHistory:
        await reply(update, w.t("audit.not_yours"))
        return
    if not found.entries:
        await reply(update, w.t("audit.empty"))
        return
    lines = [w.t("audit.title", id=pid)]
    lines += [escape(line) for line in  # the last 40: within Telegram's 4096 characters
              audit.history_text(w.svc, found, w.lang)[-40:]]
    await reply(update, "\n".join(lines))


# -- wiring ---------------------------------------------------------------------------------------
BUTTONS: tuple[Handler, ...] = (queue, open_project, item, item_files, accept, reject, reason,
                                reason_other, lower, rate, recuse, resolve, return_project,
                                verify)


def buttons() -> list[BaseHandler]:
    return [CallbackQueryHandler(b, cb.pattern(b.action)) for b in BUTTONS]


def entry_points() -> list[BaseHandler]:
    return [CommandHandler("review", begin), *buttons()]


def fallbacks() -> list[BaseHandler]:
    return [CommandHandler("review", begin)]


def states() -> dict[int, list[BaseHandler]]:
    desk = [*buttons(), CallbackQueryHandler(expired, cb.DESK_ANY)]
    return {DESK: desk,
            REASON: [*desk, MessageHandler(TYPED, reason_typed)],
            RATE: [*desk, MessageHandler(TYPED, rate_typed)]}


def handlers() -> list[BaseHandler]:
    return [CommandHandler("history", history)]
