"""A small district with a row in every list page, for the injection tests.

Two streets, two companies, an estate each (with a committee and certified staff),
a running campaign with both estates enrolled, an item on each, a notice, a spot
check, this week's weekly reports, credit events of both companies and a clue.
"""
from __future__ import annotations

from datetime import timedelta

from supervision.campaigns.services import notices, spot_checks
from supervision.core.timeutil import local_today
from supervision.extensions import db

from ..factories import build_world


def build_lists_world():
    from supervision.credit import clues as credit_clues
    from supervision.reports.weeks import Week

    from ..campaigns.factories import enrol, gen_campaign, gen_item
    from ..companies.factories import gen_certified, gen_reference
    from ..credit.factories import gen_event, rules
    from ..estates.factories import gen_committee
    from ..reports.factories import gen_report

    world = build_world()
    today = local_today()
    for estate in (world.estate1, world.estate2):
        estate.committee_eligible = True
    reference = gen_reference()
    gen_certified(world.company1, reference.electrician, reference.electrician_cert, world.estate1)
    gen_certified(world.company2, reference.electrician, reference.electrician_cert, world.estate2)
    gen_committee(world.estate1)
    gen_committee(world.estate2)
    world.campaign = gen_campaign(world, starts_on=today - timedelta(days=20))
    world.enrolment1, world.enrolment2 = enrol(world.campaign, world.estate1, world.estate2, actor=world.officer)
    world.item1 = gen_item(world.enrolment1, actor=world.officer)
    world.item2 = gen_item(world.enrolment2, actor=world.officer, description="楼道照明损坏")
    world.notice = notices.issue_notice(estate=world.estate1, items=[world.item1], actor=world.officer,
                                        deadline_workdays=10, campaign=world.campaign)
    spot_checks.record_spot_check(estate=world.estate2, campaign=world.campaign, actor=world.officer,
                                  checked_on=today, summary="随机抽查消防通道", findings=[])
    week = Week.current()
    gen_report(world.campaign, world.street1, week, progress="本周完成入户摸底")
    gen_report(world.campaign, world.street2, week, progress="本周召开协调会")
    rules()
    gen_event(world.company1, "BL-01", on=today, status="notified", actor=world.officer)
    gen_event(world.company2, "BL-01", on=today, status="notified", actor=world.officer)
    credit_clues.submit_clue(estate=world.estate1, occurred_on=today, description="向业主收取未公示的停车管理费用",
                       actor=world.street_user)
    db.session.commit()
    return world
