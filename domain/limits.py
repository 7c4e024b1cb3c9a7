"""Limits on typed values that are not dates (domain/dates.py) or names of a kind of their own:
record ids as people type them (a command's argument, the command line)."""

from __future__ import annotations

from domain.errors import InputError

MAX_RECORD_ID = 2**31 - 1  # an id column on every database (PostgreSQL's integer)
MAX_USER_ID = 2**53  # Telegram's user ids fit in 52 bits


def record_id(text: str | int, field: str, limit: int = MAX_RECORD_ID) -> int:
    """A positive id, or InputError naming the field (never an overflow deeper down)."""
    word = str(text).strip()
    if not word.isdigit() or not 0 < int(word) <= limit:
        raise InputError(field, "record_id", value=word[:20])
    return int(word)


def user_id(text: str | int, field: str) -> int:
    return record_id(text, field, MAX_USER_ID)
