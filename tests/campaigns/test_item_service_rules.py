"""The item service's smaller rules, each checked both ways: every list filter, the checks and
records of creating an item, the refusal messages, and the time in a state."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.campaigns.models import (
    ItemSource,
    ItemState,
    ItemTransition,
    RectificationItem,
    ResponsibleParty,
    Severity,
)
from supervision.campaigns.services import items, notices
from supervision.core.errors import DomainError, TransitionError
from supervision.core.timeutil import local_today, utcnow
from supervision.core.workdays import add_workdays
from supervision.extensions import db

from ..factories import gen_estate
from . import factories as f

S = ItemState


def test_every_list_filter_keeps_exactly_its_items(running):
    w = running
    today = local_today()
    a = f.gen_item(w.enrolment1, actor=w.officer, description="消防通道堆放杂物")
    b = f.gen_item(w.enrolment2, actor=w.officer, description="电梯年检过期", source=ItemSource.SPOT_CHECK,
                   severity=Severity.CRITICAL)
    c = f.gen_item(w.enrolment1, actor=w.officer, description="绿化带缺损", party=ResponsibleParty.STREET,
                   opened_on=today - timedelta(days=60), workdays=1)  # long overdue
    loose = f.gen_item(w.estate2, actor=w.officer, description="屋面渗漏")  # outside the campaign
    f.move(b, f.PATH_TO[S.IN_PROGRESS], answerer=w.company2_user, officer=w.officer)
    notice = notices.issue_notice(estate=w.estate1, items=[a], actor=w.officer, deadline_workdays=10,
                                  campaign=w.campaign)
    db.session.commit()

    def ids(**kw):
        statement = items.filter_items(select(RectificationItem.id), items.ItemFilter(**kw), today)
        return set(db.session.scalars(statement))

    everything = {a.id, b.id, c.id, loose.id}
    assert ids() == everything
    assert ids(q="电梯") == {b.id}
    assert ids(q=w.estate1.name) == {a.id, c.id}  # by the estate's name
    assert ids(q=f"#{c.id}") == {c.id} and ids(q=str(loose.id)) == {loose.id}
    assert ids(q="   ") == everything and ids(q="99999999999999999999") == set()
    assert ids(campaign_id=w.campaign.id) == {a.id, b.id, c.id}
    assert ids(street_id=w.street2.id) == {b.id, loose.id}
    assert ids(company_id=w.company1.id) == {a.id, c.id}
    assert ids(estate_id=w.estate2.id) == {b.id, loose.id}
    assert ids(notice_id=notice.id) == {a.id}
    assert ids(enrolment_id=w.enrolment1.id) == {a.id, c.id}
    assert ids(state=S.IN_PROGRESS) == {b.id} and ids(state=S.OPEN) == {a.id, c.id, loose.id}
    assert ids(overdue=True) == {c.id}
    assert ids(source=ItemSource.SPOT_CHECK) == {b.id}
    assert ids(severity=Severity.CRITICAL) == {b.id} and ids(severity=Severity.GENERAL) == {a.id, c.id, loose.id}
    assert ids(responsible_party=ResponsibleParty.STREET) == {c.id}
    assert ids(street_id=w.street1.id, responsible_party=ResponsibleParty.COMPANY) == {a.id}


def test_creating_an_item_checks_its_fields_and_records_it(running):
    w = running
    with pytest.raises(DomainError, match="问题描述"):
        f.gen_item(w.enrolment1, actor=w.officer, description="  ")
    bare = gen_estate(street=w.street1, company=None, name="无物业小区")
    with pytest.raises(DomainError, match="没有物业服务企业"):
        f.gen_item(bare, actor=w.officer)
    assert f.gen_item(bare, actor=w.officer, party=ResponsibleParty.COMMUNITY).company_id is None
    for bad in (0, 251):
        with pytest.raises(DomainError, match="1至250"):
            f.gen_item(w.enrolment1, actor=w.officer, workdays=bad)
    opened = local_today() - timedelta(days=3)
    for good in (1, 250):
        item = f.gen_item(w.enrolment1, actor=w.officer, workdays=good, opened_on=opened)
        assert item.deadline == add_workdays(opened, good) and item.deadline_workdays == good

    item = f.gen_item(w.enrolment1, actor=w.officer, workdays=None, description="  门禁损坏 ",
                      responsible_note="  由物业负责维修 ")
    assert item.deadline_workdays == w.campaign.default_deadline_workdays
    assert item.deadline == add_workdays(local_today(), w.campaign.default_deadline_workdays)
    assert item.description == "门禁损坏" and item.responsible_note == "由物业负责维修"
    assert (item.campaign_id, item.street_id, item.company_id, item.enrolment_id) == (
        w.campaign.id, w.street1.id, w.company1.id, w.enrolment1.id)
    assert item.state is S.OPEN and item.opened_by_id == w.officer.id
    assert f.gen_item(w.enrolment1, actor=w.officer, responsible_note="   ").responsible_note is None
    loose = f.gen_item(w.estate2, actor=w.officer, workdays=None)
    assert loose.campaign_id is None and loose.deadline_workdays == 15 and loose.company_id == w.company2.id
    db.session.flush()
    first = db.session.scalars(select(ItemTransition).where(ItemTransition.item_id == item.id)).all()
    assert [(t.from_state, t.to_state, t.by_id) for t in first] == [(None, S.OPEN, w.officer.id)]
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "item.create",
                                                     AuditLog.object_id == item.id))
    assert audit is not None and audit.after["description"] == "门禁损坏"


def test_a_refused_move_lists_what_can_be_done(running):
    w = running
    item = f.gen_item(w.enrolment1, actor=w.officer)
    with pytest.raises(TransitionError) as error:
        items.transition(item, S.ACCEPTED, actor=w.officer)
    assert error.value.message.startswith("事项当前为“待整改”，不能变为“已销项”。")
    assert "当前可以：“开始整改”。" in error.value.message
    with pytest.raises(TransitionError):
        items.submit_answer(f.move(f.gen_item(w.enrolment1, actor=w.officer), f.PATH_TO[S.SUBMITTED],
                                   answerer=w.company_user, officer=w.officer),
                            actor=w.company_user, response="再交一次")


def test_time_in_state_counts_whole_days_never_below_zero(running):
    item = f.gen_item(running.enrolment1, actor=running.officer)
    now = utcnow()
    item.state_since = now - timedelta(days=3, hours=5)
    assert items.time_in_state_days(item, now) == 3
    item.state_since = now + timedelta(days=2)  # a clock ahead: never negative
    assert items.time_in_state_days(item, now) == 0
    item.state_since = utcnow() - timedelta(days=1, minutes=1)
    assert items.time_in_state_days(item) == 1


def test_the_responsible_users_are_the_company_or_the_street(running):
    w = running
    company_item = f.gen_item(w.enrolment1, actor=w.officer)
    street_item = f.gen_item(w.enrolment1, actor=w.officer, party=ResponsibleParty.STREET)
    assert [u.id for u in items.responsible_users(company_item)] == [w.company_user.id]
    assert [u.id for u in items.responsible_users(street_item)] == [w.street_user.id]
