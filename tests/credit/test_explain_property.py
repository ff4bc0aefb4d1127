"""The itemised explanation (Python) and the ranking's score (SQL) always agree.

Hypothesis draws a random history of records — any item, any status, weighted
project-manager deductions, expired ones — and checks total, parts and grade
under both rule sets on a random day.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervision.credit import services, standings
from supervision.credit.explanation import explain
from supervision.extensions import db

from ..factories import gen_estate, gen_position, gen_staff
from .factories import gen_event, rules

START = date(2025, 1, 6)
CODES = ["JC-01", "JC-02", "JC-04", "JC-07", "LH-01", "LH-02", "LH-03", "LH-05", "BL-01", "BL-02", "BL-04",
         "BL-06", "BL-09", "BL-10", "YZ-01", "YZ-03"]
STATUSES = ["draft", "notified", "confirmed", "revoked"]

record = st.tuples(st.sampled_from(CODES), st.integers(0, 500), st.sampled_from(STATUSES), st.booleans())


@pytest.fixture
def setting(world):
    default, second = rules()
    big = gen_estate(community=world.community1, company=world.company1, floor_area=Decimal("123456.78"))
    manager = gen_staff(world.company1, gen_position(is_manager=True), world.estate1)
    db.session.commit()
    return world, default, second, big, manager


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(record, max_size=12), days_after=st.integers(0, 900))
def test_explanation_and_sql_agree(setting, records, days_after):
    world, default, second, _big, manager = setting
    company = world.company1
    try:
        for code, offset, status, with_manager in records:
            on = START + timedelta(days=offset)
            staff = manager if with_manager and code.startswith("BL") else None
            event = gen_event(company, code, on=on, status="confirmed" if status == "revoked" else status,
                              rule_set=default, staff=staff)
            if status == "revoked":
                services.revoke_event(event, reason="撤销", on=on + timedelta(days=40))
        as_of = START + timedelta(days=days_after)
        for rule_set in (default, second):
            sql = standings.company_score(company, rule_set, as_of)
            python = explain(company, rule_set, as_of)
            assert (python.total, python.grade.code, python.override) == (sql.total, sql.grade.code, sql.override)
            assert {p.code: p.value for p in python.parts} == sql.parts
            alone = standings.company_score(company, rule_set, as_of, position=False)  # its events only
            assert (alone.total, alone.grade.code, alone.override, alone.parts) == (
                sql.total, sql.grade.code, sql.override, sql.parts)
    finally:
        db.session.rollback()
