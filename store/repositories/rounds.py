"""Rounds, extensions and the reminder rows (claimed once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import and_, func, literal, or_, select, tuple_, update

from domain.reminders import REVIEW
from store.models import Reminder, Round, RoundExtension, User, UTCDateTime
from store.repositories.base import Repo, dialect_insert


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
        return dialect_insert(self.session, Reminder)

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
