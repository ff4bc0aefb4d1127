"""The holiday-arrangement register's rules: seed, edit a year, import a year from Excel.

Services never commit; every change is audited (``holiday.*``) and ends with ``recompute.after_change``,
which moves the due dates and deadlines not yet past and tells the people affected.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import chinese_calendar
from chinese_calendar import constants as builtin
from flask_babel import gettext as _
from sqlalchemy import func, select

from ...audit.services import record
from ...extensions import db
from ..errors import DomainError
from ..timeutil import local_today, utcnow
from ..workdays import HOLIDAY_NAMES
from . import recompute
from .models import DayKind, HolidayDay, HolidaySource, HolidayYear

FIRST_SEEDED_YEAR = 2020  # older years matter to nothing the system computes
WARN_FROM = (11, 1)  # the dashboard warns from 1 November about the coming year


@dataclass
class DayInput:
    day: date
    kind: DayKind
    name: str


@dataclass
class ChangeResult:
    year: int
    added: list[date] = field(default_factory=list)
    removed: list[date] = field(default_factory=list)
    moved: list = field(default_factory=list)  # recompute.Moved
    complaints: object = None  # complaints.deadlines.Outcome: the open complaints' deadlines counted again


def years() -> list[HolidayYear]:
    return list(db.session.scalars(select(HolidayYear).order_by(HolidayYear.year.desc())))


def year_rows():
    """The register's years, newest first, as rows with their numbers of holidays and adjusted working days
    counted in the same statement (not each year's days loaded to count them)."""
    return db.session.execute(
        select(HolidayYear.year, HolidayYear.source, HolidayYear.notice, HolidayYear.updated_at,
               func.count(HolidayDay.day).filter(HolidayDay.kind == DayKind.HOLIDAY).label("holidays"),
               func.count(HolidayDay.day).filter(HolidayDay.kind == DayKind.WORKDAY).label("workdays"))
        .outerjoin(HolidayDay, HolidayDay.year == HolidayYear.year)
        .group_by(HolidayYear.year, HolidayYear.source, HolidayYear.notice, HolidayYear.updated_at)
        .order_by(HolidayYear.year.desc())).all()


def builtin_days(year: int) -> list[DayInput]:
    """The package's arrangement for ``year`` (empty when it does not know the year)."""
    days = [DayInput(d, DayKind.HOLIDAY, HOLIDAY_NAMES.get(n, n)) for d, n in builtin.holidays.items()
            if d.year == year]
    days += [DayInput(d, DayKind.WORKDAY, HOLIDAY_NAMES.get(n, n)) for d, n in builtin.workdays.items()
             if d.year == year]
    return sorted(days, key=lambda x: x.day)


def seed_from_builtin() -> list[int]:
    """Enter the package's arrangement for each year it knows (from 2020) that the register lacks.
    Idempotent: a year already in the register — seeded or edited by an admin — is left alone."""
    known = set(db.session.scalars(select(HolidayYear.year)))
    last = max(d.year for d in builtin.holidays)
    added = []
    for year in range(FIRST_SEEDED_YEAR, last + 1):
        if year in known:
            continue
        row = HolidayYear(year=year, source=HolidaySource.SEED, notice=_("chinese-calendar %(v)s 内置数据",
                                                                          v=chinese_calendar.__version__))
        row.days = [HolidayDay(year=year, day=d.day, kind=d.kind, name=d.name) for d in builtin_days(year)]
        db.session.add(row)
        added.append(year)
    db.session.flush()
    return added


def _validate(year: int, days: list[DayInput]) -> None:
    if not 2000 <= year <= 2100:
        raise DomainError(_("年份应在2000至2100之间。"), field="year")
    seen = set()
    for d in days:
        if d.day.year != year:
            raise DomainError(_("%(day)s 不在 %(year)s 年内。", day=d.day.isoformat(), year=year), field="day")
        if d.day in seen:
            raise DomainError(_("%(day)s 重复录入。", day=d.day.isoformat()), field="day")
        seen.add(d.day)
        if not (d.name or "").strip():
            raise DomainError(_("请填写 %(day)s 所属的节日名称。", day=d.day.isoformat()), field="name")
        if d.kind is DayKind.WORKDAY and d.day.weekday() < 5:
            raise DomainError(_("%(day)s 是工作日（周一至周五），不能登记为调休上班。", day=d.day.isoformat()),
                              field="day")


def _snapshot(row: HolidayYear | None) -> dict:
    if row is None:
        return {"days": []}
    return {"notice": row.notice, "days": [[d.day.isoformat(), d.kind.value, d.name] for d in row.days]}


def set_year(year: int, days: list[DayInput], *, actor, notice: str | None = None,
             source: HolidaySource = HolidaySource.ADMIN) -> ChangeResult:
    """Enter or replace ``year``'s whole arrangement (the Excel import, or a first entry)."""

    _validate(year, days)
    row = db.session.get(HolidayYear, year)
    before = _snapshot(row)
    plan = recompute.plan([year])  # what the dates were computed from, before the change
    if row is None:
        row = HolidayYear(year=year)
        db.session.add(row)
    old = {d.day: d for d in row.days}
    new = {d.day: d for d in days}
    result = ChangeResult(year)
    for day, existing in old.items():
        if day not in new:
            row.days.remove(existing)
            result.removed.append(day)
    db.session.flush()
    for day, given in new.items():
        existing = old.get(day)
        if existing is None:
            row.days.append(HolidayDay(year=year, day=day, kind=given.kind, name=given.name.strip()))
            result.added.append(day)
        elif (existing.kind, existing.name) != (given.kind, given.name.strip()):
            existing.kind, existing.name = given.kind, given.name.strip()
            result.added.append(day)
    row.source = source
    row.notice = (notice or "").strip() or row.notice
    row.updated_by_id = getattr(actor, "id", None)
    row.entered_at = utcnow()
    db.session.flush()
    record("holiday.set_year", before=before, after=_snapshot(row), actor=actor, object_type="HolidayYear",
           object_id=year, summary=str(row))
    result.moved = recompute.apply(plan, actor=actor)
    changed = result.added + result.removed
    if changed:
        result.complaints = recompute.complaints_after(min(changed), actor=actor)
    return result


def add_day(year: int, given: DayInput, *, actor) -> ChangeResult:
    row = db.session.get(HolidayYear, year)
    days = [DayInput(d.day, d.kind, d.name) for d in row.days] if row is not None else []
    if any(d.day == given.day for d in days):
        raise DomainError(_("%(day)s 已在 %(year)s 年的安排中，请先删除再录入。", day=given.day.isoformat(),
                            year=year), field="day")
    return set_year(year, days + [given], actor=actor, notice=row.notice if row else None)


def remove_day(year: int, day: date, *, actor) -> ChangeResult:
    row = db.session.get(HolidayYear, year)
    if row is None or not any(d.day == day for d in row.days):
        raise DomainError(_("%(day)s 不在 %(year)s 年的安排中。", day=day.isoformat(), year=year))
    days = [DayInput(d.day, d.kind, d.name) for d in row.days if d.day != day]
    return set_year(year, days, actor=actor, notice=row.notice)


def missing_year_warning(today: date | None = None, known=None) -> int | None:
    """From 1 November: the coming year, when its arrangement is not entered yet (else None); ``known``: the
    register's years, when the caller has them."""
    today = today or local_today()
    coming = today.year + 1
    if (today.month, today.day) < WARN_FROM:
        return None
    if known is not None:
        return None if coming in known else coming
    return None if db.session.get(HolidayYear, coming) is not None else coming
