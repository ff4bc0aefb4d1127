"""The complaint list's rows, ready to print (issue 18: the list at 200,000 complaints).

One query of the columns the list shows, the estate's name joined (no entities, no lazy loads), and
each cell computed here once: the badges once per value a page, the times, the masked contact, the
deadline cell. The template then prints strings: a macro or filter call per cell was most of the
page's time at 50 rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from jinja2.filters import do_truncate
from markupsafe import Markup

from ..core.markup import status_badge
from ..estates.models import Estate
from ..templating import localtime
from .models import Complaint, State
from .privacy import masked_contact

C = Complaint
DONE_STATES = (State.RESOLVED, State.CALLED_BACK, State.CLOSED)
COLUMNS = (C.id, C.tracking_no, C.ticket_no, C.received_at, C.channel, C.kind, C.estate_id,
           Estate.name.label("estate_name"), C.category, C.description, C.repeat_of_id, C.complainant_name,
           C.complainant_phone, C.state, C.responded_at, C.resolved_at, C.response_due_at, C.resolution_due_at)


def statement(where):
    """``where``: a ``select(Complaint)`` with the list's filters; the page's rows, newest first."""
    return (where.with_only_columns(*COLUMNS).outerjoin_from(C, Estate, Estate.id == C.estate_id)
            .order_by(C.received_at.desc(), C.id.desc()))


@dataclass(slots=True)
class Row:
    id: int
    tracking_no: str
    ticket_no: str | None
    received: str
    channel_badge: Markup
    kind_badge: Markup
    estate: str | None  # None: not matched yet (待匹配)
    category: str | None
    description: str
    repeat: bool
    contact: str
    state_badge: Markup
    overdue: bool
    due: str


def overdue(row, now: datetime) -> bool:
    """``Complaint.open`` and (``response_overdue`` without a response, or ``resolution_overdue``)."""
    if row.state in DONE_STATES:
        return False
    if not row.responded_at and (row.resolved_at or now) > row.response_due_at:
        return True
    return (row.resolved_at or now) > row.resolution_due_at


def rows(results, now: datetime) -> list[Row]:
    badges: dict = {}

    def badge(member) -> Markup:
        if member not in badges:
            badges[member] = status_badge(member)
        return badges[member]

    env = current_app.jinja_env
    out = []
    for r in results:
        out.append(Row(
            id=r.id, tracking_no=r.tracking_no, ticket_no=r.ticket_no, received=localtime(r.received_at),
            channel_badge=badge(r.channel), kind_badge=badge(r.kind),
            estate=r.estate_name if r.estate_id is not None else None, category=r.category,
            description=do_truncate(env, r.description, 40), repeat=bool(r.repeat_of_id),
            contact=masked_contact(r.complainant_name, r.complainant_phone),
            state_badge=badge(r.state), overdue=overdue(r, now), due=localtime(r.resolution_due_at)))
    return out
