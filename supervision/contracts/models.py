"""前期物业 and property-service contracts, per estate, and the estate's party building.

- ``PreliminaryService`` (one per estate): the developer's choice of the preliminary company (by tender —
  公开招标 / 邀请招标 — or by agreement with the bureau's approval), the preliminary service contract
  《前期物业服务合同》 and the temporary covenant 《临时管理规约》 (signed or not, when; scans attached).
- ``ServiceContract``: a property-service contract of one management period (``EstateManagement``) —
  parties, period, service level, fee standard per property type (``ContractFee``) — and its filing
  (备案) with the bureau: submitted → checked → filed (filing number, filed copy) or returned with
  reasons (the submitter corrects it and submits again).
- ``PartyBuilding`` (one per estate): the estate's party organisation (党组织) and 红色物业 arrangement.
"""
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
from ..core.types import UTCDateTime, enum_column
from ..extensions import db


class SelectionMethod(LabelledEnum):
    OPEN_TENDER = ("open_tender", _l("公开招标"), "success")
    INVITED_TENDER = ("invited_tender", _l("邀请招标"), "primary")
    AGREEMENT = ("agreement", _l("协议选聘（经批准）"), "warning")


# The methods that count as 招投标 for the tendering rate.
TENDER_METHODS = (SelectionMethod.OPEN_TENDER, SelectionMethod.INVITED_TENDER)


@register_owner("preliminary")
class PreliminaryService(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "preliminary_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), unique=True)
    developer: Mapped[str | None] = mapped_column(String(128))  # 建设单位（甲方）
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)  # 前期物业服务企业
    selection_method: Mapped[SelectionMethod | None] = mapped_column(enum_column(SelectionMethod), index=True)
    selected_on: Mapped[date | None] = mapped_column()  # 招投标（或选聘）日期
    approval_ref: Mapped[str | None] = mapped_column(String(128))  # 协议选聘的批准文号
    contract_signed_on: Mapped[date | None] = mapped_column(index=True)  # 《前期物业服务合同》签订日期
    covenant_signed_on: Mapped[date | None] = mapped_column()  # 《临时管理规约》签订日期
    notes: Mapped[str | None] = mapped_column(Text)

    estate = relationship("Estate")
    company = relationship("Company")

    def __str__(self) -> str:
        return f"{self.estate.name if self.estate else ''} 前期物业"

    @property
    def by_tender(self) -> bool:
        return self.selection_method in TENDER_METHODS

    scope_clause = scoping.ByEstate()


class FilingStatus(LabelledEnum):
    SUBMITTED = ("submitted", _l("待审核"), "warning")
    CHECKED = ("checked", _l("已审核待备案"), "info")
    FILED = ("filed", _l("已备案"), "success")
    RETURNED = ("returned", _l("已退回"), "danger")


class ServiceLevel(LabelledEnum):
    LEVEL_1 = ("1", _l("一级"))
    LEVEL_2 = ("2", _l("二级"))
    LEVEL_3 = ("3", _l("三级"))
    LEVEL_4 = ("4", _l("四级"))
    LEVEL_5 = ("5", _l("五级"))


class FeeKind(LabelledEnum):
    RESIDENTIAL = ("residential", _l("住宅"))
    COMMERCIAL = ("commercial", _l("商业"))
    OFFICE = ("office", _l("办公"))
    PARKING = ("parking", _l("车位"))
    OTHER = ("other", _l("其他"))


# The unit each kind's fee is quoted in.
FEE_UNITS = {FeeKind.PARKING: "元/个·月"}
DEFAULT_FEE_UNIT = "元/㎡·月"


def fee_unit(kind: FeeKind) -> str:
    return FEE_UNITS.get(kind, DEFAULT_FEE_UNIT)


@register_owner("service_contract")
class ServiceContract(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "service_contracts"
    __table_args__ = (
        # The list's page walks this by street (its first sort key) with the filters' columns in the index, and
        # counts the filtered contracts off it; the dates' index counts the contracts in force (two ranges).
        Index("ix_service_contracts_list", "street_id", "status", "starts_on", "ends_on", "estate_id",
              "company_id"),
        Index("ix_service_contracts_ends_on_starts_on", "ends_on", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    # The estate's street when the contract was registered (the street office's scope).
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # The management period the contract belongs to (supervision/estates/management.py).
    management_id: Mapped[int | None] = mapped_column(ForeignKey("estate_managements.id"), index=True)
    owner_party: Mapped[str] = mapped_column(String(128))  # 甲方：业主大会/业主委员会/建设单位
    signed_on: Mapped[date | None] = mapped_column()
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date] = mapped_column(index=True)
    service_level: Mapped[ServiceLevel | None] = mapped_column(enum_column(ServiceLevel))
    status: Mapped[FilingStatus] = mapped_column(enum_column(FilingStatus), index=True,
                                                 default=FilingStatus.SUBMITTED)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filing_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    estate = relationship("Estate")
    street = relationship("Street")
    company = relationship("Company")
    management = relationship("EstateManagement")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    fees: Mapped[list[ContractFee]] = relationship(back_populates="contract", cascade="all, delete-orphan",
                                                   order_by="ContractFee.id")

    def __str__(self) -> str:
        estate = self.estate.name if self.estate else ""
        return f"{estate} 物业服务合同 {self.starts_on}—{self.ends_on}"

    @property
    def is_editable(self) -> bool:
        return self.status in (FilingStatus.SUBMITTED, FilingStatus.RETURNED)

    def in_force_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    scope_clause = scoping.ByStreetOrCompany()


class ContractFee(db.Model):
    """One line of a contract's fee standard: a property type and its price."""

    __tablename__ = "contract_fees"
    __table_args__ = (UniqueConstraint("contract_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("service_contracts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FeeKind] = mapped_column(enum_column(FeeKind))
    amount: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    unit: Mapped[str] = mapped_column(String(16), default=DEFAULT_FEE_UNIT)

    contract: Mapped[ServiceContract] = relationship(back_populates="fees")

    def __str__(self) -> str:
        return f"{self.kind.label} {self.amount} {self.unit}"

    scope_clause = scoping.Via("contract")


class PartyBuilding(TimestampMixin, VersionedMixin, db.Model):
    """An estate's party organisation (党组织) and 红色物业 arrangement."""

    __tablename__ = "party_buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), unique=True)
    has_party_org: Mapped[bool] = mapped_column(default=False, index=True)
    org_name: Mapped[str | None] = mapped_column(String(128))  # e.g. ××小区党支部 / 联合党支部
    org_founded_on: Mapped[date | None] = mapped_column()
    red_property: Mapped[bool] = mapped_column(default=False, index=True)  # 红色物业
    red_property_note: Mapped[str | None] = mapped_column(Text)  # 举措：交叉任职、党员先锋岗 …
    notes: Mapped[str | None] = mapped_column(Text)

    estate = relationship("Estate")

    def __str__(self) -> str:
        return f"{self.estate.name if self.estate else ''} 党建"

    scope_clause = scoping.ByEstate()
