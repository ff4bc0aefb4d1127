"""The item rules a mutation once broke without any test failing: reopening is the bureau's alone,
evidence only while the item is being answered and only by its responsible party, a rejection
notifies the responsible party, and the list's 未销项/已销项 filter."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from supervision.attachments.models import Attachment
from supervision.campaigns.models import ItemState, RectificationItem, ResponsibleParty
from supervision.campaigns.services import items
from supervision.core.errors import DomainError, TransitionError
from supervision.core.timeutil import local_today
from supervision.extensions import db
from supervision.notifications.models import Notification

from . import factories as f

S = ItemState


def _item_in(world, state, party=ResponsibleParty.COMPANY):
    item = f.gen_item(world.enrolment1, actor=world.officer, party=party)
    answerer = world.company_user if party is ResponsibleParty.COMPANY else world.street_user
    return f.move(item, f.PATH_TO[state], answerer=answerer, officer=world.officer)


class _Upload:
    def __init__(self, name="整改后.jpg"):
        self.filename = name
        self._data = f.jpeg_bytes()

    def read(self):
        return self._data


# --- reopening ---------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["company_user", "street_user", "leader"])
def test_only_the_bureau_reopens_an_accepted_item(running, who):
    item = _item_in(running, S.ACCEPTED)
    user = getattr(running, who)
    with pytest.raises(TransitionError, match="只有住建局"):
        items.transition(item, S.REJECTED, actor=user, comment="回头看发现反弹")
    assert item.state is S.ACCEPTED and item.reopened_count in (0, None)
    assert all(move.verb != "reopen" for _to, move in items.available_moves(item, user))
    assert [move.verb for _to, move in items.available_moves(item, running.officer)] == ["reopen"]


def test_a_street_officer_cannot_reopen_its_own_item_through_the_page(running, login_as):
    item = _item_in(running, S.ACCEPTED, party=ResponsibleParty.STREET)
    db.session.commit()
    client = login_as(running.street_user)
    response = client.post(f"/campaigns/items/{item.id}/reopen", data={
        "version": item.version, "reason": "我们想重新整改"}, follow_redirects=True)
    assert "只有住建局" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.state is S.ACCEPTED


# --- evidence ----------------------------------------------------------------------------

def test_no_evidence_is_added_to_an_accepted_item(running):
    item = _item_in(running, S.ACCEPTED)
    before = db.session.scalar(select(func.count(Attachment.id)))
    with pytest.raises(DomainError, match="不能再添加佐证材料"):
        items.add_evidence(item, [_Upload()], actor=running.company_user, fact_date=local_today())
    with pytest.raises(DomainError, match="不能再添加佐证材料"):
        items.add_evidence(item, [_Upload()], actor=running.officer, fact_date=local_today())
    assert db.session.scalar(select(func.count(Attachment.id))) == before


@pytest.mark.parametrize("state", [S.OPEN, S.IN_PROGRESS, S.REJECTED])
@pytest.mark.parametrize("who", ["leader", "street_user", "company2_user"])
def test_only_the_responsible_party_adds_evidence_to_a_company_item(running, state, who):
    item = _item_in(running, state)
    before = db.session.scalar(select(func.count(Attachment.id)))
    with pytest.raises(DomainError, match="不是该事项的责任单位"):
        items.add_evidence(item, [_Upload()], actor=getattr(running, who), fact_date=local_today())
    assert db.session.scalar(select(func.count(Attachment.id))) == before
    stored = items.add_evidence(item, [_Upload()], actor=running.company_user, fact_date=local_today())
    assert [a.owner_id for a in stored] == [item.id]


def test_a_street_officer_adds_no_evidence_to_a_company_item_through_the_page(running, login_as):
    item = _item_in(running, S.IN_PROGRESS)
    db.session.commit()
    response = login_as(running.street_user).post(f"/campaigns/items/{item.id}/evidence", data={
        "version": item.version, "fact_date": local_today().isoformat(),
        "evidence": [(io.BytesIO(f.jpeg_bytes()), "现场.jpg")]}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "不是该事项的责任单位" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attachment.id))
                             .where(Attachment.uploaded_by_id == running.street_user.id)) == 0


# --- the rejection notification ------------------------------------------------------------

def test_a_rejection_notifies_the_responsible_company_with_the_reason(running):
    item = _item_in(running, S.SUBMITTED)
    items.transition(item, S.REJECTED, actor=running.officer, comment="照片看不清")
    db.session.flush()
    sent = db.session.scalars(select(Notification).where(Notification.kind == "item_rejected")).all()
    assert {n.user_id for n in sent} == {running.company_user.id}
    assert sent[0].body == "照片看不清" and f"#{item.id}" in sent[0].title
    assert sent[0].link == f"/campaigns/items/{item.id}"


def test_a_reopened_street_item_notifies_the_street_office(running):
    item = _item_in(running, S.ACCEPTED, party=ResponsibleParty.STREET)
    items.transition(item, S.REJECTED, actor=running.officer, comment="回头看发现反弹", deadline_workdays=5)
    db.session.flush()
    sent = db.session.scalars(select(Notification).where(Notification.kind == "item_rejected")).all()
    assert {n.user_id for n in sent} == {running.street_user.id}


# --- the list's open filter -----------------------------------------------------------------

def test_the_open_filter_keeps_the_unaccepted_or_the_accepted_items(running, login_as):
    w = running
    accepted = _item_in(w, S.ACCEPTED)
    others = {_item_in(w, state).id for state in (S.OPEN, S.IN_PROGRESS, S.SUBMITTED, S.REJECTED)}
    db.session.commit()

    def ids(**kw):
        statement = items.filter_items(select(RectificationItem.id), items.ItemFilter(**kw), local_today())
        return set(db.session.scalars(statement))

    assert ids(open=True) == others
    assert ids(open=False) == {accepted.id}
    assert ids() == others | {accepted.id}
    client = login_as(w.officer)
    page = client.get("/campaigns/items?open=1").get_data(as_text=True)
    assert f"/campaigns/items/{accepted.id}\"" not in page
    assert all(f"/campaigns/items/{i}\"" in page for i in others)
    page = client.get("/campaigns/items?open=0").get_data(as_text=True)
    assert f"/campaigns/items/{accepted.id}\"" in page
    assert not any(f"/campaigns/items/{i}\"" in page for i in others)
