"""Alembic migrations on the run's database (SQLite, or TEST_DATABASE_URL's PostgreSQL):
from empty to head, and from every earlier revision with rows in every table to head, the rows
kept. Revisions are read from store/migrations, so a new one is covered when it is added."""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.db import make_engine
from store.migrate import alembic_config, upgrade
from store.models import Base

# SQLite cannot reflect an index on an expression (coalesce(…)): it is left out of the comparison
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index",
    "ignore:autogenerate skipping metadata-specified expression-based index")

SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
REVISIONS = [s.revision for s in reversed(list(SCRIPTS.walk_revisions()))]  # oldest first
WHEN = dt.datetime(2026, 11, 23, 2, 30, 15, tzinfo=dt.UTC)
TELEGRAM_ID = 7_123_456_789  # past 2**32, as Telegram's ids now are


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


async def _with_connection(url: str, work) -> Any:  # noqa: ANN001
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _value(table: sa.Table, column: sa.Column, n: int) -> Any:
    """A value for `column` of row `n` that uses what the column allows: the full length of
    a string, a 64-bit integer where the column is BigInteger, an aware datetime."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.BigInteger):
        return TELEGRAM_ID + n
    if isinstance(kind, sa.Integer):
        return 100 + n
    if isinstance(kind, sa.Float):
        return 95.5 + n
    if isinstance(kind, sa.DateTime):
        return WHEN + dt.timedelta(days=n)
    if isinstance(kind, sa.Date):
        return dt.date(2025, 6, 30) + dt.timedelta(days=n)
    if isinstance(kind, sa.JSON):
        return ["national", {"名": n}]
    if isinstance(kind, sa.String | sa.Text):
        text = f"{n}:{table.name}.{column.name} 青岛市总工会"
        length = getattr(kind, "length", None) or 1000
        return (text * (length // len(text) + 1))[:length]
    raise AssertionError(f"no test value for {table.name}.{column.name}: {kind!r}")


def _fill(conn: sa.Connection, first: int = 0, rows_per_table: int = 2
          ) -> dict[str, list[dict]]:
    """Insert rows in every table of the database as it is (reflected), parents first; return
    what was written, with the ids the database gave."""
    meta = sa.MetaData()
    meta.reflect(conn)
    ids: dict[str, list[Any]] = {}
    written: dict[str, list[dict]] = {}
    for table in meta.sorted_tables:
        if table.name == "alembic_version":
            continue
        pk = list(table.primary_key.columns)
        generated = (len(pk) == 1 and isinstance(pk[0].type, sa.Integer)  # a serial id
                     and not isinstance(pk[0].type, sa.BigInteger) and not pk[0].foreign_keys)
        written[table.name] = []
        for n in range(first, first + rows_per_table):
            row: dict[str, Any] = {}
            for column in table.columns:
                if generated and column is pk[0]:
                    continue
                fks = list(column.foreign_keys)
                if fks:
                    row[column.name] = ids[fks[0].column.table.name][n - first]
                else:
                    row[column.name] = _value(table, column, n)
            result = conn.execute(table.insert().values(row))
            if generated:
                row[pk[0].name] = result.inserted_primary_key[0]
            ids.setdefault(table.name, []).append(row[pk[0].name] if len(pk) == 1 else None)
            written[table.name].append(row)
    return written


def _read(conn: sa.Connection) -> dict[str, list[dict]]:
    meta = sa.MetaData()
    meta.reflect(conn)
    return {table.name: [dict(r._mapping) for r in conn.execute(sa.select(table))]
            for table in meta.sorted_tables if table.name != "alembic_version"}


def _same(value: Any) -> Any:
    """Datetimes as naive UTC: SQLite keeps no offset."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _diff_with_models(conn: sa.Connection) -> list:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


def test_every_revision_is_found():
    assert REVISIONS[0] == "0001" and len(REVISIONS) >= 3
    assert SCRIPTS.get_current_head() == REVISIONS[-1]


def test_empty_database_upgrades_to_head_matching_the_models(database_url):
    upgrade(database_url)
    assert run(_with_connection(database_url, _diff_with_models)) == []
    upgrade(database_url)  # again: nothing to do, no error


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_rows_written_at_a_revision_survive_the_upgrade_to_head(database_url, start):
    upgrade(database_url, start)
    run(_with_connection(database_url, _fill))
    # as the database holds them: its triggers (0011's totals) have run on what was written
    written = run(_with_connection(database_url, _read))
    upgrade(database_url)
    after = run(_with_connection(database_url, _read))
    for table, rows in written.items():
        assert len(after[table]) == len(rows), table
        for old, new in zip(rows, after[table], strict=True):
            kept = {k: _same(v) for k, v in old.items() if k in new}
            assert {k: _same(new[k]) for k in kept} == kept, table
    more = run(_with_connection(database_url, partial(_fill, first=2)))  # and more rows
    assert all(rows for rows in more.values())
    assert run(_with_connection(database_url, _diff_with_models)) == []
