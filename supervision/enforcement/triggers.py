"""Triggers: rules over facts the product already has, read by ``flask enforcement sweep``.

``TRIGGERS`` is a list of trigger objects. A trigger has a ``name`` (the prefix of its facts' keys), a
``label``, ``facts(on)`` yielding ``Fact``s and ``rectified(ref, on)`` telling whether the fact a ``ref``
names has since been rectified (a case closes when every fact behind it is). Another feature adds one
with ``register(trigger)``, e.g. at merge::

    from supervision.enforcement.triggers import Fact, register

    class VerifiedComplaints:
        name, label = "complaints", "30日内经核实投诉≥K件"
        def facts(self, on): ...            # yield Fact(key=f"complaints:{company_id}:{on:%Y%m}", ...)
        def rectified(self, ref, on): ...   # True once the count fell below K

    register(VerifiedComplaints())

A fact's ``key`` is unique for ever: the sweep records it once, so running the sweep twice proposes
nothing new, and a dismissed proposal is not proposed again.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ..campaigns.models import (
    Acceptance,
    AcceptanceVerdict,
    Enrolment,
    ItemState,
    RectificationItem,
    ResponsibleParty,
    SelfInspection,
)
from ..campaigns.services import facts as campaign_facts
from ..core.workdays import workdays_between
from ..estates.models import Estate
from ..extensions import db
from .models import CaseStatus, EnforcementCase, EnforcementFact, EnforcementRefusal, EnforcementStep

Item = RectificationItem


@dataclass(frozen=True)
class Fact:
    key: str
    company_id: int
    occurred_on: date
    summary: str
    estate_id: int | None = None
    ref: dict = field(default_factory=dict)


class Trigger(Protocol):
    name: str
    label: object

    def facts(self, on: date) -> Iterable[Fact]: ...

    def rectified(self, ref: dict, on: date) -> bool: ...


class OverdueItems:
    """A company's rectification item overdue by at least N working days (not yet accepted)."""

    name = "item-overdue"
    label = _l("整改事项逾期")

    @property
    def workdays(self) -> int:
        return int(current_app.config.get("ENFORCEMENT_OVERDUE_WORKDAYS", 10))

    def facts(self, on: date):
        rows = db.session.execute(
            select(Item.id, Item.company_id, Item.estate_id, Item.deadline, Item.description)
            .where(Item.state != ItemState.ACCEPTED, Item.deadline < on, Item.company_id.is_not(None),
                   Item.responsible_party == ResponsibleParty.COMPANY,
                   # answered on time and waiting for the bureau: not the company's delay
                   or_(Item.state != ItemState.SUBMITTED, Item.submitted_on.is_(None),
                       Item.submitted_on > Item.deadline))
            .order_by(Item.deadline, Item.id))
        for item_id, company_id, estate_id, deadline, description in rows:
            overdue = workdays_between(deadline, on)
            if overdue < self.workdays:
                continue
            yield Fact(key=f"{self.name}:{item_id}", company_id=company_id, estate_id=estate_id,
                       occurred_on=deadline,
                       summary=f"整改事项 #{item_id}（{description[:40]}）超过整改期限 {deadline.isoformat()} "
                               f"{overdue} 个工作日仍未完成",
                       ref={"item_id": item_id})

    def rectified(self, ref: dict, on: date) -> bool:
        return db.session.scalar(select(Item.state).where(Item.id == ref.get("item_id"))) in (ItemState.ACCEPTED,
                                                                                              None)


class TwiceFailedAcceptance:
    """An enrolment whose acceptance failed twice (and has not passed since)."""

    name = "acceptance-failed-twice"
    label = _l("验收两次不通过")

    def facts(self, on: date):
        rows = db.session.execute(
            select(Acceptance.enrolment_id, Enrolment.company_id, Enrolment.estate_id,
                   func.count(Acceptance.id), func.max(Acceptance.inspected_on))
            .join(Enrolment, Enrolment.id == Acceptance.enrolment_id)
            .where(Acceptance.verdict == AcceptanceVerdict.FAILED, Acceptance.inspected_on <= on,
                   Enrolment.company_id.is_not(None))
            .group_by(Acceptance.enrolment_id, Enrolment.company_id, Enrolment.estate_id)
            .having(func.count(Acceptance.id) >= 2).order_by(Acceptance.enrolment_id))
        for enrolment_id, company_id, estate_id, count, last in rows:
            if self.rectified({"enrolment_id": enrolment_id}, on):
                continue
            yield Fact(key=f"{self.name}:{enrolment_id}", company_id=company_id, estate_id=estate_id,
                       occurred_on=last, summary=f"专项行动验收 {count} 次不通过（纳入记录 #{enrolment_id}，"
                                                 f"最近一次 {last.isoformat()}）",
                       ref={"enrolment_id": enrolment_id})

    def rectified(self, ref: dict, on: date) -> bool:
        return db.session.scalar(select(func.count(Acceptance.id)).where(
            Acceptance.enrolment_id == ref.get("enrolment_id"), Acceptance.verdict == AcceptanceVerdict.PASSED,
            Acceptance.revoked_at.is_(None))) > 0


class MissingSelfInspection:
    """A self-inspection not submitted by the end of its campaign's self-inspection phase."""

    name = "self-inspection-missing"
    label = _l("未按期提交自查表")

    def facts(self, on: date):
        for fact in campaign_facts.missing_self_inspections(as_of=on):
            if fact.first_submitted_at is not None:
                continue  # submitted late: no longer a refusal to act
            yield Fact(key=f"{self.name}:{fact.enrolment_id}", company_id=fact.company_id, estate_id=fact.estate_id,
                       occurred_on=fact.phase_ends_on,
                       summary=f"自查自纠阶段（截至 {fact.phase_ends_on.isoformat()}）结束仍未提交自查表",
                       ref={"enrolment_id": fact.enrolment_id})

    def rectified(self, ref: dict, on: date) -> bool:
        return db.session.scalar(select(SelfInspection.first_submitted_at).where(
            SelfInspection.enrolment_id == ref.get("enrolment_id"))) is not None


class RecordedRefusals:
    """A refusal to rectify an officer recorded."""

    name = "refusal"
    label = _l("拒不整改")

    def facts(self, on: date):
        rows = db.session.scalars(select(EnforcementRefusal).where(
            EnforcementRefusal.rectified_on.is_(None), EnforcementRefusal.occurred_on <= on)
            .order_by(EnforcementRefusal.id))
        for refusal in rows:
            yield Fact(key=f"{self.name}:{refusal.id}", company_id=refusal.company_id, estate_id=refusal.estate_id,
                       occurred_on=refusal.occurred_on, summary=f"拒不整改：{refusal.description[:80]}",
                       ref={"refusal_id": refusal.id})

    def rectified(self, ref: dict, on: date) -> bool:
        return db.session.scalar(select(EnforcementRefusal.rectified_on).where(
            EnforcementRefusal.id == ref.get("refusal_id"))) is not None


class OverdueFollowUps:
    """The follow-up date of a 约谈 passed while its case is still open: the next rung is proposed."""

    name = "follow-up-overdue"
    label = _l("约谈复查逾期")

    def facts(self, on: date):
        rows = db.session.execute(
            select(EnforcementStep.id, EnforcementStep.follow_up_on, EnforcementCase.company_id,
                   EnforcementCase.estate_id, EnforcementStep.number)
            .join(EnforcementCase, EnforcementCase.id == EnforcementStep.case_id)
            .where(EnforcementCase.status == CaseStatus.OPEN, EnforcementStep.follow_up_on < on)
            .order_by(EnforcementStep.id))
        for step_id, follow_up_on, company_id, estate_id, number in rows:
            yield Fact(key=f"{self.name}:{step_id}", company_id=company_id, estate_id=estate_id,
                       occurred_on=follow_up_on,
                       summary=f"约谈（{number or step_id}）承诺的复查日期 {follow_up_on.isoformat()} 已过，"
                               "问题仍未整改",
                       ref={"step_id": step_id})

    def rectified(self, ref: dict, on: date) -> bool:
        # Not a fact of its own: rectified when the facts behind the 约谈 are.
        case_id = db.session.scalar(select(EnforcementStep.case_id).where(EnforcementStep.id == ref.get("step_id")))
        facts = db.session.scalars(select(EnforcementFact).where(EnforcementFact.case_id == case_id,
                                                                 EnforcementFact.trigger != self.name))
        for fact in facts:
            trigger = by_name(fact.trigger)
            if fact.rectified_on is None and (trigger is None or not trigger.rectified(fact.ref or {}, on)):
                return False
        return True


TRIGGERS: list[Trigger] = [OverdueItems(), TwiceFailedAcceptance(), MissingSelfInspection(), RecordedRefusals(),
                           OverdueFollowUps()]


def register(trigger: Trigger) -> Trigger:
    """Add a trigger (replacing one of the same name): idempotent, so app factories may run it again."""
    TRIGGERS[:] = [t for t in TRIGGERS if t.name != trigger.name] + [trigger]
    return trigger


def by_name(name: str) -> Trigger | None:
    return next((t for t in TRIGGERS if t.name == name), None)


def estate_street(estate_id: int | None) -> int | None:
    return db.session.scalar(select(Estate.street_id).where(Estate.id == estate_id)) if estate_id else None
