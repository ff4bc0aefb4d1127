"""Demo data for the targets: a few months of weekly snapshots, so the trend charts show.

When the demo district has fewer than 20 estates (the registries' and campaigns' own demo
data are not there), a small data set of our own is built first — estates in every street,
staff with and without certificates, a campaign with enrolments and rectification items —
got or created by name, so the dashboard is not empty. Deterministic and idempotent.
"""
from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ..campaigns.models import (
    Campaign,
    CampaignStatus,
    Enrolment,
    EnrolmentStatus,
    ItemSource,
    ItemState,
    RectificationItem,
)
from ..companies.credit_code import make_credit_code
from ..companies.models import Certificate, CertificateType, Company, Position, Staff
from ..core.timeutil import LOCAL_TZ, local_today
from ..estates.models import CommitteeStatus, Estate, ManagementMode, OwnersCommittee
from ..extensions import db
from ..regions.models import Community, Street
from ..seeding import get_or_create
from .indicators import all_indicators, measure, total
from .models import TargetSnapshot, scope_key_for
from .services import ensure_default_targets, take_snapshot, week_of

MIN_ESTATES = 20
BACKFILL_WEEKS = 26

ESTATE_NAMES = ["阳光花园", "锦绣家园", "翠湖苑", "幸福里", "和平新村", "金桂园", "春晖小区", "怡馨苑",
                "建设新村", "滨河湾", "丽景华庭", "文化家园"]
COMPANIES = [
    ("示范安居物业服务有限公司", None),
    ("示范宜居物业服务有限公司", "91000001MA0000002"),
    ("示范和家物业管理有限公司", "91000001MA0000003"),
]
CAMPAIGN_NAME = "老旧小区物业管理提升专项行动（演示）"
ITEM_TEXTS = [("消防", "消防通道堆放杂物，需清理并设置禁停标识"),
              ("设施设备", "单元门禁损坏，需维修"),
              ("环境卫生", "垃圾分类投放点未按时清运"),
              ("安全防范", "监控探头部分失效，需更换")]


def seed_demo(rng) -> None:
    year = local_today().year
    ensure_default_targets(year)

    if db.session.scalar(select(func.count(Estate.id))) < MIN_ESTATES:
        _small_district(rng)
    _backfill_snapshots(rng)


def _utc(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ).astimezone(UTC)


def _small_district(rng) -> None:

    today = local_today()
    companies = []
    for name, body in COMPANIES:
        company = db.session.scalar(select(Company).where(Company.name == name))
        if company is None and body is None:
            continue  # the demo company of the accounts' demo data: made there
        if company is None:
            company = Company(name=name, credit_code=make_credit_code(body), contact_person="演示联系人")
            db.session.add(company)
            db.session.flush()
        companies.append(company)
    positions = {p.code: p for p in db.session.scalars(select(Position))}
    cert_types = {c.code: c for c in db.session.scalars(select(CertificateType))}
    if not positions or not cert_types:
        return  # reference data missing: nothing sensible to build

    # Head-office managers.
    for index, company in enumerate(companies):
        manager, created = get_or_create(Staff, company_id=company.id, name=f"{company.name[2:4]}总经理",
                                         defaults={"position_id": positions["enterprise_manager"].id})
        if created:
            db.session.add(Certificate(staff_id=manager.id, certificate_type_id=cert_types["pm_manager"].id,
                                       number=f"JL-{index + 1:04d}", issued_on=date(today.year - 3, 3, 1)))

    campaign, _created = get_or_create(
        Campaign, name=CAMPAIGN_NAME, year=today.year,
        defaults={"status": CampaignStatus.ACTIVE, "description": "演示数据：用于目标考核与工作台。"})
    streets = list(db.session.scalars(select(Street).order_by(Street.code, Street.name)))
    number = 0
    for street_index, street in enumerate(streets):
        communities = list(db.session.scalars(
            select(Community).where(Community.street_id == street.id).order_by(Community.code, Community.name)))
        if not communities:
            continue
        # Later streets are a little further behind, so the per-street table differs.
        weakness = street_index / max(len(streets) - 1, 1)
        for slot in range(3):
            number += 1
            name = ESTATE_NAMES[(street_index * 3 + slot) % len(ESTATE_NAMES)]
            name = f"{street.name[:2]}{name}"
            company = companies[(street_index + slot) % len(companies)]
            roll = rng.random()
            if roll < 0.15 + 0.25 * weakness:
                mode, company_id = ManagementMode.NONE, None
            elif roll < 0.3 + 0.25 * weakness:
                mode, company_id = ManagementMode.COMMUNITY_TRUST, None
            else:
                mode, company_id = ManagementMode.PROFESSIONAL, company.id
            estate, created = get_or_create(
                Estate, street_id=street.id, name=name,
                defaults={"address": f"{street.name}{name}路{slot + 1}号", "community_id": communities[slot % len(
                    communities)].id, "company_id": company_id, "management_mode": mode,
                    "households": rng.randrange(200, 1600, 10), "year_built": rng.randrange(1985, 2016),
                    "is_old": rng.random() < 0.5, "committee_eligible": rng.random() < 0.85})
            if not created:
                continue
            if estate.committee_eligible or rng.random() < 0.3:
                status_roll = rng.random()
                status = (CommitteeStatus.FORMED if status_roll < 0.75 - 0.35 * weakness
                          else CommitteeStatus.PREPARING if status_roll < 0.9 else CommitteeStatus.EXPIRED)
                db.session.add(OwnersCommittee(estate_id=estate.id, status=status,
                                               elected_on=date(today.year - 2, 6, 1)
                                               if status is CommitteeStatus.FORMED else None))
            if company_id is not None:
                _staff_for(rng, estate, company_id, positions, cert_types, today, weakness, number)
            if rng.random() < 0.7:
                _enrol(rng, campaign, estate, today, weakness)
    db.session.flush()


def _staff_for(rng, estate, company_id, positions, cert_types, today, weakness, number) -> None:

    posts = [("project_manager", "pm_manager", "项目经理"), ("electrician", "electrician_low", "电工"),
             ("security_guard", "security_guard", "秩序维护员"), ("fire_operator", "fire_operator", "消防员"),
             ("cleaner", None, "保洁员")]
    for post_index, (post, cert_code, title) in enumerate(posts):
        staff = Staff(company_id=company_id, estate_id=estate.id, position_id=positions[post].id,
                      name=f"{estate.name}{title}")
        db.session.add(staff)
        db.session.flush()
        if cert_code is None:
            continue
        roll = rng.random()
        if roll < 0.06 + 0.15 * weakness:
            continue  # no certificate at all
        expired = roll < 0.12 + 0.2 * weakness
        issued = date(today.year - 5, 1 + post_index, 10)
        expires = today - timedelta(days=rng.randrange(10, 200)) if expired else date(today.year + 3, 12, 31)
        db.session.add(Certificate(staff_id=staff.id, certificate_type_id=cert_types[cert_code].id,
                                   number=f"D{number:03d}{post_index}", issued_on=issued, expires_on=expires))


def _enrol(rng, campaign, estate, today, weakness) -> None:

    enrolled = today - timedelta(days=150)
    enrolment = Enrolment(campaign_id=campaign.id, estate_id=estate.id, street_id=estate.street_id,
                          company_id=estate.company_id, enrolled_at=_utc(enrolled))
    db.session.add(enrolment)
    db.session.flush()
    all_accepted = True
    for category, text in ITEM_TEXTS[: rng.randrange(1, 4)]:
        deadline = today - timedelta(days=rng.randrange(-20, 120))
        opened = deadline - timedelta(days=21)
        roll = rng.random()
        item = RectificationItem(
            estate_id=estate.id, enrolment_id=enrolment.id, campaign_id=campaign.id, street_id=estate.street_id,
            company_id=estate.company_id, source=ItemSource.SURVEY, category=category, description=text,
            deadline=deadline, opened_at=_utc(opened))
        if roll < 0.72 - 0.3 * weakness:
            accepted_on = deadline - timedelta(days=rng.randrange(0, 10))
            if roll < 0.12:
                accepted_on = deadline + timedelta(days=rng.randrange(2, 15))  # accepted late
            if accepted_on <= today:
                item.state, item.submitted_at, item.accepted_at = (
                    ItemState.ACCEPTED, _utc(accepted_on, 9), _utc(accepted_on, 16))
            else:
                item.state = ItemState.IN_PROGRESS
        else:
            item.state = ItemState.IN_PROGRESS if roll < 0.9 else ItemState.OPEN
        all_accepted = all_accepted and item.state is ItemState.ACCEPTED
        db.session.add(item)
    if all_accepted and rng.random() < 0.8:
        enrolment.status = EnrolmentStatus.CLOSED
        enrolment.closed_at = _utc(today - timedelta(days=rng.randrange(1, 30)))


def _backfill_snapshots(rng) -> None:
    """This week's real snapshot, and plausible rising values for the weeks before it."""
    today = local_today()
    take_snapshot(today)
    existing = {(row.indicator, row.scope_key, row.iso_year, row.iso_week) for row in db.session.execute(
        select(TargetSnapshot.indicator, TargetSnapshot.scope_key, TargetSnapshot.iso_year, TargetSnapshot.iso_week)
        .where(TargetSnapshot.as_of >= today - timedelta(weeks=BACKFILL_WEEKS + 1)))}

    streets = list(db.session.scalars(select(Street.id).where(Street.active.is_(True)).order_by(Street.id)))
    for indicator in all_indicators():
        groups = measure(indicator, today)
        if groups is None:
            continue
        scopes = [(None, total(groups))] + [(street_id, groups.get(street_id)) for street_id in streets]
        for street_id, counts in scopes:
            if counts is None or counts.denominator == 0:
                continue
            current = counts.numerator / counts.denominator
            # How far below today's value the series starts, half a year ago.
            climb = min(current, rng.uniform(0.12, 0.35))
            level = current
            later_value = current  # the value of the week after: never exceeded going back
            for weeks_back in range(1, BACKFILL_WEEKS + 1):
                day = today - timedelta(weeks=weeks_back)
                iso_year, iso_week, week_start = week_of(day)
                level = max(0.0, level - climb / BACKFILL_WEEKS * rng.uniform(0.0, 2.0))
                # The denominator grew a little over the months, too.
                denominator = max(1, round(counts.denominator * (1 - 0.1 * weeks_back / BACKFILL_WEEKS)))
                numerator = math.floor(min(level, later_value) * denominator + 1e-9)
                later_value = numerator / denominator
                if (indicator.code, scope_key_for(street_id), iso_year, iso_week) in existing:
                    continue
                db.session.add(TargetSnapshot(
                    indicator=indicator.code, street_id=street_id, scope_key=scope_key_for(street_id),
                    iso_year=iso_year, iso_week=iso_week, week_start=week_start, as_of=day,
                    numerator=numerator, denominator=denominator, taken_at=_utc(day, 18)))
    db.session.flush()
