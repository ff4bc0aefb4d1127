"""The three rates against a hand calculation, the drill-down, the ranking, the dashboard, the
targets page and the monthly report; and the read-only functions other packages use."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import time_machine
from pypdf import PdfReader

from supervision.complaints import rates
from supervision.complaints.models import Kind, Satisfaction, State, Verdict
from supervision.complaints.public import estate_rates, verified_counts_by_company
from supervision.extensions import db

from ..factories import gen_company, gen_estate
from .factories import gen_complaint

NOV = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai; response due 3 Nov, resolution due 9 Nov


def build(world):
    """Street 1 / company 1: four complaints and a repeat; street 2 / company 2: two."""
    e1, e2 = world.estate1, world.estate2
    on_time = NOV + timedelta(hours=5)
    late = NOV + timedelta(days=10)
    a = gen_complaint(e1, state=State.CLOSED, responded_at=on_time, resolved_at=on_time,
                      satisfaction=Satisfaction.SATISFIED)
    gen_complaint(e1, state=State.CALLED_BACK, responded_at=on_time, resolved_at=late,
                  satisfaction=Satisfaction.UNSATISFIED)
    gen_complaint(e1, state=State.RESOLVED, responded_at=late, resolved_at=late)
    gen_complaint(e1, state=State.ASSIGNED)
    gen_complaint(e1, state=State.ASSIGNED, repeat_of_id=a.id)  # a repeat: not counted
    gen_complaint(e2, state=State.CALLED_BACK, responded_at=on_time, resolved_at=on_time,
                  satisfaction=Satisfaction.BASIC)
    gen_complaint(e2, state=State.RESOLVED, resolved_at=on_time)  # resolved at once: responded too
    gen_complaint(e1, state=State.RESOLVED, kind=Kind.REPAIR, resolved_at=on_time)
    gen_complaint(e1, state=State.ASSIGNED, received_at=datetime(2026, 10, 20, 2, tzinfo=UTC))  # October
    db.session.commit()


def test_rates_per_street_and_company_match_a_hand_calculation(world):
    build(world)
    start, end = rates.month_bounds(2026, 11)
    by_street = {r.key: r for r in rates.grouped(rates.C.street_id, start, end)}
    s1 = by_street[world.street1.id]
    # Street 1: 4 counted; responded on time: 2 of 4; resolved on time: 1 of 4; satisfied: 1 of 2 called back.
    assert (s1.received, s1.responded, s1.resolved, s1.called_back, s1.satisfied) == (4, 2, 1, 2, 1)
    assert s1.response_rate == 0.5 and s1.resolution_rate == 0.25 and s1.satisfaction_rate == 0.5
    s2 = by_street[world.street2.id]
    assert (s2.received, s2.responded, s2.resolved, s2.called_back, s2.satisfied) == (2, 2, 2, 1, 1)
    total = rates.total(start, end)
    assert (total.received, total.responded, total.resolved) == (6, 4, 3)
    rows, _total, repairs = rates.monthly_table("company", start, end, world.officer)
    assert [r.key for r in rows] == [world.company2.id, world.company1.id]  # ranked by on-time resolution
    assert [r.rank for r in rows] == [1, 2]
    assert (repairs.received, repairs.resolved) == (1, 1)


def test_the_rates_page_drills_down_to_the_complaints(world, login_as):
    build(world)
    client = login_as(world.officer)
    page = client.get("/complaints/rates?month=2026-11").get_data(as_text=True)
    assert "50.0%" in page and "25.0%" in page
    late = client.get(f"/complaints/?month=2026-11&measure=late_resolution&street={world.street1.id}")
    assert late.get_data(as_text=True).count("TST") == 3
    # A street sees its own figures only, by company; a company has no rates page.
    street_page = login_as(world.street_user).get("/complaints/rates?month=2026-11&by=company")
    assert world.company1.name in street_page.get_data(as_text=True)
    assert world.company2.name not in street_page.get_data(as_text=True)
    assert login_as(world.company_user).get("/complaints/rates").status_code == 403


def test_dashboard_targets_and_monthly_report_show_the_rates(world, login_as):
    build(world)
    with time_machine.travel(datetime(2026, 11, 20, 4, tzinfo=UTC), tick=False):
        client = login_as(world.officer)
        dashboard = client.get("/").get_data(as_text=True)
        assert 'data-testid="complaint-rates"' in dashboard and "50.0%" in dashboard
        assert 'data-testid="complaint-rates"' in client.get("/targets/").get_data(as_text=True)
        response = client.get("/dashboard/report.pdf?month=2026-11")
        assert response.status_code == 200
        text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
        assert "三率" in text and "50.0%" in text


def test_the_functions_for_other_packages(world):
    with time_machine.travel(datetime(2026, 11, 20, 4, tzinfo=UTC), tick=False):
        build(world)
        figures = estate_rates(world.estate1.id)
        assert figures == {"received": 5, "response_rate": 2 / 5, "resolution_rate": 1 / 5}
        assert estate_rates(gen_estate(community=world.community1).id) is None
        c = gen_complaint(world.estate2, state=State.CLOSED, verdict=Verdict.VALID,
                          verified_at=datetime(2026, 11, 10, tzinfo=UTC))
        db.session.commit()
        assert verified_counts_by_company(date(2026, 11, 1)) == {world.company2.id: 1}
        assert verified_counts_by_company(date(2026, 11, 11)) == {}
        assert c.verdict is Verdict.VALID


def test_the_cached_rates_follow_the_register(world):
    build(world)
    start, end = rates.month_bounds(2026, 11)
    rows, total, _repairs = rates.monthly_table("street", start, end, world.officer)
    assert total.received == 6
    gen_complaint(world.estate2)
    db.session.commit()
    rows, total, _repairs = rates.monthly_table("street", start, end, world.officer)
    assert total.received == 7
    assert {r.key: r.complaints.received for r in rows}[world.street2.id] == 3


def test_the_street_landing_page_lists_the_top_ten_companies_and_links_to_the_rest(world, login_as):
    """A street's ranking runs to hundreds of companies: its landing page shows the first ten and says how many
    there are; the ranking page lists them all. Another street's company is in neither."""
    received = NOV + timedelta(hours=1)
    companies = [gen_company(name=f"排名企业{index:02d}") for index in range(12)]
    for company in companies:
        gen_complaint(gen_estate(community=world.community1, company=company), received_at=received)
    elsewhere = gen_company(name="外街道企业")
    gen_complaint(gen_estate(community=world.community2, company=elsewhere), received_at=received)
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 20, 4, tzinfo=UTC), tick=False):
        client = login_as(world.street_user)
        landing = client.get("/").get_data(as_text=True)
        panel = landing.split('data-testid="complaint-rates"', 1)[1].split("</table>", 1)[0]
        assert sum(panel.count(company.name) for company in companies) == 10
        assert 'data-testid="complaint-rates-more"' in landing and "共 12 位" in landing
        ranking = client.get("/complaints/rates?month=2026-11&by=company").get_data(as_text=True)
        assert all(company.name in ranking for company in companies)
        assert elsewhere.name not in landing and elsewhere.name not in ranking
        # The district's ranking is by street: two rows, nothing left out.
        officer = login_as(world.officer).get("/").get_data(as_text=True)
        assert 'data-testid="complaint-rates-more"' not in officer
