"""``notify`` is idempotent: a (user, dedup_key) pair is notified once."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select, update

from ..auth.models import User
from ..auth.roles import BUREAU
from ..core.timeutil import utcnow
from ..extensions import db
from .models import Notification


def notify(users, *, kind: str, title: str, dedup_key: str, body: str | None = None,
           link: str | None = None) -> int:
    """Notify each user once per ``dedup_key``; returns how many were new."""
    users = [u for u in users if u is not None]
    if not users:
        return 0
    ids = {u.id for u in users}
    already = set(db.session.scalars(
        select(Notification.user_id).where(
            Notification.dedup_key == dedup_key, Notification.user_id.in_(ids)
        )
    ))
    created = 0
    for user_id in sorted(ids - already):
        db.session.add(Notification(
            user_id=user_id, kind=kind, title=title[:200], body=body, link=link, dedup_key=dedup_key
        ))
        created += 1
    if created:
        db.session.flush()
    return created


def bureau_users() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role.in_(BUREAU), User.active.is_(True))
    ))


def street_users(street_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.street_id == street_id, User.active.is_(True))
    ))


def company_users(company_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.company_id == company_id, User.active.is_(True))
    ))


# Built once: the header shows the count on every page, and building the statement cost more than running it.
_UNREAD_COUNT = select(func.count(Notification.id)).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))


def unread_count(user) -> int:
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user.id}) or 0


def mark_read(user, notification_ids=None) -> None:
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    db.session.execute(statement.values(read_at=utcnow()))
