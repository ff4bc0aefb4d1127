"""The company credit page reads a fixed number of queries however many records and months it shows."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from supervision.core.timeutil import local_today
from supervision.credit import company_file, services
from supervision.credit.explanation import company_records, explain
from supervision.credit.models import CreditEvent
from supervision.estates import handover
from supervision.extensions import db

from ..factories import gen_company, gen_estate, gen_position, gen_staff
from .factories import gen_basic, gen_event, rules

DAY = date(2026, 3, 2)
ON = date(2026, 7, 15)


def _weighted_company(world):
    """company1: a manager's deduction weighed by floor area, and a second estate handed over in April."""
    company = world.company1
    other_estate = gen_estate(street=world.street1, community=world.community1, company=company,
                              floor_area=Decimal("100000"))
    for estate in (world.estate1, other_estate):
        handover.open_first_period(estate, date(2025, 1, 1))
    manager = gen_staff(company, gen_position(is_manager=True), world.estate1, name="张经理")
    gen_basic(company, on=DAY)
    gen_event(company, "BL-04", on=DAY, staff=manager)
    gen_event(company, "LH-03", on=date(2026, 5, 6), status="draft")
    handover.handover(other_estate, {
        "handover_on": date(2026, 4, 1), "end_method": "handover", "management_mode": "professional",
        "company_id": world.company2.id, "start_method": "tender", "contract_start": date(2026, 4, 1),
        "contract_end": date(2029, 3, 31), "project_manager_id": None, "items_outcome": "keep", "notes": ""})
    db.session.commit()
    return company, manager


def test_the_history_from_shared_records_equals_each_month_explained_alone(world, app):
    default, second = rules()
    services.set_rule_set_for_year(2025, second)  # the history crosses into another rule set's year
    company, _manager = _weighted_company(world)
    shared = company_records(company, include_drafts=True)  # the page's records, drafts included
    history = company_file.score_history(company, on=ON, records=shared)
    assert len(history) == 13 and history[-1][0] == ON
    assert {explanation.rule_set.code for _day, explanation in history} == {default.code, second.code}
    for day, explanation in history:
        alone = explain(company, services.rule_set_for(day), day, include_drafts=False)
        assert explanation.rule_set.id == alone.rule_set.id
        assert (explanation.total, explanation.grade.code) == (alone.total, alone.grade.code)
        assert [[(line.event.id, line.points, line.weight) for line in part.lines] for part in explanation.parts] == \
            [[(line.event.id, line.points, line.weight) for line in part.lines] for part in alone.parts]
    weights = {day: [line.weight for part in e.parts for line in part.lines if line.weight] for day, e in history}
    assert weights[date(2026, 3, 31)] == [Decimal("50000") / Decimal("150000")]  # before the handover
    assert weights[date(2026, 6, 30)] == []  # after it the deduction counts in full


def test_the_company_page_takes_a_fixed_number_of_queries(world, login_as, count_queries):
    rules()
    company, manager = _weighted_company(world)
    clients = {"officer": login_as(world.officer), "company": login_as(world.company_user)}
    counts = []
    for _round in range(2):
        per_client = []
        for client in clients.values():
            with count_queries() as statements:
                assert client.get(f"/credit/companies/{company.id}").status_code == 200
            per_client.append(len(statements))
        counts.append(per_client)
        for n in range(4):  # more records on more days, estates and managers, and more companies
            estate = gen_estate(street=world.street1, community=world.community1, company=company,
                                floor_area=Decimal("20000"))
            gen_event(company, "BL-04", on=date(2026, 2 + n, 3), staff=manager if n % 2 else None, estate=estate)
            gen_event(company, "LH-03", on=date(2026, 3 + n, 9))
            gen_basic(gen_company(), on=DAY)
        db.session.commit()
    assert counts[0] == counts[1]  # the second round is the first request after a change, too
    assert max(counts[0]) <= 15


def test_the_assessment_page_takes_a_fixed_number_of_queries(world, login_as, count_queries):
    rules()
    company = world.company1
    manager = gen_position(is_manager=True)
    gen_staff(company, manager, world.estate1)
    gen_basic(company, on=local_today(), codes=["JC-03"])
    db.session.commit()
    client = login_as(world.officer)
    url = f"/credit/companies/{company.id}/assessment"
    counts, pages = [], []
    for round_ in range(2):
        with count_queries() as statements:
            pages.append(client.get(url).get_data(as_text=True))
        counts.append(len(statements))
        if round_ == 0:  # more estates, staff and basic records
            for _n in range(4):
                estate = gen_estate(street=world.street1, community=world.community1, company=company)
                gen_staff(company, manager, estate)
            gen_basic(company, on=local_today(), codes=["JC-01", "JC-02"])
            db.session.commit()
    assert counts[0] == counts[1] <= 15
    # The items the registry supports are ticked until a record is in force (the facts are computed once).
    assert pages[0].count("checked") > pages[1].count("checked")
    assert pages[0].count("已有有效记录至") == 1 and pages[1].count("已有有效记录至") == 3


def test_the_events_list_takes_the_same_queries_however_many_events(world, login_as, count_queries):
    rules()
    gen_basic(world.company1, on=DAY)
    gen_event(world.company1, "LH-03", on=date(2026, 5, 6))
    db.session.commit()
    client = login_as(world.officer)
    urls = ["/credit/events", "/credit/events?part=basic", "/credit/events?part=good",
            f"/credit/events?q={world.company1.name}"]
    counts = []
    for _round in range(2):
        round_counts = []
        for url in urls:
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            round_counts.append(len(statements))
        counts.append(round_counts)
        for n in range(6):
            company = gen_company()
            gen_basic(company, on=DAY)
            gen_event(company, "LH-03", on=date(2026, 4, 1 + n))
        db.session.commit()
    assert counts[0] == counts[1] and max(counts[0]) <= 15
    html = client.get("/credit/events?part=good").get_data(as_text=True)
    assert "LH-03" in html and "JC-01" not in html
    html = client.get("/credit/events").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'href="/credit/events/(\d+)"', html)]
    newest_first = db.session.scalars(select(CreditEvent.id).order_by(CreditEvent.occurred_on.desc(),
                                                                      CreditEvent.id.desc()).limit(50)).all()
    assert shown == newest_first
