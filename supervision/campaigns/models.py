"""Campaigns (专项行动): schemes, phases, enrolments, surveys, self-inspections,
rectification items and notices, spot checks and acceptances.

An enrolment's progress is derived from these records (see services), never
typed in by hand; "overdue" is derived from an item's deadline and state.
"""
from __future__ import annotations

import functools
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    exists,
    select,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from ..attachments.models import register_owner
from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime, enum_column
from ..extensions import db

# --- schemes and checklists (reference data, versioned) ----------------------

class PhaseKind(LabelledEnum):
    SURVEY = ("survey", _l("摸底排查"), "info")
    MOBILISE = ("mobilise", _l("动员部署"), "secondary")
    SELF_INSPECTION = ("self_inspection", _l("自查自纠"), "primary")
    RECTIFICATION = ("rectification", _l("整改"), "warning")
    ACCEPTANCE = ("acceptance", _l("验收"), "success")
    PILOT = ("pilot", _l("试点推进"), "secondary")
    REVIEW = ("review", _l("总结巩固"), "dark")


class CampaignScheme(db.Model):
    """A phase scheme from the source documents, kept as data in seeds/."""

    __tablename__ = "campaign_schemes"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(255))  # where in the source documents
    # Figures a street office enters in its weekly report: [{"code", "label", "unit"}].
    report_figures: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # The code of the scheme's self-inspection form: a new campaign takes its newest active version.
    checklist_code: Mapped[str | None] = mapped_column(String(64))
    # Set when the bureau edits the scheme in the app: `flask seed reference` then leaves it alone.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optimistic locking of the scheme editor (``version`` is the scheme's own version number).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")

    phases: Mapped[list[SchemePhase]] = relationship(
        back_populates="scheme", order_by="SchemePhase.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": row_version}

    def __str__(self) -> str:
        return self.name


class SchemePhase(db.Model):
    __tablename__ = "scheme_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("campaign_schemes.id"), index=True)
    position: Mapped[int] = mapped_column()
    kind: Mapped[PhaseKind] = mapped_column(enum_column(PhaseKind))
    name: Mapped[str] = mapped_column(String(128))
    default_days: Mapped[int] = mapped_column(default=30)
    # The phase's first day counted from the campaign's start (1 = the first day); None: right after
    # the previous phase. Phases may overlap or leave gaps, as in the source plans.
    start_day: Mapped[int | None] = mapped_column()
    description: Mapped[str | None] = mapped_column(Text)

    scheme: Mapped[CampaignScheme] = relationship(back_populates="phases")


class ChecklistKind(LabelledEnum):
    YES_NO = ("yes_no", _l("是/否"))
    PERCENT = ("percent", _l("百分比"))
    COUNT = ("count", _l("数量"))
    TEXT = ("text", _l("文字"))


class ChecklistTemplate(db.Model):
    """A self-inspection form (自查检查表); a new version is a new row."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="template", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": row_version}

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    @property
    def offered_items(self) -> list[ChecklistItem]:
        """The items a form of this version asks: retired ones are left out."""
        return [item for item in self.items if item.retired_at is None]


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("template_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column()
    category: Mapped[str] = mapped_column(String(32))  # 安全防范, 环境卫生, 绿化 …
    requirement: Mapped[str] = mapped_column(Text)
    kind: Mapped[ChecklistKind] = mapped_column(enum_column(ChecklistKind))
    # Percent/count items pass when value >= threshold (or <= when comparator is "<=").
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    comparator: Mapped[str] = mapped_column(String(2), default=">=")
    unit: Mapped[str | None] = mapped_column(String(16))
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    # Where in the source plans the item comes from: traceability only, never shown.
    source: Mapped[str | None] = mapped_column(String(255))
    # A retired item is not asked by new forms; answers and rectification items keep pointing at it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


# --- campaigns ---------------------------------------------------------------

class CampaignStatus(LabelledEnum):
    DRAFT = ("draft", _l("筹备中"), "secondary")
    ACTIVE = ("active", _l("进行中"), "primary")
    CLOSED = ("closed", _l("已结束"), "dark")


def _not_draft(cls):
    return cls.status != CampaignStatus.DRAFT


@functools.cache
def _alias(model):
    """One alias per model for the scope conditions below, made once (an ``aliased()`` per condition built a
    new selectable, its columns proxied again, on every scoped query)."""
    return aliased(model)


def _enrolled_street(cls, user):
    """One of the street's estates takes part in the campaign. (An alias of the enrolments, so that
    the condition also works inside a query of enrolments.)"""
    enrolment = _alias(Enrolment)
    return exists(select(enrolment.id).where(enrolment.campaign_id == cls.id, enrolment.street_id == user.street_id))


def _enrolled_company(cls, user):
    """One of the company's estates takes part in the campaign."""
    enrolment = _alias(Enrolment)
    return exists(select(enrolment.id).where(enrolment.campaign_id == cls.id,
                                             enrolment.company_id == user.company_id))


class Campaign(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    year: Mapped[int] = mapped_column(index=True)
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_schemes.id"))
    checklist_template_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_templates.id"))
    status: Mapped[CampaignStatus] = mapped_column(enum_column(CampaignStatus), default=CampaignStatus.DRAFT)
    description: Mapped[str | None] = mapped_column(Text)
    # Companies upload the stamped, signed scan (盖章扫描件) of their self-inspection form.
    requires_signed_scan: Mapped[bool] = mapped_column(default=False)
    # Default deadline for rectification items, in working days.
    default_deadline_workdays: Mapped[int] = mapped_column(default=15)
    # Weekly progress reports: due on this weekday (0 = Monday … 4 = Friday) at this local time.
    report_weekday: Mapped[int] = mapped_column(default=4)
    report_due_time: Mapped[time] = mapped_column(Time, default=time(18, 0))
    # Copied from the scheme when the campaign is created: [{"code", "label", "unit"}].
    report_figures: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    scheme: Mapped[CampaignScheme | None] = relationship()
    checklist_template: Mapped[ChecklistTemplate | None] = relationship()
    phases: Mapped[list[CampaignPhase]] = relationship(
        back_populates="campaign", order_by="CampaignPhase.position", cascade="all, delete-orphan"
    )
    created_by = relationship("User")

    def __str__(self) -> str:
        return self.name

    def phase_of_kind(self, kind: PhaseKind) -> CampaignPhase | None:
        return next((p for p in self.phases if p.kind is kind), None)

    # Streets and companies see a campaign once it has left the draft stage
    # and one of their estates takes part in it.
    scope_clause = scoping.ByStreetOrCompany(street=_enrolled_street, company=_enrolled_company, also=_not_draft)


def _campaign_not_draft(cls):
    campaign = _alias(Campaign)
    return exists(select(campaign.id).where(campaign.id == cls.campaign_id, campaign.status != CampaignStatus.DRAFT))


class CampaignPhase(db.Model):
    __tablename__ = "campaign_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    position: Mapped[int] = mapped_column()
    kind: Mapped[PhaseKind] = mapped_column(enum_column(PhaseKind))
    name: Mapped[str] = mapped_column(String(128))
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date] = mapped_column()

    campaign: Mapped[Campaign] = relationship(back_populates="phases")


class EnrolmentStatus(LabelledEnum):
    ACTIVE = ("active", _l("在册"), "primary")
    WITHDRAWN = ("withdrawn", _l("已退出"), "secondary")
    CLOSED = ("closed", _l("已销号"), "success")


class EnrolmentStage(LabelledEnum):
    """Where an enrolment stands, derived from its records (services.progress), never stored."""
    SURVEY = ("survey", _l("待摸底"), "info")
    SELF_INSPECTION = ("self_inspection", _l("待自查"), "primary")
    RECTIFICATION = ("rectification", _l("整改中"), "warning")
    ACCEPTANCE = ("acceptance", _l("待验收"), "secondary")
    CLOSED = ("closed", _l("已销号"), "success")
    WITHDRAWN = ("withdrawn", _l("已退出"), "dark")


class Enrolment(TimestampMixin, VersionedMixin, db.Model):
    """An estate taking part in a campaign. Street and company are copied from
    the estate when enrolled (and updated by the survey) for scoping."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "estate_id"),
        # The campaign page and the weekly overview read a campaign's enrolments from this index alone.
        Index("ix_enrolments_campaign_street_status", "campaign_id", "street_id", "status", "company_id",
              "enrolled_at", "withdrawn_at"),
        # A street office's filings (filings/models.py): one exact probe per filing for (company, campaign, street).
        Index("ix_enrolments_company_campaign_street", "company_id", "campaign_id", "street_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus), default=EnrolmentStatus.ACTIVE,
                                                    index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 销号

    campaign: Mapped[Campaign] = relationship()
    estate = relationship("Estate")
    street = relationship("Street")
    company = relationship("Company")
    survey: Mapped[SurveyRecord | None] = relationship(back_populates="enrolment", uselist=False)
    self_inspection: Mapped[SelfInspection | None] = relationship(back_populates="enrolment", uselist=False)

    def __str__(self) -> str:
        return f"{self.campaign.name} · {self.estate.name}" if self.campaign and self.estate else "enrolment"

    # Enrolments of a campaign still in preparation stay with the bureau.
    scope_clause = scoping.ByStreetOrCompany(also=_campaign_not_draft)


@register_owner("survey")
class SurveyRecord(TimestampMixin, VersionedMixin, db.Model):
    """摸底: what the street or bureau found at an enrolled estate."""

    __tablename__ = "survey_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), unique=True)
    surveyed_on: Mapped[date] = mapped_column()
    surveyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The estate's facts as found: confirmed unchanged, or corrected.
    facts_confirmed: Mapped[bool] = mapped_column(default=True)
    management_mode_found: Mapped[str | None] = mapped_column(String(32))
    company_found_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    committee_status_found: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)

    enrolment: Mapped[Enrolment] = relationship(back_populates="survey")
    surveyed_by = relationship("User")

    scope_clause = scoping.Via("enrolment")


class SelfInspectionStatus(LabelledEnum):
    DRAFT = ("draft", _l("填报中"), "secondary")
    SUBMITTED = ("submitted", _l("已提交"), "primary")
    RETURNED = ("returned", _l("已退回"), "warning")
    ACCEPTED = ("accepted", _l("已审核"), "success")


@register_owner("self_inspection")
class SelfInspection(TimestampMixin, VersionedMixin, db.Model):
    """A company's filled self-inspection form (自查检查表) for one enrolment."""

    __tablename__ = "self_inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    status: Mapped[SelfInspectionStatus] = mapped_column(enum_column(SelfInspectionStatus),
                                                         default=SelfInspectionStatus.DRAFT, index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # 0–100
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first submission: "missing at the end of the self-inspection phase" is judged on it.
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submission_count: Mapped[int] = mapped_column(default=0)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)

    enrolment: Mapped[Enrolment] = relationship(back_populates="self_inspection")
    template: Mapped[ChecklistTemplate] = relationship()
    answers: Mapped[list[SelfInspectionAnswer]] = relationship(
        back_populates="self_inspection", cascade="all, delete-orphan"
    )

    scope_clause = scoping.Via("enrolment")


@register_owner("answer")
class SelfInspectionAnswer(db.Model):
    __tablename__ = "self_inspection_answers"
    __table_args__ = (UniqueConstraint("self_inspection_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    self_inspection_id: Mapped[int] = mapped_column(ForeignKey("self_inspections.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    value_text: Mapped[str | None] = mapped_column(Text)
    passed: Mapped[bool | None] = mapped_column(Boolean)  # computed on submission
    remark: Mapped[str | None] = mapped_column(Text)

    self_inspection: Mapped[SelfInspection] = relationship(back_populates="answers")
    item: Mapped[ChecklistItem] = relationship()

    scope_clause = scoping.Via("self_inspection")


# --- rectification -----------------------------------------------------------

class ItemSource(LabelledEnum):
    SURVEY = ("survey", _l("摸底排查"), "info")
    SELF_INSPECTION = ("self_inspection", _l("企业自查"), "primary")
    SPOT_CHECK = ("spot_check", _l("抽查"), "warning")
    COMPLAINT = ("complaint", _l("投诉"), "danger")
    ACCEPTANCE = ("acceptance", _l("验收"), "success")


class Severity(LabelledEnum):
    GENERAL = ("general", _l("一般"), "secondary")
    SERIOUS = ("serious", _l("较重"), "warning")
    CRITICAL = ("critical", _l("严重"), "danger")


class ItemState(LabelledEnum):
    OPEN = ("open", _l("待整改"), "danger")
    IN_PROGRESS = ("in_progress", _l("整改中"), "warning")
    SUBMITTED = ("submitted", _l("待验收"), "primary")
    REJECTED = ("rejected", _l("已驳回"), "danger")
    ACCEPTED = ("accepted", _l("已销项"), "success")


class ResponsibleParty(LabelledEnum):
    COMPANY = ("company", _l("物业企业"))
    STREET = ("street", _l("街道办"))
    COMMUNITY = ("community", _l("社区"))
    DEVELOPER = ("developer", _l("开发建设单位"))
    OTHER = ("other", _l("其他单位"))


class RectificationNotice(TimestampMixin, db.Model):
    """整改通知书: groups the items of one estate; rendered as a numbered PDF."""

    __tablename__ = "rectification_notices"
    # Numbers run per year: 〔2026〕整改第0001号. The constraint makes a concurrent
    # issue of the same number fail, and the service retries with the next one.
    __table_args__ = (UniqueConstraint("year", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int] = mapped_column()
    sequence: Mapped[int] = mapped_column()
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    issued_on: Mapped[date] = mapped_column()
    deadline: Mapped[date] = mapped_column()
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    remarks: Mapped[str | None] = mapped_column(Text)

    estate = relationship("Estate")
    campaign = relationship("Campaign")
    street = relationship("Street")
    company = relationship("Company")
    issued_by = relationship("User")
    items: Mapped[list[RectificationItem]] = relationship(back_populates="notice", order_by="RectificationItem.id")

    def __str__(self) -> str:
        return self.number

    scope_clause = scoping.ByStreetOrCompany()


@register_owner("item")
class RectificationItem(TimestampMixin, VersionedMixin, db.Model):
    """整改事项. States: open → in_progress → submitted → accepted, or
    submitted → rejected → in_progress. Overdue is derived, never stored."""

    __tablename__ = "rectification_items"
    __table_args__ = (
        Index("ix_rectification_items_state_deadline", "state", "deadline"),
        # The campaign page's item counts per street and state (index only), and its
        # "has an open item" test per enrolment.
        Index("ix_rectification_items_campaign_street_state", "campaign_id", "street_id", "state", "deadline"),
        Index("ix_rectification_items_enrolment_state", "enrolment_id", "state"),
        # The notice list's "awaiting a reply" test per notice, off the index alone.
        Index("ix_rectification_items_notice_state", "notice_id", "state"),
        # A street office's item list by deadline, open / overdue / due this week, and its count (index only).
        Index("ix_rectification_items_street_deadline_state", "street_id", "deadline", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    source: Mapped[ItemSource] = mapped_column(enum_column(ItemSource), index=True)
    # The survey, self-inspection, spot check or acceptance the item came from.
    source_id: Mapped[int | None] = mapped_column()
    checklist_item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_items.id"))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[Severity] = mapped_column(enum_column(Severity), default=Severity.GENERAL)
    responsible_party: Mapped[ResponsibleParty] = mapped_column(enum_column(ResponsibleParty),
                                                                default=ResponsibleParty.COMPANY)
    responsible_note: Mapped[str | None] = mapped_column(String(128))
    deadline_workdays: Mapped[int] = mapped_column(default=15)
    deadline: Mapped[date] = mapped_column(index=True)
    state: Mapped[ItemState] = mapped_column(enum_column(ItemState), default=ItemState.OPEN, index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_notices.id"), index=True)
    # What the responsible party says was done, with evidence attached (purpose "evidence").
    response: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened_count: Mapped[int] = mapped_column(default=0)
    # When the item entered its current state (time-in-state), and the local date
    # of the latest submission (on-time rate: submitted on or before the deadline).
    state_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_on: Mapped[date | None] = mapped_column()

    estate = relationship("Estate")
    street = relationship("Street")
    enrolment: Mapped[Enrolment | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    company = relationship("Company")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    notice: Mapped[RectificationNotice | None] = relationship(back_populates="items")
    transitions: Mapped[list[ItemTransition]] = relationship(
        back_populates="item", order_by="ItemTransition.at", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"#{self.id} {self.description[:40]}"

    def is_overdue(self, today: date) -> bool:
        return self.state is not ItemState.ACCEPTED and self.deadline < today

    @classmethod
    def overdue_clause(cls, today: date):
        return (cls.state != ItemState.ACCEPTED) & (cls.deadline < today)

    scope_clause = scoping.ByStreetOrCompany()


class ItemTransition(db.Model):
    """Every state change of an item: the history behind time-in-state."""

    __tablename__ = "item_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id"), index=True)
    from_state: Mapped[ItemState | None] = mapped_column(enum_column(ItemState))
    to_state: Mapped[ItemState] = mapped_column(enum_column(ItemState))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)

    item: Mapped[RectificationItem] = relationship(back_populates="transitions")
    by = relationship("User")


@register_owner("spot_check")
class SpotCheck(TimestampMixin, db.Model):
    """抽查: an officer's check of any estate at any time."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    checked_on: Mapped[date] = mapped_column()
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str | None] = mapped_column(Text)
    # The risk-weighted sample the estate was drawn from, when the check followed one.
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("spot_check_samples.id"), index=True)

    estate = relationship("Estate")
    campaign = relationship("Campaign")
    street = relationship("Street")
    company = relationship("Company")
    checked_by = relationship("User")
    sample = relationship("SpotCheckSample")

    scope_clause = scoping.ByStreetOrCompany()


class SpotCheckSample(TimestampMixin, db.Model):
    """生成抽查样本: estates drawn at random, weighted by risk, reproducible from ``seed``.

    ``entries`` keeps the drawn estates in order, each with the weight and reasons it was drawn with:
    ``[{"estate_id": 7, "weight": 5, "reasons": ["逾期整改事项 2 项"]}, …]``. A bureau record: street
    offices and companies never see it (they would learn which estates are about to be checked)."""

    __tablename__ = "spot_check_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column()
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    drawn_on: Mapped[date] = mapped_column()  # the day whose risk data the weights were computed from
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entries: Mapped[list] = mapped_column(JSON, default=list)

    street = relationship("Street")
    created_by = relationship("User")

    scope_clause = scoping.ByStreetOrCompany(street=None, company=None)

    def __str__(self) -> str:
        return f"抽查样本 #{self.id}"

    @property
    def estate_ids(self) -> list[int]:
        return [entry["estate_id"] for entry in self.entries]


class AcceptanceVerdict(LabelledEnum):
    PASSED = ("passed", _l("验收通过"), "success")
    FAILED = ("failed", _l("验收不通过"), "danger")


@register_owner("acceptance")
class Acceptance(TimestampMixin, db.Model):
    """验收: an inspection of one enrolment, with a verdict per item and overall."""

    __tablename__ = "acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    inspected_on: Mapped[date] = mapped_column()
    inspected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[AcceptanceVerdict] = mapped_column(enum_column(AcceptanceVerdict), index=True)
    remarks: Mapped[str | None] = mapped_column(Text)
    # A passed acceptance stops counting when an item it passed is re-opened (kept, marked revoked).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    enrolment: Mapped[Enrolment] = relationship()
    inspected_by = relationship("User")
    verdicts: Mapped[list[AcceptanceItemVerdict]] = relationship(
        back_populates="acceptance", cascade="all, delete-orphan"
    )

    scope_clause = scoping.Via("enrolment")


class AcceptanceItemVerdict(db.Model):
    __tablename__ = "acceptance_item_verdicts"
    __table_args__ = (UniqueConstraint("acceptance_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    acceptance_id: Mapped[int] = mapped_column(ForeignKey("acceptances.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id"), index=True)
    passed: Mapped[bool] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)

    acceptance: Mapped[Acceptance] = relationship(back_populates="verdicts")
    item: Mapped[RectificationItem] = relationship()
