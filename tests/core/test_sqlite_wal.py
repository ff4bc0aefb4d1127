"""SQLite database files use write-ahead logging, so a long write transaction never blocks readers."""
from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, text

from supervision.core import sqlite  # noqa: F401  (the connect listener under test)


def test_a_database_file_is_in_wal_mode(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_a_reader_is_not_blocked_by_a_writer_whose_pages_spill(tmp_path):
    path = tmp_path / "spill.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE jobs (id INTEGER PRIMARY KEY, done INTEGER)"))
        connection.execute(text("CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT)"))
        connection.execute(text("INSERT INTO jobs VALUES (1, 7)"))
    writer = engine.connect()
    try:
        writer.exec_driver_sql("PRAGMA cache_size = 10")  # pages: the transaction below outgrows it many times over
        writer.commit()
        transaction = writer.begin()
        writer.execute(text("INSERT INTO rows (payload) VALUES (:p)"), [{"p": "x" * 500}] * 5000)
        # A plain sqlite3 connection that refuses to wait: with the rollback journal the spill above
        # holds an exclusive lock and this read fails with "database is locked".
        reader = sqlite3.connect(path, timeout=0)
        try:
            assert reader.execute("SELECT done FROM jobs WHERE id = 1").fetchone() == (7,)
            assert reader.execute("SELECT count(*) FROM rows").fetchone() == (0,)  # uncommitted: unseen
        finally:
            reader.close()
        transaction.commit()
    finally:
        writer.close()
        engine.dispose()


def test_a_connection_opens_while_another_process_holds_the_file_in_the_old_mode(tmp_path):
    path = tmp_path / "busy.db"
    old = sqlite3.connect(path, timeout=0)  # a worker of the previous release, mid-transaction
    old.execute("CREATE TABLE t (x INTEGER)")
    old.commit()
    old.execute("BEGIN IMMEDIATE")
    old.execute("INSERT INTO t VALUES (1)")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with engine.connect() as connection:  # the switch to WAL is refused for now: the connection still works
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "delete"
        old.commit()
        engine.dispose()
        with engine.connect() as connection:  # the file to itself: now the switch happens
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        old.close()
        engine.dispose()
