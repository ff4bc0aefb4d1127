"""Server-side sessions: every login is a row in ``user_sessions``.

The signed Flask session cookie carries a random token; the table keeps its SHA-256. A cookie is
honoured only while its row is open, so ending the row (logout, password change, disabling the
user, "sign out everywhere", idle timeout, absolute lifetime) ends every copy of the cookie on
every worker at once. The table is shared by all workers on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..core.timeutil import utcnow
from ..extensions import db
from .models import User, UserSession

# Why a session ended (stored in ``end_reason``).
LOGOUT = "logout"
IDLE = "idle"
EXPIRED = "expired"
PASSWORD_CHANGE = "password_change"
PASSWORD_RESET = "password_reset"
DISABLED = "disabled"
SIGNED_OUT_EVERYWHERE = "admin"
ENDED_BY_USER = "ended_by_user"
TIMEOUTS = {IDLE, EXPIRED}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Rows of sessions that began longer ago than this (and so are long over) are deleted at the next login.
KEEP_DAYS = 90


def start(user: User, *, ip: str | None, user_agent: str | None) -> tuple[UserSession, str]:
    """Open a session for a user who has just logged in; returns it and the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    keep = max(timedelta(days=KEEP_DAYS), timedelta(hours=2 * current_app.config["SESSION_MAX_HOURS"]))
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < now - keep))
    row = UserSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                      ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:255] or None)
    db.session.add(row)
    db.session.flush()
    return row, token


@dataclass
class Check:
    session: UserSession | None
    reason: str | None = None  # why the cookie is no longer honoured, when it names a session
    wrote: bool = False


@cache
def _by_token():
    """Built once (on first use: the loader option needs every mapper): every logged-in request runs it."""
    return (select(UserSession).where(UserSession.token_hash == bindparam("token_hash"))
            .options(joinedload(UserSession.user)))


def check(token: str | None, user_id: str | None) -> Check:
    """The open session a cookie names, after the timeouts; ends it if it has run out.

    ``last_seen_at`` is written at most once every SESSION_TOUCH_SECONDS, so most requests only read.
    """
    if not token or not user_id or not str(user_id).isdigit():
        return Check(None)
    row = db.session.scalar(_by_token(), {"token_hash": _hash(token)})
    if row is None or row.user_id != int(user_id) or row.ended_at is not None:
        return Check(None, row.end_reason if row is not None else None)
    config = current_app.config
    now = utcnow()
    reason = None
    if not row.user.active:
        reason = DISABLED
    elif now - row.created_at >= timedelta(hours=config["SESSION_MAX_HOURS"]):
        reason = EXPIRED
    elif now - row.last_seen_at >= timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        reason = IDLE
    if reason:
        _end(row, reason, now)
        record("session.expire", row.user, actor=row.user, after={"session": row.id, "reason": reason})
        return Check(None, reason, wrote=True)
    if now - row.last_seen_at >= timedelta(seconds=config["SESSION_TOUCH_SECONDS"]):
        row.last_seen_at = now
        return Check(row, wrote=True)
    return Check(row)


def _end(row: UserSession, reason: str, now=None) -> None:
    row.ended_at = now or utcnow()
    row.end_reason = reason


def end(row: UserSession, reason: str, *, actor: User) -> None:
    """End one session (logout, or its owner ending it from the sessions page)."""
    if row.ended_at is not None:
        return
    _end(row, reason)
    record("auth.logout" if reason == LOGOUT else "session.end", row.user, actor=actor,
           after={"session": row.id, "reason": reason, "ip": row.ip})


def end_all(user: User, reason: str, *, except_session: UserSession | None = None) -> int:
    """End every open session of a user (but ``except_session``); returns how many. The caller audits."""
    statement = (update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                 .values(ended_at=utcnow(), end_reason=reason))
    if except_session is not None:
        statement = statement.where(UserSession.id != except_session.id)
    return db.session.execute(statement).rowcount


def sign_out_everywhere(user: User, *, actor: User) -> int:
    """The administrator ends every session of a user at once."""
    count = end_all(user, SIGNED_OUT_EVERYWHERE)
    record("user.sign_out_everywhere", user, actor=actor, after={"sessions_ended": count})
    return count


def end_others(user: User, keep: UserSession | None) -> int:
    """A user ends every session but the one in use."""
    count = end_all(user, ENDED_BY_USER, except_session=keep)
    record("session.end_others", user, actor=user, after={"sessions_ended": count})
    return count


def open_sessions(user: User):
    """A select of the user's open sessions that have not run out, most recently used first."""
    config = current_app.config
    now = utcnow()
    return (select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
                   UserSession.created_at > now - timedelta(hours=config["SESSION_MAX_HOURS"]),
                   UserSession.last_seen_at > now - timedelta(minutes=config["SESSION_IDLE_MINUTES"]))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
