"""The overdue sweep for complaints, like the items' sweep: notify the handler (the company, or the
street) and the street of every complaint past a deadline, once per complaint, clock and deadline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, select

from ..auth.models import User
from ..core.timeutil import utcnow
from ..extensions import db
from ..notifications.services import notify
from .models import Complaint, State

C = Complaint
OPEN_STATES = (State.ASSIGNED, State.RESPONDED)


@dataclass
class SweepResult:
    overdue: int = 0
    notifications: int = 0


def overdue_since():
    """When an open complaint is overdue from: the earlier of its deadlines while it waits for a response,
    its resolution deadline once answered; NULL when it is not open (received, resolved, closed…)."""
    return case(((C.state == State.ASSIGNED) & (C.response_due_at < C.resolution_due_at), C.response_due_at),
                (C.state.in_(OPEN_STATES), C.resolution_due_at), else_=None)


def overdue_clause(now: datetime):
    """Open complaints past the response deadline without a response, or past the resolution deadline.

    One comparison of the columns of ``ix_complaints_received_clocks`` (received_at, state, deadlines),
    not an OR of (state, deadline) ranges: the list shows overdue complaints newest first, and an OR the
    planner can serve from a state index makes it fetch and sort every overdue complaint (70,000 of
    210,000 in bench/complaints.py: ~1 s) for one page; this way it walks the received_at index and
    stops after a page, and the count reads the covering index, not the table."""
    return overdue_since() < now


def overdue_count_clause(now: datetime):
    """The same complaints as ``overdue_clause`` (both deadlines are required), as an OR of (state, deadline)
    ranges for the list's capped count: each range is a search of ``ix_complaints_state_response_due`` or
    ``ix_complaints_state_resolution_due`` that holds overdue complaints only, so counting up to the cap
    reads the cap's worth of index entries, where the received_at walk reads every complaint on the way.
    Not for the page's rows (see ``overdue_clause``)."""
    return (((C.state == State.ASSIGNED) & (C.response_due_at < now))
            | (C.state.in_(OPEN_STATES) & (C.resolution_due_at < now)))


def sweep_overdue(now: datetime | None = None) -> SweepResult:
    now = now or utcnow()
    complaints = list(db.session.scalars(select(C).where(overdue_clause(now)).order_by(C.id)))
    result = SweepResult(overdue=len(complaints))
    if not complaints:
        return result
    users = list(db.session.scalars(select(User).where(User.active.is_(True))))
    by_company, by_street = {}, {}
    for user in users:
        if user.company_id:
            by_company.setdefault(user.company_id, []).append(user)
        if user.street_id:
            by_street.setdefault(user.street_id, []).append(user)
    for c in complaints:
        clock = "response" if c.state is State.ASSIGNED and c.response_due_at < now else "resolution"
        due = c.response_due_at if clock == "response" else c.resolution_due_at
        recipients = by_company.get(c.company_id, []) + by_street.get(c.street_id, [])
        title = (_("诉求 %(no)s 已超过响应时限", no=c.tracking_no) if clock == "response"
                 else _("诉求 %(no)s 已超过办结时限", no=c.tracking_no))
        result.notifications += notify(recipients, kind="complaint_overdue", title=title,
                                       dedup_key=f"complaint-overdue:{c.id}:{clock}:{due.isoformat()}"[:128],
                                       link=f"/complaints/{c.id}")
    return result
