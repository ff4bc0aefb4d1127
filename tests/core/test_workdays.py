"""Working days on China's holiday calendar. In 2026 Mid-Autumn falls on Friday
25 September and National Day runs 1–7 October; Sunday 20 September and
Saturday 10 October are make-up working days (调休)."""
from __future__ import annotations

from datetime import date

import pytest

from supervision.core.workdays import add_workdays, is_workday, last_workday_on_or_before, workdays_between


def test_holidays_and_make_up_days():
    assert is_workday(date(2026, 9, 30))
    assert not is_workday(date(2026, 9, 25))  # Mid-Autumn, a Friday
    assert not is_workday(date(2026, 10, 1))
    assert not is_workday(date(2026, 10, 7))
    assert is_workday(date(2026, 10, 8))
    assert is_workday(date(2026, 9, 20))  # a Sunday worked in exchange
    assert is_workday(date(2026, 10, 10))  # a Saturday worked in exchange
    assert not is_workday(date(2026, 10, 11))


def test_add_workdays_skips_the_holiday_and_counts_the_make_up_saturday():
    assert add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_workdays(date(2026, 9, 30), 2) == date(2026, 10, 9)
    assert add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)  # make-up Saturday
    assert add_workdays(date(2026, 9, 30), 4) == date(2026, 10, 12)
    assert add_workdays(date(2026, 9, 18), 1) == date(2026, 9, 20)  # Friday → make-up Sunday
    assert add_workdays(date(2026, 9, 30), 0) == date(2026, 9, 30)


def test_workdays_between_is_the_inverse():
    start = date(2026, 9, 25)
    for n in range(15):
        assert workdays_between(start, add_workdays(start, n)) == n


def test_last_workday_before_a_holiday_friday():
    assert last_workday_on_or_before(date(2026, 9, 25)) == date(2026, 9, 24)
    assert last_workday_on_or_before(date(2026, 10, 2)) == date(2026, 9, 30)
    assert last_workday_on_or_before(date(2026, 10, 9)) == date(2026, 10, 9)


def test_years_without_data_fall_back_to_weekdays():
    assert is_workday(date(2099, 1, 5))  # a Monday
    assert not is_workday(date(2099, 1, 4))  # a Sunday
    assert is_workday(date(2099, 1, 9))  # a Friday
    assert not is_workday(date(2099, 1, 10))  # a Saturday


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        add_workdays(date(2026, 1, 1), -1)
