"""Factories for the complaint tests."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime

from supervision.complaints.models import (
    Channel,
    Complaint,
    ComplaintTransition,
    Kind,
    MatchStatus,
    RoutineSupervision,
    State,
    Urgency,
)
from supervision.extensions import db

_n = itertools.count(1)


def gen_complaint(estate, *, received_at=None, state=State.ASSIGNED, category="环境卫生", kind=Kind.COMPLAINT,
                  channel=Channel.PHONE, **kw) -> Complaint:
    n = next(_n)
    received_at = received_at or datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    complaint = Complaint(
        kind=kind, channel=channel, tracking_no=f"TST{n:07d}", received_at=received_at,
        complainant_name=kw.pop("name", "张三"), complainant_phone=kw.pop("phone", "13812341234"),
        estate_id=estate.id if estate else None, street_id=estate.street_id if estate else None,
        company_id=estate.company_id if estate else None,
        match_status=MatchStatus.MATCHED if estate else MatchStatus.PENDING, category=category,
        description=kw.pop("description", "楼道垃圾无人清理"), urgency=kw.pop("urgency", Urgency.ORDINARY),
        state=state, response_due_at=kw.pop("response_due_at", received_at.replace(day=3)),
        resolution_due_at=kw.pop("resolution_due_at", received_at.replace(day=9)), **kw)
    db.session.add(complaint)
    db.session.flush()
    return complaint


def gen_transition(complaint) -> ComplaintTransition:
    row = ComplaintTransition(complaint_id=complaint.id, to_state=complaint.state, verb="receive")
    db.session.add(row)
    db.session.flush()
    return row


def gen_routine(estate) -> RoutineSupervision:
    row = RoutineSupervision(estate_id=estate.id)
    db.session.add(row)
    db.session.flush()
    return row
