"""Alembic environment: async engine, URL from the config (store/migrate.py sets it from the
settings) or else DATABASE_URL in the environment. The store never imports bot/.

An upgrade that reaches head is checked before it commits: a trigger that keeps stored totals
right or an index the models declare that a migration lost (Alembic's batch mode on SQLite
drops them; store/schema_guard.py `batch_alter_table` keeps them) fails the upgrade loudly."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from store.db import make_engine, url_from_environment
from store.models import Base
from store.schema_guard import problems

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or url_from_environment()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
        at_head = set(context.get_context().get_current_heads()) == set(context.script.get_heads())
        lost = problems(connection) if at_head else []
        if lost:
            raise RuntimeError("the migrations lost what keeps scores right: " + "; ".join(lost)
                               + " (store/schema_guard.py batch_alter_table keeps them)")


async def _run_async() -> None:
    engine = make_engine(_url(), foreign_keys=False)  # see make_engine
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
