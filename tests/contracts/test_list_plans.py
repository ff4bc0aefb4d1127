"""SQLite's plans of the lists that must not visit every estate: the 前期物业 and party-building lists walk
(street, name) in order and stop after the page; the overdue list starts from the overdue rows."""
from __future__ import annotations

import pytest

from ..plans import request_plans


@pytest.mark.parametrize("url", ["/contracts/party", "/contracts/party?gap=no_org", "/contracts/party?gap=red",
                                 "/contracts/preliminary", "/contracts/preliminary?gap=no_record",
                                 "/contracts/preliminary?gap=not_signed"])
def test_the_estate_lists_read_their_page_off_the_street_name_index(sqlite_only, world, login_as, url):
    """The page's ids (the gap an EXISTS probe of the record per estate) walk (street, name), no sort."""
    plans = request_plans(login_as(world.officer), url, "ORDER BY estates.street_id, estates.name_sort")
    assert plans and all("ix_estates_street_name_sort" in plan and "TEMP B-TREE" not in plan for plan in plans), plans


def test_the_overdue_list_starts_from_the_overdue_rows(sqlite_only, world, login_as):
    plans = request_plans(login_as(world.officer), "/safety/overdue", "fire_facilities")
    assert plans and all("ix_lifts_due_order" in plan and "ix_fire_facilities_due_order" in plan
                         and "ix_estates_archived_at" not in plan for plan in plans), plans
