"""Many rows in one INSERT on PostgreSQL: psycopg's pipelined ``executemany`` of a one-row statement.

SQLAlchemy's "insertmanyvalues" renders a thousand rows into one statement, which psycopg converts from
named to positional parameters in Python on every execution (a statement that long is not cached): for a
50,000-row import that took longer than the rest of the import. The one-row statement below is converted
once and sent for every row in one pipeline. Values go through the columns' own bind processors and casts,
as SQLAlchemy would send them.
"""
from __future__ import annotations

from sqlalchemy import Column, Table

from ..extensions import db
from . import generations


def psycopg_insert(table: Table, rows: list[dict], returning: Column | None = None) -> list | None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` on a psycopg connection, in the session's
    transaction; with ``returning``, that column of each new row, in row order. None (nothing done) on
    any other driver or when the rows' keys differ: the caller uses SQLAlchemy's own insert then."""
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg" or not rows:
        return None
    keys = list(rows[0])
    if any(len(row) != len(keys) or row.keys() != rows[0].keys() for row in rows):
        return None
    quote = dialect.identifier_preparer.quote
    columns = [table.c[key] for key in keys]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    placeholders = ", ".join(f"%s::{column.type.compile(dialect=dialect)}" for column in columns)
    # Identifiers and types from the table's own definition (quoted); the values are parameters.
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "  # nosec B608
           f"({', '.join(quote(column.name) for column in columns)}) VALUES ({placeholders})")
    if returning is not None:
        sql += f" RETURNING {quote(returning.name)}"
    generations.wrote(db.session, table.name)  # past the ORM: the table's topics are bumped at commit
    params = [tuple(value if process is None else process(value)
                    for value, process in zip(row.values(), processors, strict=True)) for row in rows]
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, params, returning=returning is not None)
        if returning is None:
            return []
        values = []
        while True:
            values.append(cursor.fetchone()[0])
            if not cursor.nextset():
                return values
    finally:
        cursor.close()
