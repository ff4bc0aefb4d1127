"""The holiday-arrangement register's tables."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .. import generations
from ..enums import LabelledEnum
from ..models import TimestampMixin
from ..types import UTCDateTime, enum_column

HOLIDAYS_TOPIC = "holidays"  # the data generation that keys the per-process calendar (core.workdays)


class DayKind(LabelledEnum):
    HOLIDAY = ("holiday", _l("放假"), "danger")
    WORKDAY = ("workday", _l("调休上班"), "primary")


class HolidaySource(LabelledEnum):
    SEED = ("seed", _l("内置数据"), "secondary")
    ADMIN = ("admin", _l("管理员录入"), "primary")
    IMPORT = ("import", _l("Excel 导入"), "info")


class HolidayYear(TimestampMixin, db.Model):
    """A year whose arrangement has been entered: its days below; every other day follows the week
    (Monday–Friday working). A year without a row has no arrangement: its dates are provisional."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[HolidaySource] = mapped_column(enum_column(HolidaySource), default=HolidaySource.ADMIN)
    notice: Mapped[str | None] = mapped_column(String(255))  # e.g. 国办发明电〔2026〕7号
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    days: Mapped[list[HolidayDay]] = relationship(back_populates="holiday_year", order_by="HolidayDay.day",
                                                    cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"


class HolidayDay(db.Model):
    """One day that differs from the week: a holiday (with its name) or a make-up working day."""

    __tablename__ = "holiday_days"
    __table_args__ = (UniqueConstraint("day", name="uq_holiday_days_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("holiday_years.year"), index=True)
    day: Mapped[date] = mapped_column()
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind))
    name: Mapped[str] = mapped_column(String(32))  # 春节, 国庆节 … (the holiday a make-up day belongs to)

    holiday_year: Mapped[HolidayYear] = relationship(back_populates="days")


class ReportWeekRequirement(db.Model):
    """The bureau's decision that a week without any working day (e.g. Spring Festival) still needs its
    weekly report; without one such a week expects none. The report is then due on the next working day."""

    __tablename__ = "report_week_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    monday: Mapped[date] = mapped_column(unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __str__(self) -> str:
        return f"{self.monday.isocalendar()[0]}年第{self.monday.isocalendar()[1]}周要求报送"


generations.watch(HOLIDAYS_TOPIC, HolidayYear, HolidayDay, ReportWeekRequirement)
