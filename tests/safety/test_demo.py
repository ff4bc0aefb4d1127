"""``flask seed demo`` fills the safety registers, with inspections overdue and due soon, twice the same."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from supervision.companies.models import Company
from supervision.core.timeutil import local_today
from supervision.estates.models import Estate
from supervision.extensions import db
from supervision.safety.models import FireFacility, Lift


def test_demo_safety_registers(demo):
    assert demo.counts_first["lifts"] == demo.counts_second["lifts"] > 100
    assert demo.counts_first["fire_facilities"] == demo.counts_second["fire_facilities"] > 100
    with demo.app.app_context():
        today = local_today()
        for model in (Lift, FireFacility):
            overdue = db.session.scalar(select(func.count(model.id)).where(model.next_due_on < today))
            soon = db.session.scalar(select(func.count(model.id)).where(
                model.next_due_on >= today, model.next_due_on <= today + timedelta(days=30)))
            assert overdue >= 10 and soon >= 10
        # The demo company's account sees an overdue facility of its own.
        own = (select(func.count(FireFacility.id)).join(Estate, Estate.id == FireFacility.estate_id)
               .join(Company, Company.id == Estate.company_id)
               .where(Company.name == "示范安居物业服务有限公司", FireFacility.next_due_on < today))
        assert db.session.scalar(own) >= 1


def test_the_demo_s_lifts_and_facilities_carry_their_estates_streets(demo):
    with demo.app.app_context():
        for model in (Lift, FireFacility):
            rows = db.session.execute(select(model.street_id, Estate.street_id)
                                      .join(Estate, Estate.id == model.estate_id)).all()
            assert rows and all(own == estates for own, estates in rows), model
