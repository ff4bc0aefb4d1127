"""The escalation ladder (执法阶梯): rungs as data, facts the sweep found, proposals, cases and their steps.

- ``EnforcementRung``: one rung of the ladder (约谈 → 通报批评 → 曝光 → 行政处罚 → 信用惩戒/黑名单 → 清出建议),
  seeded from seeds/enforcement/ladder.json, with the credit item it triggers (looked up by code in the
  rule set in force), the document it produces and who approves it.
- ``LegalArticle``: an article of the 《物业管理条例》 a penalty may cite, with its penalty range.
- ``EnforcementRefusal``: a refusal to rectify (拒不整改) an officer recorded; one of the facts triggers read.
- ``EnforcementFact``: one fact a trigger found (``key`` unique: the sweep proposes it once, ever).
- ``EnforcementProposal``: what the sweep proposes for a company (and estate): a rung, from new facts.
  An officer confirms it (a case and a step exist only then) or dismisses it with a reason.
- ``EnforcementCase``: per company (and estate), its current rung and history; closed when every
  underlying fact is rectified.
- ``EnforcementStep``: one rung taken in a case, with its record and numbered document.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime, enum_column
from ..extensions import db


class Approver(LabelledEnum):
    OFFICER = ("officer", _l("科员"), "primary")
    LEADER = ("leader", _l("局领导"), "dark")


class ProposalStatus(LabelledEnum):
    PENDING = ("pending", _l("待确认"), "warning")
    CONFIRMED = ("confirmed", _l("已确认"), "success")
    DISMISSED = ("dismissed", _l("不予采纳"), "secondary")


class CaseStatus(LabelledEnum):
    OPEN = ("open", _l("办理中"), "danger")
    CLOSED = ("closed", _l("已结案"), "success")


class StepStatus(LabelledEnum):
    PENDING = ("pending", _l("待领导批准"), "warning")
    ISSUED = ("issued", _l("已作出"), "primary")
    PUBLISHED = ("published", _l("已公开"), "success")


class EnforcementRung(db.Model):
    __tablename__ = "enforcement_rungs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    level: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(32))
    # The credit item's code under the rule set in force (BL-07 约谈, BL-08 通报批评 …), or none.
    credit_item_code: Mapped[str | None] = mapped_column(String(32))
    document: Mapped[str] = mapped_column(String(64))
    doc_word: Mapped[str] = mapped_column(String(8))  # 〔2026〕约谈第0001号
    approver: Mapped[Approver] = mapped_column(enum_column(Approver))
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown on the public portal once published
    description: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return self.name

    scope_clause = scoping.Everyone()


class LegalArticle(db.Model):
    __tablename__ = "enforcement_legal_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    regulation: Mapped[str] = mapped_column(String(64), default="《物业管理条例》")
    article: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    penalty: Mapped[str] = mapped_column(Text)
    min_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    max_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    def __str__(self) -> str:
        return f"{self.regulation}{self.article}"

    scope_clause = scoping.Everyone()


class EnforcementRefusal(TimestampMixin, db.Model):
    """拒不整改: an officer records that a company refused to rectify (a fact the sweep reads)."""

    __tablename__ = "enforcement_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    occurred_on: Mapped[date] = mapped_column()
    description: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rectified_on: Mapped[date | None] = mapped_column()

    company = relationship("Company")
    estate = relationship("Estate")

    def __str__(self) -> str:
        return f"拒不整改记录 #{self.id}"

    scope_clause = scoping.ByStreetOrCompany()


class EnforcementCase(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "enforcement_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.OPEN, index=True)
    rung_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_rungs.id"), index=True)
    opened_on: Mapped[date] = mapped_column()
    closed_on: Mapped[date | None] = mapped_column()
    close_reason: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    company = relationship("Company")
    estate = relationship("Estate")
    street = relationship("Street")
    rung: Mapped[EnforcementRung | None] = relationship()
    steps: Mapped[list[EnforcementStep]] = relationship(back_populates="case", order_by="EnforcementStep.id")
    facts: Mapped[list[EnforcementFact]] = relationship(back_populates="case", order_by="EnforcementFact.id")

    def __str__(self) -> str:
        return f"执法案件 #{self.id}"

    # A street office sees the cases about its estates; a company its own.
    scope_clause = scoping.ByStreetOrCompany()


class EnforcementProposal(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "enforcement_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_cases.id"), index=True)
    rung_id: Mapped[int] = mapped_column(ForeignKey("enforcement_rungs.id"))
    proposed_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), default=ProposalStatus.PENDING,
                                                   index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)

    company = relationship("Company")
    estate = relationship("Estate")
    street = relationship("Street")
    case: Mapped[EnforcementCase | None] = relationship()
    rung: Mapped[EnforcementRung] = relationship()
    decided_by = relationship("User")
    facts: Mapped[list[EnforcementFact]] = relationship(back_populates="proposal", order_by="EnforcementFact.id")

    def __str__(self) -> str:
        return f"执法建议 #{self.id}"

    # The sweep's proposals are the bureau's working papers.
    scope_clause = scoping.ByStreetOrCompany(street=None, company=None)


class EnforcementFact(db.Model):
    __tablename__ = "enforcement_facts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # "item-overdue:123": one fact, proposed once
    trigger: Mapped[str] = mapped_column(String(32), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"))
    occurred_on: Mapped[date] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    ref: Mapped[dict] = mapped_column(JSON, default=dict)  # what the trigger needs to tell whether it is rectified
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_proposals.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_cases.id"), index=True)
    rectified_on: Mapped[date | None] = mapped_column()

    proposal: Mapped[EnforcementProposal | None] = relationship(back_populates="facts")
    case: Mapped[EnforcementCase | None] = relationship(back_populates="facts")

    def __str__(self) -> str:
        return self.summary


class EnforcementStep(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "enforcement_steps"
    __table_args__ = (UniqueConstraint("doc_word", "year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_cases.id"), index=True)
    rung_id: Mapped[int] = mapped_column(ForeignKey("enforcement_rungs.id"), index=True)
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)  # the facts and the decision, as the document states them
    # The document's number: 〔2026〕约谈第0001号, given when the step takes effect.
    doc_word: Mapped[str] = mapped_column(String(8))
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    issued_on: Mapped[date | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Leader rungs: who approved, and the office shown publicly (never a person's contact data).
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_on: Mapped[date | None] = mapped_column()
    approving_office: Mapped[str | None] = mapped_column(String(128))
    published_on: Mapped[date | None] = mapped_column(index=True)
    # 约谈: the notice names the time and place; the record what was said and promised.
    interview_at: Mapped[str | None] = mapped_column(String(64))
    interview_place: Mapped[str | None] = mapped_column(String(128))
    interviewed_on: Mapped[date | None] = mapped_column()
    attendees: Mapped[str | None] = mapped_column(Text)
    commitments: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[date | None] = mapped_column(index=True)  # a deadline: swept when overdue
    # 行政处罚
    article_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_legal_articles.id"))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    measure: Mapped[str | None] = mapped_column(Text)
    credit_event_id: Mapped[int | None] = mapped_column(ForeignKey("credit_events.id"))

    case: Mapped[EnforcementCase] = relationship(back_populates="steps")
    rung: Mapped[EnforcementRung] = relationship()
    article: Mapped[LegalArticle | None] = relationship()
    credit_event = relationship("CreditEvent")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])

    def __str__(self) -> str:
        return self.number or f"{self.rung.name if self.rung else ''} #{self.id}"

    @property
    def is_public(self) -> bool:
        return self.status is StepStatus.PUBLISHED

    # Whoever sees the case: a company its own cases' documents (addressed to it), a street its estates';
    # neither sees a step still waiting for a leader's approval.
    scope_clause = scoping.ByStreetOrCompany(street=scoping.Via("case"), company=scoping.Via("case"),
                                             also=lambda cls: cls.status != StepStatus.PENDING)
