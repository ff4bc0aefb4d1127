"""SQLite's query plans of a request's statements, for the tests that check a list walks its index."""
from __future__ import annotations

from sqlalchemy import event

from supervision.extensions import db


def request_plans(client, url: str, marker: str) -> list[str]:
    """The query plan of each statement of the request to ``url`` whose SQL holds ``marker`` (counts left out)."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if marker in statement and not statement.startswith("SELECT count"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    connection = db.session.connection()
    return [" | ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in seen]

