"""Demo reports: a realistic spread, deterministic and idempotent, on a campaign the test builds."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date

import time_machine
from sqlalchemy import delete, func, select

from supervision.auth.roles import Role
from supervision.campaigns.models import CampaignStatus
from supervision.core.timeutil import to_local
from supervision.extensions import db
from supervision.reports import demo, services
from supervision.reports.models import ReportStatus, ReportTransition, WeeklyReport
from supervision.reports.services import CellStatus
from supervision.reports.weeks import Week

from ..factories import gen_estate, gen_street, gen_user
from .factories import gen_campaign, gen_enrolment, local

NOW = local(2026, 10, 28, 10)  # Wednesday of W44


def build(world):
    campaign = gen_campaign(name="演示清零行动", starts_on=date(2026, 8, 3))  # the name seeds the draws
    gen_campaign(name="筹备中的行动", status=CampaignStatus.DRAFT)
    gen_enrolment(campaign, world.estate1)
    gen_enrolment(campaign, world.estate2)
    for name in ("南湖街道", "北苑街道", "中山街道", "和平街道"):
        street = gen_street(world.district, name=name)
        gen_enrolment(campaign, gen_estate(street))
    gen_user(Role.STREET_OFFICER, street=world.street1, username="street")
    db.session.commit()
    return campaign


def seed():
    with time_machine.travel(NOW, tick=False):
        demo.seed_demo(random.Random("demo"))
        db.session.commit()


def cells(campaign):
    with time_machine.travel(NOW, tick=False):
        grid = services.report_grid(campaign, services.campaign_weeks(campaign)[-demo.DEMO_WEEKS:])
    return [(row.street.name, cell.week, cell.status) for row in grid.rows for cell in row.cells]


def test_demo_spread(world):
    campaign = build(world)
    seed()
    statuses = Counter(status for _s, _w, status in cells(campaign))
    past = sum(statuses[s] for s in (CellStatus.ON_TIME, CellStatus.LATE, CellStatus.MISSING, CellStatus.RETURNED))
    assert past == 6 * 9  # six streets, nine past weeks
    assert statuses[CellStatus.ON_TIME] > past / 2
    assert statuses[CellStatus.LATE] >= 2 and statuses[CellStatus.MISSING] >= 2
    assert statuses[CellStatus.RETURNED] == 1
    current = [(s, status) for s, week, status in cells(campaign) if week == Week(2026, 44)]
    assert ("东城街道", CellStatus.DRAFT) in current  # the demo street user's report is started
    returned = db.session.scalar(select(WeeklyReport).where(WeeklyReport.status == ReportStatus.RETURNED))
    assert returned.return_comment and len(returned.transitions) == 3
    sent = db.session.scalars(select(WeeklyReport).where(WeeklyReport.first_submitted_at.is_not(None))).all()
    assert all(r.system_figures and r.system_figures["enrolled_total"] == 1 for r in sent)
    assert all(r.progress and r.entered_figures[0]["value"] is not None for r in sent)
    assert all(r.first_submitted_at <= NOW for r in sent)
    assert all(8 <= to_local(r.first_submitted_at).hour <= 20 for r in sent)  # office hours, not 3 a.m.


def test_demo_is_idempotent_and_deterministic(world):
    campaign = build(world)
    seed()
    first = cells(campaign)
    count = db.session.scalar(select(func.count(WeeklyReport.id)))
    seed()
    assert db.session.scalar(select(func.count(WeeklyReport.id))) == count
    assert cells(campaign) == first
    db.session.execute(delete(ReportTransition))
    db.session.execute(delete(WeeklyReport))
    db.session.commit()
    seed()
    assert cells(campaign) == first


def test_demo_without_campaigns_does_nothing(world):
    seed()
    assert db.session.scalar(select(func.count(WeeklyReport.id))) == 0
