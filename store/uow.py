"""Unit of work: one transaction, the repositories over it. Commit is explicit."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import (
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from domain.reminders import REVIEW
from store.db import upsert_insert
from store.errors import Duplicate, StaleWrite
from store.models import (
    AnswerCard,
    Assignment,
    AuditEntry,
    EvidenceEntry,
    EvidenceFigure,
    EvidenceFile,
    Feedback,
    GapDigest,
    Invite,
    LedgerEntry,
    Organization,
    Project,
    ProjectTotals,
    QuestionGap,
    Recusal,
    Reminder,
    Round,
    RoundExtension,
    User,
    UTCDateTime,
    Verdict,
)


def _insert(session: AsyncSession, model):  # noqa: ANN001, ANN202
    """INSERT with ON CONFLICT in the session's dialect."""
    return upsert_insert(session.bind.dialect.name)(model)


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
    # as JSON text, decoded only where a total is used (services/totals.py `fresh`): a queue
    # of thousands sorts on the totals alone
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
    recommended_on: dt.date | None  # the project's own, else its round's
    stored: StoredTotals | None = None  # with `totals=True`
    figure: float | None = None  # with `figure=ITEM`: the project's figure of that item


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: object) -> None:
        self.session.add(obj)


class Users(Repo):
    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def languages(self, user_ids: Collection[int]) -> dict[int, str | None]:
        """Each user's chosen language (None: follow Telegram), in one statement."""
        if not user_ids:
            return {}
        rows = await self.session.execute(select(User.id, User.language).where(
            User.id.in_(list(user_ids))))
        return {uid: lang for uid, lang in rows}

    async def names(self, user_ids: Collection[int]) -> dict[int, str]:
        """Each user's name (their first name, else their username), in one statement."""
        if not user_ids:
            return {}
        rows = await self.session.execute(select(User.id, User.first_name, User.username)
                                          .where(User.id.in_(list(user_ids))))
        return {uid: first or username or "" for uid, first, username in rows}

    async def with_role(self, role: str) -> list[User]:
        return list(await self.session.scalars(select(User).where(User.role == role)
                                               .order_by(User.id)))

    async def in_organization(self, org_id: int) -> list[User]:
        return list(await self.session.scalars(select(User).where(User.organization_id == org_id)))

    async def with_organization(self, user_id: int) -> tuple[User | None, Organization | None]:
        """The user and their organisation, in one statement."""
        row = (await self.session.execute(
            select(User, Organization).outerjoin(Organization,
                                                 Organization.id == User.organization_id)
            .where(User.id == user_id))).first()
        return (row[0], row[1]) if row else (None, None)

    async def move_cursor(self, user_id: int, project_id: int | None,
                          slot_key: str | None) -> None:
        """Where the user is in the walk (one UPDATE, no read)."""
        await self.session.execute(update(User).where(User.id == user_id).values(
            current_project_id=project_id, current_slot=slot_key))


class Organizations(Repo):
    async def get(self, org_id: int) -> Organization | None:
        return await self.session.get(Organization, org_id)

    async def by_uscc(self, uscc: str) -> Organization | None:
        return await self.session.scalar(select(Organization).where(Organization.uscc == uscc))

    async def all(self) -> list[Organization]:
        return list(await self.session.scalars(select(Organization).order_by(Organization.id)))

    async def taken_usccs(self, codes: Collection[str]) -> set[str]:
        """Which of these credit codes are registered already (one statement)."""
        if not codes:
            return set()
        return set(await self.session.scalars(select(Organization.uscc).where(
            Organization.uscc.in_(list(codes)))))

    async def page(self, *, district: str | None = None, text: str | None = None,
                   offset: int = 0, limit: int = 50) -> tuple[list[Organization], int]:
        """One page of organisations (in a district, whose name or code holds `text`) and
        how many match in all: two statements."""
        conditions = []
        if district is not None:
            conditions.append(Organization.district == district)
        if text:
            like = f"%{text}%"
            conditions.append(or_(Organization.name.like(like), Organization.uscc.like(like)))
        total = await self.session.scalar(select(func.count(Organization.id)).where(*conditions))
        rows = await self.session.scalars(select(Organization).where(*conditions)
                                          .order_by(Organization.id).offset(offset).limit(limit))
        return list(rows), int(total or 0)


class Invites(Repo):
    async def get(self, code: str) -> Invite | None:
        return await self.session.get(Invite, code)

    async def for_organization(self, org_id: int, now: dt.datetime) -> Invite | None:
        """An invite of the organisation that works now (not revoked, expired or used)."""
        return await self.session.scalar(select(Invite).where(
            Invite.organization_id == org_id, Invite.revoked.is_(False),
            or_(Invite.expires_at.is_(None), Invite.expires_at > now),
            or_(Invite.single_use.is_(False), Invite.used_by.is_(None))).limit(1))


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
        objects: thousands of them are built several times faster), four statements."""
        p, o = Project.__table__, Organization.__table__
        r, e = Round.__table__, RoundExtension.__table__
        conditions = [c for given, c in ((organization_id, p.c.organization_id
                                          == organization_id),
                                         (status, p.c.status == status))
                      if given is not None]
        if ids is not None:
            conditions.append(p.c.id.in_(list(ids)))
        projects = (await self.session.execute(
            select(p).where(*conditions).order_by(p.c.id))).all()
        if not projects:
            return []
        theirs = select(p.c.organization_id).where(*conditions)
        orgs = {row.id: row for row in await self.session.execute(
            select(o).where(o.c.id.in_(theirs)))}
        rounds = {row.id: row for row in await self.session.execute(select(r))}
        extensions = {(x.round_id, x.organization_id): x for x in await self.session.execute(
            select(e).where(e.c.organization_id.in_(theirs)))}
        return [(x, orgs[x.organization_id], rounds.get(x.round_id),
                 extensions.get((x.round_id, x.organization_id))) for x in projects]

    async def rows(self, statuses: Collection[str], *, round_id: int | None = None,
                   unrounded: bool = False, totals: bool = False,
                   figure: str | None = None,
                   outdated: tuple[str, dt.date] | None = None) -> list[ProjectRow]:
        """The projects in these statuses (of one round, and those in no round with
        `unrounded`), by id, as plain rows: one statement. `totals`: with their stored
        totals; `figure`: with their value of that figure; `outdated` (basis, today): only
        those whose stored totals are missing or do not hold (services/totals.py)."""
        columns = [Project.id, Project.name, Project.status, Project.round_id,
                   Project.submitted_at, Project.organization_id, Organization.district,
                   Organization.name, Organization.uscc, Round.deadline_at, RoundExtension.until,
                   func.coalesce(Project.recommended_on, Round.recommended_on)]
        stored = [ProjectTotals.generation, ProjectTotals.scored_generation,
                  ProjectTotals.basis, ProjectTotals.on_date, ProjectTotals.claimed_total,
                  ProjectTotals.verified_total, ProjectTotals.eligible,
                  cast(ProjectTotals.criteria, Text), cast(ProjectTotals.blocking, Text)]
        query = (select(*columns, *(stored if totals else ()),
                        *((EvidenceFigure.value,) if figure else ()))
                 .join(Organization, Organization.id == Project.organization_id)
                 .outerjoin(Round, Round.id == Project.round_id)
                 .outerjoin(RoundExtension, and_(RoundExtension.round_id == Project.round_id,
                                                 RoundExtension.organization_id
                                                 == Project.organization_id))
                 .where(Project.status.in_(list(statuses))).order_by(Project.id))
        if totals or outdated:
            query = query.outerjoin(ProjectTotals, ProjectTotals.project_id == Project.id)
        if outdated:
            basis, today = outdated
            t = ProjectTotals
            query = query.where(or_(
                t.project_id.is_(None), t.scored_generation.is_(None), t.basis.is_(None),
                t.on_date.is_(None), t.scored_generation != t.generation, t.basis != basis,
                t.on_date != func.coalesce(Project.recommended_on, Round.recommended_on,
                                           today)))
        if figure:
            query = query.outerjoin(EvidenceFigure, and_(EvidenceFigure.project_id == Project.id,
                                                         EvidenceFigure.item_id == figure))
        if round_id is not None:
            query = query.where(or_(Project.round_id == round_id, Project.round_id.is_(None))
                                if unrounded else Project.round_id == round_id)
        out = []
        # Core, not the ORM: plain tuples, no per-row ORM loading for thousands of rows
        for row in await (await self.session.connection()).execute(query):
            (pid, name, status, rid, submitted, org_id, district, org_name, uscc, deadline,
             until, recommended) = row[:12]
            closes = None if deadline is None else max(deadline, until) if until else deadline
            kept = None
            if totals and row[12] is not None:
                kept = StoredTotals(*row[12:21])
            out.append(ProjectRow(pid, name, status, rid, submitted, OrgRef(org_id, district),
                                  org_name, uscc, closes, recommended, kept,
                                  row[-1] if figure else None))
        return out

    async def insert_file(self, **values: Any) -> int:
        """Add a file row; Duplicate if the same content is there for the same slot and
        entry. One statement (INSERT … ON CONFLICT DO NOTHING RETURNING id)."""
        new_id = await self.session.scalar(
            _insert(self.session, EvidenceFile).values(**values).on_conflict_do_nothing()
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
        only what their views show (services/project_view.py: a round holds 200,000 files,
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

    async def organizations(self, org_ids: Collection[int]) -> dict[int, Organization]:
        if not org_ids:
            return {}
        rows = await self.session.scalars(select(Organization).where(
            Organization.id.in_(list(org_ids))))
        return {o.id: o for o in rows}


class Totals(Repo):
    """Stored totals (store/models.py ProjectTotals): database triggers bump a row's
    generation on every write that can change the project's score; these methods only
    create rows and store totals scored at a known generation."""

    async def ensure(self, project_ids: Collection[int]) -> None:
        """A row (no totals yet) for each of these projects that has none: from then on
        the triggers count the writes to it."""
        if project_ids:
            await self.session.execute(
                _insert(self.session, ProjectTotals).on_conflict_do_nothing(),
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


class Ledger(Repo):
    """Honours, recommendations, outcomes and payments: appended, never changed."""

    async def of_projects(self, project_ids: Collection[int] | None = None
                          ) -> list[LedgerEntry]:
        """The rows of these projects (or of all), oldest first, in one statement."""
        query = select(LedgerEntry).order_by(LedgerEntry.project_id, LedgerEntry.id)
        if project_ids is not None:
            ids = list(project_ids)
            if not ids:
                return []
            query = query.where(LedgerEntry.project_id.in_(ids))
        return list(await self.session.scalars(query))

    async def projects_with_rows(self, organization_id: int | None = None
                                 ) -> list[tuple[Project, Organization]]:
        """The projects that have ledger rows, with their organisations, by id."""
        query = (select(Project, Organization)
                 .join(Organization, Organization.id == Project.organization_id)
                 .where(Project.id.in_(select(LedgerEntry.project_id)))
                 .order_by(Project.id))
        if organization_id is not None:
            query = query.where(Project.organization_id == organization_id)
        return [tuple(row) for row in await self.session.execute(query)]  # type: ignore[misc]


class Feedbacks(Repo):
    async def count(self, helpful: bool | None = None) -> int:
        query = select(func.count(Feedback.id))
        if helpful is not None:
            query = query.where(Feedback.helpful == helpful)
        return int(await self.session.scalar(query) or 0)


class QuestionGaps(Repo):
    async def since(self, moment: dt.datetime | None = None, *, after_id: int = 0
                    ) -> list[tuple[QuestionGap, str | None]]:
        """The gaps asked at or after ``moment`` (all without one) and recorded after gap
        ``after_id``, in the order recorded, each with its organisation's name."""
        query = (select(QuestionGap, Organization.name)
                 .outerjoin(Organization, Organization.id == QuestionGap.organization_id)
                 .where(QuestionGap.id > after_id).order_by(QuestionGap.id))
        if moment is not None:
            query = query.where(QuestionGap.asked_at >= moment)
        return [(gap, name) for gap, name in (await self.session.execute(query)).all()]


class AnswerCards(Repo):
    async def all(self) -> list[AnswerCard]:
        return list(await self.session.scalars(select(AnswerCard).order_by(AnswerCard.id)))


class GapDigests(Repo):
    async def last(self) -> GapDigest | None:
        return await self.session.scalar(
            select(GapDigest).order_by(GapDigest.sent_at.desc(), GapDigest.id.desc()).limit(1))


class Rounds(Repo):
    async def get(self, round_id: int) -> Round | None:
        return await self.session.get(Round, round_id)

    async def all(self) -> list[Round]:
        """Latest deadline first."""
        return list(await self.session.scalars(select(Round).order_by(
            Round.deadline_at.desc(), Round.id.desc())))

    async def of_ids(self, round_ids: Collection[int]) -> dict[int, Round]:
        if not round_ids:
            return {}
        rows = await self.session.scalars(select(Round).where(Round.id.in_(list(round_ids))))
        return {r.id: r for r in rows}


class Extensions(Repo):
    async def get(self, round_id: int, organization_id: int) -> RoundExtension | None:
        return await self.session.get(RoundExtension, (round_id, organization_id))

    async def all(self) -> list[RoundExtension]:
        return list(await self.session.scalars(select(RoundExtension)))

    async def of_organization(self, organization_id: int) -> list[RoundExtension]:
        return list(await self.session.scalars(
            select(RoundExtension).where(RoundExtension.organization_id == organization_id)))

    async def grant(self, round_id: int, organization_id: int, until: dt.datetime,
                    granted_by: int) -> None:
        ext = await self.get(round_id, organization_id)
        if ext is None:
            self.session.add(RoundExtension(round_id=round_id, organization_id=organization_id,
                                            until=until, granted_by=granted_by))
        else:
            ext.until, ext.granted_by = until, granted_by
        await self.session.flush()


@dataclass(frozen=True, slots=True)
class ClaimedReminder:
    """A claimed row with what deciding and writing its message needs."""

    id: int
    attempts: int  # the claim's token: a later claim of the same row counts higher
    round_id: int
    round_name: str
    user_id: int
    deadline_at: dt.datetime
    language: str | None
    reminders_enabled: bool
    blocked_bot: bool
    organization_id: int | None
    role: str | None
    kind: str = ""  # d7 … d0 before a submission deadline, r7 … r0 before a review deadline


IN_FLIGHT = ("claimed", "sending")


class Reminders(Repo):
    """Reminder rows, all set-based: planning is a few statements per round and deadline,
    claiming one atomic UPDATE … RETURNING that takes only rows already due."""

    def _insert(self):  # noqa: ANN202
        return _insert(self.session, Reminder)

    async def plan(self, round_id: int, deadline_at: dt.datetime,
                   due: Mapping[str, dt.datetime], now: dt.datetime, *,
                   orgs: Collection[int] | None = None, not_orgs: Collection[int] = (),
                   user_id: int | None = None,
                   reviewers: Collection[int] | None = None) -> None:
        """Bring the rows of one round in step for the staff of some organisations (all,
        `orgs`, all but `not_orgs`; or one user) whose deadline is `deadline_at`: a row per
        kind of `due` for everyone who has none; rows about another deadline planned anew
        where their new time is still ahead; kinds no longer in `due` dropped. With
        `reviewers`: for these reviewers instead (their review deadline). Staff are the
        members of an organisation, whatever their role (a member appointed reviewer stays
        one and has rows of both families)."""
        conds = [User.organization_id.is_not(None)]
        family = Reminder.kind.not_like(f"{REVIEW}%")
        if reviewers is not None:
            conds = [User.role == "reviewer", User.id.in_(list(reviewers))]
            family = Reminder.kind.like(f"{REVIEW}%")
        if orgs is not None:
            conds.append(User.organization_id.in_(list(orgs)))
        if not_orgs:
            conds.append(User.organization_id.not_in(list(not_orgs)))
        if user_id is not None:
            conds.append(User.id == user_id)
        staff = select(User.id).where(*conds)
        mine = and_(Reminder.round_id == round_id, Reminder.user_id.in_(staff), family)
        deadline = literal(deadline_at, UTCDateTime())
        for kind, at in due.items():
            rows = select(User.id, literal(round_id), literal(kind), literal(at, UTCDateTime()),
                          deadline, literal("planned"), literal(0), literal("")).where(*conds)
            await self.session.execute(self._insert().from_select(
                ["user_id", "round_id", "kind", "due_at", "deadline_at", "status", "attempts",
                 "note"], rows).on_conflict_do_nothing())
            stale = and_(mine, Reminder.kind == kind, Reminder.status.not_in(IN_FLIGHT),
                         or_(Reminder.deadline_at.is_(None), Reminder.deadline_at != deadline))
            if at > now:  # ahead: goes again, whatever happened about the old deadline
                await self._update(stale, due_at=at, deadline_at=deadline_at,
                                   status="planned", attempts=0, note="", sent_at=None,
                                   lease_until=None)
            else:  # already past: a planned one catches up, the rest is history
                await self._update(and_(stale, Reminder.status == "planned"), due_at=at)
                await self._update(stale, deadline_at=deadline_at)
        await self._update(and_(mine, Reminder.status == "planned", Reminder.kind.not_in(
            list(due))), status="skipped", note="no longer in the schedule")

    async def _update(self, where, **values) -> int:  # noqa: ANN001
        result = await self.session.execute(
            update(Reminder).where(where).values(**values)
            .execution_options(synchronize_session=False))
        return result.rowcount

    async def recover(self, now: dt.datetime) -> tuple[int, int]:
        """Expired leases: rows claimed but never attempted go back to planned (certainly
        undelivered); rows whose send was under way are failed, never resent (at most
        once: we cannot know whether Telegram got them). Returns (replanned, failed)."""
        expired = and_(Reminder.lease_until.is_not(None), Reminder.lease_until <= now)
        replanned = await self._update(and_(expired, Reminder.status == "claimed"),
                                       status="planned", lease_until=None)
        failed = await self._update(and_(expired, Reminder.status == "sending"),
                                    status="failed", lease_until=None,
                                    note="interrupted mid-send; outcome unknown, not resent")
        return replanned, failed

    async def expire(self, now: dt.datetime) -> int:
        """Planned rows whose deadline has come are never sent."""
        return await self._update(and_(Reminder.status == "planned",
                                       Reminder.deadline_at <= now),
                                  status="expired", note="deadline passed before it could go")

    async def collapse(self, now: dt.datetime) -> int:
        """Of several due rows for one person and round, only the latest goes (one sort of
        the due rows, not a lookup per row)."""
        ranked = select(Reminder.id, func.row_number().over(
            partition_by=(Reminder.round_id, Reminder.user_id),
            order_by=(Reminder.due_at.desc(), Reminder.id.desc())).label("rank")).where(
            Reminder.status == "planned", Reminder.due_at <= now).subquery()
        older = select(ranked.c.id).where(ranked.c.rank > 1)
        return await self._update(and_(Reminder.id.in_(older), Reminder.status == "planned"),
                                  status="skipped", note="superseded by a later reminder")

    async def claim_due(self, now: dt.datetime, lease_until: dt.datetime,
                        limit: int) -> list[ClaimedReminder]:
        """Claim up to `limit` planned rows due by `now`, in one atomic statement (two
        processes never claim the same row), and load what their messages need."""
        due = (select(Reminder.id).where(Reminder.status == "planned", Reminder.due_at <= now)
               .order_by(Reminder.due_at, Reminder.id).limit(limit)
               .with_for_update(skip_locked=True))
        claimed = (await self.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(due.scalar_subquery()), Reminder.status == "planned",
                   Reminder.due_at <= now)
            .values(status="claimed", lease_until=lease_until, attempts=Reminder.attempts + 1)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False))).scalars().all()
        if not claimed:
            return []
        rows = await self.session.execute(
            select(Reminder.id, Reminder.attempts, Reminder.round_id, Round.name,
                   Reminder.user_id, Reminder.deadline_at, Round.deadline_at, User.language,
                   User.reminders_enabled, User.blocked_bot, User.organization_id, User.role,
                   Reminder.kind)
            .join(Round, Round.id == Reminder.round_id)
            .outerjoin(User, User.id == Reminder.user_id)
            .where(Reminder.id.in_(claimed)).order_by(Reminder.due_at, Reminder.id))
        return [ClaimedReminder(rid, attempts, round_id, name, user_id, deadline or base,
                                lang, bool(enabled), bool(blocked), org, role, kind)
                for (rid, attempts, round_id, name, user_id, deadline, base, lang, enabled,
                     blocked, org, role, kind) in rows]

    async def close(self, ids: Collection[int], status: str, note: str = "") -> None:
        """Claimed rows that will not go (skipped, expired), in one statement."""
        if ids:
            await self._update(and_(Reminder.id.in_(list(ids)), Reminder.status == "claimed"),
                               status=status, note=note[:200], lease_until=None)

    async def start_sending(self, claims: Collection[tuple[int, int]],
                            lease_until: dt.datetime) -> set[int]:
        """Mark claimed rows (id, attempts) as being sent, those this claim still holds;
        returns their ids."""
        if not claims:
            return set()
        result = await self.session.execute(
            update(Reminder).where(tuple_(Reminder.id, Reminder.attempts).in_(list(claims)),
                                   Reminder.status == "claimed")
            .values(status="sending", lease_until=lease_until).returning(Reminder.id)
            .execution_options(synchronize_session=False))
        return set(result.scalars().all())

    async def settle(self, claims: Collection[tuple[int, int]], **values) -> None:
        """Record how sends went (the same for all these rows), where the claim holds."""
        if claims:
            await self._update(and_(tuple_(Reminder.id, Reminder.attempts).in_(list(claims)),
                                    Reminder.status == "sending"),
                               lease_until=None, **values)

    async def drop_for_user(self, user_id: int) -> None:
        """Reminders not yet sent to someone who left (their organisation's deadlines are
        no longer theirs)."""
        await self.session.execute(Reminder.__table__.delete().where(
            Reminder.user_id == user_id, Reminder.status == "planned"))

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Reminder.status, func.count()).group_by(Reminder.status))
        return {status: n for status, n in rows}


class AuditLog(Repo):
    """Append-only: `record` adds a row; nothing here updates or deletes one."""

    async def record(self, **values: Any) -> None:
        self.session.add(AuditEntry(**values))

    async def entries(self, project_id: int | None = None,
                      organization_id: int | None = None) -> list[AuditEntry]:
        """In the order they happened (of one project, or one organisation, or all)."""
        query = select(AuditEntry)
        if project_id is not None:
            query = query.where(AuditEntry.project_id == project_id)
        if organization_id is not None:
            query = query.where(AuditEntry.organization_id == organization_id)
        return list(await self.session.scalars(query.order_by(AuditEntry.id)))


class Reviews(Repo):
    """Verdicts (one per project, reviewer and target, replaced when the reviewer changes
    their mind) and recusals."""

    async def verdicts(self, project_id: int) -> list[Verdict]:
        return list(await self.session.scalars(select(Verdict).where(
            Verdict.project_id == project_id).order_by(Verdict.id)))

    async def verdicts_of(self, project_ids: Collection[int]) -> list:
        """The verdicts of several projects as plain read-only rows (Core), one query."""
        if not project_ids:
            return []
        v = Verdict.__table__
        return (await self.session.execute(select(v).where(
            v.c.project_id.in_(list(project_ids))).order_by(v.c.id))).all()

    async def verdict(self, project_id: int, reviewer_id: int, target: str) -> Verdict | None:
        return await self.session.scalar(select(Verdict).where(
            Verdict.project_id == project_id, Verdict.reviewer_id == reviewer_id,
            Verdict.target == target))

    async def recusal(self, project_id: int, reviewer_id: int) -> Recusal | None:
        return await self.session.get(Recusal, (project_id, reviewer_id))

    async def recused_of(self, reviewer_id: int) -> set[int]:
        return set(await self.session.scalars(select(Recusal.project_id).where(
            Recusal.reviewer_id == reviewer_id)))

    async def departures(self, user_ids: Collection[int]
                         ) -> dict[tuple[int, int], dt.datetime]:
        """(user, organisation) → when the user last left it (the audit log's
        remove_member entries), for these users: one statement."""
        if not user_ids:
            return {}
        rows = await self.session.execute(
            select(AuditEntry.subject, AuditEntry.organization_id, func.max(AuditEntry.at))
            .where(AuditEntry.action == "remove_member",
                   AuditEntry.subject.in_([str(u) for u in user_ids]),
                   AuditEntry.organization_id.is_not(None))
            .group_by(AuditEntry.subject, AuditEntry.organization_id))
        return {(int(subject), org_id): at for subject, org_id, at in rows}

    async def authored(self, user_ids: Collection[int]) -> set[tuple[int, int]]:
        """(user, project) for every project these users created, submitted or wrote
        evidence of (a file, an entry, a figure): one statement."""
        if not user_ids:
            return set()
        users = list(user_ids)
        p, f = Project.__table__, EvidenceFile.__table__
        e, g = EvidenceEntry.__table__, EvidenceFigure.__table__
        parts = [select(col, p.c.id).where(col.in_(users))
                 for col in (p.c.created_by, p.c.submitted_by)]
        parts += [select(col, table.c.project_id).where(col.in_(users))
                  for table, col in ((f, f.c.uploaded_by), (e, e.c.created_by),
                                     (g, g.c.updated_by))]
        return {(uid, pid) for uid, pid in await self.session.execute(union(*parts))}

    async def recusal_pairs(self, project_ids: Collection[int]) -> set[tuple[int, int]]:
        """(project, reviewer) of every recusal from these projects, one statement."""
        if not project_ids:
            return set()
        rows = await self.session.execute(select(Recusal.project_id, Recusal.reviewer_id)
                                          .where(Recusal.project_id.in_(list(project_ids))))
        return {(p, r) for p, r in rows}

    async def recused_from(self, project_id: int) -> set[int]:
        """The reviewers who recused themselves from this project."""
        return set(await self.session.scalars(select(Recusal.reviewer_id).where(
            Recusal.project_id == project_id)))


class Assignments(Repo):
    """Which reviewer reviews which project (store/models.py Assignment)."""

    async def pairs(self, *, project_ids: Collection[int] | None = None,
                    reviewer_ids: Collection[int] | None = None) -> list[tuple[int, int]]:
        """(project, reviewer) of these projects, or of these reviewers (None: all), in one
        statement."""
        query = select(Assignment.project_id, Assignment.reviewer_id)
        for column, given in ((Assignment.project_id, project_ids),
                              (Assignment.reviewer_id, reviewer_ids)):
            if given is not None:
                if not given:
                    return []
                query = query.where(column.in_(list(given)))
        rows = await self.session.execute(query.order_by(Assignment.project_id,
                                                         Assignment.reviewer_id))
        return [(pid, rid) for pid, rid in rows]

    async def of_reviewer(self, reviewer_id: int) -> set[int]:
        return set(await self.session.scalars(select(Assignment.project_id).where(
            Assignment.reviewer_id == reviewer_id)))

    async def reviewers_in_round(self, round_id: int) -> set[int]:
        """The reviewers with a project of this round."""
        return set(await self.session.scalars(
            select(Assignment.reviewer_id).join(Project, Project.id == Assignment.project_id)
            .where(Project.round_id == round_id).distinct()))

    async def remove(self, project_id: int, reviewer_id: int) -> bool:
        result = await self.session.execute(Assignment.__table__.delete().where(
            Assignment.project_id == project_id, Assignment.reviewer_id == reviewer_id))
        return bool(result.rowcount)


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session: AsyncSession = self._sessions()
        self.users = Users(self.session)
        self.organizations = Organizations(self.session)
        self.invites = Invites(self.session)
        self.projects = Projects(self.session)
        self.feedback = Feedbacks(self.session)
        self.gaps = QuestionGaps(self.session)
        self.cards = AnswerCards(self.session)
        self.digests = GapDigests(self.session)
        self.rounds = Rounds(self.session)
        self.extensions = Extensions(self.session)
        self.reminders = Reminders(self.session)
        self.ledger = Ledger(self.session)
        self.totals = Totals(self.session)
        self.audit = AuditLog(self.session)
        self.reviews = Reviews(self.session)
        self.assignments = Assignments(self.session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.session.close()  # rolls back what was not committed; keeps loaded values

    async def commit(self) -> None:
        """Commit; a unique key raises Duplicate, an outdated version StaleWrite."""
        async with self._translated():
            await self.session.commit()

    async def flush(self) -> None:
        async with self._translated():
            await self.session.flush()

    @asynccontextmanager
    async def _translated(self) -> AsyncIterator[None]:
        """SQLAlchemy's refusals in the store's words; the transaction rolled back."""
        try:
            yield
        except IntegrityError as exc:
            await self.session.rollback()
            raise Duplicate(str(exc.orig)) from exc
        except StaleDataError as exc:
            await self.session.rollback()
            raise StaleWrite(str(exc)) from exc
