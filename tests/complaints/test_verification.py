"""A verified complaint becomes an item in the estate's 日常监管 and a credit proposal (BL-02) that the
bureau issues through the notice-and-objection workflow."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from supervision.campaigns.models import ItemSource, RectificationItem
from supervision.complaints import services
from supervision.complaints.models import Channel, Complaint, RoutineSupervision, State, Verdict
from supervision.core.errors import TransitionError
from supervision.credit.models import CreditEvent, EventStatus
from supervision.extensions import db

from ..credit.factories import rules


def _resolved(world, **kw):
    c = services.receive(channel=Channel.PHONE, category="电梯管理", description="电梯停运三天", estate=world.estate1,
                         **kw)
    services.transition(c, State.RESOLVED, actor=world.company_user, text="已修复")
    return c


def test_a_true_complaint_becomes_an_item_and_a_draft_credit_proposal(world, login_as):
    rules()
    c = _resolved(world)
    db.session.commit()
    with pytest.raises(TransitionError):  # the company may not verify complaints about itself
        services.verify(c, valid=True, actor=world.company_user)
    with pytest.raises(TransitionError):  # nor another street
        services.verify(c, valid=True, actor=world.street2_user)
    response = login_as(world.street_user).post(f"/complaints/{c.id}/verify", data={
        "verdict": "valid", "deadline_workdays": 5, "note": "现场查看属实", "version": c.version})
    assert response.status_code == 302
    db.session.expire_all()
    c = db.session.get(Complaint, c.id)
    assert c.verdict is Verdict.VALID
    item = db.session.get(RectificationItem, c.item_id)
    assert item.source is ItemSource.COMPLAINT and item.source_id == c.id and item.campaign_id is None
    assert item.company_id == world.company1.id
    assert db.session.scalar(select(RoutineSupervision).where(RoutineSupervision.estate_id == world.estate1.id))
    event = db.session.get(CreditEvent, c.credit_event_id)
    assert event.status is EventStatus.DRAFT and event.item.code == "BL-02" and event.source_key == f"complaint:{c.id}"
    assert event.points < 0
    # The company does not see the proposal until the bureau issues it; then it may object.
    company = login_as(world.company_user)
    assert company.get(f"/credit/events/{event.id}").status_code == 404
    assert login_as(world.officer).post(f"/credit/events/{event.id}/notify").status_code == 302
    db.session.expire_all()
    event = db.session.get(CreditEvent, event.id)
    assert event.status is EventStatus.NOTIFIED and event.objection_deadline is not None
    assert company.get(f"/credit/events/{event.id}").status_code == 200
    page = login_as(world.company_user).get(f"/complaints/routine/{world.estate1.id}").get_data(as_text=True)
    assert f"/campaigns/items/{item.id}" in page
    assert login_as(world.company2_user).get(f"/complaints/routine/{world.estate1.id}").status_code == 404


def test_an_unfounded_complaint_and_a_repeat_propose_nothing(world):
    rules()
    c = _resolved(world)
    services.verify(c, valid=False, actor=world.officer)
    assert c.item_id is None and c.credit_event_id is None
    with pytest.raises(TransitionError):
        services.verify(c, valid=True, actor=world.officer)  # verified once
    repeat = _resolved(world)
    assert repeat.repeat_of_id == c.id
    services.verify(repeat, valid=True, actor=world.officer)
    assert repeat.item_id is not None and repeat.credit_event_id is None
    assert db.session.scalar(select(func.count(CreditEvent.id))) == 0


def test_an_unanswered_complaint_cannot_be_verified(world):
    c = services.receive(channel=Channel.PHONE, category="收费", description="乱收费", estate=world.estate1)
    with pytest.raises(TransitionError):
        services.verify(c, valid=True, actor=world.officer)
