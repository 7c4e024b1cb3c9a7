"""The data files are read as written, every time: the parse kept to start faster (issue 13)
never stands in for an edited file, is kept in the cache directory (never beside the file, in
the source tree), and a cache directory where it cannot be kept changes nothing."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from store.datafiles import CACHE_ENV, DATA_DIR, read_toml


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """The cache directory the settings name (UNIONBOT_CACHE_DIR), empty."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def files_under(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_data_file_reads_as_tomllib_reads_it_first_and_again(path):
    expected = tomllib.loads(path.read_text(encoding="utf-8"))
    assert read_toml(path) == expected
    assert read_toml(path) == expected


def test_an_edited_file_is_read_as_it_is_now(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[limit]\nzh = "二十"\nen = "twenty"\n', encoding="utf-8")
    assert read_toml(rules)["limit"]["en"] == "twenty"
    rules.write_text('[limit]\nzh = "三十"\nen = "thirty"\n', encoding="utf-8")
    assert read_toml(rules)["limit"] == {"zh": "三十", "en": "thirty"}
    rules.write_text('[limit]\nzh = "二十"\nen = "twenty"\n', encoding="utf-8")  # back again
    assert read_toml(rules)["limit"]["en"] == "twenty"


def test_the_parses_go_to_the_cache_directory_and_nothing_into_the_source_tree(tmp_path, cache):
    source = tmp_path / "source"
    source.mkdir()
    rules = source / "rules.toml"
    rules.write_text("days = [7, 3, 1, 0]\n", encoding="utf-8")
    assert read_toml(rules) == {"days": [7, 3, 1, 0]}
    assert files_under(source) == [rules.relative_to(source)]
    assert [p.name for p in cache.rglob("rules.toml.*.json")]
    shipped = files_under(DATA_DIR)
    for path in sorted(DATA_DIR.glob("*.toml")):
        read_toml(path)
    assert files_under(DATA_DIR) == shipped
    assert len(list(cache.rglob("messages.toml.*.json"))) == 1


def test_a_damaged_kept_parse_is_not_believed(tmp_path, cache):
    rules = tmp_path / "rules.toml"
    rules.write_text("days = [7, 3, 1, 0]\n", encoding="utf-8")
    read_toml(rules)
    for kept in cache.rglob("*.json"):
        kept.write_text('{"days": [1', encoding="utf-8")
    assert read_toml(rules) == {"days": [7, 3, 1, 0]}


def test_a_cache_directory_where_nothing_can_be_kept_still_reads(tmp_path, cache):
    rules = tmp_path / "rules.toml"
    rules.write_text("hour = 9\n", encoding="utf-8")
    cache.write_text("not a folder", encoding="utf-8")
    assert read_toml(rules) == {"hour": 9}
    assert read_toml(rules) == {"hour": 9}


def test_dates_which_json_cannot_keep_are_read_each_time(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("opens = 2026-11-01\n", encoding="utf-8")
    assert read_toml(rules) == {"opens": dt.date(2026, 11, 1)}
    assert read_toml(rules) == {"opens": dt.date(2026, 11, 1)}
