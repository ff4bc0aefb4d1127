"""In-app notifications shown in the header."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime, enum_column
from ..extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    # One notification per fact per user, however often a job runs.
    # (user_id, read_at): the unread count in every page's header, without reading the table.
    __table_args__ = (UniqueConstraint("user_id", "dedup_key"),
                      Index("ix_notifications_user_unread", "user_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255))
    dedup_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    scope_clause = scoping.OwnRows("user_id")


class NotificationCategory(LabelledEnum):
    """What a digest groups: each user chooses a frequency per category."""

    ITEMS = ("items", _l("整改事项（逾期、期限调整、退回、通知书）"))
    REPORTS = ("reports", _l("周报（待报送、退回、截止时间调整）"))
    CREDIT = ("credit", _l("信用（记录、异议、线索）"))
    CERTIFICATES = ("certificates", _l("证书到期"))
    OTHER = ("other", _l("其他（业委会任期等）"))


class DigestFrequency(LabelledEnum):
    DAILY = ("daily", _l("每日摘要"), "primary")
    WEEKLY = ("weekly", _l("每周摘要"), "info")
    OFF = ("off", _l("不发送"), "secondary")


class NotificationPreference(db.Model):
    """A user's choice of how often the messages of one category leave the system (e-mail, webhook)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[NotificationCategory] = mapped_column(enum_column(NotificationCategory))
    frequency: Mapped[DigestFrequency] = mapped_column(enum_column(DigestFrequency))

    scope_clause = scoping.OwnRows("user_id")


class DeliveryStatus(LabelledEnum):
    SENDING = ("sending", _l("发送中（状态不明）"), "warning")
    SENT = ("sent", _l("已发送"), "success")
    FAILED = ("failed", _l("发送失败，待重试"), "danger")
    ABANDONED = ("abandoned", _l("多次失败，已放弃"), "dark")


class DigestDelivery(db.Model):
    """One digest to one user over one channel for one period: claimed (``sending``) and committed before
    it is sent, so that no run — however often, however many workers — sends it twice."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "channel", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    period_key: Mapped[str] = mapped_column(String(32))  # daily:2026-12-07 (due that day) | weekly:2026-W49 (covered)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    message_count: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    scope_clause = scoping.OwnRows("user_id")
