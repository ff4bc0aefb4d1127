"""Met / on track / behind, at the exact boundaries, with time frozen."""
from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
import time_machine

from supervision.core.timeutil import LOCAL_TZ
from supervision.estates.models import CommitteeStatus
from supervision.targets.indicators import get_indicator
from supervision.targets.services import (
    Status,
    as_percent,
    expected_value,
    judge,
    scorecard,
    threshold_percent,
    year_elapsed,
)

from ..factories import gen_estate
from .factories import commit, gen_committee, gen_snapshot, gen_target

T = Fraction(4, 5)  # 80%


def test_year_elapsed():
    assert year_elapsed(date(2026, 1, 1), 2026) == Fraction(1, 365)
    assert year_elapsed(date(2026, 12, 31), 2026) == 1
    assert year_elapsed(date(2028, 7, 1), 2028) == Fraction(1, 2)  # a leap year: day 183 of 366
    assert year_elapsed(date(2025, 12, 31), 2026) == 0
    assert year_elapsed(date(2027, 1, 1), 2026) == 1


def test_judge_boundaries_exactly():
    half = Fraction(1, 2)
    expected = expected_value(T, half)
    assert expected == Fraction(2, 5)
    assert judge(T, T, half) is Status.MET
    assert judge(T - Fraction(1, 10**9), T, half) is Status.ON_TRACK
    assert judge(expected, T, half) is Status.ON_TRACK
    assert judge(expected - Fraction(1, 10**9), T, half) is Status.BEHIND
    assert judge(None, T, half) is Status.NO_DATA
    assert judge(Fraction(0), T, Fraction(0)) is Status.ON_TRACK  # nothing expected on the first instant
    assert judge(T - Fraction(1, 10**9), T, Fraction(1)) is Status.BEHIND  # at year end only "met" will do


def test_judge_from_a_baseline():
    half = Fraction(1, 2)
    # Starting the year at 60%, half-way to 80% means 70% by mid-year.
    assert expected_value(T, half, Fraction(3, 5)) == Fraction(7, 10)
    assert judge(Fraction(7, 10), T, half, Fraction(3, 5)) is Status.ON_TRACK
    assert judge(Fraction(69, 100), T, half, Fraction(3, 5)) is Status.BEHIND
    # A baseline above the target expects the target itself.
    assert expected_value(T, half, Fraction(9, 10)) == T


def test_percent_formatting_never_divides_by_zero():
    assert as_percent(None) == "—"
    assert as_percent(Fraction(2, 3)) == "66.7%"
    assert as_percent(Fraction(1, 8)) == "12.5%"
    assert as_percent(Fraction(1, 16)) == "6.3%"  # half up
    assert threshold_percent(Fraction(4, 5)) == "80%"
    assert threshold_percent(Fraction(925, 1000)) == "92.5%"


@pytest.fixture
def five_eligible(world):
    """Five eligible estates in street 1 (estate1 among them); ``formed`` of them formed."""
    estates = [world.estate1] + [gen_estate(community=world.community1) for _ in range(4)]
    world.estate2.committee_eligible = False
    commit()
    return estates


def _form(estates, count):
    for estate in estates[:count]:
        gen_committee(estate, CommitteeStatus.FORMED)
    commit()


def _committee_status(day_time, street=None):
    with time_machine.travel(day_time, tick=False):
        card = scorecard(street_ids=[street.id] if street else [], include_district=street is None)
    row = card.district if street is None else card.streets[0]
    return row.cells["committee"]


@pytest.mark.parametrize("formed, moment, status", [
    (2, datetime(2028, 7, 1, 23, 59, tzinfo=LOCAL_TZ), Status.ON_TRACK),   # 40% = 80% × 183/366 exactly
    (2, datetime(2028, 7, 2, 0, 1, tzinfo=LOCAL_TZ), Status.BEHIND),       # a day later, 40% is behind
    (1, datetime(2028, 1, 1, 9, 0, tzinfo=LOCAL_TZ), Status.ON_TRACK),     # 20% on 1 January
    (4, datetime(2028, 12, 31, 12, 0, tzinfo=LOCAL_TZ), Status.MET),       # 80% = the target
    (3, datetime(2028, 12, 31, 12, 0, tzinfo=LOCAL_TZ), Status.BEHIND),    # 60% at year end
    (0, datetime(2028, 1, 1, 9, 0, tzinfo=LOCAL_TZ), Status.BEHIND),       # 0% once any time has passed
])
def test_status_on_the_scorecard_at_the_boundaries(five_eligible, formed, moment, status):
    _form(five_eligible, formed)
    cell = _committee_status(moment)
    assert cell.counts.denominator == 5 and cell.counts.numerator == formed
    assert cell.status is status


def test_the_shanghai_date_decides_the_day(five_eligible):
    """16:30 UTC on 1 July is already 2 July in Shanghai."""
    _form(five_eligible, 2)
    assert _committee_status(datetime(2028, 7, 1, 15, 59, tzinfo=UTC)).status is Status.ON_TRACK
    assert _committee_status(datetime(2028, 7, 1, 16, 1, tzinfo=UTC)).status is Status.BEHIND


def test_a_street_target_overrides_the_district_and_the_default(world, five_eligible):
    _form(five_eligible, 2)
    moment = datetime(2028, 12, 31, 12, tzinfo=LOCAL_TZ)
    assert _committee_status(moment, world.street1).threshold.value == get_indicator("committee").default_threshold
    gen_target("committee", 2028, "0.4000")
    commit()
    cell = _committee_status(moment, world.street1)
    assert cell.threshold.value == Fraction(2, 5) and cell.threshold.inherited and cell.status is Status.MET
    gen_target("committee", 2028, "0.5000", street=world.street1)
    commit()
    cell = _committee_status(moment, world.street1)
    assert cell.threshold.value == Fraction(1, 2) and not cell.threshold.inherited
    assert cell.status is Status.BEHIND
    # Another year's target does not apply.
    gen_target("committee", 2027, "0.1000", street=world.street1)
    commit()
    assert _committee_status(moment, world.street1).threshold.value == Fraction(1, 2)


def test_baseline_from_last_december(world, five_eligible):
    _form(five_eligible, 2)
    moment = datetime(2028, 7, 1, 12, tzinfo=LOCAL_TZ)
    assert _committee_status(moment).status is Status.ON_TRACK
    gen_snapshot("committee", date(2027, 11, 20), 5, 5)  # November: not a baseline
    commit()
    assert _committee_status(moment).status is Status.ON_TRACK
    gen_snapshot("committee", date(2027, 12, 24), 3, 5)  # 60% at the end of last year
    commit()
    cell = _committee_status(moment)
    assert cell.expected == Fraction(7, 10) and cell.status is Status.BEHIND


def test_no_data_when_the_denominator_is_zero(world):
    world.estate1.committee_eligible = False
    world.estate2.committee_eligible = False
    commit()
    cell = _committee_status(datetime(2028, 3, 1, tzinfo=LOCAL_TZ))
    assert cell.counts.denominator == 0 and cell.value is None
    assert cell.status is Status.NO_DATA and cell.percent == "—"
