"""Street offices report clues of bad conduct; an officer confirms them into events or rejects them."""
from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from supervision.attachments.services import attachments_of
from supervision.credit import clues, services
from supervision.credit.models import (
    ClueStatus,
    CreditClue,
    CreditEvent,
    CreditRuleItem,
    EventOrigin,
    EventStatus,
    RecordingLevel,
)
from supervision.extensions import db
from supervision.notifications.models import Notification

from ..factories import gen_estate
from .factories import rules


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def loaded(world):
    rules()
    db.session.commit()
    return world


def test_a_street_reports_a_clue_with_evidence(login_as, loaded):
    world = loaded
    client = login_as(world.street_user)
    assert "/pickers/estates" in client.get("/credit/clues/new").get_data(as_text=True)
    found = [option["value"] for option in client.get("/pickers/estates?q=小区").get_json()]
    assert "阳光小区" in found and "月亮小区" not in found  # only its own street's estates
    response = client.post("/credit/clues/new", content_type="multipart/form-data", data={
        "estate_id": world.estate1.id, "occurred_on": "2026-11-02",
        "description": "小区消防通道长期被杂物堵塞，物业未清理。",
        "evidence": [(io.BytesIO(jpeg()), "通道.jpg")], "evidence_date": "2026-11-02"})
    assert response.status_code == 302
    clue = db.session.scalar(select(CreditClue))
    assert (clue.street_id, clue.company_id, clue.status) == (world.street1.id, world.company1.id, ClueStatus.SUBMITTED)
    assert [a.fact_date for a in attachments_of(clue)] == [date(2026, 11, 2)]
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "credit_clue")) == 2


def test_a_street_cannot_report_on_another_streets_estate(login_as, loaded):
    world = loaded
    response = login_as(world.street_user).post("/credit/clues/new", data={
        "estate_id": world.estate2.id, "occurred_on": "2026-11-02", "description": "跨街道报送的线索，应被拒绝。"})
    assert response.status_code == 200 and "不在您的权限范围内" in response.get_data(as_text=True)
    with pytest.raises(services.DomainError, match="本街道辖区"):
        clues.submit_clue(estate=world.estate2, occurred_on=date(2026, 11, 2),
                             description="跨街道报送的线索，应被拒绝。", actor=world.street_user)
    assert db.session.scalar(select(func.count(CreditClue.id))) == 0


def test_a_clue_about_an_estate_without_a_company_is_refused(loaded):
    world = loaded
    bare = gen_estate(community=world.community1)
    with pytest.raises(services.DomainError, match="没有物业服务企业"):
        clues.submit_clue(estate=bare, occurred_on=date(2026, 11, 2), description="无物业小区的问题线索描述。",
                             actor=world.street_user)


def test_an_officer_confirms_a_clue_into_an_event(login_as, loaded):
    world = loaded
    clue = clues.submit_clue(estate=world.estate1, occurred_on=date(2026, 11, 2),
                                description="小区消防通道长期被杂物堵塞，物业未清理。", actor=world.street_user)
    services.add_evidence(clue, [], actor=world.street_user)
    from supervision.attachments.services import store_bytes

    store_bytes(jpeg(), "通道.jpg", owner=clue, fact_date=date(2026, 11, 2), user=world.street_user)
    db.session.commit()
    officer = login_as(world.officer)
    form = officer.get(f"/credit/events/new?clue_id={clue.id}").get_data(as_text=True)
    assert "东城街道办事处" in form and "小区消防通道长期被杂物堵塞" in form
    item = services.item_by_code(services.rule_set_for(), "BL-01")
    response = officer.post(f"/credit/events/new?clue_id={clue.id}", data={
        "item_id": item.id, "occurred_on": "2026-11-02", "description": "消防通道堵塞，经核实属实。",
        "estate_id": world.estate1.id, "recording_level": "street", "recording_body": "东城街道办事处",
        "issue": "y"})
    assert response.status_code == 302
    event = db.session.scalar(select(CreditEvent))
    db.session.refresh(clue)
    assert event.origin is EventOrigin.CLUE and event.clue_id == clue.id and event.status is EventStatus.NOTIFIED
    assert event.recording_level is RecordingLevel.STREET
    assert clue.status is ClueStatus.ACCEPTED and clue.event.id == event.id
    # The evidence travels with the event, so the company sees it with its record.
    copied = attachments_of(event)
    assert [(a.original_name, a.fact_date) for a in copied] == [("通道.jpg", date(2026, 11, 2))]
    assert login_as(world.company_user).get(f"/files/{copied[0].id}").status_code == 200
    # The street is told, and a handled clue cannot be handled again.
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == world.street_user.id,
                                                           Notification.kind == "credit_clue_decided"))
    assert officer.get(f"/credit/events/new?clue_id={clue.id}").status_code == 302


def test_an_officer_rejects_a_clue_with_a_reason(login_as, loaded):
    world = loaded
    clue = clues.submit_clue(estate=world.estate1, occurred_on=date(2026, 11, 2),
                                description="物业服务中心无人值守，居民报修无人受理。", actor=world.street_user)
    db.session.commit()
    officer = login_as(world.officer)
    assert "不予采纳" in officer.get(f"/credit/clues/{clue.id}/reject").get_data(as_text=True)
    assert officer.post(f"/credit/clues/{clue.id}/reject", data={"reason": "经核查已安排专人值守。"}).status_code == 302
    db.session.refresh(clue)
    assert clue.status is ClueStatus.REJECTED and clue.decision_reason == "经核查已安排专人值守。"
    html = login_as(world.street_user).get(f"/credit/clues/{clue.id}").get_data(as_text=True)
    assert "不予采纳" in html and "经核查已安排专人值守" in html
    assert db.session.scalar(select(func.count(CreditEvent.id))) == 0


def test_a_clues_page_makes_the_same_queries_whoever_submitted_it_and_whatever_its_state(login_as, loaded,
                                                                                         count_queries):
    """The clue, its company, estate, street, item, submitter and event in its one query: the count does not
    depend on who submitted it (the officer reading it or another user) or on whether it became an event."""
    world = loaded
    by_street = clues.submit_clue(estate=world.estate1, occurred_on=date(2026, 11, 2),
                                  description="小区消防通道长期被杂物堵塞，物业未清理。", actor=world.street_user)
    by_officer = clues.submit_clue(estate=world.estate1, occurred_on=date(2026, 11, 3),
                                   description="物业服务中心无人值守，居民报修无人受理。", actor=world.street_user)
    by_officer.submitted_by_id = world.officer.id  # the reader's own user: no query for it either way
    rejected = clues.submit_clue(estate=world.estate1, occurred_on=date(2026, 11, 4),
                                 description="小区绿化长期无人养护，杂草丛生。", actor=world.street_user)
    clues.reject_clue(rejected, reason="经核查已整改。", actor=world.officer)
    db.session.commit()
    officer = login_as(world.officer)
    counts = []
    for clue in (by_street, by_officer, rejected):
        officer.get(f"/credit/clues/{clue.id}")  # warm: the session's own loads are not the page's
        with count_queries() as statements:
            assert officer.get(f"/credit/clues/{clue.id}").status_code == 200
        counts.append(len(statements))
    assert len(set(counts)) == 1 and counts[0] <= 6, counts


def test_the_clue_list_shows_the_users_clues_unhandled_first_with_their_names(login_as, loaded, count_queries):
    """Plain rows (street, estate, company and clause names joined): the officer sees every street's clues, a
    street office its own; those awaiting a decision first, then the newest; a fixed number of queries."""
    world = loaded
    item = clues.item_choices()[0]
    first = clues.submit_clue(estate=world.estate1, occurred_on=date(2026, 11, 2),
                              description="一号线索：消防通道堵塞。", actor=world.street_user)
    clues.submit_clue(estate=world.estate1, occurred_on=date(2026, 11, 3), description="二号线索：报修无人受理。",
                      item=db.session.get(CreditRuleItem, item[0]), actor=world.street_user)
    db.session.add(CreditClue(street_id=world.estate2.street_id, estate_id=world.estate2.id,
                              company_id=world.estate2.company_id, occurred_on=date(2026, 11, 4),
                              description="外街道线索：绿化无人养护。", status=ClueStatus.SUBMITTED))
    clues.reject_clue(first, reason="经核查已整改。", actor=world.officer)
    db.session.commit()
    officer = login_as(world.officer)
    officer.get("/credit/clues")
    with count_queries() as statements:
        html = officer.get("/credit/clues").get_data(as_text=True)
    assert len(statements) <= 6
    assert html.index("外街道线索") < html.index("二号线索") < html.index("一号线索")  # the rejected one last
    assert world.estate2.street.name in html and world.estate2.name in html and world.company2.name in html
    assert item[1].split()[0] in html and "不予采纳" in html and "待核实" in html
    street = login_as(world.street_user).get("/credit/clues").get_data(as_text=True)
    assert street.index("二号线索") < street.index("一号线索") and "外街道线索" not in street
    assert world.estate1.name in street and world.company1.name in street
    assert "二号线索" in login_as(world.officer).get("/credit/clues?status=submitted").get_data(as_text=True)
    assert "一号线索" not in login_as(world.officer).get("/credit/clues?status=submitted").get_data(as_text=True)
