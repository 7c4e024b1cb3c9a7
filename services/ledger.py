"""The subsidy ledger: a project's honours, recommendations upward, their outcomes and the
payments, as dated rows that are appended and never changed. Entitled, paid and due are
computed from the rows with the top-up rule (差额补齐) and the district's matching standard.

Writes (reviewers and administrators) and reads (the ledger, a project's card, staff's own
projects) are apart; every read is set-based."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.errors import InputError
from domain.i18n import local
from domain.subsidy import Balance, balance
from services import audit
from services.core import Services
from services.project_view import NotFound, NotMember, in_scope
from services.projects import reviewed_project
from store.models import LedgerEntry

UPWARD = ("provincial", "national")  # the rounds a city project is recommended to
MAX_NOTE = 200


class AlreadyRecorded(Exception):
    """The decision is on record already (a second press of the same button)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the ledger as shown."""

    id: int
    kind: str  # honour | recommend | outcome | payment
    level: str | None
    awarded: bool | None
    amount: int
    payer: str
    note: str
    on_date: dt.date
    recorded_by: int | None


@dataclass(frozen=True, slots=True)
class ProjectLedger:
    project_id: int
    name: str
    organization: str
    uscc: str
    district: str
    status: str
    lines: tuple[Line, ...]
    balance: Balance

    @property
    def honours(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(x.level for x in self.lines if x.kind == "honour"))

    @property
    def pending(self) -> tuple[str, ...]:
        """Levels recommended to whose outcome is not recorded yet."""
        decided = {x.level for x in self.lines if x.kind == "outcome"}
        return tuple(dict.fromkeys(x.level for x in self.lines
                                   if x.kind == "recommend" and x.level not in decided))

    @property
    def recommended(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(x.level for x in self.lines if x.kind == "recommend"))


def _line(row: LedgerEntry) -> Line:
    return Line(row.id, row.kind, row.level, row.awarded, row.amount, row.payer, row.note,
                row.on_date, row.recorded_by)


def build(svc: Services, project, org, rows) -> ProjectLedger:
    lines = tuple(_line(r) for r in rows)
    known = svc.subsidy_table.ids
    honours = [x.level for x in lines if x.kind == "honour" and x.level in known]
    paid = sum(x.amount for x in lines if x.kind == "payment")
    return ProjectLedger(project.id, project.name, org.name, org.uscc, org.district,
                         project.status, lines,
                         balance(svc.subsidy_table, honours, paid, org.district))


def group(rows) -> dict[int, list[LedgerEntry]]:
    out: dict[int, list[LedgerEntry]] = {}
    for row in rows:
        out.setdefault(row.project_id, []).append(row)
    return out


# -- writes --------------------------------------------------------------------------------
def row(kind: str, *, level: str | None = None, awarded: bool | None = None, amount: int = 0,
        payer: str = "", note: str = "", on_date: dt.date | None = None) -> dict:
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
        raise InputError("paid", "amount", value=amount)
    return {"kind": kind, "level": level, "awarded": awarded, "amount": amount,
            "payer": payer, "note": note, "on_date": on_date}


async def append(svc: Services, user_id: int, project_id: int, *rows: dict) -> ProjectLedger:
    """Append rows (made by `row`) to a project's ledger in one unit of work."""
    async with svc.uow() as uow:
        project = await reviewed_project(uow, svc, user_id, project_id)
        org = await uow.organizations.get(project.organization_id)
        before = build(svc, project, org, await uow.ledger.of_projects([project.id]))
        for values in rows:
            _check_new(svc, before, values)
            await _audit(uow, svc, user_id, project, before, values)
            uow.ledger.add(LedgerEntry(project_id=project.id, recorded_by=user_id,
                                       recorded_at=svc.clock.now(),
                                       **dict(values, on_date=values["on_date"]
                                              or svc.clock.today())))
        await uow.commit()
        return build(svc, project, org, await uow.ledger.of_projects([project.id]))


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


async def _audit(uow, svc: Services, user_id: int, project, before: ProjectLedger,
                 values: dict) -> None:
    """The decision or payment in the audit log, in the same unit of work."""
    kind, level = values["kind"], values["level"]
    where = dict(project_id=project.id, organization_id=project.organization_id,
                 subject=level or values["payer"], reason=values["note"])
    if kind == "honour":
        old, new = list(before.honours), [*before.honours, level]
    elif kind == "payment":
        old, new = before.balance.paid, before.balance.paid + values["amount"]
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
              note: str = "", on_date: dt.date | None = None) -> ProjectLedger:
    return await append(svc, user_id, project_id,
                        row("payment", amount=amount, payer=payer, note=note, on_date=on_date))


# -- reads ---------------------------------------------------------------------------------
async def project_ledger(svc: Services, user_id: int, project_id: int) -> ProjectLedger:
    """One project's ledger: reviewers and administrators, or the project's own staff."""
    async with svc.uow() as uow:
        user, project, org, _, _ = await uow.projects.in_context(user_id, project_id)
        if project is None:
            raise NotFound(project_id)
        if not in_scope(svc, user_id, user, org) and (
                user is None or user.organization_id != project.organization_id):
            raise NotMember(project_id)
        return build(svc, project, org, await uow.ledger.of_projects([project_id]))


async def ledger(svc: Services, user_id: int) -> list[ProjectLedger]:
    """Every project with ledger rows (reviewers and administrators): two statements."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise NotMember(None)
        return await _ledgers(svc, uow, None)


async def own_ledger(svc: Services, user_id: int) -> list[ProjectLedger]:
    """The user's organisation's projects with ledger rows (staff's /subsidy)."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.organization_id is None:
            return []
        return await _ledgers(svc, uow, user.organization_id)


async def _ledgers(svc: Services, uow, organization_id: int | None) -> list[ProjectLedger]:
    projects = await uow.ledger.projects_with_rows(organization_id)
    rows = group(await uow.ledger.of_projects(
        None if organization_id is None else [p.id for p, _ in projects]))
    return [build(svc, p, o, rows.get(p.id, [])) for p, o in projects]


async def balances(svc: Services, uow, projects) -> dict[int, ProjectLedger]:
    """For the ranking and the exports: the ledgers of these (project, organisation)
    pairs, one statement."""
    rows = group(await uow.ledger.of_projects([p.id for p, _ in projects]))
    return {p.id: build(svc, p, o, rows.get(p.id, [])) for p, o in projects}


def line_text(svc: Services, x: Line, lang: str) -> str:
    """One ledger row in words (plain text: escape it for HTML)."""
    t = svc.catalog.t
    known = x.level in svc.subsidy_table.ids
    level = local(svc.subsidy_table.level(x.level).short, lang) if known else (x.level or "")
    key = {"honour": "decide.line_honour", "recommend": "decide.line_recommend",
           "payment": "decide.line_payment"}.get(
        x.kind, "decide.line_awarded" if x.awarded else "decide.line_declined")
    return t(key, lang, date=x.on_date.isoformat(), level=level, amount=x.amount,
             payer=t("decide.payer", lang, payer=x.payer) if x.payer else "",
             note=t("decide.note", lang, note=x.note) if x.note else "",
             who=x.recorded_by if x.recorded_by is not None else "—")
