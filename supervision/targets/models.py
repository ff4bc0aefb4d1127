"""Targets (目标) per indicator × scope × year, and weekly snapshots of the measured values.

A scope is the whole district or one street. ``scope_key`` is 0 for the district and
the street's id otherwise: unlike a NULL ``street_id`` it can take part in a unique
constraint on every database, so there is at most one target per indicator, scope and
year, and one snapshot per indicator, scope and ISO week.

The indicators themselves (codes, names, SQL) live in ``indicators.py``; a target row
refers to one by its code.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.models import TimestampMixin, VersionedMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from .indicators import get_indicator

DISTRICT_KEY = 0


def scope_key_for(street_id: int | None) -> int:
    return DISTRICT_KEY if street_id is None else int(street_id)


class Target(TimestampMixin, VersionedMixin, db.Model):
    """The threshold an indicator must reach in a scope by the end of a year."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("indicator", "scope_key", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    scope_key: Mapped[int] = mapped_column(default=DISTRICT_KEY)
    year: Mapped[int] = mapped_column(index=True)
    # A ratio between 0 and 1 (0.9 = 90%).
    threshold: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    # Where the number comes from: a source document, a decision of the bureau …
    basis: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    street = relationship("Street")
    updated_by = relationship("User")

    def __str__(self) -> str:

        indicator = get_indicator(self.indicator)
        scope = self.street.name if self.street else "全区"
        return f"{self.year}年 {scope} {indicator.name if indicator else self.indicator}"

    @property
    def threshold_fraction(self) -> Fraction:
        return Fraction(self.threshold)

    # A street office sees its own street's rows and the district's targets.
    scope_clause = scoping.ByStreet(district_rows=True)


class TargetSnapshot(db.Model):
    """An indicator's numerator and denominator in a scope, as of one day of an ISO week.

    ``flask targets snapshot`` writes one row per indicator × scope × week and, when run
    again in the same week, updates that row in place.
    """

    __tablename__ = "target_snapshots"
    __table_args__ = (
        UniqueConstraint("indicator", "scope_key", "iso_year", "iso_week"),
        Index("ix_target_snapshots_scope_week", "scope_key", "week_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    scope_key: Mapped[int] = mapped_column(default=DISTRICT_KEY)
    iso_year: Mapped[int] = mapped_column()
    iso_week: Mapped[int] = mapped_column()
    week_start: Mapped[date] = mapped_column()  # the Monday, for ranges and sorting
    as_of: Mapped[date] = mapped_column()  # the day the values were measured for
    numerator: Mapped[int] = mapped_column()
    denominator: Mapped[int] = mapped_column()
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    street = relationship("Street")

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    # A street office sees its own street's rows and the district's targets.
    scope_clause = scoping.ByStreet(district_rows=True)
