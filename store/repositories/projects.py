"""Projects with their evidence, as ORM rows or light rows, and their stored totals."""

from __future__ import annotations

import datetime as dt
import functools
from collections import namedtuple
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)

from store.errors import Duplicate
from store.models import (
    Assignment,
    EvidenceEntry,
    EvidenceFigure,
    EvidenceFile,
    Organization,
    Project,
    ProjectTotals,
    Recusal,
    Round,
    RoundExtension,
    User,
)
from store.repositories.base import Repo, dialect_insert


@dataclass(frozen=True, slots=True)
class OrgRef:
    """What scope and conflict-of-interest rules read of an organisation."""

    id: int
    district: str


@dataclass(frozen=True, slots=True)
class StoredTotals:
    """A project_totals row (store/models.py ProjectTotals): counts only while fresh."""

    generation: int
    scored_generation: int | None
    basis: str | None
    on_date: dt.date | None
    claimed_total: int | None
    verified_total: int | None
    eligible: bool | None
    # as JSON text, decoded only where a total is used (services/decisions/totals.py
    # `fresh`): a queue of thousands sorts on the totals alone
    criteria: str | None = None  # verified points by criterion
    blocking: str | None = None  # the verified blocking issues' codes


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """A project as a queue or a ranking needs it before any evidence: plain values, one
    statement for all of them (no ORM objects)."""

    id: int
    name: str
    status: str
    round_id: int | None
    submitted_at: dt.datetime | None
    organization: OrgRef
    organization_name: str
    uscc: str
    closes: dt.datetime | None  # the round's deadline, or the organisation's extension
    recommended_on: dt.date | None  # the project's own
    round_recommended_on: dt.date | None  # its round's (domain/scoring.py recommendation_date)
    stored: StoredTotals | None = None  # with `totals=True`
    figure: float | None = None  # with `figure=ITEM`: the project's figure of that item


@dataclass(frozen=True, slots=True)
class QueuePage:
    """A page of the reviewers' queue (`Projects.queue`)."""

    counts: dict[str, int]  # status shown → projects in scope; "mine": assigned to the reviewer
    state: str  # the filter applied ("mine" asked as None: "mine" when the count is not 0)
    rows: list[ProjectRow]  # the page, in its order, with stored totals
    page: int  # the page number, within the pages there are
    pages: int
    assignees: set[int]  # with `assignees`: the reviewers assigned a project in scope
    everything: int = 0  # the projects in scope, those closed too: what "all" lists


_CONTEXT = (Project.__table__, Organization.__table__, Round.__table__, RoundExtension.__table__)


@functools.cache
def _plain_row(table) -> type:  # noqa: ANN001 - a Table
    """A light read-only row of one table, its columns' names as attributes."""
    return namedtuple(f"{table.name}_row", table.c.keys(), rename=True)  # noqa: PYI024


def _in_context(query: Select) -> Select:
    """`query` from projects, with each one's organisation, round and the organisation's
    extension of that round joined (the round and the extension when there are)."""
    p, o, r, e = _CONTEXT
    return (query.join(o, o.c.id == p.c.organization_id)
            .outerjoin(r, r.c.id == p.c.round_id)
            .outerjoin(e, and_(e.c.round_id == p.c.round_id,
                               e.c.organization_id == p.c.organization_id)))


def _split(row, tables: tuple, shared: dict) -> tuple:  # noqa: ANN001 - a Row of tables'
    """A joined row as one light row per table (e.g. project, organisation, round,
    extension), None where an outer join found none; one object for each organisation,
    round and extension (`shared`)."""
    out, at = [], 0
    for table in tables:
        values = row[at:at + len(table.c)]
        at += len(table.c)
        key = (table.name, *(values[i] for i in _key_columns(table)))
        if key[1] is None:  # an outer join found none (the project's key is never None)
            out.append(None)
            continue
        part = shared.get(key)
        if part is None:
            part = _plain_row(table)(*values)
            if table is not _CONTEXT[0]:
                shared[key] = part
        out.append(part)
    return tuple(out)


@functools.cache
def _key_columns(table) -> tuple[int, ...]:  # noqa: ANN001 - a Table
    return tuple(i for i, column in enumerate(table.c) if column.primary_key)


class Projects(Repo):
    async def get(self, project_id: int) -> Project | None:
        return await self.session.get(Project, project_id)

    async def in_context(self, user_id: int, project_id: int | None = None
                         ) -> tuple[User | None, Project | None, Organization | None,
                                    Round | None, RoundExtension | None]:
        """In one statement: the user, the project (given, else the user's current one),
        its organisation, round and the organisation's extension of that round."""
        query = select(User, Project, Organization, Round, RoundExtension)
        if project_id is not None:
            query = (query.select_from(Project).outerjoin(User, User.id == user_id)
                     .where(Project.id == project_id))
        else:
            query = (query.select_from(User)
                     .join(Project, Project.id == User.current_project_id)
                     .where(User.id == user_id))
        row = (await self.session.execute(
            query.join(Organization, Organization.id == Project.organization_id)
            .outerjoin(Round, Round.id == Project.round_id)
            .outerjoin(RoundExtension, and_(RoundExtension.round_id == Project.round_id,
                                            RoundExtension.organization_id
                                            == Project.organization_id)))).first()
        return tuple(row) if row else (None, None, None, None, None)  # type: ignore[return-value]

    async def context_rows(self, user_id: int, project_id: int | None = None) -> tuple:
        """`in_context` as light read-only rows (user, project, organisation, round,
        extension), for the screens that only show a project (read on every step of the
        walk: columns, not five ORM objects)."""
        u, p = User.__table__, Project.__table__
        query = select(u, *_CONTEXT)
        if project_id is not None:
            query = (query.select_from(p).outerjoin(u, u.c.id == user_id)
                     .where(p.c.id == project_id))
        else:
            query = (query.select_from(u).join(p, p.c.id == u.c.current_project_id)
                     .where(u.c.id == user_id))
        row = (await self.session.execute(_in_context(query))).first()
        return _split(row, (u, *_CONTEXT), {}) if row else (None, None, None, None, None)

    async def evidence(self, project_id: int) -> tuple[list, list, list]:
        """Everything stored for the project: files, entries, figures, as plain read-only
        rows (a project's evidence is read on every screen; ORM objects would cost more to
        build and sit in the session until it ends)."""
        return await self.evidence_of((project_id,))

    async def many_in_context(self, organization_id: int | None = None,
                              status: str | None = None,
                              ids: Collection[int] | None = None) -> list[tuple]:
        """The projects (of one organisation, in one status, these ids, or all), each with
        its organisation, round and extension, by id: plain read-only rows (Core, not ORM
        objects: thousands of them are built several times faster), one statement."""
        p = Project.__table__
        conditions = [c for given, c in ((organization_id, p.c.organization_id
                                          == organization_id),
                                         (status, p.c.status == status))
                      if given is not None]
        if ids is not None:
            conditions.append(p.c.id.in_(list(ids)))
        rows = await self.session.execute(_in_context(select(*_CONTEXT).select_from(p))
                                          .where(*conditions).order_by(p.c.id))
        shared: dict = {}  # one row object per organisation, round and extension
        return [_split(row, _CONTEXT, shared) for row in rows]

    async def rows(self, statuses: Collection[str], *, round_id: int | None = None,
                   unrounded: bool = False, totals: bool = False,
                   figure: str | None = None,
                   outdated: tuple[str, dt.date] | None = None) -> list[ProjectRow]:
        """The projects in these statuses (of one round, and those in no round with
        `unrounded`), by id, as plain rows: one statement. `totals`: with their stored
        totals; `figure`: with their value of that figure; `outdated` (basis, today): only
        those whose stored totals are missing or do not hold (services/decisions/totals.py)."""
        query = _light(statuses, round_id=round_id, unrounded=unrounded, totals=totals,
                       extra=(EvidenceFigure.value,) if figure else ()).order_by(Project.id)
        if outdated and not totals:
            query = query.outerjoin(ProjectTotals, ProjectTotals.project_id == Project.id)
        if outdated:
            basis, today = outdated
            t = ProjectTotals
            query = query.where(or_(
                t.project_id.is_(None), t.scored_generation.is_(None), t.basis.is_(None),
                t.on_date.is_(None), t.scored_generation != t.generation, t.basis != basis,
                t.on_date != _scored_for(today)))
        if figure:
            query = query.outerjoin(EvidenceFigure, and_(EvidenceFigure.project_id == Project.id,
                                                         EvidenceFigure.item_id == figure))
        # Core, not the ORM: plain tuples, no per-row ORM loading for thousands of rows
        return [_row(row, totals=totals, figure=bool(figure))
                for row in await (await self.session.connection()).execute(query)]

    async def touching(self, statuses: Collection[str], *, round_id: int | None = None,
                       unrounded: bool = False, organization_ids: Collection[int] = (),
                       project_ids: Collection[int] = (), district: str | None = None
                       ) -> list[ProjectRow]:
        """As `rows`, only the projects of these organisations, these projects and those of
        the district (given): one statement."""
        ors = [c for given, c in ((organization_ids, Project.organization_id.in_(
                   list(organization_ids))), (project_ids, Project.id.in_(list(project_ids))),
                   (district, Organization.district == district)) if given]
        if not ors:
            return []
        query = _light(statuses, round_id=round_id, unrounded=unrounded, totals=False)
        return [_row(row, totals=False) for row in await self.session.execute(
            query.where(or_(*ors)).order_by(Project.id))]

    async def queue(self, statuses: Collection[str], *, round_id: int | None,
                    unrounded: bool, now: dt.datetime, reviewer_id: int,
                    scope: str | None, excluded: Collection[int], state: str | None,
                    district: str | None = None, assignee: int | None = None,
                    search: str = "", eligible: bool | None = None, sort: str = "id",
                    page: int = 0, page_size: int = 8, assignees: bool = False) -> QueuePage:
        """A page of the reviewers' queue, filtered, counted, sorted and paged in SQL (four
        statements, five with `assignees`; only the page's rows are read). In scope: the
        projects in these statuses (of the round, and in none with `unrounded`), of the
        `scope` district (None: all), neither recused by the reviewer nor `excluded`. Their
        status shown: a returned project past its deadline (`now`) is "closed". `state` None:
        "mine" (assigned to the reviewer) when there are any, else "all". `search`: in the
        project's or organisation's name or the credit code, ignoring case; `eligible` and
        the sorts "claimed" / "verified" (the best first, none last) on the stored totals as
        they are; "submitted": the latest first, never submitted last; then by id."""
        closes = and_(Round.deadline_at.is_not(None), Round.deadline_at <= now,
                      or_(RoundExtension.until.is_(None), RoundExtension.until <= now))
        shown = case((and_(Project.status.in_(("draft", "returned")), closes),
                      literal("closed")), else_=Project.status)
        mine = Project.id.in_(select(Assignment.project_id)
                              .where(Assignment.reviewer_id == reviewer_id))
        scoped = [Project.id.not_in(select(Recusal.project_id)
                                    .where(Recusal.reviewer_id == reviewer_id))]
        if scope is not None:
            scoped.append(Organization.district == scope)
        if excluded:
            scoped.append(Project.id.not_in(list(excluded)))

        def base(*columns) -> Select:
            return _light(statuses, round_id=round_id, unrounded=unrounded, totals=True,
                          columns=columns).where(*scoped)

        counts = {"mine": 0} | dict.fromkeys(statuses, 0)
        each = base(shown.label("shown"), case((mine, 1)).label("mine")).subquery()
        for status, n, theirs in await self.session.execute(
                select(each.c.shown, func.count(), func.count(each.c.mine))
                .group_by(each.c.shown)):
            counts[status] = n
            counts["mine"] += theirs
        everything = sum(n for k, n in counts.items() if k != "mine")
        counts = {k: v for k, v in counts.items() if k != "closed"}
        if state is None:
            state = "mine" if counts["mine"] else "all"
        chosen = []
        if state == "mine":
            chosen.append(mine)
        elif state != "all":
            chosen.append(shown == state)
        if district is not None:
            chosen.append(Organization.district == district)
        if assignee is not None:
            chosen.append(Project.id.in_(select(Assignment.project_id)
                                         .where(Assignment.reviewer_id == assignee)))
        if search:
            needle = search.casefold()
            chosen.append(or_(*(func.lower(c).contains(needle, autoescape=True)
                                for c in (Project.name, Organization.name,
                                          Organization.uscc))))
        if eligible is not None:
            chosen.append(func.coalesce(ProjectTotals.eligible, false()) == eligible)
        total = await self.session.scalar(base(func.count()).where(*chosen))
        pages = max(1, -(-total // page_size))
        page = min(max(page, 0), pages - 1)
        order = {"submitted": (Project.submitted_at.is_(None), Project.submitted_at.desc()),
                 "claimed": (func.coalesce(ProjectTotals.claimed_total, -1).desc(),),
                 "verified": (func.coalesce(ProjectTotals.verified_total, -1).desc(),)
                 }.get(sort, ())
        listed = [_row(row, totals=True) for row in await self.session.execute(
            base().where(*chosen).order_by(*order, Project.id)
            .limit(page_size).offset(page * page_size))]
        who = set()
        if assignees:
            who = set(await self.session.scalars(
                select(Assignment.reviewer_id).distinct()
                .where(Assignment.project_id.in_(base(Project.id)))))
        return QueuePage(counts, state, listed, page, pages, who, everything)

    async def insert_file(self, **values: Any) -> int:
        """Add a file row; Duplicate if the same content is there for the same slot and
        entry. One statement (INSERT … ON CONFLICT DO NOTHING RETURNING id)."""
        new_id = await self.session.scalar(
            dialect_insert(self.session, EvidenceFile).values(**values).on_conflict_do_nothing()
            .returning(EvidenceFile.id))
        if new_id is None:
            raise Duplicate(values.get("sha256"))
        return new_id

    async def delete(self, row: object) -> None:
        await self.session.delete(row)

    async def delete_files_of_entry(self, entry_id: int) -> None:
        await self.session.execute(EvidenceFile.__table__.delete().where(
            EvidenceFile.entry_id == entry_id))

    async def still_stored(self, project_id: int,
                           contents: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (sha256, suffix) the project's file rows still point at."""
        if not contents:
            return set()
        rows = await self.session.execute(
            select(EvidenceFile.sha256, EvidenceFile.suffix).where(
                EvidenceFile.project_id == project_id,
                tuple_(EvidenceFile.sha256, EvidenceFile.suffix).in_(list(contents))))
        return {(sha, suffix) for sha, suffix in rows}

    async def every_stored_file(self) -> set[tuple[int, int, str, str]]:
        """(organisation, project, sha256, suffix) of every file row: what is on disk."""
        rows = await self.session.execute(
            select(Project.organization_id, EvidenceFile.project_id, EvidenceFile.sha256,
                   EvidenceFile.suffix).join(Project, Project.id == EvidenceFile.project_id)
            .distinct())
        return {(org, project, sha, suffix) for org, project, sha, suffix in rows}

    async def of_organization(self, org_id: int) -> list[Project]:
        return list(await self.session.scalars(
            select(Project).where(Project.organization_id == org_id).order_by(Project.id)))

    async def all(self) -> list[Project]:
        return list(await self.session.scalars(select(Project).order_by(Project.id)))

    async def submitted(self) -> list[Project]:
        return list(await self.session.scalars(
            select(Project).where(Project.status == "submitted").order_by(Project.id)))

    async def files(self, project_id: int) -> list[EvidenceFile]:
        return list(await self.session.scalars(
            select(EvidenceFile).where(EvidenceFile.project_id == project_id)
            .order_by(EvidenceFile.id)))

    async def entries(self, project_id: int) -> list[EvidenceEntry]:
        return list(await self.session.scalars(
            select(EvidenceEntry).where(EvidenceEntry.project_id == project_id)
            .order_by(EvidenceEntry.id)))


    async def evidence_times(self, project_id: int
                             ) -> tuple[dict[int, dt.datetime], dict[int, dt.datetime]]:
        """When each file and each entry of a project was added (file id → time, entry id →
        time), two narrow statements: what changed since a verdict."""
        files = await self.session.execute(select(EvidenceFile.id, EvidenceFile.created_at)
                                           .where(EvidenceFile.project_id == project_id))
        entries = await self.session.execute(select(EvidenceEntry.id, EvidenceEntry.created_at)
                                             .where(EvidenceEntry.project_id == project_id))
        return dict(files.all()), dict(entries.all())

    async def figures(self, project_id: int) -> list[EvidenceFigure]:
        return list(await self.session.scalars(
            select(EvidenceFigure).where(EvidenceFigure.project_id == project_id)))

    async def figure(self, project_id: int, item_id: str) -> EvidenceFigure | None:
        return await self.session.get(EvidenceFigure, (project_id, item_id))

    async def file(self, file_id: int) -> EvidenceFile | None:
        return await self.session.get(EvidenceFile, file_id)

    async def entry(self, entry_id: int) -> EvidenceEntry | None:
        return await self.session.get(EvidenceEntry, entry_id)


    async def evidence_of(self, project_ids: Collection[int]) -> tuple[list, list, list]:
        """Files, entries and figures of several projects, three queries in all: plain
        read-only rows (Core), with the columns' names as attributes; of files and entries
        only what their views show (services/walk/view.py: a round holds 200,000 files,
        and who uploaded them when is converted for none of them)."""
        ids = list(project_ids)
        if not ids:
            return [], [], []
        f, e, g = EvidenceFile.__table__, EvidenceEntry.__table__, EvidenceFigure.__table__
        files = await self.session.execute(select(
            f.c.id, f.c.project_id, f.c.item_id, f.c.kind, f.c.entry_id, f.c.file_name,
            f.c.size, f.c.sha256, f.c.suffix).where(f.c.project_id.in_(ids)).order_by(f.c.id))
        entries = await self.session.execute(select(
            e.c.id, e.c.project_id, e.c.item_id, e.c.level, e.c.title, e.c.happened_on,
            e.c.link, e.c.version).where(e.c.project_id.in_(ids)).order_by(e.c.id))
        figures = await self.session.execute(select(g).where(g.c.project_id.in_(ids)))
        return files.all(), entries.all(), figures.all()

    async def for_reminders(self, org_ids: Collection[int], round_ids: Collection[int],
                            ) -> list[Project]:
        """The projects of these organisations in these rounds, or in no round yet."""
        if not org_ids:
            return []
        return list(await self.session.scalars(select(Project).where(
            Project.organization_id.in_(list(org_ids)),
            or_(Project.round_id.in_(list(round_ids)), Project.round_id.is_(None)))
            .order_by(Project.id)))

    async def adopt_drafts(self, round_id: int) -> None:
        """Drafts made while no round was open join this one."""
        await self.session.execute(update(Project).where(
            Project.round_id.is_(None), Project.status == "draft").values(round_id=round_id))


def _light(statuses: Collection[str], *, round_id: int | None, unrounded: bool,
           totals: bool, extra: tuple = (), columns: tuple = ()) -> Select:
    """The light rows' statement (`_row` reads them): projects in these statuses (of one
    round, and those in no round with `unrounded`) with their organisation, round and
    extension, and with `totals` their stored totals; `columns`: these instead."""
    light = [Project.id, Project.name, Project.status, Project.round_id,
             Project.submitted_at, Project.organization_id, Organization.district,
             Organization.name, Organization.uscc, Round.deadline_at, RoundExtension.until,
             Project.recommended_on, Round.recommended_on]
    stored = [ProjectTotals.generation, ProjectTotals.scored_generation,
              ProjectTotals.basis, ProjectTotals.on_date, ProjectTotals.claimed_total,
              ProjectTotals.verified_total, ProjectTotals.eligible,
              cast(ProjectTotals.criteria, Text), cast(ProjectTotals.blocking, Text)]
    query = (select(*(columns or (*light, *(stored if totals else ()), *extra)))
             .select_from(Project).join(Organization, Organization.id == Project.organization_id)
             .outerjoin(Round, Round.id == Project.round_id)
             .outerjoin(RoundExtension, and_(RoundExtension.round_id == Project.round_id,
                                             RoundExtension.organization_id
                                             == Project.organization_id))
             .where(Project.status.in_(list(statuses))))
    if totals:
        query = query.outerjoin(ProjectTotals, ProjectTotals.project_id == Project.id)
    if round_id is not None:
        query = query.where(or_(Project.round_id == round_id, Project.round_id.is_(None))
                            if unrounded else Project.round_id == round_id)
    return query


def _row(row, *, totals: bool, figure: bool = False) -> ProjectRow:
    (pid, name, status, rid, submitted, org_id, district, org_name, uscc, deadline,
     until, recommended, round_recommended) = row[:13]
    closes = None if deadline is None else max(deadline, until) if until else deadline
    kept = None
    if totals and row[13] is not None:
        kept = StoredTotals(*row[13:22])
    return ProjectRow(pid, name, status, rid, submitted, OrgRef(org_id, district), org_name,
                      uscc, closes, recommended, round_recommended, kept,
                      row[-1] if figure else None)


def _scored_for(today: dt.date) -> ColumnElement:
    """The recommendation date a project is scored for, in SQL (with `_light`'s join of its
    round): the one SQL form of domain/scoring.py `recommendation_date`, which the
    Python side uses everywhere (tests/store/test_stored_totals.py ties the two)."""
    return func.coalesce(Project.recommended_on, Round.recommended_on, today)


class Totals(Repo):
    """Stored totals (store/models.py ProjectTotals): database triggers bump a row's
    generation on every write that can change the project's score; these methods only
    create rows and store totals scored at a known generation."""

    async def ensure(self, project_ids: Collection[int]) -> None:
        """A row (no totals yet) for each of these projects that has none: from then on
        the triggers count the writes to it."""
        if project_ids:
            await self.session.execute(
                dialect_insert(self.session, ProjectTotals).on_conflict_do_nothing(),
                [{"project_id": i, "generation": 0} for i in project_ids])

    async def generations(self, project_ids: Collection[int]) -> dict[int, int]:
        if not project_ids:
            return {}
        rows = await self.session.execute(select(
            ProjectTotals.project_id, ProjectTotals.generation).where(
            ProjectTotals.project_id.in_(list(project_ids))))
        return {pid: generation for pid, generation in rows}

    async def details(self, project_ids: Collection[int]) -> dict[int, dict]:
        """The stored detail of these projects, where there is one."""
        rows = await self.session.execute(select(
            ProjectTotals.project_id, ProjectTotals.detail).where(
            ProjectTotals.project_id.in_(list(project_ids))))
        return {pid: detail for pid, detail in rows if detail}

    async def store(self, rows: Collection[Mapping[str, Any]]) -> None:
        """Totals scored from what the project held at `generation`: kept only where the
        row is still at that generation (a write since then leaves it outdated)."""
        if not rows:
            return
        table = ProjectTotals.__table__
        await self.session.execute(
            update(table).where(table.c.project_id == bindparam("pid"),
                                table.c.generation == bindparam("seen"))
            .values(scored_generation=bindparam("seen"), basis=bindparam("basis"),
                    on_date=bindparam("on_date"), claimed_total=bindparam("claimed"),
                    verified_total=bindparam("verified"), eligible=bindparam("eligible"),
                    criteria=bindparam("criteria"), blocking=bindparam("blocking"),
                    detail=bindparam("detail"))
            .execution_options(synchronize_session=False), list(rows))
