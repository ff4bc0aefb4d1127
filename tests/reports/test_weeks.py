"""Due dates: Friday 18:00 Shanghai, moved to the last working day before a holiday Friday;
make-up working days (调休) never move it."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from supervision.reports.weeks import Week, due_at, due_date, holiday_note, weeks_between

from .factories import local


@pytest.mark.parametrize("week, expected", [
    (Week(2026, 38), date(2026, 9, 18)),  # Sunday 20 Sept is a make-up working day: still Friday
    (Week(2026, 39), date(2026, 9, 24)),  # Mid-Autumn on Friday 25 Sept → Thursday
    (Week(2026, 40), date(2026, 9, 30)),  # National Day: Thu 1 – Wed 7 Oct off → Wednesday 30 Sept
    (Week(2026, 41), date(2026, 10, 9)),  # Saturday 10 Oct is a make-up working day: still Friday
    (Week(2026, 37), date(2026, 9, 11)),  # an ordinary week
])
def test_due_day_follows_the_holiday_calendar(week, expected):
    assert due_date(week) == expected


def test_due_time_is_18_00_shanghai_stored_in_utc():
    assert due_at(Week(2026, 39)) == datetime(2026, 9, 24, 10, 0, tzinfo=UTC)
    assert due_at(Week(2026, 39)) == local(2026, 9, 24, 18)


def test_weekday_and_time_are_settings():
    # A campaign reporting on Thursdays at 12:00: Thursday 1 Oct is National Day → Wednesday 30 Sept.
    assert due_at(Week(2026, 40), weekday=3, at=time(12, 0)) == local(2026, 9, 30, 12)
    # Monday 5 Oct is still National Day and nothing before it in that week is worked → Thursday 8 Oct.
    assert due_date(Week(2026, 41), weekday=0) == date(2026, 10, 8)


def test_a_week_without_a_working_day_before_the_due_day_moves_forward():
    # Spring Festival 2026: Mon 16 – Sun 22 Feb are all holidays; the Saturday 14 Feb make-up day
    # belongs to the previous week, so the report is due on the next working day, Tue 24 Feb.
    assert due_date(Week(2026, 8)) == date(2026, 2, 24)


def test_holiday_note_names_the_holiday():
    assert holiday_note(Week(2026, 39)) == "中秋节"
    assert holiday_note(Week(2026, 40)) == "国庆节"
    assert holiday_note(Week(2026, 38)) is None


def test_week_parsing_and_arithmetic():
    week = Week.parse("2026-W39")
    assert week == Week(2026, 39) and str(week) == "2026-W39" and Week.parse("2026W39") == week
    assert week.monday == date(2026, 9, 21) and week.sunday == date(2026, 9, 27)
    assert week.start_utc == datetime(2026, 9, 20, 16, tzinfo=UTC)
    assert week.next() == Week(2026, 40) and week.prev(39) == Week(2025, 52)
    assert Week(2020, 53).next() == Week(2021, 1)
    assert Week.parse("2026-W54") is None and Week.parse("x") is None and Week.parse(None) is None
    assert Week.of(date(2027, 1, 1)) == Week(2026, 53)
    assert [str(w) for w in weeks_between(Week(2026, 52), Week(2027, 2))] == ["2026-W52", "2026-W53", "2027-W01",
                                                                            "2027-W02"]
