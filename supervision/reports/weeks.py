"""ISO weeks and the due time of a week's report.

A report covers one ISO week (Monday–Sunday, Asia/Shanghai). It is due on the
campaign's report weekday (Friday by default) at the campaign's due time
(18:00 by default). When that day is not a working day on China's holiday
calendar, the report is due on the last working day before it in the same
week (Mid-Autumn on Friday 25 September 2026 → Thursday 24 September: 提前). A
make-up working weekend day (调休) never moves the due day. When no day of the
week up to the report weekday is a working day, the report is due on the first
working day after it (顺延). A week with no working day at all (e.g. a whole
week of Spring Festival) says so plainly (``no_workday``): no report is expected
for it unless the bureau decides otherwise.

The calendar is the holiday-arrangement register (``core.workdays``); a due date
in a year without an arrangement is provisional (``is_provisional``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.timeutil import LOCAL_TZ, local_today
from ..core.workdays import holiday_name, is_provisional, is_workday, last_workday_on_or_before, report_required

WEEK_PATTERN = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
WEEKDAY_NAMES = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))


@dataclass(frozen=True, order=True)
class Week:
    """One ISO week, e.g. ``Week(2026, 39)`` = 21–27 September 2026."""

    iso_year: int
    iso_week: int

    def __post_init__(self):
        # Validates: raises ValueError for a week the year does not have.
        date.fromisocalendar(self.iso_year, self.iso_week, 1)

    @classmethod
    def of(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso[0], iso[1])

    @classmethod
    def current(cls) -> Week:
        return cls.of(local_today())

    @classmethod
    def parse(cls, text: str | None) -> Week | None:
        """``"2026-W39"`` (or ``2026W39``) → Week; None when malformed."""
        match = WEEK_PATTERN.match((text or "").strip())
        if not match:
            return None
        try:
            return cls(int(match.group(1)), int(match.group(2)))
        except ValueError:
            return None

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.iso_year, self.iso_week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def day(self, weekday: int) -> date:
        """The date of ``weekday`` (0 = Monday) in this week."""
        return self.monday + timedelta(days=weekday)

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.monday, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        """The instant the week ends: next Monday 00:00 in Shanghai (exclusive)."""
        return self.next().start_utc

    def next(self, n: int = 1) -> Week:
        return Week.of(self.monday + timedelta(weeks=n))

    def prev(self, n: int = 1) -> Week:
        return Week.of(self.monday - timedelta(weeks=n))

    def __str__(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"

    @property
    def key(self) -> str:
        return str(self)

    @property
    def label(self) -> str:
        return f"{self.iso_year}年第{self.iso_week}周"

    @property
    def span(self) -> str:
        """``9月21日—9月27日``"""
        return f"{self.monday.month}月{self.monday.day}日—{self.sunday.month}月{self.sunday.day}日"

    @property
    def short(self) -> str:
        return f"W{self.iso_week}"


def weeks_between(first: Week, last: Week) -> list[Week]:
    weeks, week = [], first
    while week <= last:
        weeks.append(week)
        week = week.next()
    return weeks


def due_date(week: Week, weekday: int = 4) -> date:
    """The day a week's report is due, holidays taken into account."""
    nominal = week.day(weekday)
    if is_workday(nominal):
        return nominal
    earlier = last_workday_on_or_before(nominal)
    if earlier >= week.monday:
        return earlier
    later = nominal + timedelta(days=1)
    while not is_workday(later):
        later += timedelta(days=1)
    return later


def due_at(week: Week, weekday: int = 4, at: time = time(18, 0)) -> datetime:
    """The due instant, in UTC, of a week's report."""
    return datetime.combine(due_date(week, weekday), at, tzinfo=LOCAL_TZ).astimezone(UTC)


def due_at_for(campaign, week: Week) -> datetime:
    """The due instant of ``campaign``'s report for ``week`` (the one rule for it)."""
    weekday = campaign.report_weekday if campaign.report_weekday is not None else 4
    at = campaign.report_due_time or time(18, 0)
    return due_at(week, weekday, at)


def holiday_note(week: Week, weekday: int = 4) -> str | None:
    """Why the due day moved, e.g. ``中秋节``; None when it did not."""
    nominal = week.day(weekday)
    if is_workday(nominal):
        return None
    return holiday_name(nominal) or _("休息日")


def due_shift(week: Week, weekday: int = 4) -> str | None:
    """The direction of a moved due day: 提前 (earlier in the week), 顺延 (after it), None: not moved."""
    moved = due_date(week, weekday)
    nominal = week.day(weekday)
    if moved == nominal:
        return None
    return _("提前") if moved < nominal else _("顺延")


def no_workday(week: Week) -> bool:
    """No day of the week is a working day (e.g. Spring Festival): no report is expected for it."""
    return not any(is_workday(week.day(n)) for n in range(7))


def expects_no_report(week: Week) -> bool:
    """No report is expected for ``week``: it has no working day and the bureau did not ask for one."""
    return no_workday(week) and not report_required(week.monday)


def due_wording(week: Week, weekday: int = 4) -> str | None:
    """The sentence that explains a week's due day, or None when it is the ordinary day:
    ``遇中秋节提前至9月24日报送`` / ``遇春节顺延至2月24日报送`` / ``本周无工作日（春节），不要求报送周报``."""
    nominal = week.day(weekday)
    if no_workday(week):
        if not report_required(week.monday):
            return _("本周无工作日（%(h)s），除住建局另有安排外不要求报送周报", h=holiday_name(nominal) or _("休息日"))
        moved = due_date(week, weekday)
        return _("本周无工作日（%(h)s），住建局要求照常报送，顺延至%(m)s月%(d)s日报送",
                 h=holiday_name(nominal) or _("休息日"), m=moved.month, d=moved.day)
    shift = due_shift(week, weekday)
    if shift is None:
        return None
    moved = due_date(week, weekday)
    return _("遇%(h)s%(dir)s至%(m)s月%(d)s日报送", h=holiday_note(week, weekday), dir=shift, m=moved.month,
             d=moved.day)


def provisional(week: Week, weekday: int = 4) -> bool:
    """The week's due day is computed in a year without a holiday arrangement."""
    return is_provisional(due_date(week, weekday)) or is_provisional(week.day(weekday))
