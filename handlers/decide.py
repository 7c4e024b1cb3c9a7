"""Reviewers' decisions: /ranking (paged, per district), a project's card with buttons to
select it as a city honour, recommend it upward and record the outcome, /pay, /ledger
(paged), the exports and /dossier. Button data: handlers/callbacks.py."""

from __future__ import annotations

import logging
import math
from html import escape

from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from domain.amounts import parse_amount
from domain.errors import InputError
from domain.i18n import local
from handlers import callbacks as cb
from handlers.common import (
    Context,
    Who,
    for_admins,
    guarded_by,
    id_argument,
    keyboard,
    pressed_by,
    reply,
)
from services.decisions import handover, ranking
from services.decisions import ledger as ledgers
from services.errors import NeedsConfirmation, NotMember, NotReversible
from services.walk import view as sub

PAGE = 10
log = logging.getLogger("unionbot")
guarded = guarded_by("desk")  # the services' refusals said as on the desk (REFUSALS)
pressed = pressed_by(guarded)


def _level(w: Who, level: str) -> str:
    return local(w.svc.subsidy_table.level(level).short, w.lang)


def _levels(w: Who, levels) -> str:
    return w.t("ask.list_sep").join(_level(w, x) for x in levels) or w.t("decide.none")


def _pages(count: int, page: int) -> tuple[int, int]:
    pages = max(1, math.ceil(count / PAGE))
    return min(max(page, 0), pages - 1), pages


def _nav(w: Who, action: str, page: int, pages: int, *first: object) -> list[tuple[str, str]]:
    row = []
    if page > 0:
        row.append((w.t("decide.prev"), cb.data(action, *first, page - 1)))
    if page + 1 < pages:
        row.append((w.t("decide.next"), cb.data(action, *first, page + 1)))
    return row


# -- the ranking ----------------------------------------------------------------------------
async def _show_ranking(update: Update, w: Who, district_index: int, page: int) -> None:
    names = w.svc.districts.names
    district = names[district_index - 1] if district_index else None
    ranked = await ranking.ranking_page(w.svc, w.account.user_id, district=district,
                                        page=page, size=PAGE, slow=lambda n: reply(update, w.t(
                                            "decide.rank_scoring", count=n)))
    where = district or w.t("decide.all_districts")
    if not ranked.count:
        await reply(update, w.t("decide.rank_none", district=where))
        return
    line = ranking.selection_line(ranked.round_year)
    lines = [w.t("decide.rank_title", round=ranked.round_year or w.t("decide.no_round"),
                 district=where, count=ranked.count, page=ranked.page + 1, pages=ranked.pages,
                 places=line.places, min_total=line.min_total),
             w.t("decide.line_origin", places=line.places, min_total=line.min_total)]
    shown = ranked.shown
    for n, rp in enumerate(shown):
        r = rp.row
        honours = rp.ledger.honours
        honours = f" 🏅{_levels(w, honours)}" if honours else ""
        values = dict(id=r.project_id, name=escape(r.name), district=r.district,
                      verified=r.verified_total, claimed=r.claimed_total, honours=honours)
        if not r.eligible:  # listed apart, after the eligible
            if n == 0 or shown[n - 1].row.eligible:
                lines.append(w.t("decide.rank_apart"))
            lines.append(w.t("decide.rank_line_apart", issues=issues_text(w, r.blocking),
                             **values))
            continue
        lines.append(w.t("decide.rank_line", place=r.place, mark="⭐" if r.selected else "",
                         eligible="", **values) + tie_text(w, r))
    rows = [[(w.t("decide.open", id=rp.row.project_id, name=rp.row.name[:24]),
              cb.data("decide", rp.row.project_id))] for rp in shown]
    nav = _nav(w, "rank_page", ranked.page, ranked.pages, district_index)
    if nav:
        rows.append(nav)
    rows.append([(w.t("decide.export_ranking"), cb.data("rank_export", district_index))])
    await reply(update, "\n".join(lines), keyboard(rows))


def issues_text(w: Who, codes) -> str:
    return w.t("ask.list_sep").join(w.t(f"issue.short_{c}") for c in codes) or w.t(
        "decide.ineligible").strip()


def tie_text(w: Who, r) -> str:
    """For a project tied on the verified total: what separated it from its neighbour."""
    if r.separated_by is None:
        return ""
    day = r.submitted_at.astimezone(w.svc.clock.tz).strftime("%m-%d %H:%M") \
        if r.submitted_at else "—"
    return w.t("decide.tie", key=w.t(f"decide.tie_{r.separated_by}"),
               values=w.t("decide.tie_values",
                          satisfaction=ranking.tie_value(r, "satisfaction_points"),
                          reach=ranking.tie_value(r, "media_exchange_points"),
                          submitted=day))


@guarded
async def ranking_command(update: Update, context: Context, w: Who) -> None:
    """/ranking [DISTRICT]"""
    index = 0
    if context.args:
        try:
            name = w.svc.districts.resolve(" ".join(context.args))
        except InputError as err:
            await reply(update, w.problem(err) + "\n\n" + w.t("decide.ranking_usage"))
            return
        index = w.svc.districts.names.index(name) + 1
    await _show_ranking(update, w, index, 0)


@pressed("rank_page")
async def ranking_page(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await _show_ranking(update, w, press.district, press.page)


# -- a project's card and the decisions -----------------------------------------------------
def card_text(w: Who, book: ledgers.ProjectLedger, claimed: int | None = None,
              verified: int | None = None) -> str:
    values = dict(id=book.project_id, name=escape(book.name),
                  organization=escape(book.organization), district=book.district,
                  honours=_levels(w, book.honours), recommended=_levels(w, book.recommended),
                  money=money_text(w, book))
    if claimed is None:
        text = w.t("decide.card_ledger", **values)
    else:
        text = w.t("decide.card", claimed=claimed, verified=verified, **values)
    if book.lines:
        text += "\n\n" + w.t("decide.history") + "\n" + "\n".join(
            escape(ledgers.line_text(w.svc, x, w.lang, book)) for x in book.lines)
        text += "\n" + w.t("decide.reverse_hint", id=book.project_id)
    return text


def money_text(w: Who, book: ledgers.ProjectLedger) -> str:
    """The city's entitlement and, where there is one, the district's matching beside it,
    each with its own payments and due."""
    b = book.balance
    text = w.t("decide.money_city", entitled=b.city_amount, paid=b.city_paid, due=b.city_due)
    if b.matching or b.district_paid:
        text += "\n" + w.t("decide.money_district", district=book.district,
                           entitled=b.matching, paid=b.district_paid, due=b.district_due)
    return text


def card_buttons(w: Who, book: ledgers.ProjectLedger):
    pid, rows = book.project_id, []
    if "city" not in book.honours:
        rows.append([(w.t("decide.btn_city", level=_level(w, "city")),
                      cb.data("honour_city", pid))])
    for level in ledgers.UPWARD:
        if level not in book.recommended:
            rows.append([(w.t("decide.btn_recommend", level=_level(w, level)),
                          cb.data("recommend", pid, level))])
    for level in book.pending:
        rows.append([(w.t("decide.btn_awarded", level=_level(w, level)),
                      cb.data("outcome", pid, level, 1)),
                     (w.t("decide.btn_declined", level=_level(w, level)),
                      cb.data("outcome", pid, level, 0))])
    rows.append([(w.t("decide.btn_dossier"), cb.data("dossier", pid))])
    return keyboard(rows)


async def _show_card(update: Update, w: Who, project_id: int) -> None:
    book = await ledgers.project_ledger(w.svc, w.account.user_id, project_id)
    view = await sub.project_view(w.svc, w.account.user_id, project_id)
    if not w.svc.may_review(w.account.user_id, w.account.role):
        raise NotMember(project_id)
    verified = ranking.verified_report(None, view).total
    await reply(update, card_text(w, book, view.report.total, verified), card_buttons(w, book))


async def _decided(update: Update, w: Who, write) -> None:
    book = await write
    last = book.lines[-1]
    await reply(update, w.t("decide.recorded", date=last.on_date.isoformat(),
                            who=w.account.user_id) + "\n\n" + card_text(w, book),
                card_buttons(w, book))
    await tell_staff(update, w, book)


async def tell_staff(update: Update, w: Who, book: ledgers.ProjectLedger) -> None:
    """The organisation's staff hear of an honour, a recommendation, an outcome, a payment
    or a reversal on their project, each in their own language, after it is stored."""
    new = [x for x in book.lines if x.id in book.appended]
    for user_id, lang in book.staff:
        them = Who(w.svc, w.account, lang or "zh")
        text = "\n".join((them.t("decide.staff_news", name=escape(book.name)),
                          *(escape(ledgers.line_text(w.svc, x, them.lang, book)) for x in new),
                          money_text(them, book), them.t("decide.staff_more")))
        try:
            await update.get_bot().send_message(user_id, text)
        except (Forbidden, BadRequest) as err:  # blocked the bot, or no chat with it: the
            # record stands and the others are still told
            log.info("staff member %s not told: %s", user_id, err)


def warnings(w: Who, placed: ranking.Placement) -> list[str]:
    """Where the project stands, and what a decision for it would go against."""
    r, line = placed.row, placed.line
    if r is None:
        return [w.t("decide.warn_unranked"), w.t("decide.warn_recorded")]
    out = [w.t("decide.place", place=r.place, count=placed.count, verified=r.verified_total,
               mark=" ⭐" if r.selected else "")]
    if not r.eligible:
        out.append(w.t("decide.warn_ineligible"))
    if not r.selected:
        out.append(w.t("decide.warn_outside", places=line.places, min_total=line.min_total))
        if placed.gap:
            out.append(w.t("decide.warn_below", gap=placed.gap))
        out += [w.t("decide.line_origin", places=line.places, min_total=line.min_total),
                w.t("decide.warn_recorded")]
    return out


async def confirm(update: Update, w: Who, pid: int, kind: str, level: str,
                   awarded: bool | None = None) -> None:
    """A decision asks to be confirmed; an honour or a recommendation says first where the
    project stands and whether the decision goes against the ranking."""
    book = await ledgers.project_ledger(w.svc, w.account.user_id, pid, deciding=kind)
    placed = None if kind == "outcome" else await ranking.placement(
        w.svc, w.account.user_id, pid)
    names = dict(id=pid, name=escape(book.name), level=_level(w, level))
    if kind == "outcome":
        text = w.t("decide.confirm_outcome", result=w.t(
            "decide.result_awarded" if awarded else "decide.result_declined"), **names)
        ok = cb.data("outcome_ok", pid, level, int(bool(awarded)))
    else:
        text = "\n".join((w.t(f"decide.confirm_{kind}", **names), *warnings(w, placed)))
        ok = cb.data(f"{kind}_ok", pid, level)
    await reply(update, text, keyboard([[(w.t("decide.btn_confirm"), ok),
                                         (w.t("decide.btn_cancel"), cb.data("decide", pid))]]))


@pressed("honour_city")
async def honour_city(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await confirm(update, w, press.pid, "honour", "city")


@pressed("recommend")
async def recommend(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await confirm(update, w, press.pid, "recommend", press.honour)


@pressed("outcome")
async def outcome(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await confirm(update, w, press.pid, "outcome", press.honour, press.flag)


@pressed("honour_ok")
async def honour_ok(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await _decided(update, w, ranking.decide(w.svc, w.account.user_id, press.pid,
                                             "honour", press.honour))


@pressed("recommend_ok")
async def recommend_ok(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await _decided(update, w, ranking.decide(w.svc, w.account.user_id, press.pid,
                                             "recommend", press.honour))


@pressed("outcome_ok")
async def outcome_ok(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await _decided(update, w, ranking.decide(w.svc, w.account.user_id, press.pid,
                                             "outcome", press.honour, press.flag))


async def _on_project_args(update: Update, context: Context, w: Who, least: int,
                           usage: str) -> tuple[list[str], int | None]:
    """A command's words (at least `least`) and the project its first one names (None
    once the user was told how to use the command)."""
    args = context.args or []
    if len(args) < least:
        await reply(update, w.t(usage))
        return args, None
    return args, await id_argument(update, w, args[0], usage)


@guarded
async def pay(update: Update, context: Context, w: Who) -> None:
    """/pay PROJECT AMOUNT [PAYER] [NOTE…]"""
    args, pid = await _on_project_args(update, context, w, 2, "decide.pay_usage")
    if pid is None:
        return
    try:
        amount = parse_amount(args[1])
    except ValueError:
        amount = None
    if not amount:  # a payment is a whole amount above 0; a wrong one is reversed
        err = InputError("paid", "payment", value=args[1])
        await reply(update, w.problem(err) + "\n\n" + w.t("decide.pay_usage"))
        return
    payer = args[2] if len(args) > 2 else ""
    note = " ".join(args[3:])
    context.user_data["pay"] = {"pid": pid, "amount": amount, "payer": payer, "note": note}
    await _paid(update, w, pid, amount, payer, note, confirmed=False)


async def _paid(update: Update, w: Who, pid: int, amount: int, payer: str, note: str,
                confirmed: bool) -> None:
    try:
        await _decided(update, w, ledgers.pay(w.svc, w.account.user_id, pid, amount, payer,
                                              note, confirmed=confirmed))
    except NeedsConfirmation as err:
        text = w.t("decide.pay_refused", payer=escape(err.payer), due=err.due,
                   entitled=err.entitled, amount=err.amount,
                   none="" if err.entitled else w.t("decide.pay_no_honour"))
        if w.account.user_id not in w.svc.admin_ids:
            await reply(update, text)
            return
        await reply(update, text, keyboard([[(w.t("decide.btn_pay_confirm", amount=amount),
                                              cb.data("pay_confirm", pid, amount))]]))


@pressed("pay_confirm")
async def pay_confirm(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    """An administrator's button under a refused payment: record it, beyond what is due."""
    pending = context.user_data.get("pay")
    if not pending or (pending["pid"], pending["amount"]) != (press.pid, press.amount):
        await reply(update, w.t("decide.pay_confirm_gone"))
        return
    context.user_data.pop("pay", None)
    await _paid(update, w, press.pid, press.amount, pending["payer"], pending["note"],
                confirmed=True)


@guarded
async def reverse(update: Update, context: Context, w: Who) -> None:
    """/reverse PROJECT ROW REASON…: a dated row that reverses an earlier one."""
    args, pid = await _on_project_args(update, context, w, 3, "decide.reverse_usage")
    if pid is None:
        return
    number = await id_argument(update, w, args[1], "decide.reverse_usage")
    if number is None:
        return
    try:
        await _decided(update, w, ledgers.reverse(w.svc, w.account.user_id, pid, number,
                                                  " ".join(args[2:])))
    except NotReversible:
        await reply(update, w.t("decide.reverse_none", number=number))


@for_admins
async def payer_command(update: Update, context: Context, w: Who) -> None:
    """/payer add|remove USER_ID (administrators)."""
    args = context.args or []
    if len(args) != 2 or args[0] not in ("add", "remove"):
        await reply(update, w.t("decide.payer_usage"))
        return
    user = await id_argument(update, w, args[1], "decide.payer_usage")
    if user is None:
        return
    on = args[0] == "add"
    if not await ledgers.grant_payer(w.svc, w.account.user_id, user, on):
        await reply(update, w.t("decide.payer_unknown", user=user))
        return
    await reply(update, w.t("decide.payer_set", user=user,
                            state=w.t("decide.payer_on" if on else "decide.payer_off")))


# -- the ledger -----------------------------------------------------------------------------
async def _show_ledger(update: Update, w: Who, page: int) -> None:
    books = await ledgers.ledger(w.svc, w.account.user_id)
    if not books:
        await reply(update, w.t("decide.ledger_none"))
        return
    page, pages = _pages(len(books), page)
    matching = sum(b.balance.matching + b.balance.district_paid for b in books)
    lines = [w.t("decide.ledger_title", count=len(books), page=page + 1, pages=pages,
                 entitled=sum(b.balance.city_amount for b in books),
                 paid=sum(b.balance.city_paid for b in books),
                 due=sum(b.balance.city_due for b in books),
                 matching=w.t("decide.ledger_matching",
                              entitled=sum(b.balance.matching for b in books),
                              paid=sum(b.balance.district_paid for b in books),
                              due=sum(b.balance.district_due for b in books))
                 if matching else "")]
    shown = books[page * PAGE:(page + 1) * PAGE]
    for book in shown:
        b = book.balance
        lines.append(w.t("decide.ledger_line", id=book.project_id, name=escape(book.name),
                         district=book.district,
                         level=_level(w, b.highest) if b.highest else w.t("decide.none"),
                         entitled=b.city_amount, paid=b.city_paid, due=b.city_due,
                         matching=w.t("decide.ledger_line_matching", entitled=b.matching,
                                      paid=b.district_paid, due=b.district_due)
                         if b.matching or b.district_paid else ""))
    rows = [[(w.t("decide.open", id=b.project_id, name=b.name[:24]),
              cb.data("decide", b.project_id))] for b in shown]
    nav = _nav(w, "ledger_page", page, pages)
    if nav:
        rows.append(nav)
    rows.append([(w.t("decide.export_ledger"), cb.data("ledger_export"))])
    await reply(update, "\n".join(lines), keyboard(rows))


@guarded
async def ledger_command(update: Update, context: Context, w: Who) -> None:
    """/ledger [PROJECT]"""
    args = context.args or []
    if not args:
        await _show_ledger(update, w, 0)
    elif len(args) == 1:
        pid = await id_argument(update, w, args[0], "decide.ledger_usage")
        if pid is not None:
            await _show_card(update, w, pid)
    else:
        await reply(update, w.t("decide.ledger_usage"))


@pressed("ledger_page")
async def ledger_page(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await _show_ledger(update, w, press.page)


# -- files: built off the update loop, a progress message first -----------------------------
async def _send_file(update: Update, w: Who, build, file_name: str, caption) -> None:
    """Tell the user the file is coming, build it (the CPU part runs in a worker thread),
    then send it."""
    await reply(update, w.t("decide.working"))
    data, count = await build
    await update.effective_chat.send_document(data, filename=file_name,
                                              caption=caption(count))


async def _send_ranking(update: Update, w: Who, district: str | None) -> None:
    """The one ranking workbook (/ranking's button, /export): built off the update loop."""
    await _send_file(update, w, handover.ranking_file(w.svc, w.account.user_id, w.lang,
                                                      district),
                     w.t("decide.ranking_file", date=w.svc.clock.today().isoformat()),
                     lambda n: w.t("decide.file_caption", count=n))


@pressed("rank_export")
async def rank_export(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    names = w.svc.districts.names
    await _send_ranking(update, w, names[press.district - 1] if press.district else None)


@guarded
async def export_command(update: Update, context: Context, w: Who) -> None:
    """/export [DISTRICT] (the word for "all" of earlier versions, export.all_word in the
    catalog, means the whole city)."""
    words = [a for a in context.args or []
             if a.lower() not in {w.t("export.all_word", lang) for lang in ("zh", "en")}]
    district = None
    if words:
        try:
            district = w.svc.districts.resolve(" ".join(words))
        except InputError as err:
            await reply(update, w.problem(err) + "\n\n" + w.t("decide.ranking_usage"))
            return
    await _send_ranking(update, w, district)


@pressed("ledger_export")
async def ledger_export(update: Update, context: Context, w: Who, press: cb.Press) -> None:
    await _send_file(update, w, handover.ledger_file(w.svc, w.account.user_id, w.lang),
                     w.t("decide.ledger_file", date=w.svc.clock.today().isoformat()),
                     lambda n: w.t("decide.file_caption", count=n))


async def _send_dossier(update: Update, w: Who, project_id: int) -> None:
    await reply(update, w.t("decide.working"))
    d = await handover.dossier(w.svc, w.account.user_id, project_id)
    await update.effective_chat.send_document(
        d.data, filename=w.t("decide.dossier_file", id=d.project_id),
        caption=w.t("decide.dossier_caption", id=d.project_id, name=escape(d.name),
                    files=d.files))


def _on_project(action: str, usage: str, show):
    """`/action PROJECT` and its button (data: the project's id), both ending in `show`."""

    @guarded
    async def command(update: Update, context: Context, w: Who) -> None:
        if len(context.args or []) != 1:
            await reply(update, w.t(usage))
            return
        pid = await id_argument(update, w, context.args[0], usage)
        if pid is not None:
            await show(update, w, pid)

    @pressed(action)
    async def button(update: Update, context: Context, w: Who, press: cb.Press) -> None:
        await show(update, w, press.pid)

    return command, button


decide_command, decide = _on_project("decide", "decide.usage", _show_card)  # the card
dossier_command, dossier = _on_project("dossier", "decide.dossier_usage", _send_dossier)


def handlers() -> list[BaseHandler]:
    buttons = {"rank_page": ranking_page, "rank_export": rank_export, "decide": decide,
               "honour_city": honour_city, "recommend": recommend, "outcome": outcome,
               "ledger_page": ledger_page, "ledger_export": ledger_export, "dossier": dossier,
               "pay_confirm": pay_confirm, "honour_ok": honour_ok, "recommend_ok": recommend_ok,
               "outcome_ok": outcome_ok}
    return [CommandHandler("ranking", ranking_command), CommandHandler("decide", decide_command),
            CommandHandler("ledger", ledger_command), CommandHandler("pay", pay),
            CommandHandler("reverse", reverse), CommandHandler("payer", payer_command),
            CommandHandler("dossier", dossier_command),
            *(CallbackQueryHandler(fn, cb.pattern(action)) for action, fn in buttons.items())]
