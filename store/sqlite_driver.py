"""SQLAlchemy's aiosqlite adapter with one hand-off to the connection's thread per statement.

aiosqlite runs each call on a sqlite3 connection in a thread of its own, and SQLAlchemy's
adapter makes four such calls per statement: open a cursor, execute, fetch the rows, close
the cursor. Each call is a round trip between the event loop and that thread (a queue, a
wake-up of the loop through its self-pipe), about as costly as the statement itself for the
small queries a chat's update makes. Here the four run as ONE call in the thread, with the
same results and errors (`_handle_exception` as before); a commit or rollback with no
transaction open (a read's) is not sent at all. Everything else is SQLAlchemy's own.
Used for `sqlite+aiosqlite` URLs (store/db.py `make_engine`).
"""

from __future__ import annotations

import collections
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT


def _run(conn: aiosqlite.Connection, operation: str, parameters: Any, many: bool) -> tuple:
    """In the connection's thread: the statement, its rows (if it returns any) and counts."""
    raw = conn._conn
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.rowcount, cursor.lastrowid, raw.in_transaction
    finally:
        cursor.close()


class OneCallCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement, fetch and close are one call in the thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # no aiosqlite cursor of its own (the base class opens one: a call to the thread)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:  # rows are all fetched at once anyway
        pass

    async def _call(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = self._adapt_connection
        async with connection._execute_mutex:
            connection.in_transaction = True  # not known while it runs, nor if it fails
            description, rows, rowcount, lastrowid, connection.in_transaction = \
                await self._connection._execute(_run, self._connection, operation,
                                                parameters, many)
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._call(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._call(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """Nothing stays open in the thread: the cursor there closed with its statement."""

    def close(self) -> None:
        self._rows.clear()


class OneCallConnection(AsyncAdapt_aiosqlite_connection):
    """Also skips the call to the thread for a commit or rollback with no transaction open:
    Python's sqlite3 opens one only for a write, so a read's session ends with a rollback
    that does nothing (the pool's reset of every connection it gets back)."""

    __slots__ = ("in_transaction",)
    _cursor_cls = OneCallCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = True  # as far as this knows, until its first statement

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # SQLAlchemy's own streaming cursor, not followed here: assume one
            self.in_transaction = True
        return super().cursor(server_side)

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False


class OneCallDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy's dialect sees it, its connections making `OneCallCursor`s.
    Passed as `module` to `create_async_engine`."""

    def connect(self, *arg: Any, **kw: Any) -> OneCallConnection:
        adapted = super().connect(*arg, **kw)
        return OneCallConnection(self, adapted._connection)


def dbapi() -> OneCallDBAPI:
    import sqlite3

    return OneCallDBAPI(aiosqlite, sqlite3)
