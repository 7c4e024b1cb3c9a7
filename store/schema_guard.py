"""What a schema change must not lose: the triggers that keep stored totals right and the
indexes the models declare.

The facts that change a score, as the database sees them, are listed once (`SCORE_FACTS`):
every trigger at head is one of them (migration 0011 created them; tests/store/
test_schema_guard.py ties the two). A migration that rebuilds a table uses `batch_alter_table`
here, not Alembic's: on SQLite Alembic's batch mode copies the table into a new one, which has
none of the old table's triggers nor the indexes on expressions SQLAlchemy cannot reflect
(uq_evidence_file_content), and SQLite refuses to rename the copy while another table's trigger
names the table (the organizations' and rounds' triggers name projects). The migrations' env
(store/migrations/env.py) checks every upgrade to head with `problems` and fails loudly.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from domain.rubric import SCORED_FACTS
from store.models import Base

# Table → the columns whose change can change a project's score; None: any insert, update or
# delete of a row (the evidence and the reviewers' verdicts). The organisation's and the
# project's facts are domain/rubric.py SCORED_FACTS (the columns bear their names); beside
# them the dates that decide which rules apply (domain/scoring.py recommendation_date: the
# project's, else its round's) and what links a project to its round and organisation.
SCORE_FACTS: dict[str, tuple[str, ...] | None] = {
    "evidence_files": None,
    "evidence_entries": None,
    "evidence_figures": None,
    "verdicts": None,
    "projects": (*SCORED_FACTS["project"], "recommended_on", "round_id", "organization_id"),
    "organizations": tuple(SCORED_FACTS["organization"]),
    "rounds": ("recommended_on", "reviews_required"),
}

# (table, event, the columns of an UPDATE OF … or None)
Trigger = tuple[str, str, frozenset[str] | None]
_SQLITE_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+\S+\s+(?:AFTER|BEFORE)\s+(INSERT|UPDATE|DELETE)"
    r"(?:\s+OF\s+(.+?))?\s+ON\s+(\w+)", re.IGNORECASE | re.DOTALL)


def expected_triggers() -> set[Trigger]:
    """The triggers `SCORE_FACTS` calls for, whatever their names."""
    out: set[Trigger] = set()
    for table, columns in SCORE_FACTS.items():
        if columns is None:
            out |= {(table, event, None) for event in ("INSERT", "UPDATE", "DELETE")}
        else:
            out.add((table, "UPDATE", frozenset(columns)))
    return out


def triggers(conn: sa.Connection) -> dict[str, set[Trigger]]:
    """Every trigger in the database: name → what fires it."""
    out: dict[str, set[Trigger]] = {}
    if conn.dialect.name == "postgresql":
        rows = conn.execute(sa.text(
            "SELECT t.trigger_name, t.event_object_table, t.event_manipulation, "
            "string_agg(c.event_object_column, ',') FROM information_schema.triggers t "
            "LEFT JOIN information_schema.triggered_update_columns c "
            "ON c.trigger_name = t.trigger_name AND c.event_object_table = t.event_object_table "
            "AND c.trigger_schema = t.trigger_schema AND t.event_manipulation = 'UPDATE' "
            "WHERE t.trigger_schema = current_schema() "
            "GROUP BY t.trigger_name, t.event_object_table, t.event_manipulation"))
        for name, table, event, columns in rows:
            out.setdefault(name, set()).add(
                (table, event, frozenset(columns.split(",")) if columns else None))
        return out
    for name, sql in conn.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")):
        match = _SQLITE_TRIGGER.match(sql)
        if match is None:
            raise ValueError(f"trigger {name} is not understood here: {sql[:80]}")
        event, columns, table = match.groups()
        out[name] = {(table, event.upper(), frozenset(c.strip() for c in columns.split(","))
                      if columns else None)}
    return out


def indexes(conn: sa.Connection) -> set[str]:
    """The names of the indexes made by CREATE INDEX (not those behind a primary key or a
    unique constraint)."""
    if conn.dialect.name == "postgresql":
        return set(conn.execute(sa.text(
            "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )).scalars())
    return set(conn.execute(sa.text(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")).scalars())


def declared_indexes() -> set[str]:
    return {index.name for table in Base.metadata.tables.values() for index in table.indexes
            if index.name}


def problems(conn: sa.Connection) -> list[str]:
    """What the database at head lacks: triggers that `SCORE_FACTS` calls for, indexes the
    models declare."""
    found = set().union(*triggers(conn).values())
    out = [f"no trigger for {event} on {table}" + (f" OF {', '.join(sorted(cols))}" if cols
                                                   else "")
           for table, event, cols in sorted(expected_triggers() - found, key=str)]
    return out + [f"no index {name}" for name in sorted(declared_indexes() - indexes(conn))]


@contextlib.contextmanager
def batch_alter_table(operations: Any, table: str, **kw: Any) -> Iterator[Any]:
    """`operations.batch_alter_table(table, **kw)` (`operations`: alembic's `op`) that keeps
    every trigger that names the table and every index of the table. On SQLite they are
    dropped before the table is copied and created again after from their own SQL; an index
    or trigger the change makes impossible fails loudly (drop it first, on purpose).
    PostgreSQL alters the table in place and keeps them itself."""
    bind = operations.get_bind()
    if bind.dialect.name != "sqlite":
        with operations.batch_alter_table(table, **kw) as batch:
            yield batch
        return
    names = re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE)
    kept = [(kind, name, sql) for kind, name, sql in bind.execute(sa.text(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND ((type = 'index' AND tbl_name = :table) OR type = 'trigger')"), {"table": table})
        if kind == "index" or names.search(sql)]
    for kind, name, _ in kept:
        bind.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    with operations.batch_alter_table(table, **kw) as batch:
        yield batch
    for _, _, sql in kept:
        bind.exec_driver_sql(sql)
