"""SQLite, the embedded default: every connection to a database file uses write-ahead logging (WAL).

With SQLite's default rollback journal a writer whose transaction outgrows the page cache takes an
exclusive lock to spill pages into the file, and every reader waits until it commits: a 50,000-row
import (one transaction, all or nothing) would freeze its own progress page and every other page, or
need a page cache as large as the transaction. In WAL mode uncommitted pages spill into the log, which
readers ignore, so readers never wait for a writer and the cache stays small. (PostgreSQL needs none
of this.)
"""
from __future__ import annotations

import contextlib
import sqlite3

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _write_ahead_log(dbapi_connection, _connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        # Persistent in the file once set; an in-memory database answers "memory" and stays as it is.
        # The first switch needs the file to itself: while workers of the previous release still hold it
        # (a rolling restart), this connection works in the old mode and a later one makes the switch.
        with contextlib.suppress(sqlite3.OperationalError):
            cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


# ``statement.with_hint(table, "INDEXED BY ix_…", "sqlite")`` renders SQLite's INDEXED BY after the table (SQLAlchemy's
# SQLite compiler drops from-hints by default). For the few lists whose filters have one covering index that
# answers them all, where SQLite without statistics would take a one-column index and read every row it names.
SQLiteCompiler.get_from_hint_text = lambda _compiler, _table, text: text
