"""Fresh databases for the tests, on the one database the run is given.

TEST_DATABASE_URL unset (or a SQLite URL): each database is a new SQLite file in a temporary
folder. TEST_DATABASE_URL=postgresql://…/postgres: each database is a new, uniquely named
database on that server (CREATE DATABASE through the URL's database as the maintenance
connection), dropped again at teardown with every connection to it ended.

A migrated database is a copy of one migrated to head once per run (a copied file, or
CREATE DATABASE … TEMPLATE): the migrations themselves are tested from empty databases.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from store.db import make_engine, normalize_url, sqlite_path
from store.migrate import upgrade

ENV = "TEST_DATABASE_URL"


def _in_a_thread(work: Callable[[], object]) -> None:
    """Run `work` (which may start an event loop of its own) also from inside a running one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(work).result()


class Databases:
    def __init__(self, server_url: str | None, folder: Path) -> None:
        self.server: URL | None = None
        if server_url and make_url(normalize_url(server_url)).get_backend_name() != "sqlite":
            self.server = make_url(normalize_url(server_url))
        self.folder = folder  # the migrated template, when it is a SQLite file
        self._template: str | None = None

    @classmethod
    def from_env(cls, folder: Path) -> Databases:
        return cls(os.environ.get(ENV) or None, folder)

    @property
    def backend(self) -> str:
        return self.server.get_backend_name() if self.server else "sqlite"

    def create(self, folder: Path, migrated: bool = False) -> str:
        """A new database, empty or `migrated` to head; `folder` holds it when it is a SQLite
        file."""
        template = self._migrated() if migrated else None
        if self.server is None:
            path = folder / f"test-{uuid.uuid4().hex[:8]}.db"
            if template:
                shutil.copyfile(sqlite_path(template), path)
            return f"sqlite+aiosqlite:///{path}"
        name = f"unionbot_test_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        self._maintain(f'CREATE DATABASE "{name}"{copy}')
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _migrated(self) -> str:
        if self._template is None:
            url = self.create(self.folder)
            _in_a_thread(lambda: upgrade(url))
            self._template = url
        return self._template

    def close(self) -> None:
        if self._template is not None:
            self.drop(self._template)
            self._template = None

    def drop(self, url: str) -> None:
        """The database is gone afterwards (its SQLite file removed)."""
        path = sqlite_path(url)
        if path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif self.server is not None:
            self._maintain(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _maintain(self, statement: str) -> None:
        async def run() -> None:
            engine = make_engine(self.server.render_as_string(hide_password=False))
            try:
                async with engine.connect() as conn:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text(statement))
            finally:
                await engine.dispose()

        _in_a_thread(lambda: asyncio.run(run()))
