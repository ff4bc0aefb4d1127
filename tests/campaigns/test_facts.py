"""The facts other features read (credit events), the campaign page's rates, and the demo."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from supervision.campaigns.models import (
    AcceptanceVerdict,
    Campaign,
    CampaignStatus,
    Enrolment,
    EnrolmentStatus,
    ItemState,
    RectificationItem,
)
from supervision.campaigns.services import acceptance, facts, progress, self_inspection
from supervision.campaigns.services.survey import record_survey
from supervision.core.timeutil import LOCAL_TZ
from supervision.estates.models import ManagementMode
from supervision.extensions import db

from . import factories as f


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=LOCAL_TZ), tick=False)


def test_rates_and_credit_facts(world):
    with at(2026, 3, 2, 9, 0):
        campaign = f.gen_campaign(world, code="p12_rectification")
        e1, e2 = f.enrol(campaign, world.estate1, world.estate2, actor=world.officer)
        on_time = f.gen_item(e1, actor=world.officer, workdays=5)  # deadline 9 March
        late = f.gen_item(e1, actor=world.officer, workdays=5)
        waiting = f.gen_item(e2, actor=world.officer, workdays=5)
        open_ = f.gen_item(e2, actor=world.officer, workdays=5)
        f.move(on_time, f.PATH_TO[ItemState.ACCEPTED], answerer=world.company_user, officer=world.officer)
        f.move(waiting, f.PATH_TO[ItemState.SUBMITTED], answerer=world.company2_user, officer=world.officer)
    with at(2026, 3, 12, 9, 0):
        f.move(late, f.PATH_TO[ItemState.ACCEPTED], answerer=world.company_user, officer=world.officer)
    today = date(2026, 3, 20)
    # The campaign page's 整改率 has the targets' definition: accepted ÷ due (deadline passed): 2 ÷ 4.
    page = progress.campaign_progress(campaign, today=today)
    assert (page.total.items_due, page.total.items_due_accepted) == (4, 2) and page.total.rectification_rate == 0.5
    before_deadlines = progress.campaign_progress(campaign, today=date(2026, 3, 8)).total
    assert before_deadlines.items_due == 0 and before_deadlines.rectification_rate is None
    overdue = facts.overdue_items_beyond(5, today)
    assert [o.item_id for o in overdue] == [open_.id]  # answered on time and waiting: not the company's delay
    assert overdue[0].company_id == world.company2.id and overdue[0].days_overdue == 11
    assert facts.overdue_items_beyond(20, today) == []
    with at(2026, 3, 21, 9, 0):
        for e in (e1, e2):
            record_survey(e, actor=world.officer, surveyed_on=date(2026, 3, 21),
                          management_mode=ManagementMode.PROFESSIONAL, company_id=e.company_id,
                          committee_status=None, notes="", problems=[])
        acceptance.record_acceptance(e1, actor=world.officer, inspected_on=date(2026, 3, 21),
                                     verdict=AcceptanceVerdict.PASSED, remarks="", item_verdicts={
                                         on_time.id: acceptance.ItemVerdictInput(True),
                                         late.id: acceptance.ItemVerdictInput(True)})
        failed = acceptance.record_acceptance(e2, actor=world.officer, inspected_on=date(2026, 3, 21),
                                              verdict=AcceptanceVerdict.FAILED, remarks="", item_verdicts={
                                                  waiting.id: acceptance.ItemVerdictInput(False, "不到位"),
                                                  open_.id: acceptance.ItemVerdictInput(False)})
    closed = progress.campaign_progress(campaign).total
    assert (closed.closed, closed.enrolled) == (1, 2)
    (fact,) = facts.failed_acceptances(since=date(2026, 3, 1))
    assert (fact.acceptance_id, fact.company_id, fact.estate_id) == (failed.id, world.company2.id, world.estate2.id)
    assert facts.failed_acceptances(until=date(2026, 3, 20)) == []


def test_self_inspections_missing_at_the_end_of_the_phase(world):
    with at(2026, 4, 1, 9, 0):
        campaign = f.gen_campaign(world, starts_on=date(2026, 4, 1))  # self-inspection 22 April – 12 May
        e1, e2 = f.enrol(campaign, world.estate1, world.estate2, actor=world.officer)
    ends = campaign.phases[1].ends_on
    with at(2026, 5, 8, 9, 0):
        si = self_inspection.start(e1, actor=world.company_user)
        raw = {i.id: ("是" if i.kind.value == "yes_no" else (str(int(i.threshold)) if i.threshold is not None else ""))
               for i in si.template.items}
        self_inspection.save_answers(si, raw, {}, actor=world.company_user)
        self_inspection.submit(si, actor=world.company_user)
    assert facts.missing_self_inspections(ends) == []  # the phase has not ended yet on its last day
    (missing,) = facts.missing_self_inspections(ends + timedelta(days=1))
    assert (missing.enrolment_id, missing.company_id, missing.phase_ends_on) == (e2.id, world.company2.id, ends)
    assert missing.first_submitted_at is None


def test_the_demo_has_a_finished_campaign_and_one_mid_rectification(demo):
    with demo.app.app_context():
        _check_demo_campaigns()


def _check_demo_campaigns():
    campaigns = {c.status: c for c in db.session.scalars(select(Campaign))}
    finished, active = campaigns[CampaignStatus.CLOSED], campaigns[CampaignStatus.ACTIVE]
    done = progress.campaign_progress(finished).total
    assert done.enrolled == done.closed > 0 and done.items_total == done.items_accepted > 0
    now = progress.campaign_progress(active).total
    assert now.stages.get("rectification", 0) > 0 and now.items_overdue > 0
    assert 0 < now.items_accepted < now.items_total
    states = set(db.session.scalars(select(func.distinct(RectificationItem.state))))
    assert {ItemState.OPEN, ItemState.IN_PROGRESS, ItemState.SUBMITTED, ItemState.ACCEPTED} <= states
    assert EnrolmentStatus.WITHDRAWN in set(db.session.scalars(select(Enrolment.status)))


def test_the_demo_has_a_reopened_item_whose_estate_is_no_longer_closed(demo):
    from supervision.campaigns.models import Acceptance

    with demo.app.app_context():
        item = db.session.scalars(select(RectificationItem).where(RectificationItem.reopened_count > 0,
                                                                  RectificationItem.state == ItemState.REJECTED)
                                  .where(RectificationItem.reject_reason.contains("回头看"))).first()
        assert item is not None and item.deadline > item.opened_at.date()
        enrolment = db.session.get(Enrolment, item.enrolment_id)
        assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.closed_at is None
        revoked = db.session.scalars(select(Acceptance).where(Acceptance.enrolment_id == enrolment.id,
                                                              Acceptance.revoked_at.is_not(None))).all()
        assert revoked and all("回头看" in a.revoked_reason for a in revoked)
