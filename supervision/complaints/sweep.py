"""The overdue sweep for complaints, like the items' sweep: notify the handler (the company, or the
street) and the street of every complaint past a deadline, once per complaint, clock and deadline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

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


def overdue_clause(now: datetime):
    """Open complaints past the response deadline without a response, or past the resolution deadline."""
    late_response = (C.state == State.ASSIGNED) & (C.response_due_at < now)
    late_resolution = C.state.in_(OPEN_STATES) & (C.resolution_due_at < now)
    return late_response | late_resolution


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
