"""Users, organisations and invites."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import func, or_, select, update

from store.models import Invite, Organization, UsedSignIn, User
from store.repositories.base import Repo


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

    async def account(self, user_id: int):  # noqa: ANN201 - a plain row
        """What every update needs of its user, in one statement: a plain read-only row (id,
        role, language, organization_id, organization_name), None if there is no such user.
        Columns, not ORM objects: it is read on every update."""
        u, o = User.__table__, Organization.__table__
        return (await self.session.execute(
            select(u.c.id, u.c.role, u.c.language, u.c.organization_id,
                   o.c.name.label("organization_name"))
            .outerjoin(o, o.c.id == u.c.organization_id).where(u.c.id == user_id))).first()

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


class SignIns(Repo):
    """The web desk's single-use sign-in links already used, until they expire."""

    async def forget_expired(self, now: dt.datetime) -> None:
        await self.session.execute(UsedSignIn.__table__.delete().where(
            UsedSignIn.expires_at <= now))

    def add(self, nonce: str, expires_at: dt.datetime) -> None:
        self.session.add(UsedSignIn(nonce=nonce, expires_at=expires_at))
