"""National Day 2019 and 2024: Monday 30 September is the week's only working day before the
holiday Friday, so the report is due that Monday — not pushed into the following week."""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from supervision.reports.weeks import Week, due_at, due_date

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
