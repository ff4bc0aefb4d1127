"""Builders for the enforcement tests: the ladder, an overdue item, a confirmed case."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from supervision.campaigns.models import ItemState
from supervision.core.workdays import add_workdays
from supervision.enforcement import services
from supervision.enforcement.models import EnforcementProposal, ProposalStatus
from supervision.enforcement.reference import load_reference
from supervision.extensions import db

from ..credit.factories import rules
from ..reports.factories import gen_campaign, gen_enrolment, gen_item, local, utc

DEADLINE = date(2026, 9, 1)  # a Tuesday
ON = date(2026, 12, 1)  # the day the sweeps run: well after the deadline


def ladder():
    """The credit rule sets and the ladder, as ``flask seed reference`` loads them."""
    rules()
    load_reference()
    db.session.flush()


def overdue_item(estate, *, deadline: date = DEADLINE, state=ItemState.OPEN):
    campaign = gen_campaign()
    enrolment = gen_enrolment(campaign, estate)
    return gen_item(campaign, enrolment, opened_at=utc(local(2026, 8, 10)), deadline=deadline, state=state)


def pending(company_id=None):
    statement = select(EnforcementProposal).where(EnforcementProposal.status == ProposalStatus.PENDING)
    if company_id:
        statement = statement.where(EnforcementProposal.company_id == company_id)
    return list(db.session.scalars(statement.order_by(EnforcementProposal.id)))


def confirmed_interview(world, estate=None, *, on: date = ON):
    """An overdue item of ``estate`` (default estate1) swept and confirmed: a case at 约谈."""
    estate = estate or world.estate1
    item = overdue_item(estate)
    services.sweep(on=on)
    [proposal] = pending(estate.company_id)
    step = services.confirm_proposal(proposal, actor=world.officer, on=on, interview_at="2026年12月3日上午9时",
                                     interview_place="区住建局三楼会议室")
    db.session.commit()
    return item, step


def workdays_after(day: date, n: int) -> date:
    return add_workdays(day, n)
