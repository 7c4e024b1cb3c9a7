"""The reminder schedule: days before, the hour, quiet hours, never after the deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.reminders import ReminderPolicy, days_left, schedule
from services.clock import SHANGHAI

POLICY = ReminderPolicy()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_default_schedule_is_7_3_1_days_before_and_the_day_itself_at_nine():
    plan = schedule(at("2026-12-15 17:00"), POLICY)
    assert plan == {"d7": at("2026-12-08 09:00"), "d3": at("2026-12-12 09:00"),
                    "d1": at("2026-12-14 09:00"), "d0": at("2026-12-15 09:00")}


def test_a_deadline_before_nine_has_no_same_day_reminder():
    plan = schedule(at("2026-12-15 08:30"), POLICY)
    assert "d0" not in plan and plan["d1"] == at("2026-12-14 09:00")


@pytest.mark.parametrize(("hour", "expected"), [
    (22, "2026-12-09 08:00"),  # 22:00 is quiet: next morning at 08:00
    (6, "2026-12-08 08:00"),   # 06:00 is quiet: 08:00 the same morning
    (21, "2026-12-09 08:00"),  # quiet from 21:00 on
    (8, "2026-12-08 08:00"),   # 08:00 is allowed
    (20, "2026-12-08 20:00"),
])
def test_quiet_hours_shift_to_eight(hour, expected):
    policy = ReminderPolicy(days_before=(7,), hour=hour)
    assert schedule(at("2026-12-15 17:00"), policy)["d7"] == at(expected)


def test_days_left_counts_calendar_days():
    assert days_left(at("2026-12-08 09:00"), at("2026-12-15 17:00")) == 7
    assert days_left(at("2026-12-15 09:00"), at("2026-12-15 17:00")) == 0
