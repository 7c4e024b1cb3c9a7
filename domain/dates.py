"""Calendar arithmetic and the date forms staff type. Pure: no clock here."""

from __future__ import annotations

import datetime as dt
import re

from domain.errors import InputError

# Typed dates outside these years are refused: nothing this bot records is older (an
# organisation's founding) or further ahead (a certificate's expiry), and year 1 would break
# the conversion to UTC of a deadline.
EARLIEST_YEAR, LATEST_YEAR = 1950, 2100


class OutOfRange(ValueError):
    """A real date, but in a year no typed date here can be in."""

_FORMS = (
    # 2025-06-30, 2025/6/30, 2025.6.30
    re.compile(r"^(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})$"),
    # 2025年6月30日 (日/号 optional)
    re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?$"),
    # 25.6.30, 25/6/30, 25-6-30 (two-digit year: 20xx)
    re.compile(r"^(?P<yy>\d{2})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})$"),
    # 20250630
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)


def add_years(day: dt.date, years: int) -> dt.date:
    """Calendar years: 29 February plus one year is 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 Feb into a common year
        return day.replace(year=day.year + years, day=28)


def parse_iso_date(text: str) -> dt.date:
    """Strict YYYY-MM-DD, as the JSON contract has it. Raises ValueError."""
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("日期须为 YYYY-MM-DD 格式")
    return dt.date.fromisoformat(text)


def parse_typed_date(text: str) -> dt.date:
    """A date in the forms people type: 2025-06-30, 2025/6/30, 2025年6月30日, 25.6.30.

    Raises ValueError when the text is no date or an impossible one (2025-02-30).
    """
    cleaned = text.strip().translate(str.maketrans("０１２３４５６７８９／－．", "0123456789/-."))
    for form in _FORMS:
        m = form.match(cleaned)
        if m:
            parts = m.groupdict()
            year = int(parts["y"]) if parts.get("y") else 2000 + int(parts["yy"])
            day = dt.date(year, int(parts["m"]), int(parts["d"]))
            if not EARLIEST_YEAR <= year <= LATEST_YEAR:
                raise OutOfRange(f"{text}: {EARLIEST_YEAR}..{LATEST_YEAR}")
            return day
    raise ValueError(f"无法识别的日期：{text}")


_TIME = re.compile(r"^(?P<h>\d{1,2})\s*[:：点时]\s*(?P<mi>\d{1,2})?\s*分?$")


def parse_typed_datetime(text: str) -> dt.datetime:
    """A date and a time of day: "2026-12-15 17:00", "2026年12月15日 17:00", "2026/12/15 17点".
    Naive (the caller attaches the time zone). Raises ValueError."""
    cleaned = text.strip().replace("T", " ")
    m = re.match(r"^(?P<date>.+?)\s*(?P<time>\d{1,2}\s*[:：点时]\s*(?:\d{1,2})?\s*分?)$", cleaned)
    if not m:
        raise ValueError(f"无法识别的时间：{text}")
    day = parse_typed_date(m.group("date").strip())
    t = _TIME.match(m.group("time").strip())
    if not t:
        raise ValueError(f"无法识别的时间：{text}")
    return dt.datetime.combine(day, dt.time(int(t.group("h")), int(t.group("mi") or 0)))


def _out_of_range(text: str, field: str):
    return InputError(field, "date_range", value=text, earliest=EARLIEST_YEAR,
                      latest=LATEST_YEAR)


def date_field(text: str, field: str) -> dt.date:
    """A typed date for `field`, or InputError naming the field."""
    try:
        return parse_typed_date(text)
    except OutOfRange as exc:
        raise _out_of_range(text, field) from exc
    except ValueError as exc:
        raise InputError(field, "date", value=text) from exc


def datetime_field(text: str, field: str) -> dt.datetime:
    """A typed date and time for `field`, or InputError naming the field."""
    try:
        return parse_typed_datetime(text)
    except OutOfRange as exc:
        raise _out_of_range(text, field) from exc
    except ValueError as exc:
        raise InputError(field, "datetime", value=text) from exc
