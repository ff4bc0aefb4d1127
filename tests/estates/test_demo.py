"""``flask seed demo`` builds the registers: sizes, valid codes, a realistic mix of warnings."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from supervision.companies.credit_code import is_valid_credit_code
from supervision.companies.models import Certificate, Company, Staff
from supervision.core.timeutil import local_today
from supervision.estates import services
from supervision.estates.models import CommitteeStatus, Estate, OwnersCommittee
from supervision.extensions import db


def test_demo_registers(demo):
    with demo.app.app_context():
        _check_registers()


def _check_registers():
    count = lambda statement: db.session.scalar(statement)  # noqa: E731
    today = local_today()
    assert count(select(func.count(Estate.id))) == 240
    assert count(select(func.count(func.distinct(Estate.street_id)))) == 8
    codes = list(db.session.scalars(select(Company.credit_code)))
    assert len(codes) == 30 and all(is_valid_credit_code(code) for code in codes)
    assert 550 <= count(select(func.count(Staff.id))) <= 700
    assert count(select(func.count(Certificate.id)).where(Certificate.expires_on < today)) >= 10
    assert count(select(func.count(Certificate.id)).where(
        Certificate.expires_on >= today, Certificate.expires_on <= today + timedelta(days=60))) >= 10
    summary = services.committee_summary()
    assert 0.5 < summary["rate"] < 0.7  # a little over half of the eligible estates
    assert summary["overdue"] >= 3 and summary["term_soon"] >= 3
    assert count(select(func.count(OwnersCommittee.id)).where(OwnersCommittee.status == CommitteeStatus.PREPARING)) > 5
    demo_company = db.session.scalar(select(Company).where(Company.name == "示范安居物业服务有限公司"))
    own = db.session.scalars(select(Estate).where(Estate.company_id == demo_company.id)).all()
    assert any(e.street.name == "东城街道" for e in own)


def test_demo_has_a_management_history_and_a_handover(demo):
    from supervision.estates.management import EndMethod, EstateManagement

    with demo.app.app_context():
        periods = db.session.scalars(select(EstateManagement)).all()
        assert {p.estate_id for p in periods} == set(db.session.scalars(select(Estate.id)))
        [ended] = [p for p in periods if p.ended_on is not None]
        assert ended.end_method is EndMethod.HANDOVER
        [current] = [p for p in periods if p.estate_id == ended.estate_id and p.ended_on is None]
        estate = db.session.get(Estate, ended.estate_id)
        assert current.company_id == estate.company_id != ended.company_id
        assert current.started_on == ended.ended_on
