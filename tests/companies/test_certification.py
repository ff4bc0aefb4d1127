"""Certification rates computed in SQL: per district, street, company and estate."""
from __future__ import annotations

from datetime import date

import pytest

from supervision.companies.services import (
    certificate_state,
    certification_rate,
    certification_rates,
    staff_is_qualified,
)
from supervision.extensions import db

from ..factories import gen_company, gen_estate
from .factories import gen_certified, gen_reference, gen_staff

DAY = date(2026, 6, 1)


@pytest.fixture
def setup(world):
    ref = gen_reference()
    c1, c2 = world.company1, world.company2
    e1, e2 = world.estate1, world.estate2  # street1 / company1, street2 / company2
    # company1 at estate1: manager certified, manager with an expired certificate, electrician certified,
    # electrician without a certificate, a cleaner (no requirement), a manager who left.
    gen_certified(c1, ref.manager, ref.practice_cert, e1, expires_on=None)
    gen_certified(c1, ref.manager, ref.manager_cert, e1, expires_on=date(2026, 5, 31))
    gen_certified(c1, ref.electrician, ref.electrician_cert, e1, expires_on=date(2026, 6, 1))
    gen_staff(c1, ref.electrician, e1)
    gen_staff(c1, ref.cleaner, e1)
    gen_certified(c1, ref.manager, ref.manager_cert, e1, left_on=date(2026, 5, 1))
    # company1 head office: a certified manager (no estate).
    gen_certified(c1, ref.manager, ref.manager_cert, None)
    # company2 at estate2: an electrician holding the wrong certificate (a manager's).
    gen_certified(c2, ref.electrician, ref.manager_cert, e2)
    db.session.commit()
    return world, ref


def test_rate_per_company(setup):
    world, _ref = setup
    rates = certification_rates("company", on=DAY)
    # company1: 5 in requiring positions (3 managers + 2 electricians, the leaver excluded); 3 qualified.
    assert (rates[world.company1.id].numerator, rates[world.company1.id].denominator) == (3, 5)
    assert (rates[world.company2.id].numerator, rates[world.company2.id].denominator) == (0, 1)
    assert rates[world.company1.id].rate == pytest.approx(0.6)


def test_rate_per_estate_and_street_leave_out_head_office(setup):
    world, _ref = setup
    estates = certification_rates("estate", on=DAY)
    assert (estates[world.estate1.id].numerator, estates[world.estate1.id].denominator) == (2, 4)
    streets = certification_rates("street", on=DAY)
    assert (streets[world.street1.id].numerator, streets[world.street1.id].denominator) == (2, 4)
    assert (streets[world.street2.id].numerator, streets[world.street2.id].denominator) == (0, 1)


def test_district_rate_counts_everyone(setup):
    assert certification_rates("district", on=DAY)[None].numerator == 3
    assert certification_rates("district", on=DAY)[None].denominator == 6


def test_managers_only(setup):
    world, _ref = setup
    rates = certification_rates("company", managers_only=True, on=DAY)
    assert (rates[world.company1.id].numerator, rates[world.company1.id].denominator) == (2, 3)
    assert world.company2.id not in rates  # no managers at all


def test_validity_depends_on_the_day(setup):
    world, _ref = setup
    # On 31 May the expired manager certificate is still valid, the electrician's too.
    assert certification_rate(company_id=world.company1.id, on=date(2026, 5, 31)).numerator == 4
    # On 2 June the electrician licence has expired as well.
    assert certification_rate(company_id=world.company1.id, on=date(2026, 6, 2)).numerator == 2
    # On 30 April the manager who left on 1 May still counts.
    assert certification_rate(company_id=world.company1.id, on=date(2026, 4, 30)).denominator == 6


def test_restrictions_and_empty_groups(setup):
    world, _ref = setup
    assert certification_rate(street_id=world.street1.id, on=DAY).denominator == 4
    assert certification_rate(estate_id=world.estate2.id, on=DAY).denominator == 1
    empty = gen_estate(world.street1, company=world.company1)
    rate = certification_rate(estate_id=empty.id, on=DAY)
    assert (rate.numerator, rate.denominator, rate.rate) == (0, 0, None)


def test_archived_companies_are_left_out(setup):
    from supervision.core.timeutil import utcnow

    world, _ref = setup
    world.company2.archived_at = utcnow()
    db.session.commit()
    assert world.company2.id not in certification_rates("company", on=DAY)


def test_one_query_whatever_the_number_of_companies(setup, count_queries):
    _world, ref = setup
    for _ in range(5):
        company = gen_company()
        gen_certified(company, ref.manager, ref.manager_cert, gen_estate(company=company))
    db.session.commit()
    with count_queries() as queries:
        rates = certification_rates("company", on=DAY)
    assert len(rates) == 7 and len(queries) == 1


def test_python_helpers_agree_with_sql(setup):
    world, _ref = setup
    from sqlalchemy import select

    from supervision.companies.models import Staff

    staff = db.session.scalars(
        select(Staff).where(Staff.company_id == world.company1.id, Staff.left_on.is_(None))).all()
    qualified = [s for s in staff if staff_is_qualified(s, DAY)]
    required = [s for s in staff if staff_is_qualified(s, DAY) is not None]
    assert (len(qualified), len(required)) == (3, 5)


@pytest.mark.parametrize("expires, state", [
    (None, "valid"), (date(2026, 5, 31), "expired"), (date(2026, 6, 1), "expiring"),
    (date(2026, 7, 31), "expiring"), (date(2026, 8, 1), "valid"),
])
def test_certificate_state_warns_60_days_ahead(world, expires, state):
    ref = gen_reference()
    staff = gen_certified(world.company1, ref.electrician, ref.electrician_cert, expires_on=expires)
    assert certificate_state(staff.certificates[0], DAY) == state
