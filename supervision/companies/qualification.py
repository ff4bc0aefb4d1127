"""A staff member's known-qualified days (``Staff.qualified_from`` … ``qualified_until``), kept at flush.

They are the validity of ONE certificate the person's post accepts — the one valid on the day of the recount that
runs longest — so every day between them the person is qualified, whatever day it is now (a range never becomes
wrong with time; it only stops covering today). NULL: no accepted certificate was valid on that day. The
certification drill-down tests the certificates (``companies.services.qualified_clause``) only of the staff whose
range does not cover its day: the rows outside the range are the gap and a few more, instead of every staff member.

Recounted in the flush that changes what they depend on: a certificate (added, removed, its holder, type or
dates), a staff member's post, a post's accepted certificate types. Certificates and posts are written through the
ORM only (no bulk statement writes them).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import event, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from ..core.timeutil import local_today
from .models import Certificate, Position, Staff
from .models import position_certificate_requirements as req

SINCE_EVER = date(1, 1, 1)  # a certificate without an issue date
FOREVER = date(9999, 12, 31)  # one without an expiry date
_CERTIFICATE_FIELDS = ("staff_id", "staff", "certificate_type_id", "certificate_type", "issued_on", "expires_on")


def known_unqualified_clause(day: date):
    """Staff whose known-qualified range does not cover ``day`` (the rest hold a valid certificate that day)."""
    return or_(Staff.qualified_from.is_(None), Staff.qualified_from > day, Staff.qualified_until < day)


def recount_statement(day: date):
    """``UPDATE staff SET qualified_from, qualified_until`` from the certificates, as of ``day`` (add a WHERE)."""
    staff = Staff.__table__
    certificate = Certificate.__table__

    def chosen(column):
        return (select(column).select_from(certificate)
                .join(req, req.c.certificate_type_id == certificate.c.certificate_type_id)
                .where(certificate.c.staff_id == staff.c.id, req.c.position_id == staff.c.position_id,
                       or_(certificate.c.issued_on.is_(None), certificate.c.issued_on <= day),
                       or_(certificate.c.expires_on.is_(None), certificate.c.expires_on >= day))
                .order_by(func.coalesce(certificate.c.expires_on, FOREVER).desc(), certificate.c.id)
                .limit(1).scalar_subquery())

    # ``updated_at`` kept as it is (its onupdate): the person was not edited.
    return update(staff).values(qualified_from=chosen(func.coalesce(certificate.c.issued_on, SINCE_EVER)),
                                qualified_until=chosen(func.coalesce(certificate.c.expires_on, FOREVER)),
                                updated_at=staff.c.updated_at)


def _recount(connection, staff_ids: set, position_ids: set) -> None:
    staff = Staff.__table__
    statement = recount_statement(local_today())
    if position_ids:
        connection.execute(statement.where(staff.c.position_id.in_(sorted(position_ids))))
    ids = sorted(staff_ids)
    for start in range(0, len(ids), 500):  # an import's flush may hold thousands
        connection.execute(statement.where(staff.c.id.in_(ids[start:start + 500])))


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


_PENDING = "qualification_recount"


@event.listens_for(Session, "before_flush")
def _before_flush(session, _flush_context, _instances):
    """Note what the flush changes (the attributes' history is complete before it)."""
    staff: set = set()  # Staff objects (a new one has no id yet) and staff ids
    position_ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Staff):
            staff.add(obj)
        elif isinstance(obj, Certificate):  # its holder by id, or as an object not flushed yet (never loaded here)
            staff.update((obj.staff_id, obj.__dict__.get("staff")))
    for obj in session.deleted:
        if isinstance(obj, Certificate):
            staff.add(obj.staff_id)
    for obj in session.dirty:
        if isinstance(obj, Certificate) and _changed(obj, _CERTIFICATE_FIELDS):
            staff.update(_values(obj, "staff_id") | _values(obj, "staff") | {obj.staff_id})
        elif isinstance(obj, Staff) and _changed(obj, ("position_id", "position")):
            staff.add(obj)
        elif isinstance(obj, Position) and _changed(obj, ("required_certificates",)):
            position_ids.add(obj.id)
    staff.discard(None)
    if staff or position_ids:
        pending = session.info.setdefault(_PENDING, (set(), set()))
        pending[0].update(staff)
        pending[1].update(position_ids)


def _values(obj, name) -> set:
    history = inspect(obj).attrs[name].history
    return {*history.added, *history.deleted, *history.unchanged}


@event.listens_for(Session, "after_flush")
def _after_flush(session, _flush_context):
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    staff, position_ids = pending
    ids = {item.id if isinstance(item, Staff) else item for item in staff}
    ids.discard(None)
    if ids or position_ids:
        _recount(session.connection(), ids, position_ids)
