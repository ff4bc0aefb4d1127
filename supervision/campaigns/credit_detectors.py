"""Campaign facts that carry an automatic credit event (run by ``flask credit auto-events``).

Each fact has a stable source key, so the credit feature records it at most
once however often the job runs:

- ``item-overdue:<item id>`` — a company's item overdue by more than the rule's
  ``overdue_days`` (BL-20), never counting days on which the item stood accepted
  (a re-opened item: its transition history);
- ``acceptance-failed:<acceptance id>`` — an acceptance with the verdict 不通过 (BL-21);
- ``self-inspection-missing:<enrolment id>`` — no self-inspection submitted by the
  end of the self-inspection phase (BL-22).
"""
from __future__ import annotations

from datetime import date, timedelta

from ..credit.automatic import AutoFact, register_detector, rule_param
from .services import facts


@register_detector("item-overdue")
def overdue_items(on: date):
    days = int(rule_param("BL-20", "overdue_days", 10, on=on))
    for fact in facts.overdue_items_beyond(days, today=on):
        if fact.company_id is None:
            continue
        yield AutoFact(company_id=fact.company_id, rule_code="BL-20", source_key=f"item-overdue:{fact.item_id}",
                       occurred_on=fact.exceeded_on or fact.deadline + timedelta(days=days + 1),
                       estate_id=fact.estate_id,
                       description=f"整改事项 #{fact.item_id} 超过整改期限（{fact.deadline.isoformat()}）"
                                   f"{days}天仍未完成")


@register_detector("acceptance-failed")
def failed_acceptances(on: date):
    for fact in facts.failed_acceptances(until=on):
        if fact.company_id is None:
            continue
        yield AutoFact(company_id=fact.company_id, rule_code="BL-21",
                       source_key=f"acceptance-failed:{fact.acceptance_id}", occurred_on=fact.inspected_on,
                       estate_id=fact.estate_id,
                       description=f"专项行动验收不合格（验收记录 #{fact.acceptance_id}，"
                                   f"{fact.inspected_on.isoformat()}）")


@register_detector("self-inspection-missing")
def missing_self_inspections(on: date):
    for fact in facts.missing_self_inspections(as_of=on):
        yield AutoFact(company_id=fact.company_id, rule_code="BL-22",
                       source_key=f"self-inspection-missing:{fact.enrolment_id}", occurred_on=fact.phase_ends_on,
                       estate_id=fact.estate_id,
                       description=f"自查自纠阶段（截至{fact.phase_ends_on.isoformat()}）结束时未提交自查表")
