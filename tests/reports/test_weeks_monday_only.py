"""Due days at the edges of the calendar. National Day 2019 and 2024: Monday 30 September is the
week's only working day before the holiday Friday, so the report is due that Monday — not pushed
into the following week."""
from __future__ import annotations

from datetime import date, time, timedelta
from types import SimpleNamespace

import chinese_calendar
import pytest

from supervision.reports.weeks import Week, due_at, due_at_for, due_date

from .factories import local


@pytest.mark.parametrize("year", [2019, 2024])
def test_monday_alone_before_a_holiday_friday_is_the_due_day(year):
    monday = date(year, 9, 30)
    week = Week.of(monday)
    # The real calendar: Monday worked, Tuesday–Friday (1–4 October) off, the next working day a week later.
    assert monday.weekday() == 0 and chinese_calendar.is_workday(monday)
    assert not any(chinese_calendar.is_workday(monday + timedelta(days=n)) for n in range(1, 8))
    assert chinese_calendar.is_workday(monday - timedelta(days=1))  # Sunday 29 Sept: 调休, the week before
    assert due_date(week) == monday
    assert due_at(week) == local(year, 9, 30, 18)
    assert due_date(week, weekday=3) == monday  # a Thursday report too
    assert due_date(week, weekday=0) == monday  # and a Monday one is simply due that day


def test_a_holiday_monday_after_a_worked_sunday_is_due_after_the_holiday():
    # Sunday 30 September 2018 was worked (调休) and belongs to the week before; Monday 1 October
    # began National Day, so a Monday report of that week is due on Monday 8 October.
    assert chinese_calendar.is_workday(date(2018, 9, 30)) and not chinese_calendar.is_workday(date(2018, 10, 1))
    assert due_date(Week.of(date(2018, 10, 1)), weekday=0) == date(2018, 10, 8)


def test_a_campaigns_own_weekday_and_time_are_used_and_default_to_friday_18_00():
    thursday_noon = SimpleNamespace(report_weekday=3, report_due_time=time(12, 0))
    assert due_at_for(thursday_noon, Week(2026, 37)) == local(2026, 9, 10, 12)
    monday = SimpleNamespace(report_weekday=0, report_due_time=None)
    assert due_at_for(monday, Week(2026, 37)) == local(2026, 9, 7, 18)
    unset = SimpleNamespace(report_weekday=None, report_due_time=None)
    assert due_at_for(unset, Week(2026, 37)) == local(2026, 9, 11, 18)
