"""Fresh, empty databases for the tests, on the one database the run is given.

TEST_DATABASE_URL unset (or a SQLite URL): each database is a new SQLite file in a temporary
folder. TEST_DATABASE_URL=postgresql://…/postgres: each database is a new, uniquely named
database on that server (CREATE DATABASE through the URL's database as the maintenance
connection), dropped again at teardown with every connection to it ended.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from store.db import make_engine, normalize_url

ENV = "TEST_DATABASE_URL"


def _in_a_thread(coro) -> None:  # noqa: ANN001
    """Run `coro` to the end in its own event loop, also when called from inside one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


class Databases:
    def __init__(self, server_url: str | None) -> None:
        self.server: URL | None = None
        if server_url and make_url(normalize_url(server_url)).get_backend_name() != "sqlite":
            self.server = make_url(normalize_url(server_url))

    @classmethod
    def from_env(cls) -> Databases:
        return cls(os.environ.get(ENV) or None)

    @property
    def backend(self) -> str:
        return self.server.get_backend_name() if self.server else "sqlite"

    def create(self, folder: Path) -> str:
        """A new empty database; `folder` holds it when it is a SQLite file."""
        if self.server is None:
            return f"sqlite+aiosqlite:///{folder / f'test-{uuid.uuid4().hex[:8]}.db'}"
        name = f"unionbot_test_{uuid.uuid4().hex[:12]}"
        self._maintain(f'CREATE DATABASE "{name}"')
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if self.server is not None:
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

        _in_a_thread(run())
