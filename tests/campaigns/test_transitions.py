"""The item state machine: every legal move works, every other one is refused with a reason."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.campaigns.models import ItemState, ItemTransition, ResponsibleParty
from supervision.campaigns.services import items
from supervision.campaigns.services.items import MOVES
from supervision.core.errors import TransitionError
from supervision.extensions import db

from . import factories as f

S = ItemState
ILLEGAL = [(a, b) for a, b in itertools.product(ItemState, ItemState) if (a, b) not in MOVES]


def _item_in(world, state):
    item = f.gen_item(world.enrolment1, actor=world.officer)
    return f.move(item, f.PATH_TO[state], answerer=world.company_user, officer=world.officer)


@pytest.mark.parametrize("frm, to", list(MOVES), ids=lambda s: s.value if hasattr(s, "value") else str(s))
def test_every_legal_move(running, frm, to):
    item = _item_in(running, frm)
    move = MOVES[(frm, to)]
    actor = running.officer if move.bureau_only else running.company_user
    if to is S.SUBMITTED:
        item.response = "已按要求整改"
        f.add_evidence(item, running.company_user)
    before = len(item.transitions)
    row = items.transition(item, to, actor=actor, comment="理由" if move.needs_reason else None,
                           deadline_workdays=5 if move.verb == "reopen" else None)
    db.session.flush()
    assert item.state is to and row.from_state is frm and row.to_state is to and row.by_id == actor.id
    assert len(db.session.scalars(select(ItemTransition).where(ItemTransition.item_id == item.id)).all()) == before + 1
    assert item.state_since == row.at
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == f"item.{move.verb}",
                                                     AuditLog.object_id == item.id))
    assert audit.before["state"] == frm.value and audit.after["state"] == to.value
    stamp = {S.IN_PROGRESS: item.started_at, S.SUBMITTED: item.submitted_at, S.REJECTED: item.rejected_at,
             S.ACCEPTED: item.accepted_at}[to]
    assert stamp is not None


@pytest.mark.parametrize("frm, to", ILLEGAL, ids=lambda s: s.value)
def test_every_illegal_move_is_refused(running, frm, to):
    item = _item_in(running, frm)
    item.response = "已整改"
    f.add_evidence(item, running.company_user)
    with pytest.raises(TransitionError) as error:
        items.transition(item, to, actor=running.officer, comment="理由")
    assert item.state is frm
    assert f"不能变为“{to.label}”" in error.value.message


def test_only_the_bureau_accepts_rejects_and_reopens(running):
    item = _item_in(running, S.SUBMITTED)
    for state in (S.ACCEPTED, S.REJECTED):
        with pytest.raises(TransitionError, match="只有住建局"):
            items.transition(item, state, actor=running.company_user, comment="x")
    with pytest.raises(TransitionError, match="只有住建局"):
        items.transition(item, S.ACCEPTED, actor=running.leader)
    assert item.state is S.SUBMITTED


def test_only_the_responsible_party_answers(running):
    company_item = f.gen_item(running.enrolment1, actor=running.officer)
    street_item = f.gen_item(running.enrolment1, actor=running.officer, party=ResponsibleParty.STREET)
    with pytest.raises(TransitionError, match="不是该事项的责任单位"):
        items.transition(company_item, S.IN_PROGRESS, actor=running.street_user)
    with pytest.raises(TransitionError, match="不是该事项的责任单位"):
        items.transition(street_item, S.IN_PROGRESS, actor=running.company_user)
    with pytest.raises(TransitionError):
        items.transition(company_item, S.IN_PROGRESS, actor=running.company2_user)
    items.transition(street_item, S.IN_PROGRESS, actor=running.street_user)
    items.transition(company_item, S.IN_PROGRESS, actor=running.officer)  # the bureau may act for either


def test_submission_needs_a_description_and_evidence(running):
    item = _item_in(running, S.IN_PROGRESS)
    with pytest.raises(TransitionError, match="整改情况说明"):
        items.transition(item, S.SUBMITTED, actor=running.company_user)
    item.response = "已清理"
    with pytest.raises(TransitionError, match="佐证材料"):
        items.transition(item, S.SUBMITTED, actor=running.company_user)
    f.add_evidence(item, running.company_user)
    items.transition(item, S.SUBMITTED, actor=running.company_user)
    assert item.submitted_on is not None


def test_reject_needs_a_reason_and_may_set_a_new_deadline(running):
    item = _item_in(running, S.SUBMITTED)
    with pytest.raises(TransitionError, match="原因"):
        items.transition(item, S.REJECTED, actor=running.officer, comment="  ")
    old_deadline = item.deadline
    items.transition(item, S.REJECTED, actor=running.officer, comment="照片看不清", deadline_workdays=30)
    assert item.reject_reason == "照片看不清" and item.deadline > old_deadline and item.deadline_workdays == 30


def test_reopen_counts_and_clears_the_acceptance(running):
    item = _item_in(running, S.ACCEPTED)
    items.transition(item, S.REJECTED, actor=running.officer, comment="回头看发现反弹", deadline_workdays=5)
    assert item.reopened_count == 1 and item.accepted_at is None


def test_answer_form_starts_and_submits_in_one_go(running):
    item = f.gen_item(running.enrolment1, actor=running.officer)
    import io

    from werkzeug.datastructures import FileStorage

    upload = FileStorage(io.BytesIO(f.jpeg_bytes()), filename="after.jpg")
    items.submit_answer(item, actor=running.company_user, response="已清理", files=[upload],
                        fact_date=None)
    states = [t.to_state for t in db.session.scalars(select(ItemTransition).where(
        ItemTransition.item_id == item.id).order_by(ItemTransition.id))]
    assert states == [S.OPEN, S.IN_PROGRESS, S.SUBMITTED]


def test_the_view_refuses_an_illegal_move_and_says_why(running, login_as):
    item = f.gen_item(running.enrolment1, actor=running.officer)
    db.session.commit()
    client = login_as(running.officer)
    response = client.post(f"/campaigns/items/{item.id}/accept", data={"version": item.version},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "事项当前为“待整改”，不能变为“已销项”" in html
    db.session.refresh(item)
    assert item.state is S.OPEN


def test_the_view_moves_an_item_and_detects_a_stale_copy(running, login_as):
    item = f.gen_item(running.enrolment1, actor=running.officer)
    db.session.commit()
    client = login_as(running.company_user)
    stale = item.version
    assert client.post(f"/campaigns/items/{item.id}/start", data={"version": stale}).status_code == 302
    db.session.refresh(item)
    assert item.state is S.IN_PROGRESS
    html = client.post(f"/campaigns/items/{item.id}/start", data={"version": stale},
                       follow_redirects=True).get_data(as_text=True)
    assert "已被他人修改" in html
