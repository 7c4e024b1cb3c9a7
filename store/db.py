"""Engine and sessions. SQLite runs in WAL mode with foreign keys on; PostgreSQL through
asyncpg (`pip install unionbot[postgres]`)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = f"sqlite+aiosqlite:///{ROOT / 'var' / 'unionbot.db'}"  # bot/settings.py's default
POOL_SIZE = 20

# statements for a transaction of the caller's (store/inbox.py, store/persistence.py)
Op = Callable[[AsyncConnection], Awaitable[Any]]


def url_from_environment() -> str:
    """DATABASE_URL from the environment, else the default (bot/settings.py also reads .env;
    this is for tools that run without the bot, such as a bare `alembic upgrade head`)."""
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def normalize_url(url: str) -> str:
    """`postgresql://…` (or `postgres://…`, as hosting providers write it) means asyncpg, the
    one PostgreSQL driver we ship; `sqlite:///…` means aiosqlite."""
    scheme, sep, rest = url.partition("://")
    drivers = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg",
               "sqlite": "sqlite+aiosqlite"}
    return f"{drivers.get(scheme, scheme)}{sep}{rest}" if sep else url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, foreign_keys: bool = True) -> AsyncEngine:
    """`foreign_keys=False` is for migrations alone: on SQLite, Alembic's batch mode copies a
    table into a new one and drops the old, which rows elsewhere still refer to
    (store/migrate.py checks the keys once the migrations are done)."""
    url = normalize_url(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # connections kept open: as many as handlers run at once (bot/runtime/updates.py
    # MAX_RUNNING) and
    # the inbox's writes, with room for jobs; more are opened and closed again per use, which
    # costs a connection (on SQLite a thread and the pragmas) each time (docs/benchmarks.md)
    # the most recently used connection first: on SQLite its page cache is warm
    pool = {"pool_size": POOL_SIZE, "max_overflow": 10, "pool_use_lifo": True}
    if make_url(url).get_backend_name() == "sqlite" and path is None:
        pool = {}  # an in-memory database has a pool of one connection
    try:
        # a connection's reset when it goes back to the pool: `_rollback_if_open`
        engine = create_async_engine(url, pool_reset_on_return=None, **pool)
    except ModuleNotFoundError as exc:  # the driver is an optional extra
        raise RuntimeError(f"{make_url(url).drivername} needs its driver ({exc.name}): "
                           "pip install 'unionbot[postgres]'") from exc
    event.listen(engine.sync_engine, "reset", _rollback_if_open)
    if make_url(url).get_backend_name() == "sqlite":
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()
    return engine


def _rollback_if_open(dbapi_conn, record, state) -> None:  # noqa: ANN001
    """A connection going back to the pool: rolled back if a transaction is still open on it.
    Sessions and `engine.begin()` end theirs (commit, or rollback on close), so the pool's
    own reset (a rollback every time) would be one more round trip to the driver's thread
    for each of them."""
    if not state.asyncio_safe:  # discarded outside the event loop: nothing can be awaited
        return
    driver = record.driver_connection if record is not None else None
    in_transaction = getattr(driver, "in_transaction", None)  # aiosqlite
    if in_transaction is None and hasattr(driver, "is_in_transaction"):  # asyncpg
        in_transaction = driver.is_in_transaction()
    if in_transaction is None or in_transaction:  # open, or unknown: as the pool would
        dbapi_conn.rollback()


def upsert_insert(dialect: str) -> Callable[..., Any]:
    """`insert` with ON CONFLICT for the engine's dialect (`bind.dialect.name`). Imported
    here, when first needed: SQLite never loads the PostgreSQL dialect, whose package also
    loads every PostgreSQL driver's module (about 25 ms of the start-up, issue 13)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
