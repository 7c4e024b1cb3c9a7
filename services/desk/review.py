"""The reviewers' desk, writes: verdicts on evidence targets, adjustments, returning a
project to its staff, verifying it, recusal, an administrator's resolution of a
disagreement. Each is one unit of work with its audit entry, committed before it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from domain.changes import Change, Logged, registered, since
from domain.errors import InputError
from domain.review import ACCEPT, ADJUST, REJECT, entry_target
from services import audit
from services.core import Services
from services.desk.reviewers import judged, refusal
from services.errors import NotFound, NotMember, Refused, WrongState
from services.walk.view import (
    FileView,
    Loaded,
    ProjectView,
    VerdictView,
    fingerprint,
    load,
    outcomes,
    stored_file,
    verdict_view,
)
from store.models import Recusal, ReviewNote, Verdict
from store.uow import UnitOfWork

MAX_REASON = 500
MAX_NOTE = 2000
REVIEWABLE = ("submitted", "in_review")


async def reviewed(uow: UnitOfWork, svc: Services, user_id: int, project_id: int) -> Loaded:
    """The project with its evidence, if this reviewer may review it: in scope, no
    conflict of interest, not recused. Refused otherwise."""
    user = await uow.users.get(user_id)
    try:
        loaded = await load(uow, svc, user_id, project_id)
    except NotMember:  # a reviewer, but of another district: say so
        if svc.may_review(user_id, user.role if user else None):
            raise Refused("desk.out_of_scope") from None
        raise
    why = await refusal(uow, svc, user_id, user, judged(loaded.project, loaded.organization))
    if why is None and await uow.reviews.recusal(project_id, user_id) is not None:
        why = "desk.recused_already"
    if why is not None:
        raise Refused(why)
    return loaded


async def under_review(uow: UnitOfWork, svc: Services, user_id: int,
                       project_id: int) -> Loaded:
    """As `reviewed`, and the project is waiting for verdicts (submitted or in review)."""
    loaded = await reviewed(uow, svc, user_id, project_id)
    if loaded.project.status not in REVIEWABLE:
        raise WrongState(loaded.project.status)
    return loaded


async def open_project(svc: Services, user_id: int, project_id: int) -> ProjectView:
    async with svc.uow() as uow:
        return (await reviewed(uow, svc, user_id, project_id)).view()


@dataclass(frozen=True, slots=True)
class Note:
    """A reviewer's note on a project: the federation's own, never shown to its staff."""

    author: str
    at: dt.datetime  # in the clock's zone
    text: str


@dataclass(frozen=True, slots=True)
class ProjectPage:
    """A project as the web desk shows it: the view, its history in words and the
    reviewers' notes (in a blind round, the reader's own)."""

    view: ProjectView
    history: tuple[str, ...]
    contents: dict[int, bytes]  # file id → its bytes, for the suffixes asked for
    notes: tuple[Note, ...] = ()
    # target → (its last verdict's time, what changed since: domain/changes.py)
    changes: dict[str, tuple[dt.datetime | None, tuple[Change, ...]]] = field(
        default_factory=dict)


async def project_page(svc: Services, user_id: int, project_id: int, lang: str, *,
                       contents: tuple[str, ...] = ()) -> ProjectPage:
    """The project for a reviewer who may review it (as `open_project`), with its history
    in the reader's language (services/audit.py, as /history reads it) and the bytes of its
    files with these suffixes (the web desk shows a .docx as text)."""
    async with svc.uow() as uow:
        loaded = await reviewed(uow, svc, user_id, project_id)
        found = await audit.project_log(uow, svc, project_id)
        notes = await uow.notes.of_project(project_id)
        names = await uow.users.names({n.author_id for n in notes})
        added = await uow.projects.evidence_times(project_id)
    blind = loaded.required > 1 and user_id not in svc.admin_ids
    changes = changed_since(loaded, found, added, user_id if blind else None)
    if blind:  # blind reviews: not the others'
        found = audit.blind(found, user_id)
        notes = [n for n in notes if n.author_id == user_id]
    org = loaded.project.organization_id
    files = {f.id: svc.evidence.get(org, project_id, f.sha256, f.suffix)
             for f in loaded.files if f.suffix.lower() in contents}
    return ProjectPage(loaded.view(), tuple(audit.history_text(svc, found, lang)), files,
                       tuple(Note(names.get(n.author_id) or str(n.author_id),
                                  n.at.astimezone(svc.clock.tz), n.text) for n in notes),
                       changes)


def _target_files(loaded: Loaded, target: str) -> list[FileView]:
    if target.startswith("entry:"):
        return [f for f in loaded.files if f.entry_id == int(target[6:])]
    item_id, _, kind = target.partition(".")
    return [f for f in loaded.files if f.entry_id is None and f.item_id == item_id
            and (not kind or f.kind == kind)]


def changed_since(loaded: Loaded, found: audit.History,
                  added: tuple[dict[int, dt.datetime], dict[int, dt.datetime]],
                  reader: int | None) -> dict[str, tuple[dt.datetime | None, tuple[Change, ...]]]:
    """Per target, what changed since its last verdict (the reader's own in a blind round:
    `reader`), and the entries registered since the project's last verdict."""
    file_times, entry_times = added
    last: dict[str, VerdictView] = {}
    for v in sorted((v for v in loaded.verdicts if v.reviewer_id
                     and reader in (None, v.reviewer_id)), key=lambda v: v.at):
        last[v.verdict.target] = v
    log = [Logged(e.at, e.action, e.subject, e.old, e.new) for e in found.entries]
    out: dict[str, tuple[dt.datetime | None, tuple[Change, ...]]] = {}
    live = outcomes(loaded)
    for target, v in last.items():
        if target in live and v.seen != fingerprint(loaded, target):
            files = {f.id: (f.file_name, file_times.get(f.id))
                     for f in _target_files(loaded, target)}
            out[target] = (v.at, since(target, v.seen, v.at, files, log))
    newest = max((v.at for v in last.values()), default=None)
    for target, change in registered({entry_target(e.id): entry_times.get(e.id)
                                      for e in loaded.entries}, last, newest).items():
        out[target] = (None, (change,))
    return out


async def add_note(svc: Services, user_id: int, project_id: int, text: str) -> Note:
    """A note on a project the reviewer may review, in any state: stored and in the audit
    log, read by reviewers and administrators only."""
    text = (text or "").strip()[:MAX_NOTE]
    if not text:
        raise InputError("note", "note_needed")
    async with svc.uow() as uow:
        loaded = await reviewed(uow, svc, user_id, project_id)
        now = svc.clock.now()
        uow.notes.add(ReviewNote(project_id=project_id, author_id=user_id, text=text, at=now))
        await audit.record(uow, svc, user_id, "note", project_id=project_id,
                           organization_id=loaded.project.organization_id, reason=text)
        await uow.commit()
        author = (await uow.users.names({user_id})).get(user_id) or str(user_id)
    return Note(author, now.astimezone(svc.clock.tz), text)


async def evidence_file(svc: Services, user_id: int, project_id: int,
                        file_id: int) -> tuple[FileView, bytes]:
    """One evidence file of a project the reviewer may review (the web desk's previews)."""
    async with svc.uow() as uow:
        return stored_file(svc, await reviewed(uow, svc, user_id, project_id), file_id)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InputError("reason", "reason_needed")
    return reason[:MAX_REASON]


def _check_adjustment(svc: Services, loaded: Loaded, target: str, level: str | None,
                      value: float | None) -> None:
    """An adjustment lowers an entry's level, or corrects a rate within its range."""
    if target.startswith("entry:"):
        entry = next(e for e in loaded.entries if f"entry:{e.id}" == target)
        levels = svc.rubric.item(entry.item_id).rule.levels
        if level not in levels or levels[level].points >= levels[entry.level].points:
            raise InputError("level", "level_not_lower")
        return
    rule = svc.rubric.item(target.partition(".")[0]).rule
    if rule.step != "rate" or value is None:
        raise InputError("verdict", "adjust_not_here")
    rule.read(value, "rate")


async def give_verdict(svc: Services, user_id: int, project_id: int, target: str,
                       verdict: str, reason: str = "", *, level: str | None = None,
                       value: float | None = None) -> ProjectView:
    """Accept, reject (with a reason) or adjust (with a reason) one target."""
    if verdict not in (ACCEPT, REJECT, ADJUST):
        raise InputError("verdict", "unknown_choice", value=verdict,
                         choices=", ".join((ACCEPT, REJECT, ADJUST)))
    if verdict != ACCEPT:
        reason = _reason(reason)
    async with svc.uow() as uow:
        loaded = await under_review(uow, svc, user_id, project_id)
        if target not in outcomes(loaded):
            raise NotFound(target)
        if verdict == ADJUST:
            _check_adjustment(svc, loaded, target, level, value)
        else:
            level = value = None
        row = await uow.reviews.verdict(project_id, user_id, target)
        old = None if row is None else row.verdict
        now = svc.clock.now()
        values = dict(verdict=verdict, reason=reason, level=level, value=value,
                      seen=fingerprint(loaded, target), at=now)
        if row is None:
            row = Verdict(project_id=project_id, reviewer_id=user_id, target=target, **values)
            uow.reviews.add(row)
        else:
            for key, v in values.items():
                setattr(row, key, v)
        project = loaded.project
        await audit.record(uow, svc, user_id, "adjust" if verdict == ADJUST else "verdict",
                           project_id=project_id, organization_id=project.organization_id,
                           subject=target, old=old,
                           new=verdict if verdict != ADJUST else (level or value),
                           reason=reason)
        if project.status == "submitted":
            project.status = "in_review"
        await uow.flush()
        await uow.commit()
        await _reload_verdicts(uow, loaded)
        return loaded.view()


async def _reload_verdicts(uow: UnitOfWork, loaded: Loaded) -> None:
    loaded.verdicts = [verdict_view(v) for v in await uow.reviews.verdicts(loaded.project.id)]


@dataclass(frozen=True, slots=True)
class Returned:
    view: ProjectView
    staff: tuple[tuple[int, str | None], ...]  # (user id, language) of the organisation's staff
    items: tuple[tuple[str, str], ...]  # (target, reason) rejected


async def return_project(svc: Services, user_id: int, project_id: int) -> Returned:
    """Back to its staff with the rejected targets (only those become editable)."""
    async with svc.uow() as uow:
        loaded = await under_review(uow, svc, user_id, project_id)
        project = loaded.project
        states = outcomes(loaded)
        rejected = tuple((t, o.verdict.reason) for t, o in states.items()
                         if o.state == "rejected")
        if not rejected:
            raise InputError("verdict", "nothing_rejected")
        await audit.record(uow, svc, user_id, "return", project_id=project_id,
                           organization_id=project.organization_id, old=project.status,
                           new="returned", subject=",".join(t for t, _ in rejected)[:120],
                           reason="; ".join(r for _, r in rejected))
        project.status = "returned"
        staff = tuple((u.id, u.language) for u in
                      await uow.users.in_organization(project.organization_id)
                      if not u.blocked_bot)  # its members, reviewers among them too
        await uow.commit()
        return Returned(loaded.view(), staff, rejected)


async def verify(svc: Services, user_id: int, project_id: int) -> ProjectView:
    """Every target accepted: the project is verified; its verified score is final."""
    async with svc.uow() as uow:
        loaded = await under_review(uow, svc, user_id, project_id)
        project = loaded.project
        view = loaded.view()
        open_ = [t for t, o in view.outcomes.items() if o.state != "accepted"]
        if open_:
            raise InputError("verdict", "not_all_accepted", count=len(open_))
        await audit.record(uow, svc, user_id, "verified", project_id=project_id,
                           organization_id=project.organization_id, old=view.report.total,
                           new=view.verified.total)
        project.status = "verified"
        await uow.commit()
        return loaded.view()


async def recuse(svc: Services, user_id: int, project_id: int, reason: str) -> None:
    reason = _reason(reason)
    async with svc.uow() as uow:
        loaded = await reviewed(uow, svc, user_id, project_id)
        uow.reviews.add(Recusal(project_id=project_id, reviewer_id=user_id, reason=reason,
                                at=svc.clock.now()))
        await audit.record(uow, svc, user_id, "recuse", project_id=project_id,
                           organization_id=loaded.project.organization_id, reason=reason)
        await uow.commit()


async def resolve(svc: Services, user_id: int, project_id: int, target: str, verdict: str,
                  reason: str) -> ProjectView:
    """An administrator decides a target two reviewers disagree on."""
    if user_id not in svc.admin_ids:
        raise NotMember(project_id)
    if verdict not in (ACCEPT, REJECT):
        raise InputError("verdict", "unknown_choice", value=verdict, choices="accept, reject")
    reason = _reason(reason)
    async with svc.uow() as uow:
        loaded = await load(uow, svc, user_id, project_id)
        if outcomes(loaded).get(target) is None:
            raise NotFound(target)
        uow.reviews.add(Verdict(project_id=project_id, reviewer_id=0, target=target,
                                verdict=verdict, reason=reason,
                                seen=fingerprint(loaded, target), at=svc.clock.now()))
        await audit.record(uow, svc, user_id, "resolve", project_id=project_id,
                           organization_id=loaded.project.organization_id, subject=target,
                           new=verdict, reason=reason)
        await uow.commit()
        await _reload_verdicts(uow, loaded)
        return loaded.view()
