"""Estates (小区) and their owners' committees (业主委员会)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..attachments.models import register_owner
from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.sortkey import keeps_name_sort, name_sort_column
from ..core.timeutil import local_today
from ..core.types import UTCDateTime, enum_column
from ..extensions import db


class ManagementMode(LabelledEnum):
    PROFESSIONAL = ("professional", _l("物业企业"), "success")
    OWNERS_SELF = ("owners_self", _l("业委会自管"), "info")
    COMMUNITY_TRUST = ("community_trust", _l("社区托管"), "primary")
    STREET_CENTRE = ("street_centre", _l("街道物业服务中心"), "primary")
    NONE = ("none", _l("无物业"), "danger")


# Modes that count as "managed" for the property-management coverage rate.
COVERED_MODES = (
    ManagementMode.PROFESSIONAL,
    ManagementMode.OWNERS_SELF,
    ManagementMode.COMMUNITY_TRUST,
    ManagementMode.STREET_CENTRE,
)


class PropertyType(LabelledEnum):
    MULTI_STOREY = ("multi_storey", _l("多层住宅"))
    HIGH_RISE = ("high_rise", _l("高层住宅"))
    APARTMENT = ("apartment", _l("公寓"))
    VILLA = ("villa", _l("别墅"))
    MIXED = ("mixed", _l("商住楼"))
    OTHER = ("other", _l("其他"))


# The columns of ix_estates_list: the order, then what the list's filters and search read.
ESTATE_LIST_INDEX = ("archived_at", "name_sort", "id", "management_mode", "is_old", "company_id", "street_id",
                     "community_id", "committee_eligible", "name", "address")


@register_owner("estate")
@keeps_name_sort
class Estate(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "estates"
    __table_args__ = (
        UniqueConstraint("street_id", "name"),
        # The estate list's default: the estates in use, by name — its first page read off this index.
        Index("ix_estates_archived_at_name", "archived_at", "name"),
        # Lists by street, then name (前期物业, party building): their first page read off this index.
        Index("ix_estates_street_name_sort", "street_id", "name_sort", "id"),
        # The enrolment form's estates in use by street and name (campaigns.enrol): its page read off this index.
        Index("ix_estates_archived_street_name_sort", "archived_at", "street_id", "name_sort"),
        # The committee page (the eligible estates in use, by street and name) and its counts, read off the
        # index alone: its page of ids and its count (27 and 8 ms of SQLite at 100× without it).
        Index("ix_estates_committee_page", "archived_at", "committee_eligible", "street_id", "name_sort",
              "committee_due_on"),
        # The estate list's page of ids in its default order (by name), its filters and their counts, read off
        # the index alone: no sort of the register, no table row read per estate (ESTATE_LIST_INDEX).
        Index("ix_estates_list", *ESTATE_LIST_INDEX),
        # A street's companies (Company.scope_clause: the companies of the street's estates; the credit ranking's
        # street filter: of its estates in use) off the index alone: the street's thousands of estates without a
        # table row read for each (3.3 → 1.4 ms of SQLite at 100× for the street's company list and its count).
        Index("ix_estates_street_company", "street_id", "company_id", "archived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    name_sort: Mapped[str] = name_sort_column(1024)
    address: Mapped[str] = mapped_column(String(255))
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    management_mode: Mapped[ManagementMode] = mapped_column(enum_column(ManagementMode), index=True)
    property_type: Mapped[PropertyType | None] = mapped_column(enum_column(PropertyType))
    year_built: Mapped[int | None] = mapped_column()
    buildings: Mapped[int | None] = mapped_column()
    households: Mapped[int | None] = mapped_column()
    floor_area: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # m²
    is_old: Mapped[bool] = mapped_column(default=False, index=True)  # 老旧小区
    # 具备成立业主大会、业主委员会条件
    committee_eligible: Mapped[bool] = mapped_column(default=True, index=True)
    # The households' written choice of professional management (1/2 rule, 两个月内成立业委会).
    professional_vote_on: Mapped[date | None] = mapped_column()
    professional_vote_households: Mapped[int | None] = mapped_column()
    # Derived from the vote (services.formation_due_date) and stored so lists can filter on it in SQL:
    # when at least half of the households chose professional management, the owners' assembly and
    # committee are due within two months of the vote.
    committee_due_on: Mapped[date | None] = mapped_column(index=True)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    notes: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    street = relationship("Street")
    community = relationship("Community")
    company = relationship("Company", back_populates="estates")
    committee: Mapped[OwnersCommittee | None] = relationship(back_populates="estate", uselist=False)

    def __str__(self) -> str:
        return self.name

    scope_clause = scoping.ByStreetOrCompany()


class CommitteeStatus(LabelledEnum):
    PREPARING = ("preparing", _l("筹备"), "warning")
    FORMED = ("formed", _l("已成立"), "success")
    EXPIRED = ("expired", _l("届满"), "secondary")
    DISSOLVED = ("dissolved", _l("解散"), "dark")


def effective_status(status: CommitteeStatus | None, term_end: date | None, day: date) -> CommitteeStatus | None:
    """A stored status read on ``day``: 已成立 whose term ended before ``day`` counts as 届满."""
    if status is CommitteeStatus.FORMED and term_end is not None and term_end < day:
        return CommitteeStatus.EXPIRED
    return status


class OwnersCommittee(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "owners_committees"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), unique=True)
    status: Mapped[CommitteeStatus] = mapped_column(enum_column(CommitteeStatus), index=True)
    prep_group_on: Mapped[date | None] = mapped_column()  # 筹备组成立
    first_assembly_on: Mapped[date | None] = mapped_column()  # 首次业主大会
    elected_on: Mapped[date | None] = mapped_column()  # 选举
    filed_on: Mapped[date | None] = mapped_column()  # 备案
    filing_number: Mapped[str | None] = mapped_column(String(64))
    members_count: Mapped[int | None] = mapped_column()
    term_years: Mapped[int] = mapped_column(default=5)
    term_end: Mapped[date | None] = mapped_column(index=True)
    dissolved_on: Mapped[date | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)

    estate: Mapped[Estate] = relationship(back_populates="committee")

    def __str__(self) -> str:
        return f"{self.estate.name} 业主委员会" if self.estate else "业主委员会"

    def status_on(self, day: date) -> CommitteeStatus:
        """The status on ``day`` from the term dates: 已成立 past its term end is 届满, whether or not
        the nightly ``flask estates sweep-committees`` has marked it yet."""
        return effective_status(self.status, self.term_end, day)

    @property
    def current_status(self) -> CommitteeStatus:
        """:meth:`status_on` today (Asia/Shanghai): what every page, badge and figure shows."""

        return self.status_on(local_today())


    scope_clause = scoping.ByEstate()
