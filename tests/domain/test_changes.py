"""What changed in a review target since its last verdict (domain/changes.py): the web
desk's project page lists it per item for a resubmitted project."""

from __future__ import annotations

import datetime as dt

from domain.changes import (
    ENTRY_ADDED,
    FIELD,
    FIGURE,
    FILE_ADDED,
    FILE_REMOVED,
    Change,
    Logged,
    registered,
    since,
)

VERDICT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
LATER = VERDICT + dt.timedelta(days=1)


def test_files_added_and_removed_since_the_verdict_by_name_and_time():
    log = [Logged(VERDICT - dt.timedelta(hours=1), "remove_evidence", "study_records",
                  {"file": "旧的.pdf", "id": 1}, None),  # before the verdict: not this one
           Logged(LATER, "remove_evidence", "study_records", {"file": "记录.pdf", "id": 2}, None)]
    found = since("study_records", [[2, 3], 0], VERDICT,
                  {3: ("照片.jpg", VERDICT), 7: ("重扫.pdf", LATER)}, log)
    assert found == (Change(FILE_ADDED, "重扫.pdf", at=LATER),
                     Change(FILE_REMOVED, "记录.pdf", at=LATER))


def test_a_file_removed_without_its_id_in_the_log_is_still_counted():
    assert since("study_records", [[2], 0], VERDICT, {}, []) == (Change(FILE_REMOVED),)


def test_a_figure_corrected_twice_shows_the_first_old_and_the_last_new_value():
    log = [Logged(LATER, "edit_evidence", "satisfaction", 80.0, 85.0),
           Logged(LATER, "edit_evidence", "satisfaction", 85.0, 92.0),
           Logged(LATER, "edit_evidence", "other_item", 1.0, 2.0)]
    assert since("satisfaction", [[], 1], VERDICT, {}, log) == (
        Change(FIGURE, old=80.0, new=92.0, at=LATER),)


def test_an_entrys_fields_changed_and_changed_back_are_told_apart():
    log = [Logged(LATER, "edit_evidence", "entry:5", {"title": "A", "level": "national"},
                  {"title": "B", "level": "city"}),
           Logged(LATER, "edit_evidence", "entry:5", {"level": "city"}, {"level": "national"})]
    assert since("entry:5", [1, []], VERDICT, {}, log) == (
        Change(FIELD, "title", "A", "B", LATER),)


def test_entries_registered_after_the_last_verdict_and_not_yet_judged():
    found = registered({"entry:1": VERDICT - dt.timedelta(days=2), "entry:2": LATER,
                        "entry:3": LATER}, {"entry:3"}, VERDICT)
    assert found == {"entry:2": Change(ENTRY_ADDED, at=LATER)}
    assert registered({"entry:2": LATER}, set(), None) == {}  # never judged: nothing "since"
