"""What the store tells its callers when a write cannot be made, in its own words (no
SQLAlchemy exception leaves store/)."""

from __future__ import annotations


class Duplicate(Exception):
    """The row exists already (a unique key)."""


class StaleWrite(Exception):
    """The row changed since it was read (its version moved on)."""


class DatabaseUnreachable(Exception):
    """The database did not answer: `address` (its URL without the password) and what the
    driver said (`cause`, one line)."""

    def __init__(self, address: str, cause: str) -> None:
        super().__init__(f"{address}: {cause}")
        self.address, self.cause = address, cause


class MigrationFailed(Exception):
    """Alembic could not bring the database to `revision` (an unknown revision name, a
    migration's statement refused); `head` is the code's newest revision."""

    def __init__(self, address: str, revision: str, head: str, cause: str) -> None:
        super().__init__(f"{address} to {revision}: {cause}")
        self.address, self.revision, self.head, self.cause = address, revision, head, cause
