"""Default targets from seeds/ and the demo's weekly snapshots."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import time_machine
from sqlalchemy import func, select

from supervision.core.timeutil import LOCAL_TZ
from supervision.extensions import db
from supervision.seeding import load_json
from supervision.targets.indicators import all_indicators
from supervision.targets.models import DISTRICT_KEY, Target, TargetSnapshot

NOW = datetime(2026, 11, 20, 10, tzinfo=LOCAL_TZ)


def test_seed_file_covers_every_indicator_with_a_basis():
    rows = {row["indicator"]: row for row in load_json("targets/defaults.json")["targets"]}
    assert set(rows) == {i.code for i in all_indicators()}
    assert rows["committee"]["threshold"] == 80 and "L836" in rows["committee"]["source"]
    # What users read is official wording: no file codes or line numbers (those stay in "source").
    assert not [row["basis"] for row in rows.values() if re.search(r"\d{3}[- ]|L\d{3}|#\d", row["basis"])]
    assert rows["manager_cert"]["threshold"] == 100 and rows["rectification"]["threshold"] == 90


def test_reference_writes_this_years_district_targets_once(runner):
    with time_machine.travel(NOW, tick=False):
        assert runner.invoke(args=["seed", "reference"]).exit_code == 0
        targets = {t.indicator: t for t in db.session.scalars(select(Target))}
        assert set(targets) == {i.code for i in all_indicators()}
        assert all(t.year == 2026 and t.scope_key == DISTRICT_KEY and t.street_id is None for t in targets.values())
        assert targets["committee"].threshold == Decimal("0.8")
        assert targets["coverage"].basis.startswith("市物业管理专项行动方案")
        # An edited target is kept when the reference data is loaded again.
        targets["committee"].threshold = Decimal("0.85")
        db.session.commit()
        assert runner.invoke(args=["seed", "reference"]).exit_code == 0
        assert db.session.scalar(select(func.count(Target.id))) == len(targets)
        assert db.session.scalar(select(Target.threshold).where(Target.indicator == "committee")) == Decimal("0.85")
    result = runner.invoke(args=["targets", "defaults", "--year", "2027"])
    assert f"新建默认目标 {len(all_indicators())} 项" in result.output


def test_demo_backfills_rising_weekly_snapshots(demo):
    with demo.app.app_context():
        rows = list(db.session.scalars(select(TargetSnapshot).where(
            TargetSnapshot.indicator == "coverage", TargetSnapshot.scope_key == DISTRICT_KEY)
            .order_by(TargetSnapshot.week_start)))
        assert len(rows) == 27  # this week and 26 before it
        assert rows[-1].week_start - rows[0].week_start == timedelta(weeks=26)
        assert all(a.value <= b.value for a, b in pairwise(rows))  # it never goes down
        if rows[-1].value:
            assert rows[0].value < rows[-1].value  # and it went up
        from supervision.estates.models import Estate

        assert db.session.scalar(select(func.count(Estate.id))) >= 20  # the dashboard is not empty
