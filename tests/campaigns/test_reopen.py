"""Re-opening an accepted item re-opens what depended on it (issue 16, item 2)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.campaigns.models import (
    Acceptance,
    AcceptanceVerdict,
    CampaignStatus,
    EnrolmentStatus,
    ItemState,
    ItemTransition,
)
from supervision.campaigns.services import acceptance, campaigns, facts, items, progress
from supervision.campaigns.services.acceptance import ItemVerdictInput
from supervision.campaigns.services.survey import record_survey
from supervision.core.errors import DomainError, TransitionError
from supervision.core.timeutil import local_today, utcnow
from supervision.core.workdays import add_workdays
from supervision.credit.models import CreditEvent
from supervision.estates.models import ManagementMode
from supervision.extensions import db
from supervision.targets import indicators

from ..credit.factories import rules
from . import factories as f

S = ItemState


@pytest.fixture
def closed(world):
    """A 排查—整改—验收 campaign whose one enrolment (estate1) was accepted and closed (销号)."""
    campaign = f.gen_campaign(world, code="p12_rectification")
    (e,) = f.enrol(campaign, world.estate1, actor=world.officer)
    record_survey(e, actor=world.officer, surveyed_on=local_today(), management_mode=ManagementMode.PROFESSIONAL,
                  company_id=world.company1.id, committee_status=None, notes="", problems=[])
    item = f.gen_item(e, actor=world.officer)
    f.move(item, f.PATH_TO[S.SUBMITTED], answerer=world.company_user, officer=world.officer)
    acceptance.record_acceptance(e, actor=world.officer, inspected_on=local_today(), verdict=AcceptanceVerdict.PASSED,
                                 remarks="", item_verdicts={item.id: ItemVerdictInput(True)})
    db.session.commit()
    assert e.status is EnrolmentStatus.CLOSED and item.state is S.ACCEPTED
    world.campaign, world.e, world.item = campaign, e, item
    return world


def _closure_rate():
    return indicators.measure_total(indicators.get_indicator("campaign_closure"), local_today())


def test_reopening_needs_a_reason_and_a_new_deadline(closed):
    w = closed
    with pytest.raises(TransitionError, match="原因"):
        items.transition(w.item, S.REJECTED, actor=w.officer, deadline_workdays=5)
    with pytest.raises(TransitionError, match="须设定新的整改期限"):
        items.transition(w.item, S.REJECTED, actor=w.officer, comment="回头看发现反弹")
    assert w.item.state is S.ACCEPTED
    items.transition(w.item, S.REJECTED, actor=w.officer, comment="回头看发现反弹", deadline_workdays=5)
    assert w.item.deadline == add_workdays(local_today(), 5) and w.item.deadline_workdays == 5


def test_reopening_reopens_the_closure_and_the_acceptance_at_once(closed, login_as):
    w = closed
    client = login_as(w.officer)
    assert client.get(f"/campaigns/{w.campaign.id}").status_code == 200  # fills the progress cache
    before = progress.campaign_progress(w.campaign, user=w.officer)
    assert before.rows[0].closed == 1
    assert (_closure_rate().numerator, _closure_rate().denominator) == (1, 1)

    response = client.post(f"/campaigns/items/{w.item.id}/reopen", data={
        "version": w.item.version, "reason": "回头看发现反弹", "deadline_workdays": 7}, follow_redirects=True)
    assert response.status_code == 200
    db.session.commit()  # end the test's own transaction, as a new request would start a new one
    db.session.refresh(w.e)
    db.session.refresh(w.item)
    assert w.item.state is S.REJECTED and w.item.deadline == add_workdays(local_today(), 7)
    assert w.e.status is EnrolmentStatus.ACTIVE and w.e.closed_at is None
    passed = db.session.scalars(select(Acceptance)).one()
    assert passed.revoked_at is not None and "回头看发现反弹" in passed.revoked_reason
    after = progress.campaign_progress(w.campaign, user=w.officer)
    assert after.rows[0].closed == 0 and after.rows[0].stages == {"rectification": 1}
    assert _closure_rate().numerator == 0
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"item.reopen", "enrolment.reopen", "acceptance.revoke"} <= actions

    # The revoked acceptance does not close the enrolment again: a new one must pass.
    f.move(w.item, [S.IN_PROGRESS, S.SUBMITTED, S.ACCEPTED], answerer=w.company_user, officer=w.officer)
    with pytest.raises(DomainError, match="验收通过后才能销号"):
        acceptance.close_enrolment(w.e, actor=w.officer)


def test_an_item_of_a_finished_campaign_needs_the_campaign_reopened(closed, login_as):
    w = closed
    campaigns.close(w.campaign, actor=w.officer)
    db.session.commit()
    with pytest.raises(TransitionError, match=r"已结束.*请住建局先重新开启"):
        items.transition(w.item, S.REJECTED, actor=w.officer, comment="反弹", deadline_workdays=5)
    assert w.item.state is S.ACCEPTED

    assert login_as(w.street_user).post(f"/campaigns/{w.campaign.id}/reopen", data={"reason": "x"}).status_code == 403
    client = login_as(w.officer)
    assert "请填写重新开启的原因" in client.post(f"/campaigns/{w.campaign.id}/reopen", data={"reason": ""},
                                              follow_redirects=True).get_data(as_text=True)
    client.post(f"/campaigns/{w.campaign.id}/reopen", data={"reason": "群众投诉反弹"})
    db.session.refresh(w.campaign)
    assert w.campaign.status is CampaignStatus.ACTIVE
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "campaign.reopen")).one()
    assert log.after["reason"] == "群众投诉反弹"
    items.transition(w.item, S.REJECTED, actor=w.officer, comment="反弹", deadline_workdays=5)
    assert w.item.state is S.REJECTED


def test_a_failed_acceptance_reopening_an_item_gives_it_a_new_deadline(running):
    w = running
    item = f.gen_item(w.enrolment1, actor=w.officer)
    f.move(item, f.PATH_TO[S.ACCEPTED], answerer=w.company_user, officer=w.officer)
    item.deadline = local_today() - timedelta(days=30)
    acceptance.record_acceptance(w.enrolment1, actor=w.officer, inspected_on=local_today(),
                                 verdict=AcceptanceVerdict.FAILED, remarks="",
                                 item_verdicts={item.id: ItemVerdictInput(False, "反弹")})
    assert item.state is S.REJECTED
    assert item.deadline == add_workdays(local_today(), w.campaign.default_deadline_workdays)


def test_credit_never_counts_days_the_item_stood_accepted(runner, running):
    """Deadline 40 days ago, accepted 35 days ago, re-opened 3 days ago: overdue 4 + 4 = 8 days
    (the four days before the acceptance, the day of the re-opening and the three since), not 40."""
    w = running
    rules()
    item = f.gen_item(w.enrolment1, actor=w.officer)
    today = local_today()
    item.deadline = today - timedelta(days=40)
    item.state, item.reopened_count = S.REJECTED, 1
    now = utcnow()
    db.session.add_all([ItemTransition(item=item, from_state=S.SUBMITTED, to_state=S.ACCEPTED,
                                       at=now - timedelta(days=35)),
                        ItemTransition(item=item, from_state=S.ACCEPTED, to_state=S.REJECTED,
                                       at=now - timedelta(days=3))])
    db.session.commit()
    assert facts.overdue_items_beyond(10, today=today) == []
    result = runner.invoke(args=["credit", "auto-events", "--detector", "item-overdue"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(CreditEvent.id)) is None

    # Eight more days later it has been overdue for 16 unaccepted days: one event, dated when it passed 10.
    with time_machine.travel(now + timedelta(days=8)):
        found = facts.overdue_items_beyond(10, today=today + timedelta(days=8))
        assert [(x.item_id, x.days_overdue) for x in found] == [(item.id, 16)]
        assert found[0].exceeded_on == today + timedelta(days=3)
