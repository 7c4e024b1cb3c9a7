"""Apply Alembic migrations (what `make run` and `python -m bot db upgrade` do).

A database already at the head revision is seen without importing Alembic (about 10 MiB and
a noticeable share of the bot's start-up): the heads are read from the migration files and
compared with the database's `alembic_version` rows."""

from __future__ import annotations

import ast
import asyncio
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

from store.db import normalize_url, sqlite_path

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "store" / "migrations" / "versions"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "store" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def script_heads() -> frozenset[str]:
    """The head revisions of the migration files (empty when a file cannot be read so)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return frozenset()
        revisions.add(revision)
        parents.update(down if isinstance(down, tuple | list) else [down] if down else [])
    return frozenset(revisions - parents)


async def database_revisions(url: str) -> frozenset[str] | None:
    """The revisions recorded in the database; None when there is no such record."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(normalize_url(url), poolclass=NullPool)  # nothing kept open
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(row[0] for row in rows)
    except Exception:  # no database or no table yet: Alembic will say what is wrong
        return None
    finally:
        await engine.dispose()


def sqlite_revisions(path: Path) -> frozenset[str] | None:
    """`database_revisions` of a SQLite file, read with the standard library: no event loop,
    engine or connection thread (a few milliseconds of every start-up, issue 13). Read-only:
    a missing file stays missing."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return frozenset(row[0] for row in conn.execute(
                "SELECT version_num FROM alembic_version"))
    except sqlite3.Error:  # no database or no table yet: Alembic will say what is wrong
        return None


def at_head(url: str) -> bool:
    heads = script_heads()
    if not heads:
        return False
    path = sqlite_path(normalize_url(url))
    found = sqlite_revisions(path) if path is not None else asyncio.run(database_revisions(url))
    return found == heads


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`. Runs its own event loop: call it
    outside one, or through `upgrade_async`."""
    if revision == "head" and at_head(url):
        return
    from alembic import command

    command.upgrade(alembic_config(url), revision)
    check_foreign_keys(url)


def check_foreign_keys(url: str) -> None:
    """SQLite migrates with its foreign keys off (store/db.py): check them afterwards."""
    path = sqlite_path(url)
    if path is None or not path.exists():
        return
    with closing(sqlite3.connect(path)) as conn:
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken after the migration: {broken[:5]}")


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)
