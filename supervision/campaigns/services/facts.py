"""Campaign facts the credit feature's automatic events read (``credit_detectors.py``).

Plain dataclasses, one query each, no scoping (the caller decides what to show
to whom); optional filters narrow the population. The district's rates are the
targets feature's indicators.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from ...core.timeutil import local_day_bounds_utc, local_today, to_local
from ...extensions import db
from ..models import (
    Acceptance,
    AcceptanceVerdict,
    Campaign,
    CampaignPhase,
    CampaignStatus,
    Enrolment,
    EnrolmentStatus,
    ItemState,
    ItemTransition,
    PhaseKind,
    RectificationItem,
    ResponsibleParty,
    SelfInspection,
)

Item = RectificationItem
E = Enrolment


# --- credit: automatic events ----------------------------------------------------------------

@dataclass(frozen=True)
class OverdueItemFact:
    item_id: int
    company_id: int | None
    estate_id: int
    street_id: int
    campaign_id: int | None
    responsible_party: ResponsibleParty
    deadline: date
    days_overdue: int  # days after the deadline up to today, less the days the item stood accepted
    exceeded_on: date | None = None  # the day the overdue days first exceeded the query's ``days``


def accepted_days(item_ids, today: date | None = None) -> dict[int, set[date]]:
    """Per item, the local dates on which it stood accepted (from its transition history): from the
    day it was accepted up to the day before it was re-opened (or today, if it still is)."""
    if not item_ids:
        return {}
    spans: dict[int, set[date]] = {}
    since: dict[int, date] = {}
    rows = db.session.execute(select(ItemTransition.item_id, ItemTransition.to_state, ItemTransition.at)
                              .where(ItemTransition.item_id.in_(item_ids))
                              .order_by(ItemTransition.item_id, ItemTransition.at, ItemTransition.id))
    for item_id, to_state, at in rows:
        day = to_local(at).date()
        if to_state is ItemState.ACCEPTED:
            since.setdefault(item_id, day)
        elif item_id in since:
            start = since.pop(item_id)
            spans.setdefault(item_id, set()).update(start + timedelta(days=n) for n in range((day - start).days))
    today = today or local_today()
    for item_id, start in since.items():
        spans.setdefault(item_id, set()).update(start + timedelta(days=n) for n in range((today - start).days + 1))
    return spans


def _overdue_days(deadline: date, today: date, accepted: set[date], days: int) -> tuple[int, date | None]:
    """Days in (deadline, today] the item did not stand accepted, and the day their count passed ``days``."""
    count, exceeded_on = 0, None
    for n in range(1, (today - deadline).days + 1):
        day = deadline + timedelta(days=n)
        if day in accepted:
            continue
        count += 1
        if count == days + 1:
            exceeded_on = day
    return count, exceeded_on


def overdue_items_beyond(days: int, today: date | None = None, *, company_id: int | None = None,
                         responsible_party: ResponsibleParty | None = ResponsibleParty.COMPANY
                         ) -> list[OverdueItemFact]:
    """Items not accepted that have been overdue for more than ``days`` calendar days.

    By default only items a company answers for (pass ``responsible_party=None`` for all).
    An item answered on time and waiting for the bureau's acceptance is not the
    responsible party's delay, so it is left out. Days on which a re-opened item stood
    accepted (its transition history) are never counted as overdue.
    """
    today = today or local_today()
    conditions = [Item.state != ItemState.ACCEPTED, Item.deadline < today - timedelta(days=days),
                  or_(Item.state != ItemState.SUBMITTED, Item.submitted_on.is_(None),
                      Item.submitted_on > Item.deadline)]
    if company_id:
        conditions.append(Item.company_id == company_id)
    if responsible_party is not None:
        conditions.append(Item.responsible_party == responsible_party)
    rows = db.session.execute(select(Item.id, Item.company_id, Item.estate_id, Item.street_id, Item.campaign_id,
                                     Item.responsible_party, Item.deadline, Item.reopened_count)
                              .where(*conditions).order_by(Item.deadline, Item.id)).all()
    history = accepted_days([r.id for r in rows if r.reopened_count], today)
    facts = []
    for r in rows:
        overdue, exceeded_on = _overdue_days(r.deadline, today, history.get(r.id, set()), days)
        if overdue <= days:
            continue
        facts.append(OverdueItemFact(r.id, r.company_id, r.estate_id, r.street_id, r.campaign_id,
                                     r.responsible_party, r.deadline, overdue, exceeded_on))
    return facts


@dataclass(frozen=True)
class FailedAcceptanceFact:
    acceptance_id: int
    enrolment_id: int
    campaign_id: int
    company_id: int | None
    estate_id: int
    inspected_on: date


def failed_acceptances(since: date | None = None, until: date | None = None, *,
                       company_id: int | None = None) -> list[FailedAcceptanceFact]:
    """Acceptances with the verdict 验收不通过, inspected between ``since`` and ``until`` (inclusive)."""
    conditions = [Acceptance.verdict == AcceptanceVerdict.FAILED]
    if since:
        conditions.append(Acceptance.inspected_on >= since)
    if until:
        conditions.append(Acceptance.inspected_on <= until)
    if company_id:
        conditions.append(E.company_id == company_id)
    rows = db.session.execute(
        select(Acceptance.id, E.id, E.campaign_id, E.company_id, E.estate_id, Acceptance.inspected_on)
        .join(E, E.id == Acceptance.enrolment_id).where(*conditions).order_by(Acceptance.inspected_on, Acceptance.id))
    return [FailedAcceptanceFact(*row) for row in rows]


@dataclass(frozen=True)
class MissingSelfInspectionFact:
    enrolment_id: int
    campaign_id: int
    company_id: int
    estate_id: int
    phase_ends_on: date
    first_submitted_at: datetime | None  # None: never submitted; else submitted late


def missing_self_inspections(as_of: date | None = None, *, campaign_id: int | None = None,
                             company_id: int | None = None) -> list[MissingSelfInspectionFact]:
    """Enrolments with a company whose self-inspection was not submitted by the end
    of the campaign's self-inspection phase, for phases that ended before ``as_of``.

    An enrolment made after the phase ended is not counted; nor is one withdrawn.
    """
    as_of = as_of or local_today()
    phase_end = (select(func.max(CampaignPhase.ends_on))
                 .where(CampaignPhase.campaign_id == E.campaign_id,
                        CampaignPhase.kind == PhaseKind.SELF_INSPECTION).correlate(E).scalar_subquery())
    rows = db.session.execute(
        select(E.id, E.campaign_id, E.company_id, E.estate_id, phase_end.label("ends_on"),
               SelfInspection.first_submitted_at, E.enrolled_at)
        .join(Campaign, Campaign.id == E.campaign_id)
        .outerjoin(SelfInspection, SelfInspection.enrolment_id == E.id)
        .where(E.company_id.is_not(None), E.status != EnrolmentStatus.WITHDRAWN,
               Campaign.status != CampaignStatus.DRAFT, phase_end < as_of,
               *([E.campaign_id == campaign_id] if campaign_id else []),
               *([E.company_id == company_id] if company_id else []))
        .order_by(E.campaign_id, E.id))
    facts = []
    for enrolment_id, cid, comp, estate_id, ends_on, first_submitted_at, enrolled_at in rows:
        deadline_utc = local_day_bounds_utc(ends_on + timedelta(days=1))[0]
        if enrolled_at >= deadline_utc:
            continue
        if first_submitted_at is not None and first_submitted_at < deadline_utc:
            continue
        facts.append(MissingSelfInspectionFact(enrolment_id, cid, comp, estate_id, ends_on, first_submitted_at))
    return facts
