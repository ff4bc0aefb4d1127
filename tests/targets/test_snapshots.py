"""Weekly snapshots: once per indicator × scope × ISO week, updated in place; the per-street
table costs the same number of queries however many streets there are."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.core.timeutil import LOCAL_TZ
from supervision.core.workdays import calendar
from supervision.estates.models import ManagementMode
from supervision.extensions import db
from supervision.targets import indicators
from supervision.targets.indicators import all_indicators, get_indicator
from supervision.targets.models import DISTRICT_KEY, TargetSnapshot, scope_key_for
from supervision.targets.services import scorecard, take_snapshot, trend

from ..factories import gen_community, gen_estate, gen_street
from .factories import commit, gen_snapshot

DAY = date(2026, 6, 17)  # a Wednesday of ISO week 25


def _rows():
    return {(r.indicator, r.scope_key, r.iso_week): (r.numerator, r.denominator, r.as_of)
            for r in db.session.scalars(select(TargetSnapshot))}


def _available():
    return [i for i in all_indicators() if i.available()]


def test_snapshot_is_idempotent_and_updates_in_place(world):
    first = take_snapshot(DAY)
    commit()
    scopes = 3  # the district and two streets
    assert first.created == len(_available()) * scopes and first.updated == 0
    before = _rows()
    coverage = before[("coverage", DISTRICT_KEY, 25)]
    assert coverage[:2] == (2, 2)

    again = take_snapshot(DAY)
    commit()
    assert (again.created, again.updated) == (0, 0) and again.unchanged == first.created
    assert _rows() == before

    # Later in the same week, with a changed record: the week's rows are updated, not added.
    world.estate2.management_mode = ManagementMode.NONE
    world.estate2.company_id = None
    commit()
    later = take_snapshot(DAY + timedelta(days=2))
    commit()
    assert later.created == 0 and later.updated == 2  # the district and street 2
    after = _rows()
    assert len(after) == len(before)
    assert after[("coverage", DISTRICT_KEY, 25)] == (1, 2, DAY + timedelta(days=2))
    assert after[("coverage", scope_key_for(world.street1.id), 25)] == (1, 1, DAY)  # unchanged, untouched

    # The next week gets rows of its own.
    following = take_snapshot(DAY + timedelta(days=7))
    commit()
    assert following.created == first.created
    assert db.session.scalar(select(func.count(TargetSnapshot.id))) == 2 * first.created
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.action == "targets.snapshot")))
    assert len(actions) == 3  # the runs that changed something


def test_snapshot_skips_an_indicator_that_is_not_available(world, monkeypatch):
    monkeypatch.setattr(indicators, "weekly_report_model", lambda: None)
    result = take_snapshot(DAY)
    assert "report_punctuality" in result.skipped
    assert not db.session.scalar(select(TargetSnapshot.id).where(TargetSnapshot.indicator == "report_punctuality"))


def test_snapshot_command(runner, world):
    with time_machine.travel(datetime(2026, 6, 17, 9, tzinfo=LOCAL_TZ), tick=False):
        result = runner.invoke(args=["targets", "snapshot"])
        assert result.exit_code == 0, result.output
        assert "2026 年第 25 周" in result.output and "新增" in result.output
        count = db.session.scalar(select(func.count(TargetSnapshot.id)))
        assert count > 0
        result = runner.invoke(args=["targets", "snapshot"])
        assert "新增 0，更新 0" in result.output
        assert db.session.scalar(select(func.count(TargetSnapshot.id))) == count
    result = runner.invoke(args=["targets", "snapshot", "--date", "2026-01-05"])
    assert "2026 年第 2 周" in result.output
    assert runner.invoke(args=["targets", "snapshot", "--date", "tomorrow"]).exit_code != 0


def test_trend_reads_the_weeks_in_order(world):
    for weeks_back, numerator in ((3, 1), (1, 2), (2, 1)):
        gen_snapshot("coverage", DAY - timedelta(weeks=weeks_back), numerator, 2)
    gen_snapshot("coverage", DAY - timedelta(weeks=1), 0, 2, street=world.street1)
    gen_snapshot("coverage", DAY - timedelta(weeks=40), 0, 2)  # too old for the window
    commit()
    [series] = trend([get_indicator("coverage")], None, until=DAY, weeks=26)
    assert [value for _day, value in series.points] == [0.5, 0.5, 1]
    days = [day for day, _value in series.points]
    assert days == sorted(days) and all(day.weekday() == 0 for day in days)
    [street_series] = trend([get_indicator("coverage")], world.street1.id, until=DAY)
    assert [value for _day, value in street_series.points] == [0]


def _streets(count, district):
    for index in range(count):
        street = gen_street(district, name=f"测试街道{index:02d}")
        gen_estate(community=gen_community(street))


def test_the_per_street_table_costs_the_same_for_2_and_8_streets(world, count_queries):
    commit()
    calendar()  # the holiday register (每周抽查覆盖率's working weeks), read once per transaction
    with count_queries() as two:
        card = scorecard(DAY)
    assert len(card.streets) == 2
    _streets(6, world.district)
    commit()
    calendar()
    with count_queries() as eight:
        card = scorecard(DAY)
    assert len(card.streets) == 8
    assert len(two) == len(eight)
    # The data generation, then what the committing transaction stored (the streets, targets and baselines,
    # the indicators' counts) in one query, and what it could not store counted in one UNION ALL: it does not
    # grow with the indicators either.
    assert len(_available()) > 10
    assert len(eight) <= 3
    assert sum("stored_figures" in statement for statement in eight) == 1
    assert not any(statement.lstrip().startswith("SELECT streets.") for statement in eight)
    # Nothing changed since: the inputs and the counts are kept by the process, nothing is read again.
    with count_queries() as again:
        assert scorecard(DAY) == card
    assert len(again) <= 1 and not any("UNION ALL" in statement for statement in again)
