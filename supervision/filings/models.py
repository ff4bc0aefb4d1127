"""Company filings per campaign (企业报送材料): what the bureau asks the companies of a campaign to file
(e.g. 整改提升方案) by a due date, and each company's filing and its review.

A ``FilingRequirement`` belongs to one campaign; the companies expected to file are those managing
an estate enrolled in the campaign (not withdrawn). A company's ``CompanyFiling`` is submitted with a
PDF or a scan, then accepted or returned with reasons (the company submits again). Late and missing
are derived (``services``), never stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, exists, select
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from ..attachments.models import register_owner
from ..campaigns.models import Campaign, Enrolment, EnrolmentStatus
from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.types import UTCDateTime, enum_column
from ..extensions import db


@dataclass(frozen=True)
class _CampaignVisible(scoping.Rule):
    """``scoping.Via("campaign")`` (visible with its campaign, the same ``EXISTS``) on an alias of the campaigns
    made once per process: a fresh one proxied the campaigns' every column again on each request."""

    def clause(self, model, user):
        campaign = _campaign_alias()
        return exists(select(campaign.id).where(campaign.id == model.campaign_id, campaign.scope_clause(user)))


@cache
def _campaign_alias():
    return aliased(Campaign, name="scope_campaigns")


class FilingRequirement(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "filing_requirements"
    __table_args__ = (UniqueConstraint("campaign_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(64))  # 整改提升方案 …
    due_on: Mapped[date] = mapped_column(index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    campaign = relationship("Campaign")

    def __str__(self) -> str:
        return f"{self.campaign.name if self.campaign else ''} {self.title}"

    scope_clause = _CampaignVisible()


class CompanyFilingStatus(LabelledEnum):
    SUBMITTED = ("submitted", _l("待审核"), "warning")
    ACCEPTED = ("accepted", _l("已通过"), "success")
    RETURNED = ("returned", _l("已退回"), "danger")


@cache
def _scope_aliases():
    """The enrolment and requirement aliases of the street rule, made once per process: a fresh alias proxies
    each of the table's columns again, on every request of a street office."""
    return aliased(Enrolment, name="scope_enrolments"), aliased(FilingRequirement, name="scope_requirements")


def _street_of_enrolled_estates(model, user):
    """A street office sees the filings of companies that manage an estate of its street in the campaign."""
    enrolment, requirement = _scope_aliases()
    # One probe a filing: ``ix_enrolments_company_campaign_street`` answers (company, campaign, street) exactly.
    # (A list of the street's (requirement, company) pairs read every enrolment of the street for each statement,
    # and the planner read it again per requirement when the list was filtered by campaign.)
    return exists(select(enrolment.id).join(requirement, requirement.campaign_id == enrolment.campaign_id)
                  .where(requirement.id == model.requirement_id, enrolment.company_id == model.company_id,
                         enrolment.street_id == user.street_id, enrolment.status != EnrolmentStatus.WITHDRAWN))


@register_owner("company_filing")
class CompanyFiling(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "company_filings"
    __table_args__ = (UniqueConstraint("requirement_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("filing_requirements.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    status: Mapped[CompanyFilingStatus] = mapped_column(enum_column(CompanyFilingStatus), index=True)
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the latest submission
    submission_count: Mapped[int] = mapped_column(default=1)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)

    requirement: Mapped[FilingRequirement] = relationship()
    company = relationship("Company")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    def __str__(self) -> str:
        title = self.requirement.title if self.requirement else ""
        return f"{self.company.name if self.company else ''} {title}"

    scope_clause = scoping.ByStreetOrCompany(street=_street_of_enrolled_estates, company="company_id")
