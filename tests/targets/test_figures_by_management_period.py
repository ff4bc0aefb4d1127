"""A past day's coverage and committee figures use who managed each estate on that day."""
from __future__ import annotations

from datetime import date, datetime

import time_machine

from supervision.core.timeutil import LOCAL_TZ
from supervision.estates import handover as management
from supervision.estates.models import ManagementMode
from supervision.extensions import db
from supervision.targets.indicators import Counts, gap_rows, get_indicator, measure_total

from ..estates.factories import gen_committee

TODAY = datetime(2026, 12, 6, 10, tzinfo=LOCAL_TZ)


def _handover(world, estate, **values):
    management.open_first_period(estate, date(2025, 1, 1))
    base = {"handover_on": date(2026, 12, 1), "end_method": "withdrawal", "start_method": "other",
            "items_outcome": "keep"}
    base.update(values)
    management.handover(estate, base, actor=world.officer)
    db.session.commit()


def test_coverage_for_november_reads_the_november_mode(world):
    coverage = get_indicator("coverage")
    with time_machine.travel(TODAY, tick=False):
        # estate1's company withdrew on 1 December: since then it has had no management.
        _handover(world, world.estate1, management_mode=ManagementMode.NONE, company_id=None)
        assert measure_total(coverage, date(2026, 11, 15)) == Counts(2, 2)
        assert measure_total(coverage, date(2026, 11, 15), company_id=world.company1.id) == Counts(1, 1)
        assert measure_total(coverage, date(2026, 12, 6)) == Counts(1, 2)
        assert measure_total(coverage, date(2026, 12, 6), company_id=world.company1.id) == Counts(0, 0)
        # A past day after the change reads the new period too.
        assert measure_total(coverage, date(2026, 12, 2)) == Counts(1, 2)
        gaps = db.session.scalars(gap_rows(coverage, date(2026, 11, 15))).all()
        assert gaps == []
        assert [e.id for e in db.session.scalars(gap_rows(coverage, date(2026, 12, 2)))] == [world.estate1.id]


def test_company_figures_for_november_count_the_november_company(world):
    coverage = get_indicator("coverage")
    committee = get_indicator("committee")
    gen_committee(world.estate1)
    with time_machine.travel(TODAY, tick=False):
        _handover(world, world.estate1, management_mode=ManagementMode.PROFESSIONAL, company_id=world.company2.id)
        november, now = date(2026, 11, 15), date(2026, 12, 6)
        assert measure_total(coverage, november, company_id=world.company2.id) == Counts(1, 1)
        assert measure_total(coverage, now, company_id=world.company2.id) == Counts(2, 2)
        assert measure_total(committee, november, company_id=world.company1.id) == Counts(1, 1)
        assert measure_total(committee, november, company_id=world.company2.id) == Counts(0, 1)
        assert measure_total(committee, now, company_id=world.company1.id) == Counts(0, 0)
        assert measure_total(committee, now, company_id=world.company2.id) == Counts(1, 2)


def test_company_areas_follow_the_period(world):
    with time_machine.travel(TODAY, tick=False):
        _handover(world, world.estate1, management_mode=ManagementMode.PROFESSIONAL, company_id=world.company2.id)
        before = dict(db.session.execute(management.company_areas_on(date(2026, 11, 15))).all())
        after = dict(db.session.execute(management.company_areas_on(date(2026, 12, 1))).all())
    assert before == {world.company1.id: 50000, world.company2.id: 50000}
    assert after == {world.company2.id: 100000}
