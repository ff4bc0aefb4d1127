"""The company and staff lists at district scale (issue 21): the same companies for a street office by a
cheaper statement, the staff list's page first and its summary kept between changes, the same rows."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from supervision.companies import services
from supervision.companies.models import Company, Staff
from supervision.core.timeutil import local_today, utcnow
from supervision.extensions import db

from ..factories import gen_company, gen_estate
from .factories import gen_certificate, gen_certified, gen_reference, gen_staff


def company_names(html):
    return re.findall(r'href="/companies/\d+">([^<]+)</a>', html)


def staff_names(html):
    return re.findall(r'href="/companies/staff/\d+">([^<]+)</a>', html)


def test_a_street_office_sees_the_companies_with_an_estate_in_its_street(login_as, world):
    both = gen_company(name="两街物业")
    gen_estate(world.street1, company=both, name="一街项目")
    gen_estate(world.street2, company=both, name="二街项目")
    other = gen_company(name="别街物业")
    gen_estate(world.street2, company=other)
    archived_estate = gen_company(name="归档项目物业")  # the rule never asked whether the estate is archived
    gen_estate(world.street1, company=archived_estate, archived_at=utcnow())
    gen_company(name="无项目物业")
    db.session.commit()
    client = login_as(world.street_user)
    shown = set(company_names(client.get("/companies/?archived=all").get_data(as_text=True)))
    assert shown == {world.company1.name, "两街物业", "归档项目物业"}
    assert client.get(f"/companies/{other.id}").status_code == 404
    assert client.get(f"/companies/{both.id}").status_code == 200
    # the other street's office sees its own, not street1's
    shown2 = set(company_names(login_as(world.street2_user).get("/companies/").get_data(as_text=True)))
    assert shown2 == {world.company2.name, "两街物业", "别街物业"}


def test_the_street_rule_is_one_uncorrelated_in_and_its_negation_holds(world):
    clause = Company.scope_clause(world.street_user)
    sql = str(select(Company.id).where(clause).compile(db.engine))
    assert " IN (SELECT" in sql and "EXISTS" not in sql
    gen_company(name="无项目物业")  # no estate at all: not visible, so in the negation
    db.session.commit()
    visible = set(db.session.scalars(select(Company.name).where(clause)))
    hidden = set(db.session.scalars(select(Company.name).where(~clause)))
    assert visible == {world.company1.name}
    assert hidden == set(db.session.scalars(select(Company.name))) - visible


def test_the_street_company_list_takes_the_same_queries_however_many_companies(login_as, world, count_queries):
    client = login_as(world.street_user)
    counts = []
    for _round in range(2):
        with count_queries() as statements:
            assert client.get("/companies/").status_code == 200
        counts.append(len(statements))
        for n in range(30):
            gen_estate(world.street1 if n % 2 else world.street2, company=gen_company())
        db.session.commit()
    assert counts[0] == counts[1] <= 15


def test_staff_search_finds_names_and_certificate_numbers_in_name_order(login_as, world):
    ref = gen_reference()
    late = gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="张三")
    early = gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="张三")
    numbered = gen_staff(world.company1, ref.cleaner, None, name="李四")
    gen_certificate(numbered, ref.electrician_cert, number="ZX-778899")
    gen_staff(world.company2, ref.cleaner, world.estate2, name="王五")
    db.session.commit()
    client = login_as(world.officer)
    html = client.get("/companies/staff?q=张三").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/companies/staff/(\d+)">张三</a>', html)]
    assert ids == sorted([late.id, early.id])  # same name: by id
    assert staff_names(client.get("/companies/staff?q=778899").get_data(as_text=True)) == ["李四"]
    # within one company (each staff member's certificates looked up) the same
    url = f"/companies/staff?q=778899&company_id={world.company1.id}"
    assert staff_names(client.get(url).get_data(as_text=True)) == ["李四"]
    assert staff_names(login_as(world.company_user).get("/companies/staff?q=778899").get_data(as_text=True)) == ["李四"]
    assert staff_names(login_as(world.company2_user).get("/companies/staff?q=778899").get_data(as_text=True)) == []
    assert staff_names(client.get("/companies/staff?q=不存在").get_data(as_text=True)) == []


def test_staff_who_left_are_listed_by_the_left_filter_only(login_as, world):
    ref = gen_reference()
    gen_staff(world.company1, ref.cleaner, None, name="在职")
    gen_staff(world.company1, ref.cleaner, None, name="已走", left_on=local_today() - timedelta(days=3))
    gen_staff(world.company1, ref.cleaner, None, name="将走", left_on=local_today() + timedelta(days=3))
    db.session.commit()
    client = login_as(world.officer)
    assert staff_names(client.get("/companies/staff?status=left").get_data(as_text=True)) == ["已走"]
    assert set(staff_names(client.get("/companies/staff").get_data(as_text=True))) == {"在职", "将走"}


def test_the_staff_summary_follows_a_change_at_once(login_as, world):
    ref = gen_reference()
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, expires_on=date(2099, 1, 1))
    uncertified = gen_staff(world.company2, ref.electrician, world.estate2)
    db.session.commit()
    client = login_as(world.officer)

    def rate(url="/companies/staff"):
        html = client.get(url).get_data(as_text=True)
        return re.search(r'data-testid="staff-rate">([^<]+)<', html).group(1)

    assert rate() == "50.0%" and rate() == "50.0%"  # the second from the kept figures
    gen_certificate(uncertified, ref.electrician_cert, expires_on=date(2099, 1, 1))
    db.session.commit()
    assert rate() == "100.0%"
    assert rate(f"/companies/staff?company_id={world.company1.id}") == "100.0%"
    staff = db.session.get(Staff, uncertified.id)
    staff.left_on = local_today() - timedelta(days=1)
    db.session.commit()
    assert rate() == "100.0%"  # one of one again


def test_a_company_counts_only_its_own_expiring_certificates(login_as, world):
    ref = gen_reference()
    soon = local_today() + timedelta(days=10)
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, expires_on=soon)
    for _n in range(2):
        gen_certified(world.company2, ref.electrician, ref.electrician_cert, world.estate2, expires_on=soon)
    db.session.commit()

    def expiring(client):
        html = client.get("/companies/staff").get_data(as_text=True)
        return int(re.search(r'data-testid="expiring-count">(\d+)<', html).group(1))

    assert expiring(login_as(world.company_user)) == 1
    assert expiring(login_as(world.officer)) == 3


def test_staff_list_filters_take_the_same_queries_however_many_staff(login_as, world, count_queries):
    ref = gen_reference()
    gen_staff(world.company1, ref.manager, world.estate1, name="员工甲")  # uncertified: every filter has a row
    gen_staff(world.company1, ref.manager, world.estate1, name="员工乙", left_on=local_today() - timedelta(days=1))
    gen_certified(world.company2, ref.manager, ref.manager_cert, world.estate2, expires_on=date(2099, 1, 1))
    db.session.commit()
    client = login_as(world.officer)
    urls = ["/companies/staff?q=员工", "/companies/staff?status=left", "/companies/staff?cert=unqualified",
            f"/companies/staff?position_id={ref.manager.id}", "/companies/staff?sort=expiry"]
    counts = []
    for _round in range(2):
        round_counts = []
        for url in urls:
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            round_counts.append(len(statements))
        counts.append(round_counts)
        for n in range(30):
            gen_certified(world.company1 if n % 2 else world.company2, ref.manager, ref.manager_cert,
                          world.estate1 if n % 2 else world.estate2,
                          left_on=local_today() - timedelta(days=1) if n % 5 == 0 else None)
        db.session.commit()
    assert counts[0] == counts[1] and max(counts[0]) <= 15


def test_the_company_list_counts_the_estates_the_user_sees_and_not_archived_ones(login_as, world):
    both = gen_company(name="两街物业")
    for street in (world.street1, world.street1, world.street2):
        gen_estate(street, company=both)
    gen_estate(world.street1, company=both, archived_at=utcnow())
    db.session.commit()

    def estates_cell(client):
        html = client.get("/companies/?q=两街物业").get_data(as_text=True)
        row = html[html.index("两街物业</a>"):]
        return re.findall(r'<td class="num">(\d+)</td>', row)[0]

    assert estates_cell(login_as(world.officer)) == "3"
    assert estates_cell(login_as(world.street_user)) == "2"
    assert estates_cell(login_as(world.street2_user)) == "1"


def test_the_page_rates_in_one_query_equal_the_rates_counted_apart(world):
    ref = gen_reference()
    gen_certified(world.company1, ref.manager, ref.manager_cert, world.estate1, expires_on=date(2099, 1, 1))
    gen_staff(world.company1, ref.manager, world.estate1)
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, expires_on=date(2020, 1, 1))
    gen_certified(world.company2, ref.electrician, ref.electrician_cert, world.estate2)  # no manager post
    gen_staff(world.company2, ref.cleaner, world.estate2)
    no_posts = gen_company()
    gen_staff(no_posts, ref.cleaner, None)
    db.session.commit()
    ids = [world.company1.id, world.company2.id, no_posts.id]
    rates, managers = services.company_rates_and_managers(ids)
    assert rates == services.certification_rates("company", keys=ids)
    assert managers == services.certification_rates("company", keys=ids, managers_only=True)
    assert set(rates) == {world.company1.id, world.company2.id} and set(managers) == {world.company1.id}


def _drop_process_caches(app):
    from supervision.core import generations

    for name, value in list(app.extensions.items()):
        if isinstance(value, generations.LRUCache):
            app.extensions.pop(name, None)


def test_the_district_summary_is_stored_by_the_committing_transaction(app, login_as, world, count_queries):
    ref = gen_reference()
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, expires_on=date(2099, 1, 1))
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1,
                  expires_on=local_today() + timedelta(days=5))
    gen_staff(world.company2, ref.electrician, world.estate2, name="无证")
    db.session.commit()
    client = login_as(world.officer)
    _drop_process_caches(app)  # what a worker holds after a change: only what the database holds
    with count_queries() as statements:
        html = client.get("/companies/staff?cert=unqualified").get_data(as_text=True)
    assert re.search(r'data-testid="staff-rate">([^<]+)<', html).group(1) == "66.7%"
    assert re.search(r'data-testid="expiring-count">(\d+)<', html).group(1) == "1"
    assert staff_names(html) == ["无证"]
    # read from stored_figures, not counted: no statement tests every staff member's certificates
    assert not [s for s in statements if "count" in s.lower() and "position_certificate_requirements" in s]
    assert any("stored_figures" in s for s in statements)
    # a certificate for the uncertified one: the next commit stores the new figures
    gen_certificate(db.session.scalar(select(Staff).where(Staff.name == "无证")), ref.electrician_cert,
                    expires_on=date(2099, 1, 1))
    db.session.commit()
    _drop_process_caches(app)
    html = client.get("/companies/staff?cert=unqualified").get_data(as_text=True)
    assert re.search(r'data-testid="staff-rate">([^<]+)<', html).group(1) == "100.0%"
    assert staff_names(html) == []
    stored = services.kept_summary(on=local_today())
    assert (stored.qualified, stored.unqualified, stored.expiring) == (3, 0, 1)


def test_the_company_page_figures_from_one_query_equal_the_rates_counted_apart(world):
    ref = gen_reference()
    gen_certified(world.company1, ref.manager, ref.manager_cert, world.estate1, expires_on=date(2099, 1, 1))
    gen_staff(world.company1, ref.manager, world.estate1)
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, None, expires_on=date(2099, 1, 1))
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, expires_on=date(2020, 1, 1))
    gen_staff(world.company1, ref.cleaner, world.estate1)
    db.session.commit()
    rate, managers, estates = services.company_certification(world.company1.id)
    assert (rate, managers) == services.certification_rate_and_managers(company_id=world.company1.id)
    assert estates == services.certification_rates("estate", company_id=world.company1.id)


def test_a_companys_summary_in_one_statement_equals_the_figures_counted_apart(world):
    ref = gen_reference()
    soon, later = local_today() + timedelta(days=10), date(2099, 1, 1)
    gen_certified(world.company1, ref.manager, ref.manager_cert, world.estate1, expires_on=soon)
    gen_staff(world.company1, ref.manager, world.estate1)
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, None, expires_on=later)
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, expires_on=date(2020, 1, 1))
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, expires_on=soon,
                  left_on=local_today() - timedelta(days=1))  # left: neither counted nor expiring
    gen_staff(world.company1, ref.cleaner, world.estate1)
    for _n in range(3):  # another company's rows, some expiring, must not count
        gen_certified(world.company2, ref.manager, ref.manager_cert, world.estate2, expires_on=soon)
        gen_staff(world.company2, ref.electrician, world.estate2)
    db.session.commit()
    for company in (world.company1, world.company2):
        summary = services.kept_summary(on=local_today(), company_id=company.id)
        rate, managers = services.certification_rate_and_managers(company_id=company.id)
        assert (summary.rate, summary.managers) == (rate, managers)
        assert summary.expiring == services.expiring_count(company_id=company.id, today=local_today())
    mine = services.kept_summary(on=local_today(), company_id=world.company1.id)
    assert (mine.rate.numerator, mine.rate.denominator, mine.managers.numerator, mine.managers.denominator,
            mine.expiring) == (2, 4, 1, 2, 1)
    # the statement is built once per day: a second company's figures from the same statement are its own
    theirs = services.kept_summary(on=local_today(), company_id=world.company2.id)
    assert (theirs.rate.numerator, theirs.rate.denominator, theirs.expiring) == (3, 6, 3)


def test_a_short_staff_page_is_counted_without_a_count_query(login_as, world, count_queries):
    ref = gen_reference()
    for n in range(3):
        gen_staff(world.company1, ref.cleaner, world.estate1, name=f"本司{n}")
    for n in range(4):
        gen_staff(world.company2, ref.cleaner, world.estate2, name=f"他司{n}")
    db.session.commit()
    client = login_as(world.company_user)
    with count_queries() as statements:
        html = client.get("/companies/staff").get_data(as_text=True)
    assert sorted(staff_names(html)) == ["本司0", "本司1", "本司2"]
    assert "共 3 条" in html
    # the short first page is the whole list: no capped count of the staff
    assert not [s for s in statements if "count(*)" in s.lower() and "staff" in s.lower()]
