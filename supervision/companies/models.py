"""Property-service companies (物业服务企业), their staff and certificates (持证上岗)."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..attachments.models import register_owner
from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.sortkey import keeps_name_sort, name_sort_column
from ..core.types import UTCDateTime, enum_column
from ..estates.street_copy import keeps_estate_street
from ..extensions import db


class QualificationGrade(LabelledEnum):
    GRADE_1 = ("grade_1", _l("一级"), "primary")
    GRADE_2 = ("grade_2", _l("二级"), "info")
    GRADE_3 = ("grade_3", _l("三级"), "secondary")
    UNGRADED = ("ungraded", _l("暂不定级"), "light text-dark border")


@register_owner("company")
@keeps_name_sort
class Company(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    name_sort: Mapped[str] = name_sort_column(1024)
    # 统一社会信用代码, GB 32100-2015.
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    contact_person: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(255))
    qualification_grade: Mapped[QualificationGrade | None] = mapped_column(
        enum_column(QualificationGrade)
    )
    notes: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    estates = relationship("Estate", back_populates="company", lazy="write_only")
    staff = relationship("Staff", back_populates="company", lazy="write_only")

    def __str__(self) -> str:
        return self.name

    # A street office sees the companies that manage estates in its street.
    scope_clause = scoping.ByStreetOrCompany(street=scoping.Via("estates", uncorrelated=True), company="id")


class CertificateType(db.Model):
    """Reference data from seeds/certificates.json."""

    __tablename__ = "certificate_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    issuer: Mapped[str | None] = mapped_column(String(128))
    # Typical validity in years, used as a hint when entering a certificate.
    validity_years: Mapped[int | None] = mapped_column()

    def __str__(self) -> str:
        return self.name


position_certificate_requirements = Table(
    "position_certificate_requirements",
    db.metadata,
    Column("position_id", ForeignKey("positions.id"), primary_key=True),
    Column("certificate_type_id", ForeignKey("certificate_types.id"), primary_key=True),
)


class Position(db.Model):
    """A post in a company (项目经理, 电工 …); reference data from seeds/."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # A project manager (项目经理/管理处主任): counted by the manager certification rate.
    is_manager: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    # Holding any one of these certificates qualifies the post.
    required_certificates: Mapped[list[CertificateType]] = relationship(
        secondary=position_certificate_requirements
    )

    def __str__(self) -> str:
        return self.name


@keeps_estate_street
@keeps_name_sort
class Staff(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "staff"
    # The certification drill-down's order: its page walks this index and stops after 50 rows — the district's,
    # or a street's (the street its estate is in, ``street_id``).
    __table_args__ = (Index("ix_staff_company_name_sort", "company_id", "name_sort", "id"),
                      Index("ix_staff_street_company_name_sort", "street_id", "company_id", "name_sort", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # The estate (project) the person works on; None for head-office staff.
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)
    # The estate's street (``estates.street_copy``; None for head-office staff): not what a street office sees,
    # which its estates decide, but the first column of the street's drill-down order.
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_sort: Mapped[str] = name_sort_column(512)
    phone: Mapped[str | None] = mapped_column(String(32))
    # Employment ended; kept for history, excluded from rates. Indexed: the staff list's 已离职 filter.
    left_on: Mapped[date | None] = mapped_column(index=True)
    # The days one accepted certificate makes the person qualified, kept at flush (``qualification``): the
    # certification drill-down tests the certificates of the others only.
    qualified_from: Mapped[date | None] = mapped_column()
    qualified_until: Mapped[date | None] = mapped_column()

    company: Mapped[Company] = relationship(back_populates="staff")
    estate = relationship("Estate")
    position: Mapped[Position] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="staff", order_by="Certificate.expires_on"
    )

    def __str__(self) -> str:
        return self.name

    # A street office sees the staff of the estates in its street (not head-office staff).
    scope_clause = scoping.ByStreetOrCompany(street=scoping.ByEstate())


class Certificate(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "certificates"
    # The certification rates test every staff member's certificates: from this index alone.
    __table_args__ = (Index("ix_certificates_staff_type_validity", "staff_id", "certificate_type_id", "issued_on",
                            "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The previous holder kept on a change (active_history): both holders' qualified ranges are recounted.
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True, active_history=True)
    certificate_type_id: Mapped[int] = mapped_column(ForeignKey("certificate_types.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(128))
    issued_on: Mapped[date | None] = mapped_column()
    # None: does not expire.
    expires_on: Mapped[date | None] = mapped_column(index=True)

    staff: Mapped[Staff] = relationship(back_populates="certificates")
    certificate_type: Mapped[CertificateType] = relationship()

    def __str__(self) -> str:
        return f"{self.certificate_type.name} {self.number}" if self.certificate_type else self.number

    def is_valid_on(self, day: date) -> bool:
        return (self.issued_on is None or self.issued_on <= day) and (
            self.expires_on is None or self.expires_on >= day
        )

    @classmethod
    def valid_on_clause(cls, day: date):
        return ((cls.issued_on.is_(None)) | (cls.issued_on <= day)) & (
            (cls.expires_on.is_(None)) | (cls.expires_on >= day)
        )

    scope_clause = scoping.Via("staff")


from . import qualification  # noqa: E402,F401  (keeps Staff.qualified_from/until at flush)
