"""The complaint clocks: deadlines in working hours or working days, on the holiday register.

Working hours are 09:00–17:00 (Asia/Shanghai) on working days (``core.workdays``): a complaint
received at 16:00 on a Friday with 2 working hours to respond is due at 10:00 on the next working
day. Working days end at 23:59:59 of the n-th working day after the day received; 0 days is the
end of the day received, working day or not ("same day" for emergency repairs).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..core.errors import DomainError, check_version
from ..core.timeutil import LOCAL_TZ, to_local
from ..core.workdays import add_workdays, calendar
from ..extensions import db
from .models import CATEGORIES, ComplaintClock, Kind, Urgency

DAY_START = time(9, 0)
DAY_END = time(17, 0)

# Seeded defaults: (kind, urgency) → (response hours, response days, resolution hours, resolution days).
DEFAULT_CLOCKS = {
    (Kind.COMPLAINT, Urgency.ORDINARY): (None, 1, None, 5),
    (Kind.COMPLAINT, Urgency.URGENT): (2, None, None, 1),
    (Kind.REPAIR, Urgency.ORDINARY): (None, 1, None, 3),
    (Kind.REPAIR, Urgency.URGENT): (2, None, None, 0),
}


def _end_of(day) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ)


def add_working_hours(start: datetime, hours: int) -> datetime:
    """``hours`` working hours after ``start`` (an aware datetime), in Shanghai time."""
    cal = calendar()
    at = to_local(start)
    remaining = timedelta(hours=hours)
    while True:
        day = at.date()
        opens = datetime.combine(day, DAY_START, tzinfo=LOCAL_TZ)
        closes = datetime.combine(day, DAY_END, tzinfo=LOCAL_TZ)
        if not cal.is_workday(day) or at >= closes:
            at = datetime.combine(day + timedelta(days=1), DAY_START, tzinfo=LOCAL_TZ)
            continue
        at = max(at, opens)
        if at + remaining <= closes:
            return at + remaining
        remaining -= closes - at
        at = datetime.combine(day + timedelta(days=1), DAY_START, tzinfo=LOCAL_TZ)


def due(start: datetime, hours: int | None, days: int | None) -> datetime:
    """The deadline ``hours`` working hours or ``days`` working days after ``start``."""
    if hours is not None:
        return add_working_hours(start, hours)
    local_day = to_local(start).date()
    return _end_of(add_workdays(local_day, days or 0))


def clock_for(kind: Kind, urgency: Urgency, category: str | None) -> tuple:
    """(response hours, response days, resolution hours, resolution days) in force."""
    rows = db.session.scalars(select(ComplaintClock).where(ComplaintClock.kind == kind,
                                                           ComplaintClock.urgency == urgency)).all()
    chosen = next((r for r in rows if r.category == category), None) or next(
        (r for r in rows if r.category is None), None)
    if chosen is None:
        return DEFAULT_CLOCKS[(kind, urgency)]
    return chosen.response_hours, chosen.response_days, chosen.resolution_hours, chosen.resolution_days


def deadlines(kind: Kind, urgency: Urgency, category: str | None, received_at: datetime) -> tuple[datetime, datetime]:
    rh, rd, sh, sd = clock_for(kind, urgency, category)
    return due(received_at, rh, rd), due(received_at, sh, sd)


def seed_clocks() -> int:
    """The default clocks, where the table has no row for them (idempotent)."""
    added = 0
    for (kind, urgency), (rh, rd, sh, sd) in DEFAULT_CLOCKS.items():
        exists = db.session.scalar(select(ComplaintClock.id).where(
            ComplaintClock.kind == kind, ComplaintClock.urgency == urgency, ComplaintClock.category.is_(None)))
        if exists is None:
            db.session.add(ComplaintClock(kind=kind, urgency=urgency, category=None, response_hours=rh,
                                          response_days=rd, resolution_hours=sh, resolution_days=sd))
            added += 1
    db.session.flush()
    return added


# --- the clock table's edit page --------------------------------------------------------------

# The longest limits an admin may set: 80 working hours are two working weeks; 60 working days about
# three months, longer than any limit of the 12345 platform.
MAX_HOURS = 80
MAX_DAYS = 60


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str  # "hours" (working hours) or "days" (working days)

    @classmethod
    def of(cls, hours: int | None, days: int | None) -> Limit:
        return cls(hours, "hours") if hours is not None else cls(days or 0, "days")

    def columns(self) -> tuple[int | None, int | None]:
        return (self.amount, None) if self.unit == "hours" else (None, self.amount)


def clocks() -> list[ComplaintClock]:
    """The table: per kind and urgency, the default row (every category) before the categories' own."""
    rows = db.session.scalars(select(ComplaintClock)).all()
    return sorted(rows, key=lambda r: (r.kind.value, r.urgency.value, r.category is not None, r.category or ""))


def _check(limit: Limit, field: str) -> None:
    if limit.unit == "hours" and not 1 <= limit.amount <= MAX_HOURS:
        raise DomainError(_("工作小时应在 1 至 %(n)s 之间。", n=MAX_HOURS), field=field)
    if limit.unit == "days" and not 0 <= limit.amount <= MAX_DAYS:
        raise DomainError(_("工作日应在 0（当日）至 %(n)s 之间。", n=MAX_DAYS), field=field)
    if limit.unit not in ("hours", "days"):
        raise DomainError(_("请选择单位。"), field=field)


def _snapshot(clock: ComplaintClock) -> dict:
    return {"response_hours": clock.response_hours, "response_days": clock.response_days,
            "resolution_hours": clock.resolution_hours, "resolution_days": clock.resolution_days}


def update_clock(clock: ComplaintClock, *, response: Limit, resolution: Limit, version, actor) -> bool:
    """Set one clock (refused on a stale copy); audited. False when nothing changed. The caller counts
    the open complaints' deadlines again (``deadlines.schedule``)."""
    check_version(clock, version)
    _check(response, "response_amount")
    _check(resolution, "resolution_amount")
    before = _snapshot(clock)
    clock.response_hours, clock.response_days = response.columns()
    clock.resolution_hours, clock.resolution_days = resolution.columns()
    after = _snapshot(clock)
    if after == before:
        return False
    db.session.flush()
    record("complaint_clock.update", clock, before=before, after=after, actor=actor,
           summary=f"{clock.kind.value}/{clock.urgency.value}/{clock.category or '*'}")
    return True


def add_clock(kind: Kind, urgency: Urgency, category: str, *, response: Limit, resolution: Limit,
              actor) -> ComplaintClock:
    """A category's own clock (its kind and urgency's default row applies to it until then); audited."""
    if category not in CATEGORIES:
        raise DomainError(_("请选择类别。"), field="category")
    exists = db.session.scalar(select(ComplaintClock.id).where(
        ComplaintClock.kind == kind, ComplaintClock.urgency == urgency, ComplaintClock.category == category))
    if exists is not None:
        raise DomainError(_("该类别已有办理时限，请在列表中修改。"), field="category")
    _check(response, "response_amount")
    _check(resolution, "resolution_amount")
    clock = ComplaintClock(kind=kind, urgency=urgency, category=category)
    clock.response_hours, clock.response_days = response.columns()
    clock.resolution_hours, clock.resolution_days = resolution.columns()
    db.session.add(clock)
    db.session.flush()
    record("complaint_clock.add", clock, after=_snapshot(clock), actor=actor,
           summary=f"{kind.value}/{urgency.value}/{category}")
    return clock


def remove_clock(clock: ComplaintClock, *, version, actor) -> None:
    """Drop a category's own clock (its default row applies again); the default rows stay."""
    check_version(clock, version)
    if clock.category is None:
        raise DomainError(_("默认办理时限不能删除，只能修改。"))
    record("complaint_clock.remove", clock, before=_snapshot(clock), actor=actor,
           summary=f"{clock.kind.value}/{clock.urgency.value}/{clock.category}")
    db.session.delete(clock)
    db.session.flush()
