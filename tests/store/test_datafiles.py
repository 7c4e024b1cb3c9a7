"""The data files are read as written, every time: the parse kept to start faster (issue 13)
never stands in for an edited file, and a folder where it cannot be kept changes nothing."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from store.datafiles import DATA_DIR, read_toml


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


def test_a_damaged_kept_parse_is_not_believed(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("days = [7, 3, 1, 0]\n", encoding="utf-8")
    read_toml(rules)
    for kept in (tmp_path / "__pycache__").iterdir():
        kept.write_text('{"days": [1', encoding="utf-8")
    assert read_toml(rules) == {"days": [7, 3, 1, 0]}


def test_a_folder_where_nothing_can_be_kept_still_reads(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("hour = 9\n", encoding="utf-8")
    (tmp_path / "__pycache__").write_text("not a folder", encoding="utf-8")
    assert read_toml(rules) == {"hour": 9}
    assert read_toml(rules) == {"hour": 9}


def test_dates_which_json_cannot_keep_are_read_each_time(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("opens = 2026-11-01\n", encoding="utf-8")
    assert read_toml(rules) == {"opens": dt.date(2026, 11, 1)}
    assert read_toml(rules) == {"opens": dt.date(2026, 11, 1)}
