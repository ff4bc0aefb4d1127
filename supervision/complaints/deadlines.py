"""Computing the stored deadlines of open complaints again, after the clocks or the holiday register
changed.

Only what is still running moves: the response deadline of a complaint not yet responded to, the
resolution deadline of one not yet resolved (states 已受理 / 已派单 / 已响应). Each is counted again
from where it was counted first — the received time, or for the resolution of a re-opened complaint
the time of its last re-opening — with the clocks and the calendar in force, so running it twice
changes nothing the second time (idempotent). Every deadline that moves is audited on its complaint
(``complaint.deadline_recompute``), and whoever handles the complaint (its company, or the street
while no company has it) is notified once per new deadline. Resolved, called-back and closed
complaints are never touched.

Up to ``DEADLINE_RECOMPUTE_JOB_THRESHOLD`` complaints are done in the request; more become a job
(``complaints.recompute_deadlines``) that selects them again by the same filter.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..audit.services import record
from ..auth.models import User
from ..core.timeutil import LOCAL_TZ, to_local
from ..extensions import db
from ..jobs import enqueue
from ..notifications.services import notify
from .clock import DEFAULT_CLOCKS, due
from .models import Complaint, ComplaintClock, ComplaintTransition, Kind, State, Urgency

C = Complaint
RUNNING_STATES = (State.RECEIVED, State.ASSIGNED, State.RESPONDED)
BATCH = 500
JOB_KIND = "complaints.recompute_deadlines"


@dataclass(frozen=True)
class Scope:
    """Which open complaints a change may move: those of one clock (kind, urgency, category or every
    category), or those with a deadline on or after a changed day of the calendar."""

    kind: str | None = None
    urgency: str | None = None
    category: str | None = None
    since: str | None = None  # ISO date: the earliest day the holiday register changed

    def clause(self):
        clause = C.state.in_(RUNNING_STATES) & C.resolved_at.is_(None)
        if self.kind:
            clause &= C.kind == Kind(self.kind)
        if self.urgency:
            clause &= C.urgency == Urgency(self.urgency)
        if self.category:
            clause &= C.category == self.category
        if self.since:
            start = datetime.combine(date.fromisoformat(self.since), datetime.min.time(), tzinfo=LOCAL_TZ)
            clause &= or_(C.resolution_due_at >= start, C.responded_at.is_(None) & (C.response_due_at >= start))
        return clause

    def as_payload(self) -> dict:
        return {"kind": self.kind, "urgency": self.urgency, "category": self.category, "since": self.since}


def _clock_table() -> dict:
    """(kind, urgency, category) → (response hours, response days, resolution hours, resolution days)."""
    return {(row.kind, row.urgency, row.category): (row.response_hours, row.response_days, row.resolution_hours,
                                                    row.resolution_days)
            for row in db.session.scalars(select(ComplaintClock))}


def _clock(table: dict, complaint: Complaint) -> tuple:
    key = (complaint.kind, complaint.urgency)
    return table.get((*key, complaint.category)) or table.get((*key, None)) or DEFAULT_CLOCKS[key]


def _reopened_at(ids: list[int]) -> dict[int, datetime]:
    rows = db.session.execute(select(ComplaintTransition.complaint_id, func.max(ComplaintTransition.at))
                              .where(ComplaintTransition.complaint_id.in_(ids), ComplaintTransition.verb == "reopen")
                              .group_by(ComplaintTransition.complaint_id))
    return dict(rows.all())


def _recompute_one(complaint: Complaint, clock: tuple, reopened: datetime | None, *, actor, reason: str) -> bool:
    response_hours, response_days, resolution_hours, resolution_days = clock
    before = {"response_due_at": complaint.response_due_at, "resolution_due_at": complaint.resolution_due_at}
    after = dict(before)
    if complaint.responded_at is None:
        after["response_due_at"] = due(complaint.received_at, response_hours, response_days)
    after["resolution_due_at"] = due(reopened or complaint.received_at, resolution_hours, resolution_days)
    if after == before:
        return False
    complaint.response_due_at, complaint.resolution_due_at = after["response_due_at"], after["resolution_due_at"]
    record("complaint.deadline_recompute", complaint, before=before, after={**after, "reason": reason}, actor=actor)
    return True


def count(scope: Scope) -> int:
    return db.session.scalar(select(func.count(C.id)).where(scope.clause())) or 0


def recompute(scope: Scope, *, actor, reason: str) -> int:
    """Count the deadlines of the complaints in ``scope`` again; the number of complaints moved."""
    table = _clock_table()
    ids = list(db.session.scalars(select(C.id).where(scope.clause()).order_by(C.id)))
    moved = 0
    handlers = _Handlers()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        reopened = _reopened_at(chunk)
        for complaint in db.session.scalars(select(C).where(C.id.in_(chunk)).order_by(C.id)):
            if _recompute_one(complaint, _clock(table, complaint), reopened.get(complaint.id), actor=actor,
                              reason=reason):
                moved += 1
                _notify_moved(complaint, handlers.of(complaint), reason)
        db.session.flush()
    return moved


class _Handlers:
    """The active users of each company and street, read once when the first deadline moves."""

    def __init__(self):
        self.by_company: dict[int, list] | None = None
        self.by_street: dict[int, list] = {}

    def of(self, complaint: Complaint) -> list:
        if self.by_company is None:
            self.by_company = {}
            for user in db.session.scalars(select(User).where(User.active.is_(True))):
                if user.company_id:
                    self.by_company.setdefault(user.company_id, []).append(user)
                if user.street_id:
                    self.by_street.setdefault(user.street_id, []).append(user)
        if complaint.company_id:
            return self.by_company.get(complaint.company_id, [])
        return self.by_street.get(complaint.street_id, [])


def _notify_moved(complaint: Complaint, users: list, reason: str) -> None:
    resolution = to_local(complaint.resolution_due_at)
    response = to_local(complaint.response_due_at) if complaint.responded_at is None else None
    if response is not None:
        title = _("诉求 %(no)s 的办理时限已调整：响应 %(response)s 前，办结 %(resolution)s 前",
                  no=complaint.tracking_no, response=f"{response:%m-%d %H:%M}", resolution=f"{resolution:%m-%d %H:%M}")
    else:
        title = _("诉求 %(no)s 的办结时限已调整为 %(resolution)s 前", no=complaint.tracking_no,
                  resolution=f"{resolution:%m-%d %H:%M}")
    key = f"complaint-deadline:{complaint.id}:{resolution:%Y%m%d%H%M}:{response and f'{response:%Y%m%d%H%M}'}"
    notify(users, kind="complaint_deadline", title=title, body=_("原因：%(reason)s", reason=reason),
           dedup_key=key[:128], link=f"/complaints/{complaint.id}")


@dataclass
class Outcome:
    moved: int = 0  # complaints whose deadlines moved (in the request)
    job: object = None  # the job doing it, when there were many


def schedule(scope: Scope, *, actor, reason: str) -> Outcome:
    """In the request up to the threshold (or without a user to own a job: the command line), else as
    a job, started when the caller commits."""
    if actor is None or count(scope) <= current_app.config["DEADLINE_RECOMPUTE_JOB_THRESHOLD"]:
        return Outcome(moved=recompute(scope, actor=actor, reason=reason))
    job = enqueue(JOB_KIND, actor, {"scope": scope.as_payload(), "reason": reason},
                  title=_("重新计算诉求办理时限（%(reason)s）", reason=reason))
    return Outcome(job=job)
