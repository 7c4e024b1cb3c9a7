"""When reminders go out: days before a deadline, a fixed hour, no messages in quiet hours.
Pure: times in, times out (all in the caller's time zone, Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    days_before: tuple[int, ...] = (7, 3, 1, 0)  # 0: the deadline's own day
    hour: int = 9
    quiet_start: int = 21  # no message from 21:00 …
    quiet_end: int = 8  # … to 08:00
    lease_s: int = 600  # a claimed row not settled by then is recovered (see services/rounds)
    retry_s: int = 60  # a send that certainly failed is tried again after 1, 2, 4 … minutes
    retry_max_s: int = 3600  # … at most an hour apart, until the deadline

    def retry_delay(self, attempts: int) -> dt.timedelta:
        """How long to wait before trying again after `attempts` failed sends."""
        return dt.timedelta(seconds=min(self.retry_s * 2 ** min(max(attempts - 1, 0), 16),
                                        self.retry_max_s))

    def quiet(self, moment: dt.datetime) -> bool:
        return moment.hour >= self.quiet_start or moment.hour < self.quiet_end

    def out_of_quiet(self, moment: dt.datetime) -> dt.datetime:
        """The moment itself, or the end of the quiet hours it falls in (08:00)."""
        if not self.quiet(moment):
            return moment
        day = moment.date() if moment.hour < self.quiet_end else moment.date() + dt.timedelta(1)
        return dt.datetime.combine(day, dt.time(self.quiet_end), moment.tzinfo)


SUBMISSION, REVIEW = "d", "r"  # the kinds' prefix: a submission deadline, a review deadline


def kind_for(days: int, prefix: str = SUBMISSION) -> str:
    return f"{prefix}{days}"


def schedule(deadline: dt.datetime, policy: ReminderPolicy,
             prefix: str = SUBMISSION) -> dict[str, dt.datetime]:
    """Planned send times by kind ("d7", "d3", "d1", "d0"; "r7" … before a review
    deadline): `hour` o'clock on the day `days` before the deadline, moved out of quiet
    hours; only those before the deadline."""
    out: dict[str, dt.datetime] = {}
    for days in sorted(set(policy.days_before), reverse=True):
        day = deadline.date() - dt.timedelta(days=days)
        at = policy.out_of_quiet(dt.datetime.combine(day, dt.time(policy.hour), deadline.tzinfo))
        if at < deadline:
            out[kind_for(days, prefix)] = at
    return out


def days_left(now: dt.datetime, deadline: dt.datetime) -> int:
    """Whole calendar days from today to the deadline's day (0 on the day itself)."""
    return (deadline.date() - now.date()).days
