"""Factories for credit tests: rule sets from seeds/, events built through the services."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from supervision.credit import assessment, scoring, services
from supervision.credit.models import CreditRuleSet, EventStatus
from supervision.credit.reference import load_reference
from supervision.extensions import db

DEFAULT = "shandong-yantai"
SECOND = "lianyungang"


def rules() -> tuple[CreditRuleSet, CreditRuleSet]:
    """Load the seeded rule sets; (default, Lianyungang-style)."""
    load_reference()
    default = db.session.scalar(select(CreditRuleSet).where(CreditRuleSet.code == DEFAULT))
    second = db.session.scalar(select(CreditRuleSet).where(CreditRuleSet.code == SECOND))
    return scoring.load_rule_set(default.id), scoring.load_rule_set(second.id)


def gen_event(company, code: str, *, on: date, status: str = "confirmed", rule_set=None, estate=None, staff=None,
              occurred_on: date | None = None, effective_from: date | None = None,
              effective_until: date | None = None, actor=None, description: str = "测试记录"):
    """An event recorded on ``on``: draft, notified, or confirmed (deductions: after their window)."""
    rule_set = rule_set or services.rule_set_for(on)
    item = services.item_by_code(rule_set, code)
    event = services.create_event(company=company, item=item, occurred_on=occurred_on or on,
                                  description=description, estate=estate, staff=staff,
                                  effective_from=effective_from, effective_until=effective_until, actor=actor, on=on)
    if status == "draft":
        return event
    if event.is_deduction:
        services.notify_event(event, actor=actor, on=on)
        if status == "notified":
            return event
        services.confirm_event(event, actor=actor, on=event.objection_deadline + timedelta(days=1))
    else:
        services.confirm_event(event, actor=actor, on=on)
    assert event.status is EventStatus.CONFIRMED
    return event


BASIC_CODES = ["JC-01", "JC-02", "JC-03", "JC-04", "JC-05", "JC-06", "JC-07"]


def gen_basic(company, *, on: date, codes=BASIC_CODES, actor=None):
    """The full basic-information assessment (80 points under the default rules)."""
    rule_set = services.rule_set_for(on)
    items = [services.item_by_code(rule_set, code) for code in codes]
    return assessment.record_basic_assessment(company, items, effective_from=on, actor=actor, on=on)
