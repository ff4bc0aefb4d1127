"""What the enforcement pages read, always within the user's scope (the counts drill down to the lists)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..companies.models import Company
from ..core.timeutil import local_today
from ..estates.models import Estate
from ..estates.sections import PerScope
from ..extensions import db
from ..regions.models import Street
from .models import (
    CaseStatus,
    EnforcementCase,
    EnforcementProposal,
    EnforcementRung,
    EnforcementStep,
    ProposalStatus,
    StepStatus,
)

Case = EnforcementCase
Step = EnforcementStep


def _overdue_follow_up(today: date):
    """Open cases with a 约谈 whose follow-up date has passed."""
    return Case.id.in_(select(Step.case_id).where(Step.follow_up_on < today))


@dataclass
class Overview:
    by_rung: list = field(default_factory=list)  # (rung, count)
    by_street: list = field(default_factory=list)  # (street id, name, count)
    by_company: list = field(default_factory=list)  # (company id, name, count)
    open_count: int = 0
    overdue_follow_ups: int = 0
    pending_approvals: int = 0
    proposals_today: int = 0
    proposals_pending: int = 0
    today: date | None = None


def overview(user, *, today: date | None = None, top: int = 10) -> Overview:
    today = today or local_today()
    result = Overview(today=today)
    visible = [Case.status == CaseStatus.OPEN, Case.scope_clause(user)]
    counts = dict(db.session.execute(select(Case.rung_id, func.count(Case.id)).where(*visible)
                                     .group_by(Case.rung_id)).all())
    result.by_rung = [(rung, counts.get(rung.id, 0))
                      for rung in db.session.scalars(select(EnforcementRung).order_by(EnforcementRung.level))]
    result.open_count = sum(counts.values())
    result.by_street = db.session.execute(
        select(Street.id, Street.name, func.count(Case.id)).join(Street, Street.id == Case.street_id)
        .where(*visible).group_by(Street.id, Street.name, Street.name_sort)
        .order_by(func.count(Case.id).desc(), Street.name_sort)).all()
    result.by_company = db.session.execute(
        select(Company.id, Company.name, func.count(Case.id)).join(Company, Company.id == Case.company_id)
        .where(*visible).group_by(Company.id, Company.name, Company.name_sort)
        .order_by(func.count(Case.id).desc(), Company.name_sort)
        .limit(top)).all()
    result.overdue_follow_ups = db.session.scalar(select(func.count(Case.id)).where(*visible,
                                                                                    _overdue_follow_up(today)))
    result.pending_approvals = db.session.scalar(
        select(func.count(Step.id)).join(Case, Case.id == Step.case_id)
        .where(Step.status == StepStatus.PENDING, *visible))
    if user.sees_district:
        base = select(func.count(EnforcementProposal.id)).where(EnforcementProposal.scope_clause(user))
        result.proposals_today = db.session.scalar(base.where(EnforcementProposal.proposed_on == today))
        result.proposals_pending = db.session.scalar(base.where(EnforcementProposal.status == ProposalStatus.PENDING))
    return result


def case_list(statement, *, status: str | None = "open", rung: str | None = None, street_id: int | None = None,
              company_id: int | None = None, follow_up: str | None = None, approval: str | None = None,
              q: str | None = None, today: date | None = None):
    today = today or local_today()
    statement = (statement.join(Company, Company.id == Case.company_id)
                 .outerjoin(Estate, Estate.id == Case.estate_id)
                 .options(joinedload(Case.company), joinedload(Case.estate), joinedload(Case.street),
                          joinedload(Case.rung)))
    if status:
        statement = statement.where(Case.status == CaseStatus(status))
    if rung:
        statement = statement.where(Case.rung_id.in_(select(EnforcementRung.id).where(EnforcementRung.code == rung)))
    if street_id:
        statement = statement.where(Case.street_id == street_id)
    if company_id:
        statement = statement.where(Case.company_id == company_id)
    if follow_up == "overdue":
        statement = statement.where(_overdue_follow_up(today))
    if approval == "pending":
        statement = statement.where(Case.id.in_(select(Step.case_id).where(Step.status == StepStatus.PENDING)))
    if q and q.strip():
        like = f"%{q.strip()}%"
        statement = statement.where(or_(Company.name.ilike(like), Estate.name.ilike(like)))
    return statement.order_by(Case.opened_on.desc(), Case.id.desc())


def proposal_list(statement, *, status: str | None = "pending", day: date | None = None):
    statement = statement.options(joinedload(EnforcementProposal.company), joinedload(EnforcementProposal.estate),
                                  joinedload(EnforcementProposal.rung), selectinload(EnforcementProposal.facts))
    if status:
        statement = statement.where(EnforcementProposal.status == ProposalStatus(status))
    if day:
        statement = statement.where(EnforcementProposal.proposed_on == day)
    return statement.order_by(EnforcementProposal.proposed_on.desc(), EnforcementProposal.id.desc())


def _cases_statement(user):
    return (select(Case).where(Case.scope_clause(user))
            .options(joinedload(Case.rung), joinedload(Case.company), joinedload(Case.estate),
                     selectinload(Case.steps).joinedload(Step.rung))
            .order_by(Case.status != CaseStatus.OPEN, Case.opened_on.desc(), Case.id.desc()))


# The estate page's section: built once per process for each shape of user, run with bound parameters.
_ESTATE_CASES = PerScope(lambda user: _cases_statement(user).where(Case.estate_id == bindparam("estate_id"))
                         .limit(bindparam("limit")))


def estate_cases(user, estate_id: int, limit: int = 20) -> list[Case]:
    """An estate's cases, open and closed: ``cases_of(user, estate_id=…)`` without building the query."""
    return list(db.session.scalars(_ESTATE_CASES(user), PerScope.params(user, estate_id=estate_id, limit=limit)))


def cases_of(user, *, company_id: int | None = None, estate_id: int | None = None, limit: int = 20) -> list[Case]:
    """A company's or an estate's cases, open and closed (the history stays on their pages)."""
    statement = _cases_statement(user).limit(limit)
    if company_id is not None:
        statement = statement.where(Case.company_id == company_id)
    if estate_id is not None:
        statement = statement.where(Case.estate_id == estate_id)
    return list(db.session.scalars(statement))
