"""Rows for the targets tests (plain ``gen_*`` functions; each flushes)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from supervision.campaigns.models import (
    Campaign,
    CampaignStatus,
    Enrolment,
    EnrolmentStatus,
    ItemSource,
    ItemState,
    RectificationItem,
)
from supervision.core.timeutil import LOCAL_TZ
from supervision.estates.models import OwnersCommittee
from supervision.extensions import db
from supervision.targets.models import Target, TargetSnapshot, scope_key_for

from ..factories import _add, _n, gen_certificate_type, gen_position


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An aware UTC datetime for a wall-clock time in Shanghai."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ).astimezone(UTC)


def gen_cert_posts():
    """Two certificate types and three posts: a manager post, an electrician post, a cleaner (no certificate)."""
    manager_cert = gen_certificate_type(name="经理岗位证书")
    electric_cert = gen_certificate_type(name="电工证")
    manager = gen_position(requires=[manager_cert], is_manager=True, name="项目经理")
    electrician = gen_position(requires=[electric_cert], name="电工")
    cleaner = gen_position(requires=[], name="保洁员")
    return manager_cert, electric_cert, manager, electrician, cleaner


def gen_committee(estate, status, **kw) -> OwnersCommittee:
    return _add(OwnersCommittee(estate_id=estate.id, status=status, **kw))


def gen_campaign(status=CampaignStatus.ACTIVE, **kw) -> Campaign:
    return _add(Campaign(name=kw.pop("name", f"专项行动{_n()}"), year=kw.pop("year", 2026), status=status, **kw))


def gen_enrolment(campaign, estate, status=EnrolmentStatus.ACTIVE, *, enrolled_at=None, closed_at=None,
                  **kw) -> Enrolment:
    return _add(Enrolment(campaign_id=campaign.id, estate_id=estate.id, street_id=estate.street_id,
                          company_id=estate.company_id, status=status,
                          enrolled_at=enrolled_at or datetime(2020, 1, 1, tzinfo=UTC),
                          closed_at=closed_at, **kw))


def gen_item(estate, deadline: date, state=ItemState.OPEN, *, accepted_at=None, **kw) -> RectificationItem:
    return _add(RectificationItem(
        estate_id=estate.id, street_id=estate.street_id, company_id=estate.company_id, source=ItemSource.SURVEY,
        category=kw.pop("category", "消防"), description=kw.pop("description", f"整改事项{_n()}"),
        deadline=deadline, state=state, accepted_at=accepted_at, **kw))


def gen_target(indicator: str, year: int, threshold: str, street=None, **kw) -> Target:
    street_id = street.id if street is not None else None
    return _add(Target(indicator=indicator, year=year, street_id=street_id, scope_key=scope_key_for(street_id),
                       threshold=Decimal(threshold), **kw))


def gen_snapshot(indicator: str, as_of: date, numerator: int, denominator: int, street=None) -> TargetSnapshot:
    iso = as_of.isocalendar()
    street_id = street.id if street is not None else None
    from datetime import timedelta

    return _add(TargetSnapshot(indicator=indicator, street_id=street_id, scope_key=scope_key_for(street_id),
                               iso_year=iso.year, iso_week=iso.week,
                               week_start=as_of - timedelta(days=as_of.weekday()), as_of=as_of,
                               numerator=numerator, denominator=denominator, taken_at=local(as_of)))


def commit():
    db.session.commit()
