"""The read model of the submission walk: a project as its staff see it — score, slots,
files, entries — built from ONE load of its evidence, in plain frozen dataclasses.

The writes (services/walk/projects.py, services/walk/evidence.py) load the same way, change the
rows, and rebuild the view from what they loaded plus what they wrote, without reading
again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from domain.evidence import EntryRecord, FileRecord, evidence_values
from domain.i18n import local
from domain.review import (
    ADJUST,
    Outcome,
    Verdict,
    combine,
    entry_target,
    slot_target,
    verified_evidence,
)
from domain.rubric import SCORED_FACTS
from domain.scoring import ScoreReport, Submission, recommendation_date, score
from services.core import Services
from services.errors import NotFound, NotMember
from store.models import Project
from store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Slot:
    """One of the 13 things staff provide: an item, or one kind of a per-kind item."""

    index: int
    item_id: str
    kind: str | None

    @property
    def key(self) -> str:
        return f"{self.item_id}.{self.kind}" if self.kind else self.item_id


def slots(svc: Services) -> tuple[Slot, ...]:
    return tuple(Slot(i, item, kind) for i, (item, kind) in enumerate(svc.rubric.evidence_slots))


def slot_by_key(svc: Services, key: str | None) -> Slot | None:
    return next((s for s in slots(svc) if s.key == key), None)


@dataclass(frozen=True, slots=True)
class FileView:
    id: int
    item_id: str
    kind: str
    entry_id: int | None
    file_name: str
    size: int
    sha256: str
    suffix: str


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    item_id: str
    level: str
    title: str
    happened_on: dt.date | None
    link: str
    version: int


@dataclass(frozen=True, slots=True)
class SlotState:
    slot: Slot
    files: tuple[FileView, ...]
    entries: tuple[EntryView, ...]
    figure: float | None
    figure_version: int  # 0 when no figure yet
    points: int
    max: int
    capped: bool  # entries beyond the cap add nothing
    void: str | None = None  # the code of the eligibility issue that scores this slot 0
    verified: int = 0  # the points of accepted evidence only

    @property
    def mark(self) -> str:
        if self.points >= self.max or (self.slot.kind and self.files):
            return "✅"
        return "◐" if (self.files or self.entries or self.figure is not None) else "⬜"

    @property
    def supported(self) -> frozenset[int]:
        """The ids of the entries that have a proof file."""
        return frozenset(f.entry_id for f in self.files if f.entry_id is not None)


@dataclass(frozen=True, slots=True)
class Facts:
    """What staff said about the project when creating it (editable while a draft)."""

    name: str
    service_area: str | None
    started_on: dt.date | None
    completed_on: dt.date | None
    closed_and_evaluated: bool


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: int
    name: str
    status: str  # draft | submitted | closed (a draft past its deadline)
    version: int
    organization_id: int
    report: ScoreReport
    slots: tuple[SlotState, ...]
    next_slot: Slot | None  # the best open slot
    facts: Facts | None = None
    verified: ScoreReport | None = None  # accepted evidence only (domain/review.py)
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)  # target → its state
    targets: tuple[str, ...] = ()  # what there is to verify, in checklist order
    changed: frozenset[str] = frozenset()  # targets changed since their verdict
    reviewers: frozenset[int] = frozenset()  # who gave verdicts
    district: str = ""
    required: int = 1  # independent reviews the round asks for
    verdicts: tuple[VerdictView, ...] = ()  # every reviewer's, and resolutions (reviewer 0)
    removed: frozenset[str] = frozenset()  # rejected entries staff deleted since (returned)

    @property
    def locked(self) -> bool:
        return self.status not in ("draft", "returned")

    @property
    def returned(self) -> frozenset[str]:
        """The targets staff may change while the project is returned to them."""
        if self.status != "returned":
            return frozenset()
        return frozenset(t for t, o in self.outcomes.items() if o.state == "rejected")

    @property
    def to_fix(self) -> tuple[str, ...]:
        """The returned targets not changed since they were returned, in checklist order:
        where the walk of a returned project leads."""
        return tuple(t for t in self.targets if t in self.returned and t not in self.changed)

    def fixed(self, target: str) -> bool:
        """A returned target staff changed since (a new file, figure, link or level)."""
        return target in self.returned and target in self.changed

    @property
    def adjusted(self) -> tuple[tuple[str, Verdict], ...]:
        """The targets accepted at a lower level or a corrected figure, each with the
        verdict that counts (its level or value, and the reason), in checklist order."""
        return tuple((t, self.outcomes[t].verdict) for t in self.targets
                     if self.outcomes[t].state == "accepted"
                     and self.outcomes[t].verdict.verdict == ADJUST)

    @property
    def rejected(self) -> tuple[tuple[str, Verdict], ...]:
        """The targets rejected, each with the verdict that counts, in checklist order."""
        return tuple((t, self.outcomes[t].verdict) for t in self.targets
                     if self.outcomes[t].state == "rejected")

    def slot_of(self, target: str) -> Slot:
        """The slot a target is in (an entry: the slot of its item)."""
        return _slot_of(self.slots, target)

    def returned_in(self, slot: Slot) -> tuple[str, ...]:
        """The returned targets in this slot, in checklist order."""
        return tuple(t for t in self.targets if t in self.returned
                     and self.slot_of(t).key == slot.key)

    def outcome(self, target: str) -> Outcome:
        return self.outcomes.get(target) or Outcome(target, "pending")

    def seen_by(self, reviewer_id: int | None, target: str) -> Outcome:
        """The target as one reviewer sees it. Where the round asks for two reviews they
        are blind: their own verdict only (and an administrator's resolution). `None`:
        everyone's (an administrator deciding, or a round of one review)."""
        if reviewer_id is None or self.required < 2:
            return self.outcome(target)
        mine = [v.verdict for v in self.verdicts
                if v.reviewer_id == reviewer_id and v.verdict.target == target]
        resolution = next((v.verdict for v in self.verdicts
                           if v.reviewer_id == 0 and v.verdict.target == target), None)
        return combine(target, mine, 1, resolution)

    def state(self, slot_key: str) -> SlotState:
        return next(s for s in self.slots if s.slot.key == slot_key)


@dataclass(frozen=True, slots=True)
class Saved:
    view: ProjectView
    duplicate: bool = False
    before: int = 0  # the total before this save
    slot_key: str | None = None  # the slot the evidence went into

    @property
    def gained(self) -> int:
        return self.view.report.total - self.before


@dataclass(frozen=True, slots=True)
class VerdictView:
    reviewer_id: int  # 0: an administrator's resolution of a disagreement
    verdict: Verdict
    seen: object
    at: dt.datetime


def verdict_view(row) -> VerdictView:
    return VerdictView(row.reviewer_id, Verdict(row.target, row.verdict, row.reason, row.level,
                                                row.value), row.seen, row.at)


# -- one load ------------------------------------------------------------------------------
@dataclass(slots=True)
class Loaded:
    """A project and its evidence as loaded once; writes append to it and rebuild."""

    svc: Services
    user_id: int
    cursor_slot: str | None
    project: object  # the ORM row (`load`) or a plain read-only row (`load_many`)
    organization: object
    closes: dt.datetime | None
    recommended_on: dt.date  # domain/scoring.py recommendation_date
    files: list[FileView] = field(default_factory=list)
    entries: list[EntryView] = field(default_factory=list)
    figures: dict[str, tuple[float, int]] = field(default_factory=dict)
    verdicts: list[VerdictView] = field(default_factory=list)
    required: int = 1  # independent reviews the round asks for
    cursor_project: int | None = None  # the project the user's walk is at

    @property
    def status(self) -> str:
        status = self.project.status
        if status in ("draft", "returned") and self.closes is not None \
                and self.svc.clock.now() >= self.closes:
            return "closed"
        return status

    def view(self) -> ProjectView:
        return build_view(self)


def in_scope(svc: Services, user_id: int, user, org) -> bool:
    """An administrator sees everything; a reviewer what their scope holds (the whole
    city, or one district)."""
    if user_id in svc.admin_ids:
        return True
    if user is None or user.role != "reviewer":
        return False
    district = scope_district(svc, user_id, user)
    return district is None or district == org.district


def scope_district(svc: Services, user_id: int, user) -> str | None:
    """The one district a reviewer's scope is limited to (None: the whole city, and for an
    administrator); `in_scope` decides with it."""
    if user_id in svc.admin_ids or user is None:
        return None
    return user.review_district


async def reviewed_project(uow: UnitOfWork, svc: Services, user_id: int,
                            project_id: int) -> Project:
    """A project a reviewer (or an administrator) acts on."""
    user, project, org, _, _ = await uow.projects.in_context(user_id, project_id)
    if project is None:
        raise NotFound(project_id)
    if not in_scope(svc, user_id, user, org):  # a district's reviewer: that district only
        raise NotMember(project_id)
    return project


async def load(uow: UnitOfWork, svc: Services, user_id: int, project_id: int | None,
               *, evidence: bool = True, read_only: bool = False) -> Loaded:
    """The project (given, else the user's current one) with its evidence, for a member,
    a reviewer or an administrator. Five statements. `read_only`: the project is only
    shown, so its rows are light read-only ones, not ORM objects to change."""
    context = uow.projects.context_rows if read_only else uow.projects.in_context
    user, project, org, round_, ext = await context(user_id, project_id)
    if project is None:
        raise NotFound(project_id)
    if not (in_scope(svc, user_id, user, org) or (
            user is not None and user.organization_id == project.organization_id)):
        raise NotMember(project.id)
    loaded = _loaded(svc, project, org, round_, ext, user_id,
                     user.current_slot if user else None,
                     user.current_project_id if user else None)
    if evidence:
        await load_evidence(uow, loaded)
    return loaded


async def load_evidence(uow: UnitOfWork, loaded: Loaded) -> None:
    fill(loaded, *await uow.projects.evidence(loaded.project.id),
         await uow.reviews.verdicts_of((loaded.project.id,)))


def fill(loaded: Loaded, files, entries, figures, verdicts=()) -> None:
    loaded.files = [file_view(f) for f in files]
    loaded.entries = [entry_view(e) for e in entries]
    loaded.figures = {f.item_id: (f.value, f.version) for f in figures}
    loaded.verdicts = [verdict_view(v) for v in verdicts]


def _loaded(svc: Services, project, org, round_, ext, user_id: int = 0,
            cursor_slot: str | None = None, cursor_project: int | None = None) -> Loaded:
    """A project with its organisation, round and the organisation's extension of it, its
    evidence not yet filled in."""
    closes = None
    if round_ is not None:
        closes = max(round_.deadline_at, ext.until) if ext is not None else round_.deadline_at
    return Loaded(svc, user_id, cursor_slot, project, org, closes, recommendation_date(
        project.recommended_on, round_.recommended_on if round_ else None, svc.clock.today()),
        required=round_.reviews_required if round_ else 1, cursor_project=cursor_project)


async def load_many(uow: UnitOfWork, svc: Services, *, organization_id: int | None = None,
                    status: str | None = None, ids: Collection[int] | None = None
                    ) -> list[Loaded]:
    """Projects (of one organisation, in one status, these ids, or all) with their
    evidence, set-based: five statements whatever their number. Read-only: the rows are
    plain (not ORM objects). The caller has checked the user may see them."""
    rows = await uow.projects.many_in_context(organization_id, status, ids)
    ids = [p.id for p, *_ in rows]
    files, entries, figures = await uow.projects.evidence_of(ids)
    verdicts = await uow.reviews.verdicts_of(ids)
    by_project: dict[int, tuple[list, list, list, list]] = {i: ([], [], [], []) for i in ids}
    for index, found in enumerate((files, entries, figures, verdicts)):
        for row in found:  # grouped in one pass, not one scan of every row per project
            by_project[row.project_id][index].append(row)
    out = []
    for project, org, round_, ext in rows:
        loaded = _loaded(svc, project, org, round_, ext)
        fill(loaded, *by_project[project.id])
        out.append(loaded)
    return out


def file_view(row) -> FileView:
    return FileView(row.id, row.item_id, row.kind, row.entry_id, row.file_name, row.size,
                    row.sha256, row.suffix)


def entry_view(row) -> EntryView:
    return EntryView(row.id, row.item_id, row.level, row.title, row.happened_on, row.link,
                     row.version)


def _records(loaded: Loaded):
    """The evidence as the domain reads it, each record with its review target."""
    supported = {f.entry_id for f in loaded.files if f.entry_id is not None}
    files = [(slot_target(f.item_id, f.kind or None), FileRecord(f.item_id, f.kind))
             for f in loaded.files if f.entry_id is None]
    entries = [(entry_target(e.id), EntryRecord(e.item_id, e.level,
                                                bool(e.link) or e.id in supported))
               for e in loaded.entries]
    figures = {item: value for item, (value, _) in loaded.figures.items()}
    return files, entries, figures


def targets(loaded: Loaded) -> tuple[str, ...]:
    """What there is to verify, in checklist order: each slot with files or a figure, each
    entry."""
    out: list[str] = []
    for slot in slots(loaded.svc):
        if loaded.svc.rubric.item(slot.item_id).rule.step == "entries":
            out += [entry_target(e.id) for e in loaded.entries if e.item_id == slot.item_id]
        elif any(f.item_id == slot.item_id and f.entry_id is None
                 and (slot.kind is None or f.kind == slot.kind) for f in loaded.files) \
                or slot.item_id in loaded.figures:
            out.append(slot.key)
    return tuple(out)


def fingerprint(loaded: Loaded, target: str) -> list:
    """What a target holds now (compared with what it held at its verdict)."""
    if target.startswith("entry:"):
        entry_id = int(target[6:])
        entry = next((e for e in loaded.entries if e.id == entry_id), None)
        return [entry.version if entry else None,
                sorted(f.id for f in loaded.files if f.entry_id == entry_id)]
    item_id, _, kind = target.partition(".")
    return [sorted(f.id for f in loaded.files if f.entry_id is None and f.item_id == item_id
                   and (not kind or f.kind == kind)),
            loaded.figures.get(item_id, (None, 0))[0]]


def outcomes(loaded: Loaded) -> dict[str, Outcome]:
    by_target: dict[str, list[Verdict]] = {}
    resolutions: dict[str, Verdict] = {}
    for v in loaded.verdicts:
        if v.reviewer_id == 0:
            resolutions[v.verdict.target] = v.verdict
        else:
            by_target.setdefault(v.verdict.target, []).append(v.verdict)
    return {t: combine(t, by_target.get(t, ()), loaded.required, resolutions.get(t))
            for t in targets(loaded)}


def submission(loaded: Loaded, verified: Mapping[str, Outcome] | None = None) -> Submission:
    """The claim, or (with the targets' outcomes) the accepted evidence only."""
    svc, org, project = loaded.svc, loaded.organization, loaded.project
    files, entries, figures = _records(loaded)
    if verified is None:
        evidence = evidence_values(svc.rubric, [f for _, f in files], [e for _, e in entries],
                                   figures)
    else:
        evidence = verified_evidence(svc.rubric, files, entries, figures, verified)
    # the facts that can change a score, by their names (domain/rubric.py SCORED_FACTS)
    rows = {"organization": org, "project": project}
    facts = {f"{section}.{name}": getattr(rows[section], name)
             for section, names in SCORED_FACTS.items() for name in names}
    return Submission(recommended_on=loaded.recommended_on, facts=facts, evidence=evidence)


@dataclass(frozen=True, slots=True)
class Scored:
    """A project scored: the claim (`claim`: what it was scored from) and the verified
    score (accepted evidence only), with its targets' outcomes."""

    claim: Submission
    claimed: ScoreReport
    verified: ScoreReport
    outcomes: dict[str, Outcome]


def score_of(loaded: Loaded) -> Scored:
    """The one path by which a stored project is scored: its view (the walk, the desk, the
    reminders, /score) and its stored totals (services/decisions/totals.py) both read this.
    The command line scores the contract's JSON with domain/scoring.py `score` alone."""
    rubric, outs = loaded.svc.rubric, outcomes(loaded)
    claim = submission(loaded)
    return Scored(claim, score(rubric, claim), score(rubric, submission(loaded, outs)), outs)


def build_view(loaded: Loaded) -> ProjectView:
    svc, project = loaded.svc, loaded.project
    found = score_of(loaded)
    sub, report, verified, states_of = found.claim, found.claimed, found.verified, found.outcomes
    points = {i.id: i.points for c in report.criteria for i in c.items}
    verified_points = {i.id: i.points for c in verified.criteria for i in c.items}
    voids = {i.voids: i.code for i in report.issues if i.voids}
    states: list[SlotState] = []
    for slot in slots(svc):
        rule = svc.rubric.item(slot.item_id).rule
        own_files = tuple(f for f in loaded.files if f.item_id == slot.item_id
                          and (slot.kind is None or f.kind == slot.kind))
        own_entries = tuple(e for e in loaded.entries if e.item_id == slot.item_id)
        value, version = loaded.figures.get(slot.item_id, (None, 0))
        got, top = rule.slot_points(points[slot.item_id], bool(own_files))
        accepted = states_of.get(slot.key, Outcome(slot.key, "pending")).state == "accepted"
        checked, _ = rule.slot_points(verified_points[slot.item_id], bool(own_files) and accepted)
        states.append(SlotState(slot, own_files, own_entries, value, version, got, top,
                                rule.capped(sub.evidence[slot.item_id]),
                                voids.get(slot.item_id), checked))
    changed = frozenset(v.verdict.target for v in loaded.verdicts
                        if v.reviewer_id and v.verdict.target in states_of
                        and v.seen != fingerprint(loaded, v.verdict.target))
    next_slot = None
    if loaded.project.status == "returned":  # the walk leads through what was returned
        to_fix = [t for t in states_of if states_of[t].state == "rejected" and t not in changed]
        next_slot = _slot_of(states, to_fix[0]) if to_fix else None
    elif report.open_points:
        item_id = report.open_points[0].item_id
        next_slot = next((s.slot for s in states if s.slot.item_id == item_id
                          and (s.slot.kind is None or not s.files)),
                         next(s.slot for s in states if s.slot.item_id == item_id))
    facts = Facts(project.name, project.service_area, project.started_on,
                  project.completed_on, project.closed_and_evaluated)
    removed = frozenset(v.verdict.target for v in loaded.verdicts
                        if v.reviewer_id and v.verdict.verdict == "reject"
                        and v.verdict.target not in states_of)
    return ProjectView(project.id, project.name, loaded.status, project.version,
                       project.organization_id, report, tuple(states), next_slot, facts,
                       verified, states_of, tuple(states_of), changed,
                       frozenset(v.reviewer_id for v in loaded.verdicts if v.reviewer_id),
                       loaded.organization.district, loaded.required,
                       tuple(loaded.verdicts), removed)


def _slot_of(states: Collection[SlotState], target: str) -> Slot:
    if target.startswith("entry:"):
        entry_id = int(target[6:])
        return next(s.slot for s in states if any(e.id == entry_id for e in s.entries))
    return next(s.slot for s in states if s.slot.key == target)


# -- selectors -----------------------------------------------------------------------------
async def project_view(svc: Services, user_id: int, project_id: int) -> ProjectView:
    async with svc.uow() as uow:
        return (await load(uow, svc, user_id, project_id, read_only=True)).view()


async def list_projects(svc: Services, user_id: int) -> list[ProjectView]:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None or user.organization_id is None:
            return []
        return [loaded.view() for loaded in await load_many(
            uow, svc, organization_id=user.organization_id)]


async def cursor(svc: Services, user_id: int) -> tuple[int | None, str | None]:
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            return None, None
        return user.current_project_id, user.current_slot


async def file_content(svc: Services, user_id: int, project_id: int, file_id: int
                       ) -> tuple[FileView, bytes]:
    async with svc.uow() as uow:
        return stored_file(svc, await load(uow, svc, user_id, project_id, read_only=True),
                           file_id)


def stored_file(svc: Services, loaded: Loaded, file_id: int) -> tuple[FileView, bytes]:
    """One file of a loaded project, with its bytes (NotFound if it has no such file)."""
    row = next((f for f in loaded.files if f.id == file_id), None)
    if row is None:
        raise NotFound(file_id)
    return row, svc.evidence.get(loaded.project.organization_id, loaded.project.id,
                                 row.sha256, row.suffix)


async def submitted_projects(svc: Services, user_id: int,
                             include_drafts: bool = False) -> list[ProjectView]:
    """For reviewers: every submitted project (or every project) in their scope (a
    district's reviewer: that district's), best total first."""
    async with svc.uow() as uow:
        user = await uow.users.get(user_id)
        if not svc.may_review(user_id, user.role if user else None):
            raise NotMember(None)
        views = [loaded.view() for loaded in await load_many(
            uow, svc, status=None if include_drafts else "submitted")
            if in_scope(svc, user_id, user, loaded.organization)]
        return sorted(views, key=lambda v: (-v.report.total, v.id))


async def organization_names(svc: Services) -> dict[int, str]:
    async with svc.uow() as uow:
        return {o.id: o.name for o in await uow.organizations.all()}


def verdict_lines(svc: Services, loaded: Loaded, outs: dict, lang: str = "zh",
                  targets=None, accepted: bool = True) -> list[str]:
    """Each evidence target's verdict with its reason, in words (`targets`: their order;
    `accepted=False`: those accepted as they were counted in one line first)."""
    t, rubric = svc.catalog.t, svc.rubric
    entries = {f"entry:{e.id}": e for e in loaded.entries}
    out, passed = [], 0
    for target in targets or outs:
        o = outs[target]
        v = o.verdict
        state = "adjusted" if v is not None and v.verdict == "adjust" else o.state
        if state == "accepted" and not accepted:
            passed += 1
            continue
        if target in entries:
            e = entries[target]
            item = rubric.item(e.item_id)
            what = f"{local(item.label, lang)}：{e.title}"
        else:
            item_id, _, kind = target.partition(".")
            item = rubric.item(item_id)
            label = item.rule.slot_label(kind) if kind else None
            what = local(item.label, lang) + (f"（{local(label, lang)}）" if label else "")
        change = ""
        if v is not None and v.level:
            level = getattr(item.rule, "levels", {}).get(v.level)
            change = local(level.label, lang) if level else v.level
        elif v is not None and v.value is not None:
            change = t("handover.rate_value", lang, value=f"{v.value:g}")
        out.append(t(f"handover.verdict_{state}", lang, what=what,
                     reason=v.reason if v is not None else "", change=change))
    if not accepted and passed:
        out.insert(0, t("handover.verdicts_passed", lang, count=passed))
    return out
