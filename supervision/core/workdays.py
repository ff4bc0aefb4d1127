"""Working days on the official holiday arrangement (节假日安排), read from the register.

The register (``core.holidays``) holds per year the holidays and the make-up working days (调休上班)
the State Council General Office publishes each autumn; an admin enters or imports them. Every other
day follows the week: Monday–Friday working, Saturday and Sunday not.

A year without an arrangement in the register is computed Monday–Friday and is *provisional*:
``is_provisional(day)`` says so, and every page or PDF that shows such a date says so too (the
``provisional_note`` template helper). A register with no year at all (a database not yet seeded by
``flask seed reference``) falls back to the ``chinese-calendar`` package's built-in data, which the
seed copies into the register.

The calendar is read once per process and data generation (``generations`` topic "holidays"), so
every worker agrees as soon as a change commits; a transaction that changed the register reads it
live.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

import chinese_calendar
from flask import current_app, has_app_context
from sqlalchemy import event, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import Session

from ..extensions import db
from . import generations
from .holidays.models import HOLIDAYS_TOPIC, HolidayDay, HolidayYear, ReportWeekRequirement

_SESSION_KEY = "holiday_calendar"

HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@dataclass(frozen=True)
class Calendar:
    years: frozenset[int]  # the years with an arrangement
    # day → (working?, holiday name), read-only
    days: Mapping[date, tuple[bool, str]] = field(default_factory=lambda: MappingProxyType({}))
    builtin: bool = False  # the register is empty: the package's data stands in
    required_weeks: frozenset[date] = frozenset()  # Mondays of no-working-day weeks the bureau wants reported

    def knows(self, year: int) -> bool:
        if self.builtin:
            return _builtin_knows(year)
        return year in self.years

    def is_workday(self, day: date) -> bool:
        if self.builtin:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:
                return day.weekday() < 5
        entry = self.days.get(day)
        return entry[0] if entry is not None else day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        if self.builtin:
            try:
                on_holiday, name = chinese_calendar.get_holiday_detail(day)
            except (NotImplementedError, ValueError):
                return None
            return HOLIDAY_NAMES.get(name, name) if on_holiday and name else None
        entry = self.days.get(day)
        return entry[1] if entry is not None and not entry[0] else None


BUILTIN = Calendar(frozenset(), builtin=True)


def _builtin_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _load() -> Calendar:
    """The register in one statement (the years, the required weeks and the days, tagged): three queries were
    most of a first request's holiday look-up."""

    day_type, kind_type = HolidayDay.day.type, HolidayDay.kind.type
    rows = db.session.execute(union_all(
        select(literal("y").label("tag"), HolidayYear.year.label("year"), type_coerce(null(), day_type).label("day"),
               type_coerce(null(), kind_type).label("kind"), type_coerce(null(), HolidayDay.name.type).label("name")),
        select(literal("r"), null(), ReportWeekRequirement.monday, null(), null()),
        select(literal("d"), null(), HolidayDay.day, HolidayDay.kind, HolidayDay.name))).all()
    years = frozenset(row.year for row in rows if row.tag == "y")
    required = frozenset(row.day for row in rows if row.tag == "r")
    if not years:
        return Calendar(frozenset(), builtin=True, required_weeks=required) if required else BUILTIN
    days = {row.day: (row.kind.value == "workday", row.name) for row in rows if row.tag == "d"}
    return Calendar(years, MappingProxyType(days), required_weeks=required)


def calendar() -> Calendar:
    """The calendar in force: from the register (built-in data outside an app context)."""

    if not has_app_context():
        return BUILTIN

    if generations.current(HOLIDAYS_TOPIC) is None:  # no generation yet, or changed in this transaction
        info = db.session.info
        if _SESSION_KEY not in info:
            info[_SESSION_KEY] = _load()
        return info[_SESSION_KEY]
    size = current_app.config.get("HOLIDAY_CALENDAR_CACHE_SIZE", 2)
    return generations.cached(HOLIDAYS_TOPIC, "holiday_calendar", size, ("calendar",), _load)


@event.listens_for(Session, "after_flush")
def _forget_on_change(session, _flush_context):

    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (HolidayDay, HolidayYear, ReportWeekRequirement)) for obj in changed):
        session.info.pop(_SESSION_KEY, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in ("holiday_days", "holiday_years", "report_week_requirements"):
            state.session.info.pop(_SESSION_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session, transaction):
    if transaction.parent is None:
        session.info.pop(_SESSION_KEY, None)


def _known_years() -> frozenset[int] | None:
    years = frozenset(db.session.scalars(select(HolidayYear.year)))
    return years or None


def year_is_provisional(year: int) -> bool:
    """``is_provisional`` for a year, reading only the register's years (not its days) when the calendar is
    not in memory: a list showing deadlines needs no more than that on the first request after a change."""
    if not has_app_context():
        return not BUILTIN.knows(year)
    loaded = generations.cached_if_present(HOLIDAYS_TOPIC, "holiday_calendar", ("calendar",))
    if loaded is not None or generations.current(HOLIDAYS_TOPIC) is None:
        return not (loaded or calendar()).knows(year)
    size = current_app.config.get("HOLIDAY_CALENDAR_CACHE_SIZE", 2)
    years = generations.cached(HOLIDAYS_TOPIC, "holiday_years", size, ("years",), _known_years)
    return not (_builtin_knows(year) if years is None else year in years)


def is_workday(day: date, cal: Calendar | None = None) -> bool:
    return (cal or calendar()).is_workday(day)


def is_provisional(day: date | None) -> bool:
    """True when ``day``'s year has no holiday arrangement: dates computed in it are provisional."""
    return day is not None and not calendar().knows(day.year)


def provisional_years(*days) -> list[int]:
    """The years among ``days`` (dates or None) without an arrangement, sorted."""
    cal = calendar()
    return sorted({d.year for d in days if d is not None and not cal.knows(d.year)})


def report_required(monday: date) -> bool:
    """The bureau asked for the report of the week starting ``monday`` although it has no working day."""
    return monday in calendar().required_weeks


def holiday_name(day: date) -> str | None:
    """The name of the holiday ``day`` falls in (None on a working day or an ordinary weekend)."""
    return calendar().holiday_name(day)


def add_workdays(start: date, count: int) -> date:
    """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    cal = calendar()
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if cal.is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    cal = calendar()
    return sum(1 for n in range(1, (end - start).days + 1) if cal.is_workday(start + timedelta(days=n)))


def last_workday_on_or_before(day: date) -> date:
    cal = calendar()
    while not cal.is_workday(day):
        day -= timedelta(days=1)
    return day
