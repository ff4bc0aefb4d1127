"""SQLite's plans of the report list: a street's page and the district's read the list's order (week, street, id)
off an index and stop after the page — no sort of the reports — and a street's running campaigns are probed per
campaign on the enrolments' (campaign, street) index; the pages still list only what the viewer may see."""
from __future__ import annotations

import pytest

from supervision.extensions import db
from supervision.reports.weeks import Week

from ..plans import request_plans
from .factories import campaign_world, gen_report


@pytest.fixture
def reports(world):
    campaign, _ = campaign_world(world)
    made = {street: [gen_report(campaign, street, Week(2026, week)) for week in (37, 38, 39)]
            for street in (world.street1, world.street2)}
    db.session.commit()
    return campaign, made


def test_the_report_list_reads_its_page_off_its_order_index(sqlite_only, world, login_as, reports):
    for user, index in ((world.street_user, "ix_weekly_reports_street_week"),
                        (world.officer, "ix_weekly_reports_week_street")):
        plans = request_plans(login_as(user), "/reports/", "ORDER BY weekly_reports.week_start DESC")
        assert plans and all(f"COVERING INDEX {index}" in plan and "USE TEMP B-TREE FOR ORDER BY" not in plan
                             for plan in plans), (user.username, plans)


def test_a_street_s_running_campaigns_are_probed_on_the_enrolments_index(sqlite_only, world, login_as, reports):
    plans = request_plans(login_as(world.street_user), "/reports/", "campaign_phases")
    assert plans and all("ix_enrolments_campaign_street_status (campaign_id=? AND street_id=?)" in plan
                         for plan in plans), plans


def test_the_report_list_is_in_week_order_and_a_street_sees_its_own(world, login_as, reports):
    _campaign, made = reports
    html = login_as(world.street_user).get("/reports/").get_data(as_text=True)
    positions = [html.find(f'/reports/{report.id}"') for report in reversed(made[world.street1])]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    assert all(f'/reports/{report.id}"' not in html for report in made[world.street2])
    html = login_as(world.officer).get("/reports/").get_data(as_text=True)
    # newest week first; within a week, by street
    order = [made[world.street1][2], made[world.street2][2], made[world.street1][1], made[world.street2][1]]
    positions = [html.find(f'/reports/{report.id}"') for report in order]
    assert all(p > 0 for p in positions) and positions == sorted(positions), positions
