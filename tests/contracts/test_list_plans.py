"""SQLite's plans of the lists that must not visit every estate: the 前期物业 and party-building lists walk
(street, name) in order and stop after the page; the overdue list starts from the overdue rows."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from supervision.extensions import db


def _plans(client, url: str, marker: str) -> list[str]:
    """The query plan of each statement of the request to ``url`` whose SQL holds ``marker``."""
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


@pytest.fixture
def sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner")


@pytest.mark.parametrize("url", ["/contracts/party", "/contracts/party?gap=no_org", "/contracts/party?gap=red",
                                 "/contracts/preliminary", "/contracts/preliminary?gap=no_record",
                                 "/contracts/preliminary?gap=not_signed"])
def test_the_estate_lists_read_their_page_off_the_street_name_index(sqlite_only, world, login_as, url):
    """The page's ids (the gap an EXISTS probe of the record per estate) walk (street, name), no sort."""
    plans = _plans(login_as(world.officer), url, "ORDER BY estates.street_id, estates.name_sort")
    assert plans and all("ix_estates_street_name_sort" in plan and "TEMP B-TREE" not in plan for plan in plans), plans


def test_the_overdue_list_starts_from_the_overdue_rows(sqlite_only, world, login_as):
    plans = _plans(login_as(world.officer), "/safety/overdue", "fire_facilities")
    assert plans and all("ix_lifts_due_order" in plan and "ix_fire_facilities_due_order" in plan
                         and "ix_estates_archived_at" not in plan for plan in plans), plans
