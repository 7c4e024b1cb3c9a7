"""Rendering of the submission walk: checklist, criterion, slot. Text and buttons only."""

from __future__ import annotations

from html import escape

from domain.i18n import local
from domain.report import criterion_mark
from domain.review import entry_target
from domain.scoring import ScoreReport
from handlers import callbacks as cb
from handlers.common import Who, keyboard
from services.walk.view import ProjectView, Slot, SlotState, slot_by_key


def slot_label(w: Who, slot: Slot) -> str:
    item = w.svc.rubric.item(slot.item_id)
    return local(item.rule.slot_label(slot.kind) or item.label, w.lang)


def target_label(w: Who, view: ProjectView, target: str) -> str:
    if target.startswith("entry:"):
        entry_id = int(target[6:])
        for state in view.slots:
            for n, e in enumerate(state.entries, 1):
                if e.id == entry_id:
                    rule = w.svc.rubric.item(e.item_id).rule
                    return w.t("desk.entry_label", label=slot_label(w, state.slot), n=n,
                               level=local(rule.levels[e.level].label, w.lang), title=e.title)
        return target
    slot = slot_by_key(w.svc, target)
    return slot_label(w, slot) if slot else target


def void_text(w: Who, view: ProjectView, state: SlotState) -> str:
    """Why this slot scores 0 whatever is uploaded, and what fixes it."""
    issue = next(i for i in view.report.issues if i.code == state.void)
    text = w.t("walk.void", message=escape(local(issue.message, w.lang)))
    if issue.fix:
        text += "\n" + w.t("walk.void_fix", fix=escape(local(issue.fix, w.lang)))
    return text


def _status(w: Who, view: ProjectView) -> str:
    return w.t(f"bot.status_{view.status}")


def claimed_and_verified(w: Who, claimed: ScoreReport, verified: ScoreReport) -> list[str]:
    """Claimed and verified side by side, per criterion and in total."""
    lines = [w.t("desk.verified_title")]
    lines += [w.t("desk.criterion_short", label=escape(local(
        w.svc.rubric.criterion(c.id).label, w.lang)), claimed=c.points, verified=v.points,
        max=c.max) for c, v in zip(claimed.criteria, verified.criteria, strict=True)]
    lines.append(w.t("desk.total_line", claimed=claimed.total, verified=verified.total,
                     max=claimed.max))
    return lines


def checklist_text(w: Who, view: ProjectView) -> str:
    r = view.report
    lines = [w.t("walk.checklist_title", name=escape(view.name), status=_status(w, view)),
             w.t("walk.project_number", id=view.id)]
    for c in r.criteria:
        lines.append(w.t("walk.criterion_line", mark=criterion_mark(c.points, c.max),
                         label=escape(local(w.svc.rubric.criterion(c.id).label, w.lang)),
                         points=c.points, max=c.max))
    lines.append(w.t("walk.total", total=r.total, max=r.max))
    if any(o.verdicts for o in view.outcomes.values()):
        lines += claimed_and_verified(w, r, view.verified)
        lines += verified_lines(w, view)
    lines += returned_lines(w, view, view.targets)
    for issue in r.issues:
        lines.append(w.t(f"report.issue_{issue.severity}",
                         message=escape(local(issue.message, w.lang))))
        if issue.fix:
            lines.append(w.t("walk.void_fix", fix=escape(local(issue.fix, w.lang))))
    if view.status == "returned":
        lines.append(w.t("walk.next_fix_hint", label=escape(slot_label(w, view.next_slot)))
                     if view.next_slot else w.t("walk.all_fixed"))
    elif view.next_slot and not view.locked:
        gain = next(o.next_gain for o in r.open_points if o.item_id == view.next_slot.item_id)
        lines.append(w.t("walk.next_hint", label=escape(slot_label(w, view.next_slot)),
                         gain=gain))
    return "\n".join(lines)


def returned_lines(w: Who, view: ProjectView, targets: tuple[str, ...]) -> list[str]:
    """Each returned target among these: its reason, or that it was fixed since."""
    return [w.t("desk.fixed_line" if view.fixed(t) else "desk.returned_line",
                label=escape(target_label(w, view, t)),
                reason=escape(view.outcome(t).verdict.reason))
            for t in targets if t in view.returned]


def verified_lines(w: Who, view: ProjectView) -> list[str]:
    """Why the verified score is lower than the claimed one: each adjusted target (claimed
    and verified, and the reason), each rejected one (a returned project's are listed with
    what to fix instead)."""
    lines = []
    for target, verdict in view.adjusted:
        if target.startswith("entry:"):
            entry = next(e for s in view.slots for e in s.entries if entry_target(e.id) == target)
            levels = w.svc.rubric.item(entry.item_id).rule.levels
            claimed = local(levels[entry.level].label, w.lang)
            verified = local(levels[verdict.level].label, w.lang)
        else:
            claimed = f"{view.state(target).figure:g}"
            verified = f"{verdict.value:g}"
        lines.append(w.t("desk.adjusted_line", label=escape(target_label(w, view, target)),
                         claimed=escape(claimed), verified=escape(verified),
                         reason=escape(verdict.reason)))
    lines += [w.t("desk.rejected_line", label=escape(target_label(w, view, target)),
                  reason=escape(verdict.reason))
              for target, verdict in view.rejected if target not in view.returned]
    return lines


def open_items(view: ProjectView) -> frozenset[str] | None:
    """The items whose open points are worth suggesting: every one of a draft, a returned
    project's returned ones, none once nothing can change."""
    if view.status == "draft":
        return None
    return frozenset(view.slot_of(t).item_id for t in view.returned)


def fixable(w: Who, view: ProjectView, state: SlotState) -> bool:
    """Staff may change this slot now: a draft's, or a returned project's returned one
    (of entries: also one whose returned entry was deleted, to register it again)."""
    if view.locked:
        return False
    if view.status != "returned":
        return True
    return bool(view.returned_in(state.slot)) or (
        bool(view.removed) and w.svc.rubric.item(state.slot.item_id).rule.step == "entries")


def checklist(w: Who, view: ProjectView):
    rows = []
    pairs = [(f"{criterion_mark(c.points, c.max)} "
              f"{local(w.svc.rubric.criterion(c.id).label, w.lang)}",
              cb.data("criterion", view.id, i))
             for i, c in enumerate(view.report.criteria)]
    rows += [pairs[i:i + 2] for i in range(0, len(pairs), 2)]
    if not view.locked:
        if view.next_slot:
            rows.append([next_button(w, view)])
        rows.append([(w.t("walk.btn_facts"), cb.data("facts", view.id))])
        rows.append([(w.t("walk.btn_submit"), cb.data("submit", view.id))])
    rows.append([(w.t("walk.btn_stop"), cb.data("stop"))])
    text = checklist_text(w, view)
    if view.locked:
        text += "\n\n" + w.t("walk.locked_deadline" if view.status == "closed"
                               else "walk.locked")
    else:
        text += "\n\n" + w.t("walk.pick_criterion")
    return text, keyboard(rows)


def next_button(w: Who, view: ProjectView) -> tuple[str, str]:
    slot = view.next_slot
    if view.status == "returned":  # the next returned item to fix
        return (w.t("desk.btn_fix", label=slot_label(w, slot)),
                cb.data("slot", view.id, slot.index))
    gain = next(o.next_gain for o in view.report.open_points if o.item_id == slot.item_id)
    return (w.t("walk.btn_next", label=slot_label(w, slot), gain=gain),
            cb.data("slot", view.id, slot.index))


def criterion_view(w: Who, view: ProjectView, index: int):
    score = view.report.criteria[index]
    crit = w.svc.rubric.criterion(score.id)
    lines = [w.t("walk.criterion_title", label=escape(local(crit.label, w.lang)),
                 points=score.points, max=score.max,
                 requirement=escape(local(crit.requirement, w.lang)))]
    rows = []
    for state in view.slots:
        if w.svc.rubric.item(state.slot.item_id).criterion_id != crit.id:
            continue
        label = slot_label(w, state.slot)
        mark = slot_mark(view, state)
        lines.append(w.t("walk.slot_line", mark=mark, label=escape(label),
                         points=state.points, max=state.max))
        rows.append([(f"{mark} {label}", cb.data("slot", view.id, state.slot.index))])
    rows.append([(w.t("walk.btn_back"), cb.data("checklist", view.id))])
    return "\n".join(lines), keyboard(rows)


def slot_mark(view: ProjectView, state: SlotState) -> str:
    """A returned slot: ❌ until each returned target in it was fixed, then 🆕."""
    returned = view.returned_in(state.slot)
    if not returned:
        return state.mark
    return "🆕" if all(view.fixed(t) for t in returned) else "❌"


def slot_view(w: Who, view: ProjectView, state: SlotState):
    slot = state.slot
    item = w.svc.rubric.item(slot.item_id)
    rule = item.rule
    lines = [w.t("walk.slot_title", label=escape(slot_label(w, slot)), points=state.points,
                 max=state.max, hint=escape(local(item.hint, w.lang)))]
    if state.void:
        lines.append(void_text(w, view, state))
    lines += returned_lines(w, view, view.returned_in(slot))
    open_ = fixable(w, view, state)
    rows: list[list[tuple[str, str]]] = []
    if rule.step == "entries":
        if state.entries:
            lines.append(w.t("walk.entries_title", count=len(state.entries)))
            for n, e in enumerate(state.entries, 1):
                mark = _entry_mark(view, state, e)
                lines.append(w.t("walk.entry_line", n=n, mark=mark,
                                 level=local(rule.levels[e.level].label, w.lang),
                                 title=escape(e.title), date=e.happened_on or "—"))
        if state.capped:
            lines.append(w.t("walk.cap_reached", cap=item.max))
        if open_:
            rows += [[(w.t("walk.entry_add", level=local(lv.label, w.lang), points=lv.points),
                       cb.data("entry_add", view.id, slot.index, lid))]
                     for lid, lv in rule.levels.items()]
            edits = [(w.t("walk.entry_edit", n=n), cb.data("entry", view.id, slot.index, e.id))
                     for n, e in enumerate(state.entries, 1)
                     if view.status != "returned" or entry_target(e.id) in view.returned]
            rows += [edits[i:i + 4] for i in range(0, len(edits), 4)]
    else:
        if rule.step == "rate":
            lines.append(w.t("walk.rate_now", rate=f"{state.figure:g}", points=rule.score(
                state.figure)) if state.figure is not None else w.t("walk.rate_none"))
            if open_:
                lines.append(w.t("walk.rate_prompt"))
        lines.append(w.t("walk.slot_files", count=len(state.files)))
        if open_:
            lines.append(w.t("walk.send_files", max_mb=w.svc.max_file_bytes // 1048576))
    if state.files:
        rows.append([(w.t("walk.btn_files", count=len(state.files)),
                      cb.data("files", view.id, slot.index))])
    if view.locked:
        lines.append(w.t("walk.locked_deadline" if view.status == "closed" else "walk.locked"))
    elif not open_:
        lines.append(w.t("walk.not_returned"))
    nav = [(w.t("walk.btn_back"), cb.data("checklist", view.id))]
    if open_:
        nav.append((w.t("walk.btn_skip"), cb.data("skip", view.id, slot.index)))
    rows.append(nav)
    return "\n".join(lines), keyboard(rows)


def _entry_mark(view: ProjectView, state: SlotState, entry) -> str:
    target = entry_target(entry.id)
    if target in view.returned:
        return "🆕" if view.fixed(target) else "❌"
    return "✅" if (entry.link or entry.id in state.supported) else "◐"


def facts_view(w: Who, view: ProjectView):
    """The project's facts, each with a button to correct it."""
    f = view.facts
    yes_no = w.t("walk.yes") if f.closed_and_evaluated else w.t("walk.no")
    text = w.t("walk.facts", name=escape(f.name), area=escape(f.service_area or "—"),
               start=f.started_on or "—", end=f.completed_on or "—", closed=yes_no)
    rows = [[(w.t(f"walk.btn_fact_{key}"), cb.data("fact", view.id, key))] for key in cb.FACTS]
    rows.append([(w.t("walk.btn_back"), cb.data("checklist", view.id))])
    return text, keyboard(rows)


def saved_text(w: Who, view: ProjectView, gained: int) -> str:
    delta = f"+{gained}" if gained > 0 else ("±0" if gained == 0 else str(gained))
    return w.t("walk.saved", total=view.report.total, max=view.report.max, delta=delta)
