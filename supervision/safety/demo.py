"""The demo's safety registers: lifts in the high-rise estates and fire facilities in most estates,
with some inspections due soon and some overdue (dates relative to today).

Deterministic and idempotent: everything is drawn from the feature's generator first, then inserted
only where the estate has no lift / facility yet (lifts by registration code).
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from ..companies.models import Company
from ..core.timeutil import local_today
from ..estates.demo import DEMO_COMPANY
from ..estates.models import Estate, PropertyType
from ..estates.services import add_months
from ..extensions import db
from .models import FacilityKind, FacilityStatus, FireFacility, Lift, LiftStatus

MAINTAINERS = ("示范电梯工程有限公司", "安达电梯维保有限公司", "宏运机电设备有限公司", "恒通电梯服务有限公司")
LIFT_TYPES = (PropertyType.HIGH_RISE, PropertyType.APARTMENT, PropertyType.MIXED)
COMMON_FACILITIES = (FacilityKind.HYDRANT, FacilityKind.EXTINGUISHER, FacilityKind.EVACUATION, FacilityKind.FIRE_LANE,
                     FacilityKind.FIRE_DOOR)
HIGH_RISE_FACILITIES = (FacilityKind.SPRINKLER, FacilityKind.ALARM, FacilityKind.SMOKE_CONTROL,
                        FacilityKind.PUMP_ROOM)


def _last_and_due(rng: random.Random, today):
    """A last inspection and the due date a year later: ~10 % overdue, ~10 % due within 30 days."""
    roll = rng.random()
    if roll < 0.10:
        due = today - timedelta(days=rng.randint(1, 120))
    elif roll < 0.20:
        due = today + timedelta(days=rng.randint(0, 30))
    else:
        due = today + timedelta(days=rng.randint(31, 330))
    return add_months(due, -12), due


def seed_demo(rng: random.Random) -> None:
    today = local_today()
    demo_company = db.session.scalar(select(Company.id).where(Company.name == DEMO_COMPANY))
    estates = db.session.execute(select(Estate.id, Estate.street_id, Estate.property_type, Estate.buildings,
                                        Estate.company_id)
                                 .where(Estate.archived_at.is_(None)).order_by(Estate.id)).all()
    lifts, facilities = [], []
    for estate in estates:
        buildings = min(estate.buildings or 1, 6)
        if estate.property_type in LIFT_TYPES:
            for building in range(1, buildings + 1):
                last, due = _last_and_due(rng, today)
                status = LiftStatus.STOPPED if rng.random() < 0.04 else LiftStatus.IN_USE
                lifts.append(Lift(estate_id=estate.id, street_id=estate.street_id,
                                  registration_code=f"3110{estate.id:06d}{building:02d}01",
                                  location=f"{building}号楼1单元", maintenance_company=rng.choice(MAINTAINERS),
                                  last_inspected_on=last, next_due_on=due, status=status))
        if rng.random() < 0.8 or estate.company_id == demo_company:
            kinds = list(COMMON_FACILITIES[:rng.randint(2, len(COMMON_FACILITIES))])
            if estate.property_type in LIFT_TYPES:
                kinds += list(HIGH_RISE_FACILITIES[:rng.randint(1, len(HIGH_RISE_FACILITIES))])
            for n, kind in enumerate(kinds):
                last, due = _last_and_due(rng, today)
                if n == 0 and demo_company is not None and estate.company_id == demo_company:
                    last, due = add_months(today, -13), today - timedelta(days=20)  # the demo company's own overdue
                status = FacilityStatus.FAULTY if rng.random() < 0.05 else FacilityStatus.NORMAL
                quantity = rng.randint(4, 60) if kind in (FacilityKind.EXTINGUISHER, FacilityKind.HYDRANT,
                                                          FacilityKind.EVACUATION) else None
                facilities.append(FireFacility(estate_id=estate.id, street_id=estate.street_id, kind=kind,
                                               location=_place(kind, buildings), quantity=quantity,
                                               last_checked_on=last, next_due_on=due,
                                               status=status))
    known_codes = set(db.session.scalars(select(Lift.registration_code)))
    db.session.add_all(lift for lift in lifts if lift.registration_code not in known_codes)
    with_facilities = set(db.session.scalars(select(FireFacility.estate_id).distinct()))
    db.session.add_all(f for f in facilities if f.estate_id not in with_facilities)
    db.session.flush()


def _place(kind: FacilityKind, buildings: int) -> str:
    if kind is FacilityKind.FIRE_LANE:
        return "小区主干道"
    if kind in (FacilityKind.PUMP_ROOM, FacilityKind.CONTROL_ROOM):
        return "地下一层"
    return f"1-{buildings}号楼各层" if buildings > 1 else "1号楼各层"
