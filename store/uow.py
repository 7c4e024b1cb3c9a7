"""Unit of work: one transaction, the repositories over it. Commit is explicit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import (
    EvidenceEntry,
    EvidenceFigure,
    EvidenceFile,
    Feedback,
    Invite,
    Organization,
    Project,
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


class Projects(Repo):
    async def get(self, project_id: int) -> Project | None:
        return await self.session.get(Project, project_id)

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
        self.feedback = Feedbacks(self.session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.session.close()  # rolls back what was not committed; keeps loaded values

    async def commit(self) -> None:
        await self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()
