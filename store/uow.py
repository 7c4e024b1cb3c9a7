"""Unit of work: one transaction, the repositories over it. Commit is explicit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from store.errors import Duplicate, StaleWrite
from store.models import (
    EvidenceEntry,
    EvidenceFigure,
    EvidenceFile,
    Feedback,
    Invite,
    Organization,
    Project,
    Round,
    RoundExtension,
    User,
)


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, obj: object) -> None:
        self.session.add(obj)


class Users(Repo):
    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

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


class Invites(Repo):
    async def get(self, code: str) -> Invite | None:
        return await self.session.get(Invite, code)

    async def for_organization(self, org_id: int) -> Invite | None:
        return await self.session.scalar(select(Invite).where(
            Invite.organization_id == org_id, Invite.revoked.is_(False)).limit(1))


class Rounds(Repo):
    async def get(self, round_id: int) -> Round | None:
        return await self.session.get(Round, round_id)


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

    async def evidence(self, project_id: int) -> tuple[list[EvidenceFile], list[EvidenceEntry],
                                                       list[EvidenceFigure]]:
        """Everything stored for the project: files, entries, figures."""
        return (await self.files(project_id), await self.entries(project_id),
                await self.figures(project_id))

    async def many_in_context(self, organization_id: int | None = None,
                              status: str | None = None) -> list[tuple[
            Project, Organization, Round | None, RoundExtension | None]]:
        """The projects (of one organisation, in one status, or all), each with its
        organisation, round and extension, in one statement, by id."""
        conditions = [c for given, c in ((organization_id, Project.organization_id
                                          == organization_id),
                                         (status, Project.status == status))
                      if given is not None]
        rows = await self.session.execute(
            select(Project, Organization, Round, RoundExtension)
            .join(Organization, Organization.id == Project.organization_id)
            .outerjoin(Round, Round.id == Project.round_id)
            .outerjoin(RoundExtension, and_(RoundExtension.round_id == Project.round_id,
                                            RoundExtension.organization_id
                                            == Project.organization_id))
            .where(*conditions).order_by(Project.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]

    async def evidence_of(self, project_ids: list[int]) -> tuple[
            list[EvidenceFile], list[EvidenceEntry], list[EvidenceFigure]]:
        """Everything stored for several projects, in three statements."""
        return tuple([  # type: ignore[return-value]
            list(await self.session.scalars(select(model).where(model.project_id.in_(project_ids))
                                            .order_by(*order)))
            for model, order in ((EvidenceFile, (EvidenceFile.id,)),
                                 (EvidenceEntry, (EvidenceEntry.id,)),
                                 (EvidenceFigure, (EvidenceFigure.item_id,)))])

    async def insert_file(self, **values: Any) -> int:
        """Add a file row; Duplicate if the same content is there for the same slot and
        entry. One statement (INSERT … ON CONFLICT DO NOTHING RETURNING id)."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        new_id = await self.session.scalar(
            insert(EvidenceFile).values(**values).on_conflict_do_nothing()
            .returning(EvidenceFile.id))
        if new_id is None:
            raise Duplicate(values.get("sha256"))
        return new_id

    async def delete(self, row: object) -> None:
        await self.session.delete(row)

    async def delete_files_of_entry(self, entry_id: int) -> None:
        await self.session.execute(EvidenceFile.__table__.delete().where(
            EvidenceFile.entry_id == entry_id))

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


class Feedbacks(Repo):
    async def count(self, helpful: bool | None = None) -> int:
        query = select(func.count(Feedback.id))
        if helpful is not None:
            query = query.where(Feedback.helpful == helpful)
        return int(await self.session.scalar(query) or 0)


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session: AsyncSession = self._sessions()
        self.users = Users(self.session)
        self.organizations = Organizations(self.session)
        self.invites = Invites(self.session)
        self.projects = Projects(self.session)
        self.rounds = Rounds(self.session)
        self.feedback = Feedbacks(self.session)
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
