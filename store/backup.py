"""Backups: a consistent snapshot of the database plus the files the bot keeps in folders
(the evidence files; the policy documents added with `docs add`), and a manifest with every
file's SHA-256 and size; restore into an empty database and empty folders.

    DIR/manifest.json
    DIR/database.sqlite3   (SQLite: the online backup API)  or  DIR/database.pgdump (pg_dump -Fc)
    DIR/evidence/…         (EVIDENCE_DIR's files, same layout)
    DIR/policies/…         (the added policy documents, same layout)

Consistency: the database is snapshotted first, the evidence files copied after. An evidence
file is written whole (temporary name, fsync, rename) before the row that points at it is
committed, and files are never changed in place (content-addressed), so every file the
snapshot refers to is in the copy; a file uploaded meanwhile may be in the copy unreferenced,
which is harmless.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from store.db import make_engine, sqlite_path
from store.health import database_status
from store.migrate import address

MANIFEST = "manifest.json"
DB_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FORMAT = 1


class BackupError(Exception):
    """`code` says what (one word, for the caller's message); `detail` names the thing."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


@dataclass(frozen=True, slots=True)
class Summary:
    directory: Path
    backend: str
    revision: str | None
    files: int  # files from the folders
    bytes: int  # all files, database included


def _backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in DB_FILES:
        raise BackupError("backend", name)
    return name


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _folder_files(root: Path) -> list[Path]:
    """A folder's files, without half-written temporary ones."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and not (p.name.startswith(".") and p.name.endswith(".tmp")))


# ----- PostgreSQL through its own tools -----------------------------------------------------

def _pg_env(url: str) -> tuple[dict[str, str], str]:
    """libpq's environment for the SQLAlchemy URL (the password never on a command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", parsed.host or parsed.query.get("host")),
                       ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                       ("PGPASSWORD", parsed.password)):
        if value:
            env[key] = str(value if not isinstance(value, tuple) else value[0])
    return env, parsed.database or ""


def _require(backend: str, tool: str) -> None:
    if backend == "postgresql" and shutil.which(tool) is None:
        raise BackupError("tool_missing", tool)


def _pg_tool(name: str, args: list[str], url: str) -> None:
    _require("postgresql", name)
    tool = shutil.which(name) or name
    env, database = _pg_env(url)
    done = subprocess.run([tool, *args, "--dbname", database], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "")
        raise BackupError("tool_failed", f"{name}: {first or done.returncode}")


# ----- backup -------------------------------------------------------------------------------

def _copy_sqlite(source_path: Path, target: Path) -> None:
    source, copy = sqlite3.connect(source_path), sqlite3.connect(target)
    try:
        source.backup(copy)  # a consistent copy while the bot keeps writing
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()


async def backup(url: str, folders: dict[str, Path], out: Path) -> Summary:
    """`folders`: the name each has in the backup → where it is (e.g. "evidence" →
    EVIDENCE_DIR)."""
    backend = _backend(url)
    _require(backend, "pg_dump")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError("out_not_empty", str(out))
    status = await database_status(url)
    if not status.reachable:
        raise BackupError("database_unreachable", status.error or "")
    out.mkdir(parents=True, exist_ok=True)
    db_file = out / DB_FILES[backend]
    if backend == "sqlite":
        source_path = sqlite_path(url)
        if source_path is None or not source_path.is_file():
            raise BackupError("no_database", str(source_path))
        _copy_sqlite(source_path, db_file)
    else:
        _pg_tool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges",
                             "--file", str(db_file)], url)
    entries = [_entry(out, db_file)]
    for name, folder in folders.items():
        for source in _folder_files(folder):
            target = out / name / source.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            entries.append(_entry(out, target))
    manifest = {"format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(
                    timespec="seconds"),
                "database": {"backend": backend, "file": db_file.name,
                             "revision": status.revision},
                "files": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                encoding="utf-8")
    return Summary(out, backend, status.revision, len(entries) - 1,
                   sum(e["size"] for e in entries))


def check_log_folder(log_file: Path) -> None:
    """BackupError `log_folder` unless `log_file` can be appended to (its folder exists and
    is writable): checked before anything is backed up, so a missing folder is said at once."""
    folder = log_file.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise BackupError("log_folder", str(folder))


def append_log(log_file: Path, line: str, now: float) -> None:
    """One line, after the time (UTC, ISO 8601) it was written at (`now`, Unix seconds)."""
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")
    with log_file.open("a", encoding="utf-8") as log:
        log.write(f"{stamp} {line}\n")


def prune(root: Path, keep_days: float, now: float, keep: Path) -> list[Path]:
    """Remove the backups in `root` (folders with a manifest.json) older than `keep_days`,
    never `keep` (the one just made); folders without a manifest are left alone."""
    removed = []
    for folder in sorted(root.iterdir()):
        manifest = folder / "manifest.json"
        if folder.resolve() == keep.resolve() or not manifest.is_file():
            continue
        if now - manifest.stat().st_mtime > keep_days * 86400:
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


def _entry(root: Path, path: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "sha256": _sha256(path),
            "size": path.stat().st_size}


# ----- restore ------------------------------------------------------------------------------

def _entry_ok(entry: Any) -> bool:
    path = entry.get("path") if isinstance(entry, dict) else None
    return (isinstance(path, str) and not Path(path).is_absolute()
            and ".." not in Path(path).parts and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("size"), int))


def read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        database, files = manifest["database"], manifest["files"]
        ok = (isinstance(database.get("backend"), str) and isinstance(database.get("file"), str)
              and isinstance(files, list) and all(_entry_ok(e) for e in files))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise BackupError("no_manifest", str(directory / MANIFEST))
    return manifest


def verify(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """The manifest's files that are missing or differ (size or SHA-256), by path."""
    bad = []
    for entry in manifest["files"]:
        path = directory / entry["path"]
        if (not path.is_file() or path.stat().st_size != int(entry["size"])
                or _sha256(path) != entry["sha256"]):
            bad.append(entry["path"])
    return bad


async def _database_empty(url: str) -> bool:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return True
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    except Exception as exc:  # unreachable, no such database
        raise BackupError("database_unreachable", type(exc).__name__) from exc
    finally:
        await engine.dispose()
    return not tables


async def restore(directory: Path, url: str, folders: dict[str, Path]) -> Summary:
    """Refuses (nothing written) unless both targets are empty and every file is whole."""
    manifest = read_manifest(directory)
    backend = _backend(url)
    _require(backend, "pg_restore")
    if manifest["database"]["backend"] != backend:
        raise BackupError("backend_mismatch", f"{manifest['database']['backend']} → {backend}")
    if not await _database_empty(url):
        raise BackupError("database_not_empty", address(url))
    for folder in folders.values():
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise BackupError("folder_not_empty", str(folder))
    bad = verify(directory, manifest)
    if bad:
        raise BackupError("corrupt", ", ".join(bad))
    db_file = directory / manifest["database"]["file"]
    if backend == "sqlite":
        target = sqlite_path(url)
        assert target is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_sqlite(db_file, target)
    else:
        _pg_tool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error",
                                "--single-transaction", str(db_file)], url)
    restored = 0
    for entry in manifest["files"]:
        name, _, rest = entry["path"].partition("/")
        if name not in folders or not rest:
            continue  # the database file
        target = folders[name] / rest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(directory / entry["path"], target)
        if _sha256(target) != entry["sha256"]:  # the copy, checked again
            raise BackupError("corrupt", str(target))
        restored += 1
    return Summary(directory, backend, manifest["database"].get("revision"), restored,
                   sum(int(e["size"]) for e in manifest["files"]))

