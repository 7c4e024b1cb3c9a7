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

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from store.db import normalize_url, sqlite_path
from store.errors import DatabaseUnreachable, MigrationFailed

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "store" / "migrations" / "versions"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)
CONNECT_TIMEOUT = 15.0  # seconds to wait for a database server's answer
URL_FORMS = "postgresql://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH"


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


def address(url: str) -> str:
    """`url` as it may be shown to an operator: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r":[^:@/]*@", ":***@", url)


def one_line(exc: BaseException) -> str:
    """An exception as one line: its kind and the first line of what it says."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


async def _select_one(url: str, timeout: float) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(normalize_url(url), poolclass=NullPool)
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def reach(url: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """DatabaseUnreachable unless `url` reads as a database address and its server answers
    (a SQLite file's folder exists or can be made: connecting creates the file)."""
    try:
        path = sqlite_path(normalize_url(url))
    except ArgumentError:
        raise DatabaseUnreachable(address(url), f"not a database address ({URL_FORMS})"
                                  ) from None
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnreachable(address(url), one_line(exc)) from None
        return
    try:
        asyncio.run(_select_one(url, timeout))
    except TimeoutError:
        raise DatabaseUnreachable(address(url), f"no answer in {timeout:g} s") from None
    except Exception as exc:  # any driver's error: refused, unknown host, credentials
        raise DatabaseUnreachable(address(url), one_line(exc)) from None


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`. Runs its own event loop: call it
    outside one, or through `upgrade_async`. A database that does not answer raises
    DatabaseUnreachable, a migration that cannot be made MigrationFailed (no traceback for
    the operator: bot/cli/__init__.py prints one line)."""
    if revision == "head" and _readable(url) and at_head(url):
        return
    reach(url)
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    try:
        command.upgrade(alembic_config(url), revision)
    except (CommandError, DBAPIError) as exc:
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
        raise MigrationFailed(address(url), revision, ", ".join(sorted(script_heads())),
                              one_line(cause)) from None
    check_foreign_keys(url)


def _readable(url: str) -> bool:
    try:
        make_url(normalize_url(url))
    except ArgumentError:
        return False
    return True


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
