"""The one injectable clock. All dates are Asia/Shanghai calendar dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    tz: dt.tzinfo

    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


@dataclass
class SystemClock:
    tz: dt.tzinfo = SHANGHAI

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)

    def today(self) -> dt.date:
        return self.now().date()


@dataclass
class FixedClock:
    """A clock for tests: it stands still until moved."""

    current: dt.datetime
    tz: dt.tzinfo = field(default=SHANGHAI)

    def now(self) -> dt.datetime:
        if self.current.tzinfo is None:
            return self.current.replace(tzinfo=self.tz)
        return self.current.astimezone(self.tz)

    def today(self) -> dt.date:
        return self.now().date()

    def advance(self, delta: dt.timedelta) -> None:
        self.current = self.now() + delta
