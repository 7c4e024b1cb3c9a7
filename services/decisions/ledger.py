"""The subsidy ledger: a project's honours, recommendations upward, their outcomes and the
payments, as dated rows that are appended and never changed. Entitled, paid and due are
computed from the rows with the top-up rule (差额补齐): the city's entitlement and the
district's matching (配套支持标准) side by side, each with its own payments. A wrong row is
corrected by a reversal row that points at it, with its reason — never by an edit.

Writes (reviewers recommend; honours, outcomes, payments and reversals are the payer
role's: the city's administrators, and whom they grant it) and reads (the ledger, a
project's card, staff's own projects) are apart; every read is set-based."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from domain.errors import InputError
from domain.i18n import local
from domain.subsidy import FUNDERS, Balance, balance
from services import audit
from services.core import Services
from services.errors import (
    AlreadyRecorded,
    NeedsConfirmation,
    NotFound,
    NotMember,
    NotPayer,
    NotReversible,
)
from services.walk.view import in_scope, reviewed_project
from store.models import LedgerEntry

UPWARD = ("provincial", "national")  # the rounds a city project is recommended to
MAX_NOTE = 200


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the ledger as shown."""

    id: int
    kind: str  # honour | recommend | outcome | payment | reversal
    level: str | None
    awarded: bool | None
    amount: int
    payer: str
    note: str
    on_date: dt.date
    recorded_by: int | None
    funder: str = "city"  # payments: city | district
    reverses: int | None = None  # reversals: the id of the row reversed
    number: int = 0  # its place on the project's ledger, from 1 (what /reverse names)


@dataclass(frozen=True, slots=True)
class ProjectLedger:
    project_id: int
    name: str
    organization: str
    uscc: str
    district: str
    lines: tuple[Line, ...]
    balance: Balance
    # after a write: the rows it appended, and the organisation's staff to tell of them
    # (user id, language)
    appended: tuple[int, ...] = ()
    staff: tuple[tuple[int, str | None], ...] = ()

    @property
    def live(self) -> tuple[Line, ...]:
        """The rows in force: neither reversed nor a reversal."""
        return _live(self.lines)

    @property
    def honours(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(x.level for x in self.live if x.kind == "honour"))

    @property
    def pending(self) -> tuple[str, ...]:
        """Levels recommended to whose outcome is not recorded yet."""
        decided = {x.level for x in self.live if x.kind == "outcome"}
        return tuple(dict.fromkeys(x.level for x in self.live
                                   if x.kind == "recommend" and x.level not in decided))

    @property
    def recommended(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(x.level for x in self.live if x.kind == "recommend"))

    def reversed_by(self, line: Line) -> Line | None:
        return next((x for x in self.lines if x.reverses == line.id), None)


def _live(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    gone = {x.reverses for x in lines if x.kind == "reversal"}
    return tuple(x for x in lines if x.kind != "reversal" and x.id not in gone)


def _line(row: LedgerEntry, number: int) -> Line:
    return Line(row.id, row.kind, row.level, row.awarded, row.amount, row.payer, row.note,
                row.on_date, row.recorded_by, row.funder or "city", row.reverses, number)


def build(svc: Services, project, org, rows) -> ProjectLedger:
    return book(svc, (project.id, project.name, org.name, org.uscc, org.district), rows)


def book(svc: Services, named: tuple[int, str, str, str, str], rows) -> ProjectLedger:
    """The ledger of a project `named` (id, name, organisation, credit code, district)."""
    lines = tuple(_line(r, n) for n, r in enumerate(rows, 1))
    live = _live(lines)
    known = svc.subsidy_table.ids
    honours = [x.level for x in live if x.kind == "honour" and x.level in known]
    paid = {f: sum(x.amount for x in live if x.kind == "payment" and x.funder == f)
            for f in FUNDERS}
    return ProjectLedger(*named, lines, balance(svc.subsidy_table, honours, paid["city"],
                                                named[4], paid["district"]))


def group(rows) -> dict[int, list[LedgerEntry]]:
    out: dict[int, list[LedgerEntry]] = {}
    for row in rows:
        out.setdefault(row.project_id, []).append(row)
    return out


# -- writes --------------------------------------------------------------------------------
def row(kind: str, *, level: str | None = None, awarded: bool | None = None, amount: int = 0,
        payer: str = "", note: str = "", on_date: dt.date | None = None,
        funder: str = "city", reverses: int | None = None) -> dict:
    """One row to append, checked."""
    note, payer = (note or "").strip(), (payer or "").strip()
    if len(note) > MAX_NOTE:
        raise InputError("note", "name_length", max=MAX_NOTE)
    if len(payer) > 100:
        raise InputError("payer", "name_length", max=100)
    if kind == "honour":
        level = level or ""
    elif kind in ("recommend", "outcome") and level not in UPWARD:
        raise InputError("honours", "unknown_choice", value=level, choices=", ".join(UPWARD))
    elif kind == "payment" and (isinstance(amount, bool) or not isinstance(amount, int)
                                or amount <= 0):
        raise InputError("paid", "payment", value=amount)
    elif kind == "reversal" and not note:
        raise InputError("note", "reason_needed")
    return {"kind": kind, "level": level, "awarded": awarded, "amount": amount,
            "payer": payer, "note": note, "on_date": on_date, "funder": funder,
            "reverses": reverses}


PAYER_KINDS = ("honour", "outcome", "payment", "reversal")  # the payer role's rows


def may_pay(svc: Services, user_id: int, user) -> bool:
    """The city's administrators, and those they made payers."""
    return user_id in svc.admin_ids or bool(user is not None and user.payer)


async def append(svc: Services, user_id: int, project_id: int, *rows: dict,
                 confirmed: bool = False) -> ProjectLedger:
    """Append rows (made by `row`) to a project's ledger in one unit of work. A payment
    beyond what is due from its payer needs `confirmed` (an administrator's)."""
    async with svc.uow() as uow:
        project = await reviewed_project(uow, svc, user_id, project_id)
        if any(v["kind"] in PAYER_KINDS for v in rows) and not may_pay(
                svc, user_id, await uow.users.get(user_id)):
            raise NotPayer(project_id)
        org = await uow.organizations.get(project.organization_id)
        before = build(svc, project, org, await uow.ledger.of_projects([project.id]))
        for values in rows:
            _check_new(svc, before, values)
            _check_amount(svc, user_id, before, values, confirmed)
            await _audit(uow, svc, user_id, project, before, values, confirmed)
            uow.ledger.add(LedgerEntry(project_id=project.id, recorded_by=user_id,
                                       recorded_at=svc.clock.now(),
                                       **dict(values, on_date=values["on_date"]
                                              or svc.clock.today())))
        staff = tuple((u.id, u.language) for u in
                      await uow.users.in_organization(project.organization_id)
                      if u.role == "staff" and not u.blocked_bot)
        await uow.commit()
        after = build(svc, project, org, await uow.ledger.of_projects([project.id]))
        known = {x.id for x in before.lines}
        return replace(after, appended=tuple(x.id for x in after.lines if x.id not in known),
                       staff=staff)


def _check_new(svc: Services, before: ProjectLedger, values: dict) -> None:
    """A decision is recorded once: an honour held, a recommendation made, an outcome
    given stay as they are (payments may repeat)."""
    kind, level = values["kind"], values["level"]
    if kind == "honour":
        svc.subsidy_table.level(level)  # InputError for an unknown level
        if level in before.honours:
            raise AlreadyRecorded(level)
    elif kind == "recommend" and level in before.recommended:
        raise AlreadyRecorded(level)
    elif kind == "outcome" and level not in before.pending:
        raise AlreadyRecorded(level)
    elif kind == "reversal" and values["reverses"] not in {x.id for x in before.live}:
        raise NotReversible(values["reverses"])


def _check_amount(svc: Services, user_id: int, before: ProjectLedger, values: dict,
                  confirmed: bool) -> None:
    """A payment beyond what is due from its payer, or on a project with no honour, is
    refused unless an administrator confirms it."""
    if values["kind"] != "payment":
        return
    funder, b = values["funder"], before.balance
    due = b.due_from(funder)
    if (values["amount"] > due or not before.honours) and not (
            confirmed and user_id in svc.admin_ids):
        raise NeedsConfirmation(values["amount"], due, b.entitled_from(funder),
                                values["payer"])


async def _audit(uow, svc: Services, user_id: int, project, before: ProjectLedger,
                 values: dict, confirmed: bool = False) -> None:
    """The decision or payment in the audit log, in the same unit of work."""
    kind, level = values["kind"], values["level"]
    where = dict(project_id=project.id, organization_id=project.organization_id,
                 subject=level or values["payer"], reason=values["note"])
    if kind == "honour":
        old, new = list(before.honours), [*before.honours, level]
    elif kind == "payment":
        paid = before.balance.paid
        old, new = paid, paid + values["amount"]
        if confirmed and values["amount"] > before.balance.due_from(values["funder"]):
            where["reason"] = svc.catalog.t("decide.overpay_audit", "zh",
                                            due=before.balance.due_from(values["funder"]),
                                            note=values["note"])
    elif kind == "reversal":
        target = next(x for x in before.lines if x.id == values["reverses"])
        old, new = f"#{target.number} {target.kind}", "reversed"
    elif kind == "recommend":
        old, new = list(before.recommended), [*before.recommended, level]
    else:
        old, new = "recommended", "awarded" if values["awarded"] else "not awarded"
    await audit.record(uow, svc, user_id, kind, old=old, new=new, **where)


async def honour(svc: Services, user_id: int, project_id: int, level: str,
                 note: str = "") -> ProjectLedger:
    """The project holds an honour at `level` (the city's selection: level "city")."""
    return await append(svc, user_id, project_id, row("honour", level=level, note=note))


async def recommend(svc: Services, user_id: int, project_id: int, level: str,
                    note: str = "") -> ProjectLedger:
    """Recommended to the provincial or national round."""
    return await append(svc, user_id, project_id, row("recommend", level=level, note=note))


async def outcome(svc: Services, user_id: int, project_id: int, level: str, awarded: bool,
                  note: str = "") -> ProjectLedger:
    """The outcome of a recommendation; an award is also an honour at that level."""
    rows = [row("outcome", level=level, awarded=awarded, note=note)]
    if awarded:
        rows.append(row("honour", level=level, note=note))
    return await append(svc, user_id, project_id, *rows)


async def pay(svc: Services, user_id: int, project_id: int, amount: int, payer: str = "",
              note: str = "", on_date: dt.date | None = None,
              confirmed: bool = False) -> ProjectLedger:
    """A payment; `payer` says who pays: the city's federation (市总工会, the default) or
    the project's district federation (区总工会 or its name: the district's matching).
    Beyond what is due from that payer: NeedsConfirmation unless `confirmed` by an
    administrator."""
    async with svc.uow() as uow:
        user, project, org, _, _ = await uow.projects.in_context(user_id, project_id)
        if project is None:
            raise NotFound(project_id)
    funder, payer_name = payer_of(svc, org.district, payer)
    return await append(svc, user_id, project_id,
                        row("payment", amount=amount, payer=payer_name, note=note,
                            on_date=on_date, funder=funder), confirmed=confirmed)


def payer_of(svc: Services, district: str, text: str) -> tuple[str, str]:
    """Who pays, as typed → (funder, the payer's name on the row)."""
    words = svc.subsidy_table.payers
    word = (text or "").strip()
    names = {"city": local(words["city_name"], "zh"),
             "district": local(words["district_name"], "zh").format(district=district)}
    if not word or word.lower() in words["city"] or word == names["city"]:
        return "city", names["city"]
    if word.lower() in words["district"] or word in (district, names["district"]):
        return "district", names["district"]
    raise InputError("payer", "unknown_choice", value=word,
                     choices="、".join((names["city"], names["district"])))


async def reverse(svc: Services, user_id: int, project_id: int, number: int,
                  reason: str) -> ProjectLedger:
    """Reverse the project's row `number` (as the card numbers them) with a reason: a new
    dated row, the old one stays. An award's outcome takes its honour with it."""
    book = await project_ledger(svc, user_id, project_id)
    target = next((x for x in book.live if x.number == number), None)
    if target is None:
        raise NotReversible(number)
    rows = [row("reversal", level=target.level, amount=target.amount, note=reason,
                reverses=target.id, funder=target.funder)]
    if target.kind == "outcome" and target.awarded:
        honour_row = next((x for x in book.live if x.kind == "honour"
                           and x.level == target.level and x.id > target.id), None)
        if honour_row is not None:
            rows.append(row("reversal", level=honour_row.level, note=reason,
                            reverses=honour_row.id))
    return await append(svc, user_id, project_id, *rows)


async def grant_payer(svc: Services, admin_id: int, user_id: int, on: bool) -> bool:
    """An administrator makes a user a payer (or no longer one); False: no such user."""
    if admin_id not in svc.admin_ids:
        raise NotMember(None)
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            return False
        await audit.record(uow, svc, admin_id, "payer", subject=str(user_id),
                           old=bool(user.payer), new=on)
        user.payer = on
        await uow.commit()
        return True


# -- reads ---------------------------------------------------------------------------------
async def project_ledger(svc: Services, user_id: int, project_id: int,
                         deciding: str = "") -> ProjectLedger:
    """One project's ledger: reviewers and administrators, or the project's own staff. For
    a decision of kind `deciding` about to be confirmed: the reviewers in scope, and for
    the payer role's rows only payers (refused before the confirmation, not after)."""
    async with svc.uow() as uow:
        user, project, org, _, _ = await uow.projects.in_context(user_id, project_id)
        if project is None:
            raise NotFound(project_id)
        if not in_scope(svc, user_id, user, org) and (
                deciding or user is None or user.organization_id != project.organization_id):
            raise NotMember(project_id)
        if deciding in PAYER_KINDS and not may_pay(svc, user_id, user):
            raise NotPayer(project_id)
        return build(svc, project, org, await uow.ledger.of_projects([project_id]))


async def _may_read(uow, svc: Services, user_id: int) -> None:
    """The whole ledger is for reviewers and administrators."""
    user = await uow.users.get(user_id)
    if not svc.may_review(user_id, user.role if user else None):
        raise NotMember(None)


async def ledger(svc: Services, user_id: int) -> list[ProjectLedger]:
    """Every project with ledger rows (reviewers and administrators): two statements."""
    async with svc.uow() as uow:
        await _may_read(uow, svc, user_id)
        return await _ledgers(svc, uow, None)


@dataclass(frozen=True, slots=True)
class LedgerPage:
    total: int  # projects with ledger rows
    page: int  # from 0, within the pages there are
    pages: int
    books: tuple[ProjectLedger, ...]


async def ledger_page(svc: Services, user_id: int, page: int = 0,
                      size: int = 20) -> LedgerPage:
    """One page of the ledger (the web desk), by project number: the rows of the page's
    projects only, two statements."""
    async with svc.uow() as uow:
        await _may_read(uow, svc, user_id)
        projects = await uow.ledger.projects_with_rows(None)
        pages = max(1, -(-len(projects) // size))
        page = min(max(page, 0), pages - 1)
        shown = projects[page * size:(page + 1) * size]
        rows = group(await uow.ledger.of_projects([p.id for p, _ in shown]))
        return LedgerPage(len(projects), page, pages,
                          tuple(build(svc, p, o, rows.get(p.id, [])) for p, o in shown))


async def own_ledger(svc: Services, user_id: int) -> list[ProjectLedger]:
    """The user's organisation's projects with ledger rows (staff's /subsidy)."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.organization_id is None:
            return []
        return await _ledgers(svc, uow, user.organization_id)


@dataclass(frozen=True, slots=True)
class Honours:
    project_id: int
    name: str
    honours: tuple[str, ...]
    paid: int


async def organization_honours(svc: Services, user_id: int) -> list[Honours]:
    """The user's organisation's projects that have honours or payments on record."""
    return [Honours(book.project_id, book.name, book.honours, book.balance.paid)
            for book in await own_ledger(svc, user_id)]


async def _ledgers(svc: Services, uow, organization_id: int | None) -> list[ProjectLedger]:
    projects = await uow.ledger.projects_with_rows(organization_id)
    rows = group(await uow.ledger.of_projects(
        None if organization_id is None else [p.id for p, _ in projects]))
    return [build(svc, p, o, rows.get(p.id, [])) for p, o in projects]


async def balances(svc: Services, uow, ranked) -> dict[int, ProjectLedger]:
    """For the ranking and the exports: the ledgers of these ranked rows
    (domain/ranking.py `Ranked`), one statement."""
    rows = group(await uow.ledger.of_projects([r.project_id for r in ranked]))
    return {r.project_id: book(svc, (r.project_id, r.name, r.organization, r.uscc, r.district),
                               rows.get(r.project_id, [])) for r in ranked}


def line_text(svc: Services, x: Line, lang: str, book: ProjectLedger | None = None) -> str:
    """One ledger row in words (plain text: escape it for HTML); with its `book`, numbered
    as /reverse names it, and marked when a later row reversed it."""
    t = svc.catalog.t
    known = x.level in svc.subsidy_table.ids
    level = local(svc.subsidy_table.level(x.level).short, lang) if known else (x.level or "")
    key = {"honour": "decide.line_honour", "recommend": "decide.line_recommend",
           "payment": "decide.line_payment", "reversal": "decide.line_reversal"}.get(
        x.kind, "decide.line_awarded" if x.awarded else "decide.line_declined")
    target = next((y.number for y in book.lines if y.id == x.reverses), "?") if book else "?"
    text = t(key, lang, date=x.on_date.isoformat(), level=level, amount=x.amount,
             payer=t("decide.payer", lang, payer=x.payer) if x.payer else "",
             note=t("decide.note", lang, note=x.note) if x.note else "",
             who=x.recorded_by if x.recorded_by is not None else "—",
             target=target, reason=x.note)
    if book is None:
        return text
    undone = book.reversed_by(x)
    if undone is not None:
        text = t("decide.line_reversed", lang, text=text, date=undone.on_date.isoformat())
    return t("decide.line_number", lang, number=x.number, text=text)
