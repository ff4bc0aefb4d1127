"""Weekly progress reports (每周五报送): one per campaign × street × ISO week.

States: draft → submitted → returned → resubmitted (→ returned → resubmitted …).
"Late", "missing" and the other statuses of the bureau's overview are derived
(see ``services.CellStatus``); what decides them is stored here: the due time
fixed when the row is created, the times of the first and of the latest submission,
and the state.

Punctuality is a pair (``docs/campaigns.md``, 周报按时):

- **按时首报** (``first_on_time``): the first submission arrived by the due time.
- **按时定稿** (``final_on_time``): the version that stands — sent and not returned
  since, i.e. the latest submission — arrived by the due time. A report returned
  for correction has no standing version until it is sent again.

"On time" everywhere (the grid, the bulletin, the reporting-rate indicator, the
"late" filter) means 按时定稿: a report returned and resubmitted after the due time is
late even though its first submission was on time. ``stands_on_time`` (also
``WeeklyReport.final_on_time``) and ``WeeklyReport.on_time_clause`` are the same rule in
Python and in SQL.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, case, null
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..attachments.models import register_owner
from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime, enum_column
from ..extensions import db
from .weeks import Week


class ReportStatus(LabelledEnum):
    DRAFT = ("draft", _l("草稿"), "secondary")
    SUBMITTED = ("submitted", _l("已报送"), "success")
    RETURNED = ("returned", _l("已退回"), "warning")
    RESUBMITTED = ("resubmitted", _l("已重新报送"), "success")


# States in which the street has sent the report and may no longer edit it.
SENT = (ReportStatus.SUBMITTED, ReportStatus.RESUBMITTED)
# States in which the street may edit it.
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)


def stands_on_time(status: ReportStatus | None, submitted_at: datetime | None, due_at: datetime) -> bool:
    """按时定稿: the standing version (sent, latest submission) arrived by the due time."""
    return status in SENT and submitted_at is not None and submitted_at <= due_at


def stands_late(status: ReportStatus | None, submitted_at: datetime | None, due_at: datetime) -> bool:
    """The standing version arrived after the due time (迟报)."""
    return status in SENT and submitted_at is not None and submitted_at > due_at


@register_owner("weekly_report")
class WeeklyReport(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "weekly_reports"
    __table_args__ = (
        UniqueConstraint("campaign_id", "street_id", "iso_year", "iso_week"),
        Index("ix_weekly_reports_campaign_week", "campaign_id", "week_start"),
        # the bureau's to-do: this week's reports of one status, counted off the index (migration b4e1d9a6c725)
        Index("ix_weekly_reports_status_week", "status", "iso_year", "iso_week"),
        # the report list's order (week, street, id): a street's page and the district's off the index, without a
        # sort of the reports (a street's 1,000 at 100×: 3.2 → 0.04 ms of SQLite)
        Index("ix_weekly_reports_street_week", "street_id", "week_start", "id"),
        Index("ix_weekly_reports_week_street", "week_start", "street_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    iso_year: Mapped[int] = mapped_column()
    iso_week: Mapped[int] = mapped_column()
    week_start: Mapped[date] = mapped_column()  # the Monday, for ranges and sorting
    # Fixed when the row is created from the campaign's settings and the holiday calendar.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus), default=ReportStatus.DRAFT,
                                                 index=True)
    # The figures the system knows for the street and week ({code: int}), snapshotted
    # at each submission; null while the report has never been sent.
    system_figures: Mapped[dict | None] = mapped_column(JSON)
    figures_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The figures the street enters: [{"code", "label", "unit", "value"}], labels kept
    # with the values so a report reads the same if the campaign's list changes.
    entered_figures: Mapped[list] = mapped_column(JSON, default=list)
    progress: Mapped[str | None] = mapped_column(Text)  # 本周工作进展
    problems: Mapped[str | None] = mapped_column(Text)  # 存在问题及需协调事项
    next_week_plan: Mapped[str | None] = mapped_column(Text)  # 下周工作计划
    contact_person: Mapped[str | None] = mapped_column(String(64))  # 填报人
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 按时首报 is decided by the first submission; 按时定稿 by the latest (``submitted_at``)
    # while the report stands sent.
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the latest
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submission_count: Mapped[int] = mapped_column(default=0)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the latest
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_comment: Mapped[str | None] = mapped_column(Text)
    return_count: Mapped[int] = mapped_column(default=0)

    campaign = relationship("Campaign")
    street = relationship("Street")
    created_by = relationship("User", foreign_keys=[created_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    returned_by = relationship("User", foreign_keys=[returned_by_id])
    transitions: Mapped[list[ReportTransition]] = relationship(
        back_populates="report", order_by="ReportTransition.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        street = self.street.name if self.street else ""
        return f"{street} {self.week.label} 周报"

    @property
    def week(self) -> Week:
        return Week(self.iso_year, self.iso_week)

    @property
    def first_on_time(self) -> bool:
        """按时首报: first submitted by the due time."""
        return self.first_submitted_at is not None and self.first_submitted_at <= self.due_at

    @property
    def first_late(self) -> bool:
        """First submitted after the due time."""
        return self.first_submitted_at is not None and self.first_submitted_at > self.due_at

    @property
    def final_on_time(self) -> bool:
        """按时定稿 (what "on time" means): the standing version arrived by the due time."""
        return stands_on_time(self.status, self.submitted_at, self.due_at)

    @property
    def is_late(self) -> bool:
        """迟报: the standing version (the latest submission) arrived after the due time."""
        return stands_late(self.status, self.submitted_at, self.due_at)

    @property
    def is_sent(self) -> bool:
        return self.status in SENT

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @classmethod
    def on_time_clause(cls):
        """``final_on_time`` in SQL (the reporting-rate indicator counts with it)."""
        return cls.status.in_(SENT) & cls.submitted_at.is_not(None) & (cls.submitted_at <= cls.due_at)

    @classmethod
    def final_submitted_expression(cls):
        """The time of the standing version in SQL: ``submitted_at`` while sent, else NULL (returned)."""
        return case((cls.status.in_(SENT), cls.submitted_at), else_=null())

    @classmethod
    def late_clause(cls):
        """``is_late`` in SQL (the lists' "迟报" filter)."""
        return cls.status.in_(SENT) & cls.submitted_at.is_not(None) & (cls.submitted_at > cls.due_at)

    scope_clause = scoping.ByStreet()


class ReportTransition(db.Model):
    """Every change of a report's state, with the bureau's comment on a return."""

    __tablename__ = "weekly_report_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("weekly_reports.id"), index=True)
    from_status: Mapped[ReportStatus | None] = mapped_column(enum_column(ReportStatus))
    to_status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)

    report: Mapped[WeeklyReport] = relationship(back_populates="transitions")
    by = relationship("User")

    scope_clause = scoping.Via("report")
