"""SQLite's plans of a street's safety pages: the page walks the street's own order index (the row's copy of its
estate's street first) and stops after its rows — no sort of the street's rows, no walk of the district's index."""
from __future__ import annotations

import pytest

from ..plans import request_plans


@pytest.mark.parametrize("url, table, index", [
    ("/safety/lifts", "lifts", "ix_lifts_street_id_due_order"),
    ("/safety/lifts?state=overdue", "lifts", "ix_lifts_street_id_due_order"),
    ("/safety/facilities", "fire_facilities", "ix_fire_facilities_street_id_due_order"),
    ("/safety/facilities?kind=hydrant", "fire_facilities", "ix_fire_facilities_street_id_kind_due_order"),
])
def test_a_street_s_list_reads_its_page_off_its_own_index(sqlite_only, world, login_as, url, table, index):
    for user, query in ((world.street_user, ""), (world.officer, f"street_id={world.street2.id}")):
        full = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
        plans = request_plans(login_as(user), full, f"FROM {table}")
        assert plans and all(index in plan and "TEMP B-TREE" not in plan for plan in plans), (full, plans)


def test_a_street_s_overdue_list_reads_each_register_off_its_street_index(sqlite_only, world, login_as):
    for user, url in ((world.street_user, "/safety/overdue"),
                      (world.officer, f"/safety/overdue?street_id={world.street2.id}")):
        plans = request_plans(login_as(user), url, "fire_facilities")
        assert plans and all("ix_lifts_street_id_due_order" in plan
                             and "ix_fire_facilities_street_id_due_order" in plan for plan in plans), (url, plans)
