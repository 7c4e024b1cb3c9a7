"""Writes on a project's evidence: files, the figure (satisfaction rate), entries (an entry
and its proof in one transaction). Each loads the project once, writes, commits, and
returns the view rebuilt from what it loaded and wrote.

Files and entries are added, never overwritten; a figure or an entry carries a version,
and a write made on an outdated view is refused (`Conflict`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath

from domain.errors import InputError
from domain.evidence import twin_of
from domain.filetypes import content_fits
from domain.limits import entry_title
from domain.review import entry_target, slot_target
from services import audit
from services.core import Services
from services.errors import Conflict, NotFound
from services.walk.files import drop_unreferenced
from services.walk.projects import editable, writable
from services.walk.view import FileView, Loaded, Saved, entry_view, load, slot_by_key
from store.errors import Duplicate, StaleWrite
from store.models import EvidenceEntry, EvidenceFigure
from store.uow import UnitOfWork

MAX_LINK = 500


def file_suffix(file_name: str, mime_type: str) -> str:
    suffix = PurePath(file_name).suffix.lower()
    if not suffix and mime_type.startswith("image/"):
        suffix = "." + mime_type.split("/", 1)[1].replace("jpeg", "jpg")
    return suffix


def check_file(svc: Services, file_name: str, mime_type: str, size: int | None) -> str:
    """The file's suffix if it may be stored; InputError saying why not otherwise."""
    suffix = file_suffix(file_name, mime_type)
    if suffix.lstrip(".") not in svc.allowed_types:
        raise InputError("file", "file_type", suffix=suffix or "?",
                         allowed="、".join(sorted(svc.allowed_types)))
    if size == 0:
        raise InputError("file", "file_empty")
    if size is not None and size > svc.max_file_bytes:
        raise InputError("file", "file_too_big", size_mb=f"{size / 1048576:.1f}",
                         max_mb=svc.max_file_bytes // 1048576)
    return suffix


def check_upload(svc: Services, file_name: str, mime_type: str, data: bytes) -> str:
    """`check_file`, and the content is what the suffix says (an .exe renamed .pdf is not)."""
    suffix = check_file(svc, file_name, mime_type, len(data))
    fits, found = content_fits(suffix, data)
    if not fits:
        raise InputError("file", "file_content", suffix=suffix, found=found or "?")
    return suffix


async def _store_file(uow: UnitOfWork, svc: Services, loaded: Loaded, item_id: str,
                      kind: str | None, data: bytes, file_name: str, mime_type: str,
                      telegram_file_id: str, entry_id: int | None) -> bool:
    """Write the bytes, then the row; False when the same content was there already."""
    suffix = check_file(svc, file_name, mime_type, len(data))
    project = loaded.project
    stored = svc.evidence.put(project.organization_id, project.id, data, suffix)
    values = dict(project_id=project.id, item_id=item_id, kind=kind or "", entry_id=entry_id,
                  sha256=stored.sha256, size=stored.size, mime_type=mime_type[:100],
                  file_name=file_name[:255], suffix=suffix, telegram_file_id=telegram_file_id,
                  uploaded_by=loaded.user_id, created_at=svc.clock.now())
    try:
        new_id = await uow.projects.insert_file(**values)
    except Duplicate:
        return False
    loaded.files.append(FileView(new_id, item_id, kind or "", entry_id, values["file_name"],
                                 stored.size, stored.sha256, suffix))
    return True


async def add_file(svc: Services, user_id: int, *, project_id: int | None = None,
                   slot_key: str | None = None, data: bytes, file_name: str, mime_type: str,
                   telegram_file_id: str = "", entry_id: int | None = None) -> Saved:
    """Store a file in a slot (as the proof of one of its entries, with `entry_id`).
    Without a project and slot: in the slot the user has open (the place stored in the
    database when the slot was shown)."""
    check_upload(svc, file_name, mime_type, data)
    async with svc.uow() as uow:
        loaded = await load(uow, svc, user_id, project_id)
        key = slot_key if slot_key is not None else loaded.cursor_slot
        slot = slot_by_key(svc, key)
        if slot is None:
            raise NotFound(key)
        writable(svc, loaded, entry_target(entry_id) if entry_id is not None else slot.key)
        if entry_id is not None and not any(e.id == entry_id and e.item_id == slot.item_id
                                            for e in loaded.entries):
            raise NotFound(entry_id)
        before = loaded.view().report.total
        added = await _store_file(uow, svc, loaded, slot.item_id, slot.kind, data, file_name,
                                  mime_type, telegram_file_id, entry_id)
        await uow.commit()
        return Saved(loaded.view(), not added, before, slot.key)


def _of_project(row, project_id: int, row_id: int):
    """The file or entry row, if it belongs to the project."""
    if row is None or row.project_id != project_id:
        raise NotFound(row_id)
    return row


async def remove_file(svc: Services, user_id: int, project_id: int, file_id: int) -> Saved:
    async with svc.uow() as uow:
        loaded = await load(uow, svc, user_id, project_id)
        row = _of_project(await uow.projects.file(file_id), project_id, file_id)
        writable(svc, loaded, entry_target(row.entry_id) if row.entry_id is not None
                 else slot_target(row.item_id, row.kind or None))
        before = loaded.view().report.total
        content = (row.sha256, row.suffix)
        await uow.projects.delete(row)
        await audit.record(uow, svc, user_id, "remove_evidence", project_id=project_id,
                           subject=row.item_id, old={"file": row.file_name, "sha256": row.sha256,
                                                     "id": row.id})
        await uow.commit()
        await drop_unreferenced(uow, svc, loaded.project.organization_id, project_id,
                                [content])
        loaded.files = [f for f in loaded.files if f.id != file_id]
        return Saved(loaded.view(), False, before)


async def set_figure(svc: Services, user_id: int, project_id: int, item_id: str, value: float,
                     seen_version: int) -> Saved:
    """Set a figure (the satisfaction rate). `seen_version` is the figure's version the
    user was shown (0: none); if it changed meanwhile, raise Conflict and change nothing."""
    rule = _rule(svc, item_id)
    if rule.step != "rate":
        raise NotFound(item_id)
    value = rule.read(value, item_id)
    async with svc.uow() as uow:
        loaded = await editable(uow, svc, user_id, project_id, item_id)
        before = loaded.view().report.total
        old, version = loaded.figures.get(item_id, (None, 0))
        if version != seen_version:
            raise Conflict(old)
        if version == 0:
            uow.projects.add(EvidenceFigure(project_id=project_id, item_id=item_id, value=value,
                                            updated_by=user_id))
        else:
            fig = await uow.projects.figure(project_id, item_id)
            fig.value, fig.updated_by = value, user_id
        if version and old != value:  # a figure corrected (what changed since a verdict)
            await audit.record(uow, svc, user_id, "edit_evidence", project_id=project_id,
                               subject=item_id, old=old, new=value)
        try:
            await uow.commit()
        except (Duplicate, StaleWrite) as exc:  # someone wrote it in between
            raise Conflict(None) from exc
        loaded.figures[item_id] = (value, version + 1)
        return Saved(loaded.view(), False, before, item_id)


def _rule(svc: Services, item_id: str | None):
    try:
        return svc.rubric.item(item_id).rule
    except KeyError:
        raise NotFound(item_id) from None


def _check_entry(svc: Services, item_id: str, level: str, happened_on: dt.date | None) -> None:
    rule = _rule(svc, item_id)
    if rule.step != "entries":
        raise NotFound(item_id)
    if level not in rule.levels:
        raise InputError("level", "unknown_choice", value=level, choices=", ".join(rule.levels))
    if happened_on is not None and happened_on > svc.clock.today():
        raise InputError("date", "future_date", value=happened_on.isoformat())


async def add_entry(svc: Services, user_id: int, project_id: int, item_id: str, *, level: str,
                    title: str, happened_on: dt.date | None, link: str = "",
                    proof: tuple[bytes, str, str, str] | None = None) -> tuple[int, Saved]:
    """Register an entry, with its proof file (data, name, mime type, Telegram id) if
    given: both or neither are saved (one transaction)."""
    _check_entry(svc, item_id, level, happened_on)
    title = entry_title(title)
    if proof is not None:
        check_upload(svc, proof[1], proof[2], proof[0])
    async with svc.uow() as uow:
        loaded = await load(uow, svc, user_id, project_id)
        # a returned project takes a new entry where one of the item's entries was returned
        writable(svc, loaded, await _returned_entry(uow, loaded, item_id))
        twin = twin_of(loaded.entries, item_id, level, title, happened_on)
        if twin is not None:  # the same report again would score twice
            raise InputError("title", "entry_duplicate", n=twin)
        before = loaded.view().report.total
        entry = EvidenceEntry(project_id=project_id, item_id=item_id, level=level,
                              title=title, happened_on=happened_on,
                              link=link.strip()[:MAX_LINK], created_by=user_id,
                              created_at=svc.clock.now())
        uow.projects.add(entry)
        await uow.flush()
        loaded.entries.append(entry_view(entry))
        if proof is not None:
            data, name, mime, file_id = proof
            await _store_file(uow, svc, loaded, item_id, None, data, name, mime, file_id,
                              entry.id)
        await uow.commit()
        return entry.id, Saved(loaded.view(), False, before, item_id)


async def _returned_entry(uow: UnitOfWork, loaded: Loaded, item_id: str) -> str | None:
    """A returned entry of this item: one still there, or one staff deleted to register
    it again (the audit log of its removal says whose item it was)."""
    view = loaded.view()
    kept = next((t for t in view.returned if t in {
        entry_target(e.id) for e in loaded.entries if e.item_id == item_id}), None)
    if kept is not None or not view.removed:
        return kept
    gone = {entry_target(e.old["entry"]) for e in await uow.audit.entries(
        project_id=loaded.project.id) if e.action == "remove_evidence"
        and e.subject == item_id and isinstance(e.old, dict) and "entry" in e.old}
    return next(iter(sorted(view.removed & gone)), None)


async def update_entry(svc: Services, user_id: int, project_id: int, entry_id: int,
                       seen_version: int, **changes: object) -> Saved:
    async with svc.uow() as uow:
        loaded = await editable(uow, svc, user_id, project_id, entry_target(entry_id))
        before = loaded.view().report.total
        entry = _of_project(await uow.projects.entry(entry_id), project_id, entry_id)
        _check_entry(svc, entry.item_id, str(changes.get("level", entry.level)),
                     changes.get("happened_on", entry.happened_on))  # type: ignore[arg-type]
        if entry.version != seen_version:
            raise Conflict(entry_id)
        edited = {k: v for k, v in changes.items() if getattr(entry, k) != v}
        if edited:  # what changed since a verdict
            await audit.record(uow, svc, user_id, "edit_evidence", project_id=project_id,
                               subject=entry_target(entry_id),
                               old={k: getattr(entry, k) for k in edited}, new=edited)
        for key, value in changes.items():
            setattr(entry, key, value)
        try:
            await uow.commit()
        except StaleWrite as exc:
            raise Conflict(entry_id) from exc
        loaded.entries = [entry_view(entry) if e.id == entry_id else e for e in loaded.entries]
        return Saved(loaded.view(), False, before, entry.item_id)


async def remove_entry(svc: Services, user_id: int, project_id: int, entry_id: int) -> Saved:
    async with svc.uow() as uow:
        loaded = await editable(uow, svc, user_id, project_id, entry_target(entry_id))
        before = loaded.view().report.total
        entry = _of_project(await uow.projects.entry(entry_id), project_id, entry_id)
        await uow.projects.delete_files_of_entry(entry_id)
        await uow.projects.delete(entry)
        await audit.record(uow, svc, user_id, "remove_evidence", project_id=project_id,
                           subject=entry.item_id,
                           old={"entry": entry_id, "level": entry.level, "title": entry.title})
        await uow.commit()
        await drop_unreferenced(uow, svc, loaded.project.organization_id, project_id,
                                [(f.sha256, f.suffix) for f in loaded.files
                                 if f.entry_id == entry_id])
        loaded.entries = [e for e in loaded.entries if e.id != entry_id]
        loaded.files = [f for f in loaded.files if f.entry_id != entry_id]
        return Saved(loaded.view(), False, before, entry.item_id)


