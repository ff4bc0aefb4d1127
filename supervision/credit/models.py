"""Company credit evaluation (物业服务企业信用评价).

- A ``CreditRuleSet`` is a city's rules as data (seeds/credit/*.json): the score
  formula's parts with their caps, the item catalogue, the grade bands and the
  overrides. The bureau picks the rule set in force for a year
  (``CreditRuleSetYear``).
- A ``CreditEvent`` is one recorded fact about a company (and, where it applies,
  a project manager and an estate) under one rule item. Its points are looked up
  in the rule set used for scoring, by the item's code, so the same events can be
  scored under another rule set.
- A ``CreditObjection`` is a company's objection (异议) to a notified event; a
  ``CreditClue`` is a street office's report of bad conduct (不良行为线索).
- A ``CreditPublication`` freezes one period's results in ``CreditPublicationRow``s.

When an event counts (see ``services.counting_clause``): on day D it is neither a
draft nor revoked, ``effective_from <= D <= effective_until``, and it was final
on D — confirmed on or before D, or notified with its objection window closed
before D. Revocation is retroactive: a revoked event never counts.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..attachments.models import register_owner
from ..companies.models import Company
from ..core import generations, scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime, enum_column
from ..estates.management import EstateManagement
from ..estates.models import Estate
from ..extensions import db

POINTS = Numeric(8, 2)


class PartKind(LabelledEnum):
    BASIC = ("basic", _l("基本信息"), "primary")
    GOOD = ("good", _l("良好信用信息"), "success")
    BAD = ("bad", _l("不良信用信息"), "danger")


class RecordingLevel(LabelledEnum):
    STREET = ("street", _l("街道"), "info")
    DISTRICT = ("district", _l("区"), "primary")
    CITY = ("city", _l("市"), "dark")


class EventStatus(LabelledEnum):
    DRAFT = ("draft", _l("草稿"), "secondary")
    NOTIFIED = ("notified", _l("已告知"), "warning")
    OBJECTED = ("objected", _l("异议中"), "info")
    CONFIRMED = ("confirmed", _l("已确认"), "success")
    REVOKED = ("revoked", _l("已撤销"), "dark")


class EventOrigin(LabelledEnum):
    MANUAL = ("manual", _l("人工录入"), "secondary")
    AUTOMATIC = ("automatic", _l("系统自动"), "primary")
    CLUE = ("clue", _l("街道线索"), "info")
    ASSESSMENT = ("assessment", _l("基础信息评定"), "dark")


class ObjectionStatus(LabelledEnum):
    PENDING = ("pending", _l("待处理"), "warning")
    UPHELD = ("upheld", _l("维持记分"), "secondary")
    REVOKED = ("revoked", _l("撤销记分"), "success")


class ClueStatus(LabelledEnum):
    SUBMITTED = ("submitted", _l("待核实"), "warning")
    ACCEPTED = ("accepted", _l("已转为信用事件"), "success")
    REJECTED = ("rejected", _l("不予采纳"), "secondary")


class ListKind(LabelledEnum):
    RED = ("red", _l("红名单"), "danger")
    BLACK = ("black", _l("黑名单"), "dark")


# --- rule sets (reference data) ----------------------------------------------

class CreditRuleSet(db.Model):
    __tablename__ = "credit_rule_sets"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    short_name: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    # The score starts here: 0 when a basic-information part is scored, 90 in Lianyungang.
    base_score: Mapped[Decimal] = mapped_column(POINTS, default=Decimal("0"))
    min_total: Mapped[Decimal | None] = mapped_column(POINTS)
    max_total: Mapped[Decimal | None] = mapped_column(POINTS)
    # "area": a project manager's deduction counts for the company weighted by the floor
    # area of the project concerned over all the company manages (Shanghai); "full": in full.
    pm_weighting: Mapped[str] = mapped_column(String(16), default="full")
    objection_workdays: Mapped[int] = mapped_column(Integer, default=15)
    rectify_workdays: Mapped[int] = mapped_column(Integer, default=10)
    # Ordered list of {"kind": ..., "grade": ..., ...}; the first that applies decides the grade.
    overrides: Mapped[list] = mapped_column(JSON, default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parts: Mapped[list[CreditRulePart]] = relationship(
        back_populates="rule_set", order_by="CreditRulePart.sort_order")
    items: Mapped[list[CreditRuleItem]] = relationship(
        back_populates="rule_set", order_by="CreditRuleItem.sort_order")
    grades: Mapped[list[CreditGrade]] = relationship(
        back_populates="rule_set", order_by="CreditGrade.rank")

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    scope_clause = scoping.Everyone()  # the rules are public to every user

    def grade(self, code: str | None) -> CreditGrade | None:
        return next((g for g in self.grades if g.code == code), None)

    def override(self, kind: str) -> dict | None:
        return next((o for o in (self.overrides or []) if o.get("kind") == kind), None)


class CreditRulePart(db.Model):
    """A part of the score formula, e.g. basic information (≤ 80)."""

    __tablename__ = "credit_rule_parts"
    __table_args__ = (UniqueConstraint("rule_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_sets.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[PartKind] = mapped_column(enum_column(PartKind))
    # The most the part may add (positive parts) or take away (deductions); None: no cap.
    cap: Mapped[Decimal | None] = mapped_column(POINTS)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    rule_set: Mapped[CreditRuleSet] = relationship(back_populates="parts")

    def __str__(self) -> str:
        return self.name

    scope_clause = scoping.Everyone()


class CreditRuleItem(db.Model):
    """One clause of the catalogue. ``points`` is signed: negative for deductions."""

    __tablename__ = "credit_rule_items"
    __table_args__ = (UniqueConstraint("rule_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_sets.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_parts.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(255))
    points: Mapped[Decimal] = mapped_column(POINTS)
    validity_months: Mapped[int] = mapped_column(Integer, default=12)
    evidence_required: Mapped[str | None] = mapped_column(String(255))
    blacklist: Mapped[bool] = mapped_column(Boolean, default=False)  # 严重失信
    veto: Mapped[bool] = mapped_column(Boolean, default=False)  # 一票否决
    # Recorded by the system from campaign facts (see credit.automatic).
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    applies_to_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    rectify_workdays: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict | None] = mapped_column(JSON)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    rule_set: Mapped[CreditRuleSet] = relationship(back_populates="items")
    part: Mapped[CreditRulePart] = relationship()

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def is_deduction(self) -> bool:
        return self.points < 0

    scope_clause = scoping.Everyone()


class CreditGrade(db.Model):
    """A grade: banded (reached by score) or given only by an override (C（缺失）, 严重失信)."""

    __tablename__ = "credit_grades"
    __table_args__ = (UniqueConstraint("rule_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_sets.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(32))
    # Lower bound, inclusive. None on a banded grade: everything below the others.
    min_score: Mapped[Decimal | None] = mapped_column(POINTS)
    banded: Mapped[bool] = mapped_column(Boolean, default=True)
    rank: Mapped[int] = mapped_column(Integer)  # 1 is the best
    list_kind: Mapped[ListKind | None] = mapped_column(enum_column(ListKind))
    badge: Mapped[str] = mapped_column(String(16), default="secondary")
    description: Mapped[str | None] = mapped_column(String(255))

    rule_set: Mapped[CreditRuleSet] = relationship(back_populates="grades")

    def __str__(self) -> str:
        return self.label

    scope_clause = scoping.Everyone()


class CreditRuleSetYear(TimestampMixin, VersionedMixin, db.Model):
    """The rule set the bureau put in force for one calendar year."""

    __tablename__ = "credit_rule_set_years"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_sets.id"), index=True)
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rule_set: Mapped[CreditRuleSet] = relationship()
    chosen_by = relationship("User")

    def __str__(self) -> str:
        return f"{self.year}年度信用评价规则"

    scope_clause = scoping.Everyone()


# --- events ------------------------------------------------------------------

@register_owner("credit_event")
class CreditEvent(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "credit_events"
    __table_args__ = (
        UniqueConstraint("notice_year", "notice_seq"),
        Index("ix_credit_events_company_status", "company_id", "status"),
        # The events list filtered by 来源: its page newest first and its count from this index alone.
        Index("ix_credit_events_origin_occurred", "origin", "occurred_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)
    # The project manager concerned, when the record is (also) a manager's.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # The item under the rule set in force when recorded (scoring maps it by code).
    item_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_items.id"), index=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_sets.id"), index=True)
    # Signed points under the recording rule set, as told to the company.
    points: Mapped[Decimal] = mapped_column(POINTS)
    occurred_on: Mapped[date] = mapped_column(index=True)  # the date the fact happened
    description: Mapped[str] = mapped_column(Text)
    recording_level: Mapped[RecordingLevel] = mapped_column(enum_column(RecordingLevel))
    recording_body: Mapped[str] = mapped_column(String(128))
    origin: Mapped[EventOrigin] = mapped_column(enum_column(EventOrigin), default=EventOrigin.MANUAL)
    # One fact, one event: e.g. "item-overdue:123". Unique, so a job may run any number of times.
    source_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    clue_id: Mapped[int | None] = mapped_column(ForeignKey("credit_clues.id"), index=True)
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus), default=EventStatus.DRAFT, index=True)
    effective_from: Mapped[date] = mapped_column(index=True)
    effective_until: Mapped[date] = mapped_column(index=True)
    rectify_by: Mapped[date | None] = mapped_column()
    # The deduction notice (记分告知单): 〔2026〕信记第0001号.
    notice_year: Mapped[int | None] = mapped_column(Integer)
    notice_seq: Mapped[int | None] = mapped_column(Integer)
    notice_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    notice_clause: Mapped[str | None] = mapped_column(String(255))
    notified_on: Mapped[date | None] = mapped_column()
    objection_deadline: Mapped[date | None] = mapped_column()
    confirmed_on: Mapped[date | None] = mapped_column(index=True)
    revoked_on: Mapped[date | None] = mapped_column()
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    company = relationship("Company")
    estate = relationship("Estate")
    staff = relationship("Staff")
    item: Mapped[CreditRuleItem] = relationship()
    rule_set: Mapped[CreditRuleSet] = relationship()
    clue = relationship("CreditClue", foreign_keys=[clue_id], viewonly=True)
    objection: Mapped[CreditObjection | None] = relationship(back_populates="event", uselist=False)
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    notified_by = relationship("User", foreign_keys=[notified_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    def __str__(self) -> str:
        return self.notice_number or f"信用事件 #{self.id}"

    @property
    def is_deduction(self) -> bool:
        return self.points < 0

    def objection_open(self, today: date) -> bool:
        return (self.status is EventStatus.NOTIFIED and self.objection_deadline is not None
                and today <= self.objection_deadline and self.objection is None)

    # A company sees its own record, never the bureau's drafts.
    scope_clause = scoping.ByCompany(also=lambda cls: cls.status != EventStatus.DRAFT)


@register_owner("credit_objection")
class CreditObjection(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "credit_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("credit_events.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(enum_column(ObjectionStatus), default=ObjectionStatus.PENDING,
                                                    index=True)
    submitted_on: Mapped[date] = mapped_column()
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_on: Mapped[date | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    event: Mapped[CreditEvent] = relationship(back_populates="objection")
    company = relationship("Company")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def __str__(self) -> str:
        return f"异议 #{self.id}"

    scope_clause = scoping.ByCompany()


@register_owner("credit_clue")
class CreditClue(TimestampMixin, VersionedMixin, db.Model):
    """A street office's report of a company's bad conduct, for the bureau to verify."""

    __tablename__ = "credit_clues"

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # The clause the street thinks applies (optional; the bureau decides).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("credit_rule_items.id"))
    occurred_on: Mapped[date] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ClueStatus] = mapped_column(enum_column(ClueStatus), default=ClueStatus.SUBMITTED, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)

    street = relationship("Street")
    estate = relationship("Estate")
    company = relationship("Company")
    item = relationship("CreditRuleItem")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    # The event an officer confirmed the clue into (CreditEvent.clue_id points here).
    event = relationship("CreditEvent", primaryjoin="CreditEvent.clue_id == CreditClue.id",
                         uselist=False, viewonly=True)

    def __str__(self) -> str:
        return f"不良行为线索 #{self.id}"

    scope_clause = scoping.ByStreet()


# --- publication -------------------------------------------------------------

class CreditPublication(db.Model):
    """A period's results, frozen when published: later changes never alter them."""

    __tablename__ = "credit_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    as_of: Mapped[date] = mapped_column()
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_sets.id"))
    rule_set_name: Mapped[str] = mapped_column(String(160))
    bureau_name: Mapped[str | None] = mapped_column(String(128))
    notes: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    company_count: Mapped[int] = mapped_column(Integer, default=0)
    red_count: Mapped[int] = mapped_column(Integer, default=0)
    black_count: Mapped[int] = mapped_column(Integer, default=0)

    rule_set = relationship("CreditRuleSet")
    published_by = relationship("User")

    def __str__(self) -> str:
        return self.name

    scope_clause = scoping.Everyone()  # published results are public to every logged-in user


def _listed(cls, user):
    return or_(cls.red.is_(True), cls.black.is_(True))


def _listed_or_own(cls, user):
    return or_(_listed(cls, user), cls.company_id == user.company_id)


class CreditPublicationRow(db.Model):
    __tablename__ = "credit_publication_rows"
    # The public grade list reads a page of a publication's rows by position.
    __table_args__ = (UniqueConstraint("publication_id", "company_id"),
                      Index("ix_credit_publication_rows_publication_position", "publication_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("credit_publications.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    company_name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str] = mapped_column(String(18))
    position: Mapped[int] = mapped_column(Integer)  # rank in the period, 1 = best score
    base: Mapped[Decimal] = mapped_column(POINTS)
    # {"basic": "80.00", "good": "10.00", "bad": "-3.00"}: each part after its cap.
    parts: Mapped[dict] = mapped_column(JSON)
    total: Mapped[Decimal] = mapped_column(POINTS)
    grade_code: Mapped[str] = mapped_column(String(16))
    grade_label: Mapped[str] = mapped_column(String(32))
    grade_rank: Mapped[int] = mapped_column(Integer)
    override: Mapped[str | None] = mapped_column(String(32))
    red: Mapped[bool] = mapped_column(Boolean, default=False)
    black: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)  # e.g. the serious records behind a black listing

    publication: Mapped[CreditPublication] = relationship()
    company = relationship("Company")

    def __str__(self) -> str:
        return f"{self.company_name} {self.grade_label}"

    # The red and black lists are public; a company also sees its own row.
    scope_clause = scoping.ByStreetOrCompany(street=_listed, company=_listed_or_own)


class CreditCorrection(db.Model):
    """A correction notice (更正公告): supersedes some rows of a publication, which keeps its originals."""

    __tablename__ = "credit_corrections"
    __table_args__ = (UniqueConstraint("year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("credit_publications.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 更正〔2026〕1号
    reason: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    publication: Mapped[CreditPublication] = relationship()
    issued_by = relationship("User")
    rows: Mapped[list[CreditCorrectionRow]] = relationship(back_populates="correction",
                                                            order_by="CreditCorrectionRow.id")

    def __str__(self) -> str:
        return self.number

    scope_clause = scoping.Everyone()  # like the publication it corrects


class CreditCorrectionRow(db.Model):
    """One corrected row: the figures before and after. Read only through a visible publication row."""

    __tablename__ = "credit_correction_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("credit_corrections.id"), index=True)
    publication_row_id: Mapped[int] = mapped_column(ForeignKey("credit_publication_rows.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    company_name: Mapped[str] = mapped_column(String(128))
    old_total: Mapped[Decimal] = mapped_column(POINTS)
    new_total: Mapped[Decimal] = mapped_column(POINTS)
    old_grade_label: Mapped[str] = mapped_column(String(32))
    new_grade_code: Mapped[str] = mapped_column(String(16))
    new_grade_label: Mapped[str] = mapped_column(String(32))
    new_grade_rank: Mapped[int] = mapped_column(Integer)
    old_red: Mapped[bool] = mapped_column(Boolean, default=False)
    new_red: Mapped[bool] = mapped_column(Boolean, default=False)
    old_black: Mapped[bool] = mapped_column(Boolean, default=False)
    new_black: Mapped[bool] = mapped_column(Boolean, default=False)

    correction: Mapped[CreditCorrection] = relationship(back_populates="rows")


# What scores depend on (``scoring.score_table``): changing any of it changes the "credit" data
# generation, which keys the cached score tables (``standings.cached_table``).
SCORES_TOPIC = "credit"


def _watch_score_inputs() -> None:

    generations.watch(SCORES_TOPIC, CreditEvent, CreditObjection, CreditRuleSet, CreditRulePart, CreditRuleItem,
                      CreditGrade, CreditRuleSetYear)
    # The published rows a publication's rescoring is compared with (``corrections._rescored``): written once, when
    # it is published.
    generations.watch(SCORES_TOPIC, CreditPublicationRow)
    generations.watch(SCORES_TOPIC, Company, attributes={"name", "credit_code", "archived_at"})
    generations.watch(SCORES_TOPIC, Estate, attributes={"floor_area", "company_id", "archived_at"})
    # A project manager's deduction is weighed against the area the company managed on the day scored.
    generations.watch(SCORES_TOPIC, EstateManagement, attributes={"company_id", "started_on", "ended_on"})


_watch_score_inputs()
