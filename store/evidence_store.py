"""Evidence files on disk: content-addressed by SHA-256, laid out per organisation and project.

A file is written to a temporary name in its folder, synced to disk (fsync), renamed into
place, and the folder is synced too (and any folder created for it, in its parent), so after a
power loss the file either exists whole under its name or not at all. The database row that
points at it is committed only after `put` returned (services/walk/evidence.py keeps that order).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, org_id: int, project_id: int, sha256: str, suffix: str = "") -> Path:
        return (self.root / f"org-{org_id}" / f"project-{project_id}" / sha256[:2]
                / f"{sha256}{suffix}")

    def put(self, org_id: int, project_id: int, data: bytes, suffix: str = "") -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(org_id, project_id, digest, suffix.lower())
        try:  # there already: its age starts again, so that the sweep of orphans, which may
            # have read the rows before this upload's row is committed, leaves it alone
            os.utime(target)
        except FileNotFoundError:
            _make_dirs(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                       dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        # Also when the file was there: its rename may not have reached the disk yet (a crash
        # between rename and sync left it for this upload), and the row will point at it.
        _sync_dir(target.parent)
        return StoredFile(digest, len(data), target)

    def get(self, org_id: int, project_id: int, sha256: str, suffix: str = "") -> bytes:
        return self.path_for(org_id, project_id, sha256, suffix.lower()).read_bytes()

    def remove(self, org_id: int, project_id: int, sha256: str, suffix: str = "") -> Path | None:
        """Delete a stored file (its folder synced); the path if there was one."""
        path = self.path_for(org_id, project_id, sha256, suffix.lower())
        try:
            path.unlink()
        except FileNotFoundError:
            return None
        _sync_dir(path.parent)
        return path

    def remove_except(self, keep: set[tuple[int, int, str, str]],
                      older_than: float) -> list[Path]:
        """Delete every file no row points at — `keep` holds (organisation, project, sha256,
        suffix) — and temporary files a crash left, if last changed before `older_than`
        (seconds since the epoch: a file being written for a row not yet committed is
        younger). The paths deleted. Only those are stat'ed: a round's 200,000 kept files
        are listed, never stat'ed one by one."""
        gone: list[Path] = []
        if not self.root.is_dir():  # nothing uploaded yet
            return gone
        for org, org_dir in _numbered(self.root, "org-"):
            for project, project_dir in _numbered(org_dir, "project-"):
                for folder in _sorted(project_dir):
                    if not folder.is_dir(follow_symlinks=False):
                        continue
                    for entry in _sorted(folder.path):
                        name = entry.name
                        if not entry.is_file(follow_symlinks=False) or (
                                (org, project, name[:64], name[64:]) in keep
                                and not name.startswith(".")):
                            continue
                        if entry.stat().st_mtime >= older_than:
                            continue
                        path = Path(entry.path)
                        path.unlink(missing_ok=True)
                        _sync_dir(path.parent)
                        gone.append(path)
        return gone


def _sorted(folder) -> list[os.DirEntry]:
    with os.scandir(folder) as found:
        return sorted(found, key=lambda entry: entry.name)


def _numbered(folder, prefix: str) -> list[tuple[int, str]]:
    """The folders named prefix + a number (org-7, project-12) in `folder`; any other name
    is not laid out by this store and left alone."""
    out = []
    for entry in _sorted(folder):
        number = entry.name.removeprefix(prefix)
        if entry.name.startswith(prefix) and number.isdigit() and entry.is_dir():
            out.append((int(number), entry.path))
    return out


def _make_dirs(folder: Path) -> None:
    """mkdir -p, syncing the parent of every folder it creates (its entry lives there)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another upload
            created.mkdir()
        _sync_dir(created.parent)


def _sync_dir(folder: Path) -> None:
    """fsync a folder, so the names in it (a rename, a new file or folder) survive a crash."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
