"""An empty PostgreSQL database created on a given server, and dropped again: for the test suite's
workers and fixtures and for the benchmark, which each need databases of their own."""
from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ..config import normalise_database_url


def fresh_postgres_database(server_url: str, name: str) -> tuple[str, Callable[[], None]]:
    """Drop ``name`` if it exists, create it empty on the server of ``server_url``.

    Returns the new database's URL and a function that drops it.
    """
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(f"unexpected database name {name!r}")
    url = make_url(normalise_database_url(server_url))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop_statement = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as connection:
        connection.execute(drop_statement)
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(drop_statement)
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop
