"""The audit log: every state change recorded in the same transaction as the change —
who, when, what, old → new, why. Appended only (store/repositories/audit.py); read by /history
and `python -m bot audit`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from domain.history import Reading, history_lines
from services.core import Services
from services.errors import NoHistory
from services.walk.view import in_scope
from store.uow import UnitOfWork

ACTIONS = ("submit", "reopen", "return", "verdict", "adjust", "recuse", "resolve", "deadline",
           "extension", "honour", "payment", "organization", "reviewer", "verified",
           "remove_evidence", "remove_member", "revoke_invite", "recommend", "outcome",
           "assign", "reversal", "payer", "note", "edit_evidence")


def plain(value: Any) -> Any:
    """A value as JSON can hold it (dates as ISO text)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


async def record(uow: UnitOfWork, svc: Services, actor_id: int | None, action: str, *,
                 project_id: int | None = None, organization_id: int | None = None,
                 subject: str = "", old: Any = None, new: Any = None,
                 reason: str = "") -> None:
    """Add one entry to the log, in the caller's unit of work (committed with the change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    await uow.audit.record(at=svc.clock.now(), actor_id=actor_id, action=action,
                           project_id=project_id, organization_id=organization_id,
                           subject=subject[:120], old=plain(old), new=plain(new),
                           reason=reason or "")


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    project_id: int | None
    organization_id: int | None
    subject: str
    old: Any
    new: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor_id,
                "action": self.action, "project": self.project_id,
                "organization": self.organization_id, "subject": self.subject,
                "old": self.old, "new": self.new, "reason": self.reason}


def _view(row, svc: Services) -> AuditView:
    return AuditView(row.id, row.at.astimezone(svc.clock.tz), row.actor_id, row.action,
                     row.project_id, row.organization_id, row.subject, row.old, row.new,
                     row.reason)


async def log(svc: Services, project_id: int | None = None) -> list[AuditView]:
    """The whole log, or one project's, in order (the command line: no user to check)."""
    async with svc.uow() as uow:
        return [_view(r, svc) for r in await uow.audit.entries(project_id=project_id)]


@dataclass(frozen=True, slots=True)
class History:
    """A project's log and what reading it needs (domain/history.py): the names of the
    people in it, and the project's entries (id → item, level, title), those deleted since
    too (their removal's entry keeps them)."""

    entries: tuple[AuditView, ...]
    names: dict[int, str]
    evidence: dict[int, tuple[str, str, str]]


async def project_log(uow: UnitOfWork, svc: Services, project_id: int) -> History:
    """Within a unit of work whose caller has checked the reader (services/desk/review.py): a
    reviewer or an administrator, who reads the reviewers' notes too."""
    return await _history(uow, svc, project_id, notes=True)


PRIVATE_ACTIONS = ("note",)  # the federation's own: not in the history its staff read


async def _history(uow: UnitOfWork, svc: Services, project_id: int, *,
                   notes: bool = False) -> History:
    rows = [_view(r, svc) for r in await uow.audit.entries(project_id=project_id)
            if notes or r.action not in PRIVATE_ACTIONS]
    names = await uow.users.names({r.actor_id for r in rows if r.actor_id is not None})
    evidence = {e.id: (e.item_id, e.level, e.title)
                for e in await uow.projects.entries(project_id)}
    for r in rows:
        if r.action == "remove_evidence" and isinstance(r.old, dict) and "entry" in r.old:
            evidence.setdefault(int(r.old["entry"]), (r.subject, str(r.old.get("level", "")),
                                                      str(r.old.get("title", ""))))
    return History(tuple(rows), names, evidence)


def history_text(svc: Services, history: History, lang: str) -> list[str]:
    """The history in words, one line per entry (plain text): /history and the dossier."""
    return history_lines(history.entries, Reading(
        svc.rubric, svc.catalog, lang, history.names, history.evidence,
        {lv.id: lv.short for lv in svc.subsidy_table.levels}))


async def project_history(svc: Services, project_id: int) -> History:
    """One project's history, for those already checked (the dossier, the command line)."""
    async with svc.uow() as uow:
        return await _history(uow, svc, project_id)


BLIND_ACTIONS = ("verdict", "adjust", "note")  # another reviewer's word: hidden when blind


def blind(found: History, user_id: int) -> History:
    """The history as one of several independent reviewers may read it: no other
    reviewer's verdicts (a round that asks for two reviews is blind)."""
    return replace(found, entries=tuple(
        e for e in found.entries
        if e.action not in BLIND_ACTIONS or e.actor_id in (user_id, None)))


async def history(svc: Services, user_id: int, project_id: int) -> History:
    """One project's history for someone who may see it: its organisation's staff, a
    reviewer whose scope holds it, an administrator."""
    async with svc.uow() as uow:
        user, project, org, *_ = await uow.projects.in_context(user_id, project_id)
        if project is None or user is None:
            raise NoHistory(project_id)
        own = user.organization_id == project.organization_id  # a member, whatever their role
        if not (own or in_scope(svc, user_id, user, org)):
            raise NoHistory(project_id)
        found = await _history(uow, svc, project_id, notes=not own)
        r = await uow.rounds.get(project.round_id) if project.round_id is not None else None
    if not own and user_id not in svc.admin_ids and r is not None and r.reviews_required > 1:
        found = blind(found, user_id)
    return found
