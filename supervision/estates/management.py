"""Who managed an estate, and when: the management history (物业管理履历) of an estate.

Each row is one period: a company (or none: 无物业 / 自管), the management mode, the project
manager and the service contract, how the period started and how it ended. The periods of an
estate follow each other without gap: a handover (交接) ends the current period on the handover
day and starts the next one on the same day. A period is in force on ``day`` when
``started_on <= day`` and (``ended_on`` is empty or ``day < ended_on``).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin
from ..core.types import enum_column
from ..extensions import db
from .models import Estate, ManagementMode


class StartMethod(LabelledEnum):
    TENDER = ("tender", _l("招投标"), "primary")
    OWNERS_ASSEMBLY = ("owners_assembly", _l("业主大会选聘"), "success")
    AGREEMENT = ("agreement", _l("协议"), "info")
    OTHER = ("other", _l("其他"), "secondary")


class EndMethod(LabelledEnum):
    WITHDRAWAL = ("withdrawal", lazy_pgettext("management", "退出"), "warning")
    HANDOVER = ("handover", _l("交接"), "info")
    OTHER = ("other", _l("其他"), "secondary")


class EstateManagement(TimestampMixin, db.Model):
    """One management period of an estate."""

    __tablename__ = "estate_managements"
    __table_args__ = (Index("ix_estate_managements_estate_started", "estate_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    management_mode: Mapped[ManagementMode] = mapped_column(enum_column(ManagementMode))
    project_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    contract_start: Mapped[date | None] = mapped_column()
    contract_end: Mapped[date | None] = mapped_column()
    started_on: Mapped[date] = mapped_column()
    start_method: Mapped[StartMethod] = mapped_column(enum_column(StartMethod), default=StartMethod.OTHER)
    ended_on: Mapped[date | None] = mapped_column(index=True)
    end_method: Mapped[EndMethod | None] = mapped_column(enum_column(EndMethod))
    # What became of the open rectification items at the handover: "transfer" or "keep".
    items_outcome: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)

    estate: Mapped[Estate] = relationship()
    company = relationship("Company")
    project_manager = relationship("Staff")

    def __str__(self) -> str:
        who = self.company.name if self.company is not None else self.management_mode.label
        return f"{self.estate.name if self.estate else ''} {who} {self.started_on}"

    def in_force_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)

    @classmethod
    def in_force_clause(cls, day: date):
        return (cls.started_on <= day) & (cls.ended_on.is_(None) | (cls.ended_on > day))

    scope_clause = scoping.ByEstate()
