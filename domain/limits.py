"""Limits on typed values that are not dates (domain/dates.py) or names of a kind of their own:
record ids as people type them (a command's argument, the command line), an entry's title."""

from __future__ import annotations

from domain.errors import InputError

MAX_RECORD_ID = 2**31 - 1  # an id column on every database (PostgreSQL's integer)
MAX_USER_ID = 2**53  # Telegram's user ids fit in 52 bits
MAX_TITLE = 150  # a media report's or an exchange's title: a headline, not an article


def record_id(text: str | int, field: str, limit: int = MAX_RECORD_ID) -> int:
    """A positive id, or InputError naming the field (never an overflow deeper down)."""
    word = str(text).strip()
    if not word.isdigit() or not 0 < int(word) <= limit:
        raise InputError(field, "record_id", value=word[:20])
    return int(word)


def user_id(text: str | int, field: str) -> int:
    return record_id(text, field, MAX_USER_ID)


def entry_title(text: str, field: str = "title") -> str:
    """An entry's title, stripped; InputError if empty or longer than MAX_TITLE (refused,
    never cut short)."""
    title = text.strip()
    if not 0 < len(title) <= MAX_TITLE:
        raise InputError(field, "title_length", max=MAX_TITLE, length=len(title))
    return title
