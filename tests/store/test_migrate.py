"""Migrations: the quick "already at head" check agrees with Alembic."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from store.migrate import alembic_config, at_head, script_heads, upgrade


def test_the_heads_read_from_the_files_are_alembics(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert script_heads() == frozenset(ScriptDirectory.from_config(alembic_config(url))
                                       .get_heads())


def test_a_new_database_is_migrated_and_then_known_to_be_at_head(database_url):
    url = database_url
    assert not at_head(url)
    upgrade(url)
    assert at_head(url)
    upgrade(url)  # nothing to do, and no error
    assert at_head(url)


def test_a_database_behind_is_not_at_head(database_url):
    url = database_url
    upgrade(url, "0001")
    assert not at_head(url)
    upgrade(url)
    assert at_head(url)
