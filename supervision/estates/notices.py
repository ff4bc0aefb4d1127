"""Reminders about owners' committees, sent by ``flask estates sweep-committees``.

Each reminder goes to the bureau and to the street office of the estate, once per committee
and term (or per estate and due date): ``notify`` is idempotent on its ``dedup_key``.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..auth.roles import Role
from ..core.timeutil import local_today
from ..extensions import db
from ..notifications.services import bureau_users, notify
from .models import Estate, OwnersCommittee
from .services import formation_overdue_clause, term_ending_soon_clause, term_over_clause


def _street_users() -> dict[int, list[User]]:
    users = defaultdict(list)
    for user in db.session.scalars(select(User).where(User.role == Role.STREET_OFFICER, User.active.is_(True))):
        users[user.street_id].append(user)
    return users


def notify_committee_alerts(today: date | None = None) -> int:
    today = today or local_today()
    bureau = bureau_users()
    streets = _street_users()
    sent = 0
    base = (select(Estate, OwnersCommittee).join(OwnersCommittee, OwnersCommittee.estate_id == Estate.id)
            .where(Estate.archived_at.is_(None)).options(joinedload(Estate.street)))
    for estate, committee in db.session.execute(base.where(term_ending_soon_clause(today))):
        sent += notify(bureau + streets.get(estate.street_id, []), kind="committee_term",
                       title=_("%(estate)s业主委员会任期将于 %(end)s 届满", estate=estate.name,
                               end=committee.term_end.isoformat()),
                       dedup_key=f"committee-term-soon:{committee.id}:{committee.term_end}",
                       link=f"/estates/{estate.id}#committee")
    for estate, committee in db.session.execute(base.where(term_over_clause(today))):
        sent += notify(bureau + streets.get(estate.street_id, []), kind="committee_term",
                       title=_("%(estate)s业主委员会任期已届满，尚未换届", estate=estate.name),
                       dedup_key=f"committee-term-over:{committee.id}:{committee.term_end}",
                       link=f"/estates/{estate.id}#committee")
    overdue = db.session.scalars(select(Estate).where(Estate.archived_at.is_(None), formation_overdue_clause(today)))
    for estate in overdue:
        sent += notify(bureau + streets.get(estate.street_id, []), kind="committee_overdue",
                       title=_("%(estate)s应于 %(due)s 前成立业主大会和业主委员会，已逾期", estate=estate.name,
                               due=estate.committee_due_on.isoformat()),
                       dedup_key=f"committee-overdue:{estate.id}:{estate.committee_due_on}",
                       link=f"/estates/{estate.id}#committee")
    return sent
