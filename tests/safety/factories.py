"""Factories for the safety registers."""
from __future__ import annotations

import itertools
from datetime import date

from supervision.extensions import db
from supervision.safety.models import FacilityKind, FacilityStatus, FireFacility, Lift, LiftStatus

_n = itertools.count(1)


def gen_lift(estate, *, next_due_on: date | None = date(2027, 3, 1), status=LiftStatus.IN_USE, **kw) -> Lift:
    lift = Lift(estate_id=estate.id, registration_code=kw.pop("registration_code", f"T{next(_n):08d}"),
                location=kw.pop("location", "1号楼1单元"), next_due_on=next_due_on, status=status, **kw)
    db.session.add(lift)
    db.session.flush()
    return lift


def gen_facility(estate, *, kind=FacilityKind.EXTINGUISHER, next_due_on: date | None = date(2027, 3, 1),
                 status=FacilityStatus.NORMAL, **kw) -> FireFacility:
    facility = FireFacility(estate_id=estate.id, kind=kind, location=kw.pop("location", "1号楼各层"),
                            next_due_on=next_due_on, status=status, **kw)
    db.session.add(facility)
    db.session.flush()
    return facility
