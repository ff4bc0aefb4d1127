"""SQLite's plan of a street's company list: the street's companies (those of its estates) come off the estates'
(street_id, company_id) index alone, not a table row read for each of the street's estates."""
from __future__ import annotations

from ..plans import request_plans


def test_a_street_s_company_list_reads_its_companies_off_the_street_company_index(sqlite_only, world, login_as):
    plans = request_plans(login_as(world.street_user), "/companies/", "FROM estates AS estates_1")
    assert plans and all("COVERING INDEX ix_estates_street_company" in plan for plan in plans), plans
