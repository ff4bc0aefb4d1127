"""``record`` is the one function every change of state calls.

It adds a row to the session and never commits: the row is written in the same
transaction as the change it describes, or not at all.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload

from ..core.bulk import psycopg_insert
from ..core.timeutil import utcnow
from ..extensions import db
from .models import AuditLog

_PLAIN = frozenset({str, int, float, bool})


def _jsonable(value):
    if value is None or type(value) in _PLAIN:  # most values: no isinstance chain (bulk imports)
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


EXCLUDED_FIELDS = {"password_hash", "created_at", "updated_at", "version", "token_hash", "name_sort"}


def snapshot(obj, fields=None) -> dict:
    """The column values of ``obj`` as JSON-ready data (secrets left out)."""
    mapper = sa_inspect(obj).mapper
    names = fields or [c.key for c in mapper.column_attrs]
    return {
        name: _jsonable(getattr(obj, name))
        for name in names
        if name not in EXCLUDED_FIELDS
    }


def _current_actor():
    if not has_request_context():
        return None
    try:
        if current_user and current_user.is_authenticated:
            return current_user._get_current_object()
    except Exception:  # no login manager in this context
        return None
    return None


def record(action: str, obj=None, *, before=None, after=None, actor=None,
           object_type=None, object_id=None, summary=None, channel=None) -> AuditLog:
    """Record one change of state. ``obj`` is flushed first so it has an id."""
    if obj is not None:
        if getattr(obj, "id", None) is None:
            db.session.add(obj)
            db.session.flush()
        object_type = object_type or obj.__class__.__name__
        object_id = object_id if object_id is not None else obj.id
        summary = summary or str(obj)[:255]
    actor = actor if actor is not None else _current_actor()
    if channel is None:
        channel = "cli"
        if has_request_context():
            channel = "api" if request.path.startswith("/api/") else "web"
    entry = AuditLog(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        channel=channel,
        ip=request.remote_addr if has_request_context() else None,
        action=action,
        object_type=object_type or "-",
        object_id=object_id,
        summary=summary[:255] if summary else None,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    db.session.add(entry)
    return entry


def record_many(action: str, entries, *, actor=None) -> int:
    """Record one change for each of many flushed objects in one bulk INSERT (imports).

    ``entries`` yields ``(obj, after)``; the rows are those ``record`` would write, without
    loading them back as ORM objects. Returns how many were written.
    """
    return record_rows(action, ((obj.__class__.__name__, obj.id, str(obj), after) for obj, after in entries),
                       actor=actor)


def record_rows(action: str, entries, *, actor=None) -> int:
    """``record_many`` for rows inserted without ORM objects: ``entries`` yields ``(object_type,
    object_id, summary, after)``."""
    actor = actor if actor is not None else _current_actor()
    channel = "cli"
    if has_request_context():
        channel = "api" if request.path.startswith("/api/") else "web"
    common = {"at": utcnow(), "actor_id": getattr(actor, "id", None), "channel": channel,
              "ip": request.remote_addr if has_request_context() else None, "action": action, "before": None}
    rows = [dict(common, object_type=object_type, object_id=object_id, summary=summary[:255],
                 after=_jsonable(after) if after is not None else None)
            for object_type, object_id, summary, after in entries]
    if rows and psycopg_insert(AuditLog.__table__, rows) is None:
        db.session.execute(insert(AuditLog.__table__), rows)  # Core: the ORM's bulk path costs more than the rows
    return len(rows)


def record_change(action: str, obj, before: dict, **kwargs) -> AuditLog:
    """Record an edit: ``before`` is a snapshot taken before the change."""
    after = snapshot(obj, list(before.keys()))
    changed_before = {k: v for k, v in before.items() if after.get(k) != v}
    changed_after = {k: after[k] for k in changed_before}
    return record(action, obj, before=changed_before, after=changed_after, **kwargs)


def history_statement(object_type: str, object_id: int, limit: int = 50):
    """One object's audit rows newest first: the first ``limit`` entries of ``ix_audit_log_object``
    (object_type, object_id, at, id), however many changes the district's other objects have."""
    return (select(AuditLog).options(joinedload(AuditLog.actor))
            .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit))


def history_for(obj, limit: int = 50) -> list[AuditLog]:
    """The audit rows of one object, newest first (for detail pages)."""

    return list(db.session.scalars(history_statement(obj.__class__.__name__, obj.id, limit)))
