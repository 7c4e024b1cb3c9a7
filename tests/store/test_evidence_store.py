"""Evidence files survive a power loss: written, synced, renamed, and the folder synced."""

from __future__ import annotations

import os
import stat
import time

import pytest

from store.evidence_store import EvidenceStore


@pytest.fixture
def journal(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Records fsync (of a file or a folder) and rename, in the order they happen."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append((f"fsync {kind}", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append(("rename", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events


def test_the_file_is_synced_before_and_its_folder_after_the_rename(tmp_path, journal) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    stored = store.put(1, 2, b"%PDF-1.4 contract", ".PDF")
    folder = str(stored.path.parent)
    assert stored.path.read_bytes() == b"%PDF-1.4 contract" and stored.path.suffix == ".pdf"
    steps = [kind for kind, _ in journal]
    rename = steps.index("rename")
    assert journal[rename] == ("rename", str(stored.path))
    assert "fsync file" in steps[:rename]  # the content is on disk before it gets its name
    assert ("fsync dir", folder) in journal[rename + 1:]  # and the name after
    # every folder created on the way is recorded in its parent, which is synced
    for created in (stored.path.parent, stored.path.parent.parent,
                    stored.path.parent.parent.parent):
        assert ("fsync dir", str(created.parent)) in journal
    assert [p.name for p in stored.path.parent.iterdir()] == [stored.path.name]  # no temp left


def test_a_second_put_of_the_same_content_syncs_the_folder_again(tmp_path, journal) -> None:
    store = EvidenceStore(tmp_path)
    first = store.put(1, 2, b"same", ".pdf")
    journal.clear()
    again = store.put(1, 2, b"same", ".pdf")
    assert again == first
    assert journal == [("fsync dir", str(first.path.parent))]


def test_content_sent_again_is_not_swept_by_a_sweep_that_read_the_rows_before(
        tmp_path) -> None:
    """An orphan (its row gone, its file left) sent again: the sweep, which read the rows
    before the new row was committed, leaves the file its new row points at."""
    store = EvidenceStore(tmp_path)
    orphan = store.put(1, 2, b"%PDF-1.4 report", ".pdf").path
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    rows_read = set()  # the sweep's view: no row points at it
    store.put(1, 2, b"%PDF-1.4 report", ".pdf")  # sent again; its row is being committed
    assert store.remove_except(rows_read, time.time() - 3600) == []
    assert orphan.read_bytes() == b"%PDF-1.4 report"


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path, monkeypatch) -> None:
    store = EvidenceStore(tmp_path)
    real_fsync = os.fsync

    def broken(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            return real_fsync(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="No space"):
        store.put(1, 2, b"%PDF lost", ".pdf")
    monkeypatch.undo()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == []
