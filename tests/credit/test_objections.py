"""Objections (异议): a company objects within 15 working days; an officer upholds or revokes."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from supervision.attachments.services import attachments_of
from supervision.audit.models import AuditLog
from supervision.core.timeutil import LOCAL_TZ
from supervision.credit import services, standings
from supervision.credit.models import CreditEvent, EventStatus, ObjectionStatus
from supervision.extensions import db
from supervision.notifications.models import Notification

from .factories import gen_basic, gen_event, rules

NOTICE_DAY = date(2026, 9, 28)  # Monday; the window runs over the National Day holidays to 23 October


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ), tick=False)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def notified(world):
    rules()
    gen_basic(world.company1, on=date(2026, 9, 1))
    event = gen_event(world.company1, "BL-05", on=NOTICE_DAY, status="notified", actor=world.officer)
    db.session.commit()
    return event


def _object(login_as, user, event, reasons="整改已于期限内完成，附整改前后照片及验收记录。", files=None):
    client = login_as(user)
    data = {"reasons": reasons}
    if files:
        data["evidence"] = files
    return client, client.post(f"/credit/events/{event.id}/object", data=data, content_type="multipart/form-data")


def test_a_company_objects_on_the_last_working_day_of_its_window(login_as, world, notified):
    assert notified.objection_deadline == date(2026, 10, 23)
    with at(date(2026, 10, 23)):
        _client, response = _object(login_as, world.company_user, notified, files=[(io.BytesIO(jpeg()), "整改后.jpg")])
    assert response.status_code == 302
    db.session.refresh(notified)
    objection = notified.objection
    assert notified.status is EventStatus.OBJECTED and objection.status is ObjectionStatus.PENDING
    assert objection.submitted_on == date(2026, 10, 23) and objection.submitted_by_id == world.company_user.id
    assert [a.original_name for a in attachments_of(objection)] == ["整改后.jpg"]
    # Under objection the deduction does not count.
    rule_set = services.rule_set_for(date(2026, 11, 1))
    assert standings.company_score(world.company1, rule_set, date(2026, 11, 1)).total == 80
    # The bureau is told.
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == world.officer.id,
                                                           Notification.kind == "credit_objection"))
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"credit_objection.submit", "credit_event.object", "attachment.upload"} <= actions


def test_an_objection_after_the_window_is_refused(login_as, world, notified):
    # Calendar days would have closed the window on 13 October; working days keep it open until 23 October.
    with at(date(2026, 10, 13)):
        html = login_as(world.company_user).get(f"/credit/events/{notified.id}").get_data(as_text=True)
    assert "提出异议" in html
    with at(date(2026, 10, 24)):
        client, response = _object(login_as, world.company_user, notified)
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "异议期已于 2026-10-23 届满" in page
    db.session.refresh(notified)
    assert notified.objection is None and notified.status is EventStatus.NOTIFIED


def test_an_objection_needs_reasons_and_keeps_what_was_typed(login_as, world, notified):
    with at(date(2026, 10, 9)):
        _client, response = _object(login_as, world.company_user, notified, reasons="不服")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "异议理由应为 10 至 3000 字" in html and "不服" in html
    db.session.refresh(notified)
    assert notified.objection is None


def test_one_objection_per_event(login_as, world, notified):
    with at(date(2026, 10, 9)):
        _object(login_as, world.company_user, notified)
        with pytest.raises(services.TransitionError, match="不能重复"):
            services.submit_objection(db.session.get(CreditEvent, notified.id), reasons="再次提出异议，理由同前。",
                                      actor=world.company_user)


@pytest.mark.parametrize("decision, status, objection_status, total", [
    ("uphold", EventStatus.CONFIRMED, ObjectionStatus.UPHELD, 74),
    ("revoke", EventStatus.REVOKED, ObjectionStatus.REVOKED, 80),
])
def test_an_officer_decides(login_as, world, notified, decision, status, objection_status, total):
    with at(date(2026, 10, 9)):
        _object(login_as, world.company_user, notified)
    with at(date(2026, 10, 20)):
        officer = login_as(world.officer)
        form = officer.get(f"/credit/events/{notified.id}/decide").get_data(as_text=True)
        assert "整改已于期限内完成" in form
        response = officer.post(f"/credit/events/{notified.id}/decide", data={"decision": decision, "reason": ""})
        assert "请填写处理理由" in response.get_data(as_text=True)
        response = officer.post(f"/credit/events/{notified.id}/decide",
                                data={"decision": decision, "reason": "经复核作出决定。"})
        assert response.status_code == 302
    event = db.session.get(CreditEvent, notified.id)
    db.session.refresh(event)
    assert event.status is status and event.objection.status is objection_status
    assert event.objection.decided_on == date(2026, 10, 20) and event.objection.decided_by_id == world.officer.id
    rule_set = services.rule_set_for(date(2026, 11, 1))
    assert standings.company_score(world.company1, rule_set, date(2026, 11, 1)).total == total
    # Upheld, it counts from the decision, not from the notice.
    assert standings.company_score(world.company1, rule_set, date(2026, 10, 19)).total == 80
    title = db.session.scalar(select(Notification.title).where(Notification.user_id == world.company_user.id,
                                                               Notification.kind == "credit_objection_decided"))
    assert ("维持" in title) if decision == "uphold" else ("撤销" in title)


def test_revoking_through_the_web_asks_for_confirmation(login_as, world, notified):
    officer = login_as(world.officer)
    page = officer.get(f"/credit/events/{notified.id}/revoke").get_data(as_text=True)
    assert "撤销信用记录" in page and "撤销原因" in page
    assert officer.post(f"/credit/events/{notified.id}/revoke", data={"reason": "记录有误"}).status_code == 302
    db.session.refresh(notified)
    assert notified.status is EventStatus.REVOKED and notified.revoke_reason == "记录有误"
    assert login_as(world.leader).post(f"/credit/events/{notified.id}/revoke",
                                       data={"reason": "领导无权撤销"}).status_code == 403
