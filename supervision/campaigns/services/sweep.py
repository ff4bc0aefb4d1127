"""The overdue sweep: notify the responsible users of items that became overdue,
and the bureau and the leaders with one summary a day.

Idempotent: a responsible user's notification is keyed by the item and its
deadline, and ``notify`` adds one per (user, key), so running it every hour
notifies each user once per item — and once more only if the item gets a new
deadline and misses that too. The bureau's officers get one summary a day (not
one message per item: their inbox would drown), the leaders one a day listing
the items overdue by ``LEADER_OVERDUE_WORKDAYS`` working days or more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...auth.models import User
from ...auth.roles import BUREAU, Role
from ...core.timeutil import local_today
from ...core.workdays import workdays_between
from ...estates.models import Estate
from ...extensions import db
from ...notifications.models import Notification
from ...notifications.services import notify
from ..models import RectificationItem, ResponsibleParty

Item = RectificationItem


@dataclass
class SweepResult:
    overdue_items: int = 0
    newly_notified_items: int = 0
    notifications: int = 0


def dedup_key(item: RectificationItem) -> str:
    return f"item-overdue:{item.id}:{item.deadline.isoformat()}"


def sweep_overdue(today: date | None = None, *, link_for=None) -> SweepResult:
    """Add the missing notifications for overdue items; returns what was done.

    A constant number of queries whatever the number of items: the overdue
    items, the active users who may receive, the notifications already sent.
    """
    today = today or local_today()
    items = list(db.session.scalars(select(Item).where(Item.overdue_clause(today))
                                    .options(joinedload(Item.estate).joinedload(Estate.street)).order_by(Item.id)))
    result = SweepResult(overdue_items=len(items))
    if not items:
        return result
    users = list(db.session.scalars(select(User).where(User.active.is_(True))))
    bureau = [u for u in users if u.role in BUREAU]
    leaders = [u for u in users if u.role is Role.LEADER]
    by_company, by_street = {}, {}
    for user in users:
        if user.company_id:
            by_company.setdefault(user.company_id, []).append(user)
        if user.street_id:
            by_street.setdefault(user.street_id, []).append(user)
    keys = {item.id: dedup_key(item) for item in items}
    summary_keys = [f"overdue-summary:{today.isoformat()}", f"overdue-leader:{today.isoformat()}"]
    sent = {(row.user_id, row.dedup_key) for row in db.session.execute(
        select(Notification.user_id, Notification.dedup_key).where(
            Notification.dedup_key.in_([*keys.values(), *summary_keys])))}
    for item in items:
        if item.responsible_party is ResponsibleParty.COMPANY and item.company_id:
            responsible = by_company.get(item.company_id, [])
        else:
            responsible = by_street.get(item.street_id, [])
        recipients = {u.id: u for u in responsible}
        key = keys[item.id]
        new = [uid for uid in sorted(recipients) if (uid, key) not in sent]
        if not new:
            continue
        days = (today - item.deadline).days
        title = _("整改事项逾期：%(estate)s #%(id)s", estate=item.estate.name, id=item.id)
        body = _("%(category)s：%(description)s。期限 %(deadline)s，已逾期 %(days)s 天。", category=item.category,
                 description=item.description[:80], deadline=item.deadline.isoformat(), days=days)
        link = link_for(item) if link_for else f"/campaigns/items/{item.id}"
        for uid in new:
            db.session.add(Notification(user_id=uid, kind="item_overdue", title=title[:200], body=body,
                                        link=link, dedup_key=key))
        result.newly_notified_items += 1
        result.notifications += len(new)
    result.notifications += _summaries(items, today, bureau, leaders, sent_keys={k for _u, k in sent})
    db.session.flush()
    return result


def _summaries(items, today: date, bureau, leaders, *, sent_keys) -> int:
    """The day's summary for the bureau, and for the leaders the items past the second threshold."""
    created = 0
    overdue_link = "/campaigns/items?overdue=1"
    key = f"overdue-summary:{today.isoformat()}"
    if key not in sent_keys:
        by_street: dict[str, int] = {}
        for item in items:
            by_street[item.estate.street.name] = by_street.get(item.estate.street.name, 0) + 1
        lines = "；".join(f"{name} {n} 项" for name, n in sorted(by_street.items(), key=lambda x: -x[1]))
        created += notify(bureau, kind="overdue_summary", dedup_key=key, link=overdue_link,
                          title=_("%(day)s 逾期整改事项共 %(n)s 项", day=today.isoformat(), n=len(items)),
                          body=lines)
    threshold = current_app.config.get("LEADER_OVERDUE_WORKDAYS", 10)
    late = [i for i in items if workdays_between(i.deadline, today) >= threshold]
    key = f"overdue-leader:{today.isoformat()}"
    if late and key not in sent_keys:
        created += notify(leaders, kind="overdue_escalated", dedup_key=key, link=overdue_link,
                          title=_("逾期超过 %(d)s 个工作日的整改事项 %(n)s 项", d=threshold, n=len(late)),
                          body="；".join(f"{i.estate.name} #{i.id}" for i in late[:20]))
    return created
