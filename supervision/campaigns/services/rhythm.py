"""抽查节奏: the plan asks for on-site spot checks on at least one working day every week.

A *working week* is an ISO week (Monday–Sunday) with at least one working day on the holiday register
(``core.workdays``); a week without one (e.g. the Spring Festival week) expects no check and is skipped.
A week's *check days* are the distinct ``checked_on`` dates of its spot checks (any day of the week
counts, a make-up working Saturday as much as a Tuesday).

From Thursday of a working week on, a week still without a check day is a warning (``week_warning``):
the district's, and each officer's own.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ...auth import scope
from ...auth.models import User
from ...auth.roles import Role
from ...core.enums import LabelledEnum
from ...core.holidays.report_weeks import has_no_workday
from ...core.workdays import last_workday_on_or_before
from ...estates.models import Estate
from ...extensions import db
from ...regions.models import Street
from ...reports.weeks import Week
from ..models import SpotCheck

THURSDAY = 3
WEEKS_SHOWN = 12
# A cell names at most this many estates, then links to the week's checks: a 100× district checks hundreds a
# week, and every estate was named three times (district, officer, street).
ESTATES_NAMED = 10


class WeekStatus(LabelledEnum):
    CHECKED = ("checked", _l("已抽查"), "success")
    MISSED = ("missed", _l("未抽查"), "danger")
    DUE = ("due", _l("本周尚未抽查"), "warning")  # the current week, from Thursday on
    OPEN = ("open", _l("本周进行中"), "secondary")  # the current week, before Thursday


def is_working_week(week: Week) -> bool:
    return not has_no_workday(week.monday)


def working_weeks(first: Week, last: Week) -> list[Week]:
    """The working weeks from ``first`` to ``last``, oldest first."""
    weeks, week = [], first
    while week <= last:
        if is_working_week(week):
            weeks.append(week)
        week = week.next()
    return weeks


def week_status(week: Week, check_days: int, today: date) -> WeekStatus:
    if check_days:
        return WeekStatus.CHECKED
    if week.sunday < today:
        return WeekStatus.MISSED
    if week.monday > today:
        return WeekStatus.OPEN
    return WeekStatus.DUE if today.weekday() >= THURSDAY else WeekStatus.OPEN


@dataclass
class Checked:
    """One estate checked in a week, by one officer in one street (its first check that week links)."""

    estate_id: int
    estate_name: str
    spot_check_id: int
    times: int


class Cell:
    """A week × (officer or street): its check days and the estates checked.

    ``estates`` maps an estate's id to ``[name, first check's id, times]``: a 100× district adds ~1,100 rows
    three times each (district, officer, street), and only the ``ESTATES_NAMED`` shown become ``Checked``."""

    __slots__ = ("_estate_list", "days", "estates")

    def __init__(self):
        self.days: set = set()
        self.estates: dict = {}
        self._estate_list = None

    def add(self, day: date, estate_id: int, name: str, check_id: int, times: int) -> None:
        self.days.add(day)
        found = self.estates.get(estate_id)
        if found is None:
            self.estates[estate_id] = [name, check_id, times]
        else:
            if check_id < found[1]:
                found[1] = check_id
            found[2] += times

    @property
    def day_list(self) -> list[date]:
        return sorted(self.days)

    @property
    def days_text(self) -> str:
        """The check days as the page shows them: ``2026-12-01、2026-12-03``, or — for none."""
        return "、".join(day.isoformat() for day in sorted(self.days)) or "—"

    @property
    def estate_list(self) -> list[Checked]:
        """The first ``ESTATES_NAMED`` estates by name (``len(estates)`` is how many were checked)."""
        if self._estate_list is None:
            first = heapq.nsmallest(ESTATES_NAMED, self.estates.items(), key=lambda pair: (pair[1][0], pair[0]))
            self._estate_list = [Checked(estate_id, name, check_id, times)
                                 for estate_id, (name, check_id, times) in first]
        return self._estate_list


@dataclass
class WeekRow:
    week: Week
    status: WeekStatus
    district: Cell
    officers: list  # (user, Cell) for every officer shown
    streets: list  # (street, Cell) for every street shown


@dataclass
class Rhythm:
    weeks: list[WeekRow]  # newest first
    first: Week
    last: Week

    @property
    def missed(self) -> int:
        return sum(1 for row in self.weeks if row.status is WeekStatus.MISSED)


def _grouped_checks(first: Week, last: Week, user, street_id: int | None = None):
    """One grouped query: per day × officer × street × estate, the checks and the first one's id."""
    statement = scope.visible(SpotCheck, user, statement=select(
        SpotCheck.checked_on, SpotCheck.checked_by_id, SpotCheck.street_id, SpotCheck.estate_id, Estate.name,
        func.min(SpotCheck.id), func.count(SpotCheck.id)))
    if street_id is not None:
        statement = statement.where(SpotCheck.street_id == street_id)
    statement = (statement.join(Estate, Estate.id == SpotCheck.estate_id)
                 .where(SpotCheck.checked_on >= first.monday, SpotCheck.checked_on <= last.sunday)
                 .group_by(SpotCheck.checked_on, SpotCheck.checked_by_id, SpotCheck.street_id, SpotCheck.estate_id,
                           Estate.name))
    return db.session.execute(statement).all()


def _officers(seen_ids) -> list[User]:
    """Active bureau officers, and anyone else who recorded a check in the range."""
    condition = (User.role == Role.BUREAU_OFFICER) & User.active.is_(True)
    if seen_ids:
        condition = condition | User.id.in_(seen_ids)
    return list(db.session.scalars(select(User).where(condition).order_by(User.display_name, User.id)))


def _streets(seen_ids) -> list[Street]:
    condition = Street.active.is_(True)
    if seen_ids:
        condition = condition | Street.id.in_(seen_ids)
    return list(db.session.scalars(select(Street).where(condition).order_by(Street.code, Street.name_sort)))


def rhythm(last: Week, *, today: date, user=None, weeks: int = WEEKS_SHOWN, street_id: int | None = None) -> Rhythm:
    """The ``weeks`` calendar weeks up to ``last`` (working ones only), per officer and per street.

    A fixed number of queries whatever the range: the grouped checks, the officers, the streets.
    """
    first = last.prev(weeks - 1)
    rows = _grouped_checks(first, last, user, street_id)
    district = defaultdict(Cell)
    by_officer = defaultdict(Cell)
    by_street = defaultdict(Cell)
    weeks_of = {}  # day → its Week: a day has many rows
    for day, officer_id, row_street_id, estate_id, name, check_id, times in rows:
        week = weeks_of.get(day)
        if week is None:
            week = weeks_of[day] = Week.of(day)
        district[week].add(day, estate_id, name, check_id, times)
        by_officer[(week, officer_id)].add(day, estate_id, name, check_id, times)
        by_street[(week, row_street_id)].add(day, estate_id, name, check_id, times)
    officers = _officers({officer for _week, officer in by_officer if officer is not None})
    streets = _streets({street for _week, street in by_street})
    if street_id is not None:
        streets = [s for s in streets if s.id == street_id]
    result = []
    for week in reversed(working_weeks(first, last)):
        cell = district.get(week, Cell())
        result.append(WeekRow(
            week, week_status(week, len(cell.days), today), cell,
            [(officer, by_officer.get((week, officer.id), Cell())) for officer in officers],
            [(street, by_street.get((week, street.id), Cell())) for street in streets]))
    return Rhythm(result, first, last)


# --- the Thursday warning ----------------------------------------------------------------------

@dataclass(frozen=True)
class WeekWarning:
    week: Week
    last_workday: date  # the last working day left to check on
    district_missing: bool
    own_missing: bool


def week_warning(today: date, officer=None) -> WeekWarning | None:
    """From Thursday of a working week on: whether the week still lacks a check day — district-wide
    and for ``officer`` — or None when it is too early, the week has no working day, or both have one."""
    week = Week.of(today)
    if today.weekday() < THURSDAY or not is_working_week(week):
        return None
    in_week = (SpotCheck.checked_on >= week.monday) & (SpotCheck.checked_on <= week.sunday)
    own = case((SpotCheck.checked_by_id == (officer.id if officer is not None else 0), 1), else_=0)
    district, mine = db.session.execute(select(
        func.count(SpotCheck.id), func.coalesce(func.sum(own), 0)).where(in_week)).one()
    if district and (officer is None or mine):
        return None
    return WeekWarning(week, last_workday_on_or_before(week.sunday), not district, not mine)


def week_of_arg(text: str | None, today: date) -> Week:
    """The week named by ``?until=2026-W49`` (never after the current one); the current week otherwise."""
    current = Week.of(today)
    week = Week.parse(text)
    if week is None or week > current:
        return current
    return week


def past_working_weeks(day: date) -> list[Week]:
    """The working weeks of ``day``'s year (ISO weeks numbered in it) that ended on or before ``day``
    (the indicator's weeks). 31 December may fall in the next year's week 1: that week is not over."""
    first = Week(day.year, 1)
    last = Week.of(day)
    if last.sunday > day:
        last = last.prev()
    if last < first:
        return []
    return working_weeks(first, last)


def week_after(week: Week, today: date) -> Week | None:
    later = week.next(WEEKS_SHOWN)
    current = Week.of(today)
    if week >= current:
        return None
    return later if later <= current else current
