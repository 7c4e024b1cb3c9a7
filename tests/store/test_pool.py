"""The pool's connections (store/db.py): one that goes back with a transaction still open is
rolled back there, so what it wrote never rides on the next user's commit (the pool's own
reset is replaced by `_rollback_if_open`, which skips the rollback only when nothing is open)."""

from __future__ import annotations

import sqlalchemy as sa

from store.db import make_engine


async def test_a_connection_returned_in_a_transaction_leaves_nothing_for_the_next_commit(
        database_url):
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))

        def abandon(conn: sa.Connection) -> None:
            """A write on the driver's connection, not ended: it goes back to the pool in
            its transaction (as a crash between a write and its commit leaves it)."""
            cursor = conn.connection.cursor()
            cursor.execute("INSERT INTO probe VALUES (1)")
            cursor.close()

        async with engine.connect() as conn:
            await conn.run_sync(abandon)
        async with engine.begin() as conn:  # the most recently used connection: that one
            await conn.execute(sa.text("INSERT INTO probe VALUES (2)"))
        async with engine.connect() as conn:
            assert list((await conn.execute(sa.text("SELECT x FROM probe"))).scalars()) == [2]
    finally:
        await engine.dispose()
