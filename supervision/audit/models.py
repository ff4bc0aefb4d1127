"""The audit log: who changed what, when, from what to what."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    # One object's history newest first (a detail page's 变更记录) read off the index in order.
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id", "at", "id"),
                      # One type's changes newest first (the audit page's filter) read off the index in order.
                      Index("ix_audit_log_type_at", "object_type", "at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # web, api or cli: how the change arrived.
    channel: Mapped[str] = mapped_column(String(8), default="web")
    ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column()
    summary: Mapped[str | None] = mapped_column(String(255))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    actor = relationship("User")

    scope_clause = scoping.Everyone()

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field that differs."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
