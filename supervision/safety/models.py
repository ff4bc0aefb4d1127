"""Safety registers (安全台账): the lifts (电梯) and fire facilities (消防设施) of each estate.

Both are per estate and seen by whoever sees the estate (``ByEstate``). A row is never deleted:
a lift is retired as 报废, a fire facility as 已停用, with the date and the reason. The inspection
state (逾期 / 30天内到期 / 正常) is derived from ``next_due_on`` and the day, never stored.

Each row keeps its estate's street (``street_id``, ``estates.street_copy``): the first column of an index in the
lists' order, so a street's page reads its own 50 rows instead of the district's.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.types import enum_column
from ..estates.street_copy import keeps_estate_street
from ..extensions import db

# A due date this close (in days) counts as 30天内到期 and is warned about.
DUE_SOON_DAYS = 30


class LiftStatus(LabelledEnum):
    IN_USE = ("in_use", _l("在用"), "success")
    STOPPED = ("stopped", _l("停用"), "secondary")
    SCRAPPED = ("scrapped", _l("报废"), "dark")


class FacilityStatus(LabelledEnum):
    NORMAL = ("normal", _l("正常"), "success")
    FAULTY = ("faulty", _l("故障"), "warning")
    RETIRED = ("retired", _l("已停用"), "dark")


class FacilityKind(LabelledEnum):
    """The seeded list of fire facilities (GB 25201 / GB 50116 names), with the default check interval."""

    HYDRANT = ("hydrant", _l("消火栓"))
    EXTINGUISHER = ("extinguisher", _l("灭火器"))
    SPRINKLER = ("sprinkler", _l("自动喷水灭火系统"))
    ALARM = ("alarm", _l("火灾自动报警系统"))
    FIRE_DOOR = ("fire_door", _l("防火门"))
    EVACUATION = ("evacuation", _l("疏散指示/应急照明"))
    FIRE_LANE = ("fire_lane", _l("消防车通道"))
    SMOKE_CONTROL = ("smoke_control", _l("防排烟系统"))
    PUMP_ROOM = ("pump_room", _l("消防水泵房"))
    CONTROL_ROOM = ("control_room", _l("消防控制室"))
    OTHER = ("other", _l("其他"))


class InspectionState(LabelledEnum):
    """The derived inspection state of an active lift or facility on a day."""

    OVERDUE = ("overdue", _l("逾期"), "danger")
    DUE_SOON = ("due_soon", _l("30天内到期"), "warning")
    NO_DATE = ("no_date", _l("未登记到期日"), "secondary")
    OK = ("ok", _l("正常"), "success")
    RETIRED = ("retired", _l("已退出"), "dark")


class _Inspected:
    """What lifts and facilities share: the estate, the due date and the derived state."""

    @property
    def active(self) -> bool:
        return self.status not in self.RETIRED_STATUSES

    def inspection_state(self, today: date) -> InspectionState:
        return self.state_of(self.status, self.next_due_on, today)

    @classmethod
    def state_of(cls, status, next_due_on: date | None, today: date) -> InspectionState:
        """The state of a row of this model from its status and due date (a list's plain rows)."""
        if status in cls.RETIRED_STATUSES:
            return InspectionState.RETIRED
        if next_due_on is None:
            return InspectionState.NO_DATE
        if next_due_on < today:
            return InspectionState.OVERDUE
        if next_due_on <= today + timedelta(days=DUE_SOON_DAYS):
            return InspectionState.DUE_SOON
        return InspectionState.OK

    @classmethod
    def active_clause(cls):
        return cls.status.not_in(cls.RETIRED_STATUSES)

    @classmethod
    def counted_clause(cls):
        """The rows the inspection rate counts (and the sweep watches)."""
        return cls.status.in_(cls.COUNTED_STATUSES)

    @classmethod
    def state_clause(cls, state: InspectionState, today: date):
        soon = today + timedelta(days=DUE_SOON_DAYS)
        active = cls.active_clause()
        if state is InspectionState.RETIRED:
            return ~active
        if state is InspectionState.NO_DATE:
            return and_(active, cls.next_due_on.is_(None))
        if state is InspectionState.OVERDUE:
            return and_(active, cls.next_due_on < today)
        if state is InspectionState.DUE_SOON:
            return and_(active, cls.next_due_on >= today, cls.next_due_on <= soon)
        return and_(active, cls.next_due_on > soon)


def _due_order_index(table: str, *first: str) -> Index:
    """The lists' order (due date, undated last, then id) as an index: a page of a list walks it and stops
    after its rows instead of sorting the whole register (``ORDER BY next_due_on IS NULL, next_due_on, id``);
    ``first``: columns a list filters on by equality, before the order. By street, "dated first" is written
    ``(next_due_on IS NOT NULL) DESC`` (the same order, ``services.list_order``): PostgreSQL took the district's
    index, whose nearly constant first column it believes in heap order, and read the other streets' rows."""
    name = f"ix_{table}_{'_'.join(first)}_due_order" if first else f"ix_{table}_due_order"
    dated = "(next_due_on IS NOT NULL) DESC" if "street_id" in first else "(next_due_on IS NULL)"
    return Index(name, *first, db.text(dated), "next_due_on", "id")


@keeps_estate_street
class Lift(_Inspected, TimestampMixin, VersionedMixin, db.Model):
    """电梯: one lift of an estate, by its registration code (使用登记证编号 / 注册代码)."""

    __tablename__ = "lifts"
    __table_args__ = (_due_order_index("lifts"), _due_order_index("lifts", "street_id"))

    RETIRED_STATUSES = (LiftStatus.SCRAPPED,)
    # A stopped lift (停用, declared to the market regulator) is not due for periodic inspection.
    COUNTED_STATUSES = (LiftStatus.IN_USE,)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))  # the estate's (module docstring)
    registration_code: Mapped[str] = mapped_column(String(32), unique=True)
    location: Mapped[str] = mapped_column(String(128))  # 楼栋/单元
    maintenance_company: Mapped[str | None] = mapped_column(String(128))  # 维保单位
    last_inspected_on: Mapped[date | None] = mapped_column()
    next_due_on: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[LiftStatus] = mapped_column(enum_column(LiftStatus), default=LiftStatus.IN_USE, index=True)
    retired_on: Mapped[date | None] = mapped_column()
    retire_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    estate = relationship("Estate")

    def __str__(self) -> str:
        return f"电梯 {self.registration_code}"

    scope_clause = scoping.ByEstate()


@keeps_estate_street
class FireFacility(_Inspected, TimestampMixin, VersionedMixin, db.Model):
    """消防设施: one fire facility (or a group of them at one place, with a quantity) of an estate."""

    __tablename__ = "fire_facilities"
    __table_args__ = (CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
                      _due_order_index("fire_facilities"), _due_order_index("fire_facilities", "kind"),
                      _due_order_index("fire_facilities", "street_id"),
                      _due_order_index("fire_facilities", "street_id", "kind"))

    RETIRED_STATUSES = (FacilityStatus.RETIRED,)
    COUNTED_STATUSES = (FacilityStatus.NORMAL, FacilityStatus.FAULTY)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))  # the estate's (module docstring)
    kind: Mapped[FacilityKind] = mapped_column(enum_column(FacilityKind), index=True)
    location: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int | None] = mapped_column(Integer)
    last_checked_on: Mapped[date | None] = mapped_column()
    next_due_on: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[FacilityStatus] = mapped_column(enum_column(FacilityStatus), default=FacilityStatus.NORMAL,
                                                   index=True)
    retired_on: Mapped[date | None] = mapped_column()
    retire_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    estate = relationship("Estate")

    def __str__(self) -> str:
        return f"{self.kind.label}（{self.location}）"

    scope_clause = scoping.ByEstate()


class SafetyItemLink(db.Model):
    """A rectification item (整改事项) about a lift or a fire facility: at most one link per item.

    No scope rule of its own: it is read and written only through the item and the lift or facility,
    each loaded through its own scope."""

    __tablename__ = "safety_item_links"
    __table_args__ = (
        CheckConstraint("(lift_id IS NULL) <> (facility_id IS NULL)", name="one_target"),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id"), primary_key=True)
    lift_id: Mapped[int | None] = mapped_column(ForeignKey("lifts.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("fire_facilities.id"), index=True)

    item = relationship("RectificationItem")
    lift: Mapped[Lift | None] = relationship()
    facility: Mapped[FireFacility | None] = relationship()
