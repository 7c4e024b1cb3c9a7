"""The SQLite engine's one-call cursor (store/sqlite_driver.py) gives SQLAlchemy what the
stock aiosqlite adapter gives: rows, counts, new ids, the same errors, transactions kept."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store.db import make_engine
from store.sqlite_driver import OneCallCursor


@pytest.fixture
async def engine(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, "
                                "n INTEGER)"))
    yield engine
    await engine.dispose()


async def test_rows_counts_and_new_ids_come_back_as_with_the_stock_adapter(engine):
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name, n) VALUES ('甲', 1)"))
        assert inserted.lastrowid == 1
        many = await conn.execute(text("INSERT INTO t (name, n) VALUES (:name, :n)"),
                                  [{"name": "乙", "n": 2}, {"name": "丙", "n": 3}])
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE t SET n = n + 10 WHERE n >= 2"))
        assert updated.rowcount == 2
        rows = (await conn.execute(text("SELECT name, n FROM t ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [("甲", 1), ("乙", 12), ("丙", 13)]
        assert (await conn.execute(text("SELECT n FROM t WHERE id = 99"))).first() is None


async def test_a_failed_statement_raises_sqlalchemys_error_and_rolls_back_only_its_own(engine):
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name, n) VALUES ('甲', 1)"))
        await conn.commit()
        with pytest.raises(IntegrityError):
            await conn.execute(text("INSERT INTO t (name, n) VALUES ('甲', 2)"))
        await conn.rollback()
        await conn.execute(text("INSERT INTO t (name, n) VALUES ('乙', 2)"))
        await conn.rollback()  # not committed: gone
        names = (await conn.execute(text("SELECT name FROM t"))).scalars().all()
    assert names == ["甲"]


async def test_the_engine_uses_the_one_call_cursor(engine):
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneCallCursor)


async def test_a_write_is_committed_or_rolled_back_after_reads_in_the_same_session(engine):
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        await conn.rollback()  # nothing open: nothing to undo
        await conn.execute(text("INSERT INTO t (name, n) VALUES ('甲', 1)"))
        await conn.execute(text("SELECT count(*) FROM t"))  # a read inside the write's
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        await conn.execute(text("INSERT INTO t (name, n) VALUES ('乙', 2)"))
        await conn.execute(text("SELECT n FROM t"))
        await conn.commit()
    async with engine.connect() as other:  # another connection sees what was committed
        assert (await other.execute(text("SELECT name FROM t"))).scalars().all() == ["乙"]


async def test_a_write_through_a_streaming_cursor_is_still_undone(engine):
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name, n) VALUES ('甲', 1)"))
        await conn.commit()  # nothing open now, as far as the statements said
        streamed = await conn.stream(text("INSERT INTO t (name, n) VALUES ('乙', 2) "
                                          "RETURNING name"))
        assert [row.name async for row in streamed] == ["乙"]
        await conn.rollback()
        assert (await conn.execute(text("SELECT name FROM t"))).scalars().all() == ["甲"]


async def test_a_failed_write_left_behind_does_not_lock_out_the_next_writer(engine):
    async with engine.connect() as other:  # a second connection, held open throughout
        await other.execute(text("PRAGMA busy_timeout=100"))
        async with engine.connect() as conn:
            await conn.execute(text("INSERT INTO t (name, n) VALUES ('甲', 1)"))
            await conn.commit()
            with pytest.raises(IntegrityError):
                await conn.execute(text("INSERT INTO t (name, n) VALUES ('甲', 2)"))
        # that session ended with no rollback of its own: the pool's must have reached SQLite
        await other.execute(text("INSERT INTO t (name, n) VALUES ('乙', 2)"))
        await other.commit()
        assert (await other.execute(text("SELECT count(*) FROM t"))).scalar() == 2
