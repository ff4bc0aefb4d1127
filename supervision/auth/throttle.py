"""Login throttling per (account name, client address), kept in the database for every worker.

Failures are counted for the pair whether or not the account exists, so the answers never tell
which usernames are real. After LOGIN_THROTTLE_AFTER failures the pair must wait
LOGIN_THROTTLE_FIRST_MINUTES, then twice as long after each further failure, up to
LOGIN_THROTTLE_MAX_MINUTES. Other addresses are not affected, so nobody can lock an account out.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..core.timeutil import utcnow
from ..extensions import db
from .models import LoginThrottle


def _key(username: str, address: str | None) -> tuple[str, str]:
    return (username or "").strip().lower()[:64], (address or "unknown")[:64]


def blocked_until(username: str, address: str | None) -> datetime | None:
    """When the pair may try again, if it must wait now."""
    name, addr = _key(username, address)
    until = db.session.scalar(select(LoginThrottle.blocked_until).where(
        LoginThrottle.username == name, LoginThrottle.address == addr))
    return until if until is not None and until > utcnow() else None


def delay_after(failures: int) -> timedelta | None:
    """The wait earned by ``failures`` failures in a row (None while under the threshold)."""
    config = current_app.config
    over = failures - config["LOGIN_THROTTLE_AFTER"]
    if over < 0:
        return None
    minutes = min(config["LOGIN_THROTTLE_FIRST_MINUTES"] * 2 ** min(over, 16), config["LOGIN_THROTTLE_MAX_MINUTES"])
    return timedelta(minutes=minutes)


def _row_for_update(name: str, addr: str) -> LoginThrottle:
    statement = select(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.address == addr)
    row = db.session.scalar(statement.with_for_update())
    if row is not None:
        return row
    try:
        with db.session.begin_nested():  # two workers may insert the same pair at once
            row = LoginThrottle(username=name, address=addr, failures=0, last_failure_at=utcnow())
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(statement.with_for_update())
    return row


def register_failure(username: str, address: str | None) -> LoginThrottle:
    """Count one failed login of the pair; start (or lengthen) its wait when it has earned one."""
    name, addr = _key(username, address)
    now = utcnow()
    _forget_stale(now)
    row = _row_for_update(name, addr)
    forget = timedelta(minutes=current_app.config["LOGIN_THROTTLE_FORGET_MINUTES"])
    if row.failures and now - row.last_failure_at > forget and not (row.blocked_until and row.blocked_until > now):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    delay = delay_after(row.failures)
    if delay is not None:
        row.blocked_until = now + delay
        record("auth.throttled", row, actor=None,
               after={"username": name, "address": addr, "failures": row.failures, "until": row.blocked_until})
    return row


def register_success(username: str, address: str | None) -> None:
    name, addr = _key(username, address)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.address == addr))


def _forget_stale(now: datetime) -> None:
    """Drop pairs that are no longer waiting and have been quiet for the forget period."""
    forget = timedelta(minutes=current_app.config["LOGIN_THROTTLE_FORGET_MINUTES"])
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - forget,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now)))


def active():
    """A select of the pairs that must wait now or have recent failures, the longest wait first."""
    now = utcnow()
    forget = timedelta(minutes=current_app.config["LOGIN_THROTTLE_FORGET_MINUTES"])
    return (select(LoginThrottle)
            .where(or_(LoginThrottle.blocked_until > now,
                       and_(LoginThrottle.failures > 0, LoginThrottle.last_failure_at >= now - forget)))
            .order_by(LoginThrottle.blocked_until.desc().nulls_last(), LoginThrottle.username))


def clear(row: LoginThrottle, *, actor) -> None:
    """The administrator lets the pair try again at once."""
    record("auth.throttle_clear", row, actor=actor,
           before={"failures": row.failures, "until": row.blocked_until})
    db.session.delete(row)


def clear_for_username(username: str) -> int:
    """Forget every pair of an account name (its password was just reset by the administrator)."""
    name, _addr = _key(username, None)
    return db.session.execute(delete(LoginThrottle).where(LoginThrottle.username == name)).rowcount
