"""What the store tells its callers when a write cannot be made, in its own words (no
SQLAlchemy exception leaves store/)."""

from __future__ import annotations


class Duplicate(Exception):
    """The row exists already (a unique key)."""


class StaleWrite(Exception):
    """The row changed since it was read (its version moved on)."""
