"""Owners' complaints and repair requests (投诉 / 报修), one register for every channel.

A complaint (or repair request) belongs to an estate, hence to the estate's street and managing
company; one that arrives with a free-text address no rule could match waits in the clerk's queue
with no estate (nobody but the district sees it). Its clocks (response and resolution deadlines)
are stamped when it is received, from ``ComplaintClock`` (per kind, category and urgency) and the
holiday register; overdue is derived from the state and the deadlines (``sweep.overdue_clause``), never stored.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..attachments.models import register_owner
from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime, enum_column
from ..extensions import db


class Kind(LabelledEnum):
    COMPLAINT = ("complaint", _l("投诉"), "danger")
    REPAIR = ("repair", _l("报修"), "info")


class Channel(LabelledEnum):
    HOTLINE = ("hotline", _l("12345转办"), "danger")
    PHONE = ("phone", _l("来电"), "secondary")
    VISIT = ("visit", _l("来访"), "secondary")
    STREET = ("street", _l("街道受理"), "info")
    ONLINE = ("online", _l("网上"), "primary")
    MEDIA = ("media", _l("媒体"), "warning")
    COMPANY_LOG = ("company_log", _l("企业报修台账"), "success")


class Urgency(LabelledEnum):
    ORDINARY = ("ordinary", _l("一般"), "secondary")
    URGENT = ("urgent", _l("紧急"), "danger")


class State(LabelledEnum):
    RECEIVED = ("received", _l("已受理"), "secondary")
    ASSIGNED = ("assigned", _l("已派单"), "warning")
    RESPONDED = ("responded", _l("已响应"), "info")
    RESOLVED = ("resolved", _l("已办结"), "primary")
    CALLED_BACK = ("called_back", _l("已回访"), "primary")
    CLOSED = ("closed", _l("已关闭"), "success")


class Satisfaction(LabelledEnum):
    SATISFIED = ("satisfied", _l("满意"), "success")
    BASIC = ("basic", _l("基本满意"), "info")
    UNSATISFIED = ("unsatisfied", _l("不满意"), "danger")


class Verdict(LabelledEnum):
    VALID = ("valid", _l("经核查属实"), "danger")
    UNFOUNDED = ("unfounded", _l("经核查不属实"), "secondary")


class MatchStatus(LabelledEnum):
    MATCHED = ("matched", _l("已匹配"), "success")
    PENDING = ("pending", _l("待人工匹配"), "warning")
    CLERK = ("clerk", _l("人工指定"), "info")


# Categories: the checklist's, plus the three owners complain about most.
CATEGORIES = ("安全防范", "环境卫生", "绿化养护", "设施设备", "消防安全", "电梯管理", "客户服务", "停车秩序",
              "房屋本体", "收费", "服务态度", "维修", "其他")


class ComplaintClock(VersionedMixin, db.Model):
    """How long a response and a resolution may take: per kind, urgency and (optionally) category.

    ``*_hours`` counts working hours (09:00–17:00 on working days), ``*_days`` working days (the
    deadline is the end of that day); 0 days means the end of the day received ("same day").
    A row with no category applies to every category without a row of its own."""

    __tablename__ = "complaint_clocks"
    __table_args__ = (UniqueConstraint("kind", "urgency", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency))
    category: Mapped[str | None] = mapped_column(String(32))
    response_hours: Mapped[int | None] = mapped_column(Integer)
    response_days: Mapped[int | None] = mapped_column(Integer)
    resolution_hours: Mapped[int | None] = mapped_column(Integer)
    resolution_days: Mapped[int | None] = mapped_column(Integer)


CLOCKS = ("state", "response_due_at", "resolution_due_at")
RATES_COLUMNS = ("kind", "received_at", "id", "repeat_of_id", "street_id", "company_id", "responded_at", "resolved_at",
                 "response_due_at", "resolution_due_at", "satisfaction")


@register_owner("complaint")
class Complaint(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "complaints"
    __table_args__ = (
        UniqueConstraint("channel", "ticket_no"),
        # The lists' filters read only index columns, so that the capped count (up to 10,000 ids) never
        # reads the table: the scope's street or company, received_at and id (the list's order: a page
        # stops after 50 rows) and the overdue filter's columns (sweep.overdue_clause).
        Index("ix_complaints_street_received", "street_id", "received_at", "id", *CLOCKS),
        Index("ix_complaints_company_received", "company_id", "received_at", "id", *CLOCKS),
        Index("ix_complaints_estate_category_received", "estate_id", "category", "received_at"),
        Index("ix_complaints_received_clocks", "received_at", "id", *CLOCKS),
        # The rates, their drill-downs and their counts (rates.period_clause: a kind and a received_at
        # range, then the measures' columns and the groups'). Single-column indexes on kind or match_status
        # (two or three values) led SQLite, which keeps no statistics unless ANALYZE runs, to scan most of
        # the table.
        Index("ix_complaints_kind_received", *RATES_COLUMNS),
        Index("ix_complaints_match_queue", "match_status", "state"),
        # The overdue filter's capped count (sweep.overdue_count_clause); also the state filter's index.
        Index("ix_complaints_state_response_due", "state", "response_due_at"),
        Index("ix_complaints_state_resolution_due", "state", "resolution_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind), default=Kind.COMPLAINT)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), index=True)
    ticket_no: Mapped[str | None] = mapped_column(String(64))  # the channel's own number (工单编号)
    tracking_no: Mapped[str] = mapped_column(String(20), unique=True)  # ours, given to the owner
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    complainant_name: Mapped[str | None] = mapped_column(String(64))
    complainant_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    address: Mapped[str | None] = mapped_column(String(255))  # as given (诉求地址)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    match_status: Mapped[MatchStatus] = mapped_column(enum_column(MatchStatus), default=MatchStatus.MATCHED)
    match_confidence: Mapped[int | None] = mapped_column(Integer)  # 0–100
    # Unplaced complaints: the matcher's best estates when received, [[estate id, confidence], …] (the
    # clerk's queue shows them without indexing the whole district on the request; None on older rows).
    match_suggestions: Mapped[list | None] = mapped_column(JSON)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency), default=Urgency.ORDINARY)
    state: Mapped[State] = mapped_column(enum_column(State), default=State.RECEIVED)
    state_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    hotline_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the hotline's 办理时限
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    called_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response: Mapped[str | None] = mapped_column(Text)  # the company's first answer
    reply: Mapped[str | None] = mapped_column(Text)  # what was done (办结回复)
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_column(Satisfaction))
    callback_words: Mapped[str | None] = mapped_column(Text)  # the owner's words at the callback
    reopened_count: Mapped[int] = mapped_column(default=0)
    # A repeat of an earlier complaint (same estate and category within 30 days): linked, not counted.
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    verdict: Mapped[Verdict | None] = mapped_column(enum_column(Verdict))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_items.id"))
    credit_event_id: Mapped[int | None] = mapped_column(ForeignKey("credit_events.id"))
    # The owner's private link (sha256 of the token) and where the public form came from (hashed).
    owner_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    source_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    estate = relationship("Estate")
    street = relationship("Street")
    company = relationship("Company")
    repeat_of: Mapped[Complaint | None] = relationship(remote_side=[id])
    item = relationship("RectificationItem")
    credit_event = relationship("CreditEvent")
    transitions: Mapped[list[ComplaintTransition]] = relationship(
        back_populates="complaint", order_by="ComplaintTransition.at", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"{self.tracking_no} {self.description[:30]}"

    def response_overdue(self, now: datetime) -> bool:
        done = self.responded_at or self.resolved_at
        return (done or now) > self.response_due_at

    def resolution_overdue(self, now: datetime) -> bool:
        return (self.resolved_at or now) > self.resolution_due_at

    @property
    def open(self) -> bool:
        return self.state not in (State.RESOLVED, State.CALLED_BACK, State.CLOSED)

    # The district sees all; a street its estates'; a company those assigned to it. Unmatched: district only.
    scope_clause = scoping.ByStreetOrCompany()


class ComplaintTransition(db.Model):
    __tablename__ = "complaint_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    from_state: Mapped[State | None] = mapped_column(enum_column(State))
    to_state: Mapped[State] = mapped_column(enum_column(State))
    verb: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship(back_populates="transitions")
    by = relationship("User")

    scope_clause = scoping.Via("complaint")


class RoutineSupervision(db.Model):
    """日常监管: the standing container of an estate's items that belong to no campaign (verified
    complaints). One per estate, opened the first time it is needed; its items are the estate's
    rectification items with no campaign."""

    __tablename__ = "routine_supervisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    estate = relationship("Estate")

    def __str__(self) -> str:
        return f"日常监管 · {self.estate.name}" if self.estate else "日常监管"

    scope_clause = scoping.ByEstate()
