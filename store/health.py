"""What health checks read: the database (reachable, its migration revision) and the heartbeat
file the running bot writes. Errors come back as plain values, never as exceptions."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import make_engine, sqlite_path
from store.migrate import script_heads


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    reachable: bool
    revision: str | None  # the database's Alembic revision
    head: str  # the code's
    error: str | None = None  # the kind of failure, e.g. "OperationalError"

    @property
    def at_head(self) -> bool:
        return self.reachable and self.revision == self.head


@cache
def head_revision(url: str) -> str:
    """The code's head revision, read without importing Alembic (start-up time, memory)."""
    heads = script_heads()
    return next(iter(heads)) if len(heads) == 1 else ""


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def database_status(url: str, engine: AsyncEngine | None = None,
                          timeout: float = 5.0) -> DatabaseStatus:
    """Connect, SELECT 1, read the Alembic revision; unreachable after `timeout` seconds."""
    head = head_revision(url)
    path = sqlite_path(url)
    if path is not None and not path.is_file():  # connecting would create an empty one
        return DatabaseStatus(False, None, head, "no database file")
    own = engine is None
    engine = engine or make_engine(url)
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            revision = await conn.run_sync(_revision)
        return DatabaseStatus(True, revision, head)
    except Exception as exc:  # any driver's error: unreachable, refused, no such database
        return DatabaseStatus(False, None, head, type(exc).__name__)
    finally:
        if own:
            await engine.dispose()


def write_heartbeat(path: Path, data: dict[str, Any]) -> None:
    """Replace the file whole (temporary file, then rename): readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def read_heartbeat(path: Path) -> dict[str, Any] | None:
    """The heartbeat, or None when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def process_alive(pid: int) -> bool:
    """Whether a process `pid` runs on this machine (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True
