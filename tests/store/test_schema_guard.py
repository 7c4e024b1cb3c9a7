"""Every trigger and index at head, on the run's database (SQLite, or TEST_DATABASE_URL's
PostgreSQL), is one that the facts that change a score (store/schema_guard.py SCORE_FACTS) or
the models call for, and a later migration that rebuilds a table cannot lose one unnoticed."""

from __future__ import annotations

import asyncio
import copy
import os
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from domain.rubric import SCORED_FACTS, rubric_from_dict
from store.datafiles import DATA_DIR, load_rubric, read_toml
from store.db import make_engine
from store.migrate import VERSIONS, alembic_config, upgrade
from store.schema_guard import (
    SCORE_FACTS,
    declared_indexes,
    indexes,
    problems,
    triggers,
)
from tests.store.test_migrations import _with_connection

# SQLite cannot reflect the index on coalesce(entry_id, 0): Alembic's batch mode says so
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index")

EVERY_ROW = ("INSERT", "UPDATE", "DELETE")


def on(url: str, work) -> Any:  # noqa: ANN001
    return asyncio.run(_with_connection(url, work))


def what_fires(conn: sa.Connection) -> list[tuple[str, str, frozenset[str] | None]]:
    """Every (table, event, columns of UPDATE OF) that some trigger fires on."""
    return sorted((fired for found in triggers(conn).values() for fired in found), key=str)


def test_the_facts_a_score_reads_are_among_those_that_outdate_a_stored_total():
    tables = {"organization": "organizations", "project": "projects"}
    for section, names in SCORED_FACTS.items():
        assert set(names) <= set(SCORE_FACTS[tables[section]] or ()), section
    for rule in load_rubric().eligibility:
        section, column = rule.field.split(".")
        assert column in SCORE_FACTS[tables[section]], rule.field
    for table in ("projects", "rounds"):  # domain/scoring.py recommendation_date reads both
        assert "recommended_on" in (SCORE_FACTS[table] or ()), table


def test_a_rubric_rule_on_a_fact_the_database_does_not_watch_is_refused_as_it_loads():
    """A stored total is outdated only by what the triggers watch. An eligibility rule on
    any other fact (the organisation's district, which the score contract takes too) would
    leave every stored total stale when that fact changes: the rubric is refused instead,
    naming the rule and the fact."""
    data = copy.deepcopy(read_toml(DATA_DIR / "rubric.toml"))
    data["eligibility"][0]["field"] = "organization.district"
    with pytest.raises(ValueError, match="'registered_under_2_years' reads "
                                         "'organization.district'"):
        rubric_from_dict(data)


def test_every_trigger_and_index_at_head_is_one_the_facts_or_the_models_call_for(
        migrated_database_url):
    expected = sorted([(table, event, None) for table, columns in SCORE_FACTS.items()
                       if columns is None for event in EVERY_ROW]
                      + [(table, "UPDATE", frozenset(columns))
                         for table, columns in SCORE_FACTS.items() if columns is not None],
                      key=str)
    assert on(migrated_database_url, what_fires) == expected
    assert len(expected) == 15  # the evidence's 4 tables × 3 events, and 3 tables' facts
    assert on(migrated_database_url, indexes) == declared_indexes()
    assert "uq_evidence_file_content" in declared_indexes()
    assert on(migrated_database_url, problems) == []


def test_a_trigger_or_index_that_is_gone_is_named(migrated_database_url):
    def drop_some(conn: sa.Connection) -> None:
        name = next(n for n, fired in triggers(conn).items()
                    if ("rounds", "UPDATE", frozenset(SCORE_FACTS["rounds"])) in fired)
        conn.exec_driver_sql(f"DROP TRIGGER {name}"
                             + (" ON rounds" if conn.dialect.name == "postgresql" else ""))
        conn.exec_driver_sql("DROP INDEX uq_evidence_file_content")

    on(migrated_database_url, drop_some)
    assert on(migrated_database_url, problems) == [
        "no trigger for UPDATE on rounds OF recommended_on, reviews_required",
        "no index uq_evidence_file_content"]


MIGRATION = '''
import sqlalchemy as sa
from alembic import op

from store.schema_guard import batch_alter_table

revision = "guard_{n}"
down_revision = {down!r}


def upgrade():
    op.add_column("{table}", sa.Column("note_{n}", sa.String(20), nullable=True))
    with {opening}) as batch:  # SQLite makes this change by copying the table
        batch.alter_column("note_{n}", existing_type=sa.String(20), type_=sa.String(40))
'''


def add_migration(folder, n: int, table: str, *, helper: bool) -> None:
    """A later migration that rebuilds `table` (a new column widened), through the helper or
    through Alembic's batch mode alone."""
    scripts = ScriptDirectory.from_config(config_with(folder, "sqlite://"))
    opening = f'batch_alter_table(op, "{table}"' if helper else f'op.batch_alter_table("{table}"'
    (folder / f"guard_{n}.py").write_text(MIGRATION.format(
        n=n, table=table, down=scripts.get_current_head(), opening=opening), encoding="utf-8")


def config_with(folder, url: str):  # noqa: ANN001, ANN201
    cfg = alembic_config(url)
    for option in ("path_separator", "version_path_separator"):  # Alembic's new and old name
        cfg.set_main_option(option, "os")
    cfg.set_main_option("version_locations", os.pathsep.join((str(VERSIONS), str(folder))))
    return cfg


def snapshot(conn: sa.Connection) -> tuple:
    return what_fires(conn), indexes(conn)


def test_a_batch_migration_of_evidence_files_and_of_projects_keeps_them(
        migrated_database_url, tmp_path):
    before = on(migrated_database_url, snapshot)
    add_migration(tmp_path, 1, "evidence_files", helper=True)
    add_migration(tmp_path, 2, "projects", helper=True)
    command.upgrade(config_with(tmp_path, migrated_database_url), "heads")
    assert on(migrated_database_url, snapshot) == before

    def columns(conn: sa.Connection) -> set[str]:
        inspector = sa.inspect(conn)
        return {c["name"] for t in ("evidence_files", "projects")
                for c in inspector.get_columns(t)}

    assert {"note_1", "note_2"} <= on(migrated_database_url, columns)


def test_a_migration_that_loses_them_fails_the_upgrade_loudly(database_url, tmp_path):
    if make_engine(database_url).dialect.name != "sqlite":
        pytest.skip("PostgreSQL alters a table in place: Alembic's batch mode loses nothing")
    upgrade(database_url)
    add_migration(tmp_path, 1, "evidence_files", helper=False)
    with pytest.raises(RuntimeError, match="no trigger for INSERT on evidence_files"):
        command.upgrade(config_with(tmp_path, database_url), "heads")
