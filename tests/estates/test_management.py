"""Who managed an estate, and when: the management history and the handover (交接)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.campaigns.models import ItemState
from supervision.campaigns.services import items as item_service
from supervision.core.errors import DomainError, TransitionError
from supervision.estates import handover as management
from supervision.estates.management import EndMethod, EstateManagement, StartMethod
from supervision.estates.models import Estate, ManagementMode
from supervision.extensions import db

from ..reports.factories import gen_campaign, gen_enrolment, gen_item, local, utc


def _item(world, estate=None):
    estate = estate or world.estate1
    campaign = gen_campaign()
    enrolment = gen_enrolment(campaign, estate)
    return gen_item(campaign, enrolment, opened_at=utc(local(2026, 11, 2, 9)), deadline=date(2027, 1, 29))


def _values(world, outcome, **overrides):
    values = {"handover_on": date(2026, 12, 1), "end_method": "handover", "management_mode": "professional",
              "company_id": world.company2.id, "start_method": "tender", "contract_start": date(2026, 12, 1),
              "contract_end": date(2029, 11, 30), "project_manager_id": None, "items_outcome": outcome, "notes": ""}
    values.update(overrides)
    return values


def _start_history(estate, day=date(2025, 1, 1)):
    return management.open_first_period(estate, day)


def test_a_new_estate_opens_its_first_period(login_as, world):
    client = login_as(world.officer)
    client.post("/estates/new", data={
        "name": "新建花园", "address": "建设路9号", "community_id": world.community1.id,
        "management_mode": "professional", "company_id": world.company1.id, "property_type": "",
        "committee_eligible": "y"})
    estate = db.session.scalar(select(Estate).where(Estate.name == "新建花园"))
    [period] = management.periods(estate)
    assert period.company_id == world.company1.id and period.ended_on is None
    assert period.management_mode is ManagementMode.PROFESSIONAL


def test_handover_keep_leaves_open_items_with_the_old_company(world):
    _start_history(world.estate1)
    item = _item(world)
    accepted = _item(world)
    accepted.state = ItemState.ACCEPTED
    db.session.flush()
    management.handover(world.estate1, _values(world, "keep"), actor=world.officer)
    db.session.commit()
    assert world.estate1.company_id == world.company2.id
    assert item.company_id == world.company1.id
    assert item_service.may_answer(world.company_user, item)
    assert not item_service.may_answer(world.company2_user, item)
    item_service.transition(item, ItemState.IN_PROGRESS, actor=world.company_user)
    assert item.state is ItemState.IN_PROGRESS
    with pytest.raises(TransitionError):
        item_service.transition(item, ItemState.SUBMITTED, actor=world.company2_user)
    old, new = sorted(management.periods(world.estate1), key=lambda p: p.started_on)
    assert (old.ended_on, old.end_method, old.items_outcome) == (date(2026, 12, 1), EndMethod.HANDOVER, "keep")
    assert (new.company_id, new.started_on, new.ended_on, new.start_method) == (
        world.company2.id, date(2026, 12, 1), None, StartMethod.TENDER)
    assert new.contract_end == date(2029, 11, 30)
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "item.transfer")).all()


def test_handover_transfer_moves_open_items_to_the_new_company(world):
    _start_history(world.estate1)
    item = _item(world)
    accepted = _item(world)
    accepted.state = ItemState.ACCEPTED
    other_estate = _item(world, world.estate2)
    db.session.flush()
    management.handover(world.estate1, _values(world, "transfer"), actor=world.officer)
    db.session.commit()
    assert item.company_id == world.company2.id
    assert accepted.company_id == world.company1.id  # an accepted item stays where it was
    assert other_estate.company_id == world.company2.id
    assert item_service.may_answer(world.company2_user, item)
    assert not item_service.may_answer(world.company_user, item)
    with pytest.raises(TransitionError):
        item_service.transition(item, ItemState.IN_PROGRESS, actor=world.company_user)
    item_service.transition(item, ItemState.IN_PROGRESS, actor=world.company2_user)
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "item.transfer")).all()
    assert entry.object_id == item.id and entry.before == {"company_id": world.company1.id}
    assert entry.after == {"company_id": world.company2.id} and entry.actor_id == world.officer.id


def test_handover_pages_old_company_keeps_seeing_its_item(login_as, world):
    _start_history(world.estate1)
    item = _item(world)
    db.session.commit()
    client = login_as(world.officer)
    page = client.get(f"/estates/{world.estate1.id}/handover")
    assert page.status_code == 200 and "1 项整改事项未销号" in page.get_data(as_text=True)
    form = _values(world, "keep")
    form = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in form.items()}
    form["project_manager_id"] = ""
    form["version"] = world.estate1.version
    response = client.post(f"/estates/{world.estate1.id}/handover", data=form)
    assert response.status_code == 302
    db.session.refresh(world.estate1)
    assert world.estate1.company_id == world.company2.id
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "estate.handover")).actor_id == world.officer.id
    assert login_as(world.company_user).get(f"/campaigns/items/{item.id}").status_code == 200
    assert login_as(world.company2_user).get(f"/campaigns/items/{item.id}").status_code == 404
    html = client.get(f"/estates/{world.estate1.id}").get_data(as_text=True)
    assert "物业管理履历" in html and "乙物业服务有限公司" in html and "未销号事项由原企业负责" in html


def test_handover_picks_the_project_manager_by_typing_not_from_a_list_of_all_staff(login_as, world):
    from ..factories import gen_position, gen_staff

    _start_history(world.estate1)
    position = gen_position()
    manager = gen_staff(world.company2, position, world.estate2, name="王经理", phone="13800001111")
    namesake = gen_staff(world.company1, position, world.estate1, name="王经理")
    for n in range(30):
        gen_staff(world.company2, position, world.estate2, name=f"员工{n:02d}")
    db.session.commit()
    client = login_as(world.officer)
    html = client.get(f"/estates/{world.estate1.id}/handover").get_data(as_text=True)
    assert 'data-picker-url="/pickers/staff"' in html and "员工07" not in html and "王经理" not in html
    assert [o["id"] for o in client.get("/pickers/staff?q=王经理").get_json()] == sorted([manager.id, namesake.id])
    assert client.get("/pickers/staff?q=13800001111").get_json()[0]["label"] == "王经理 · 乙物业服务有限公司"
    base = {key: (value.isoformat() if isinstance(value, date) else value)
            for key, value in _values(world, "keep").items() if key != "project_manager_id"}
    url = f"/estates/{world.estate1.id}/handover"
    # The name alone is ambiguous; with the company (the listed label) it names one person.
    page = client.post(url, data=dict(base, project_manager_id_text="王经理", version=world.estate1.version))
    assert page.status_code == 200 and "找到多个人员" in page.get_data(as_text=True)
    # The namesake of the old company is refused by the handover's own rule.
    page = client.post(url, data=dict(base, project_manager_id=namesake.id, project_manager_id_text="王经理",
                                      version=world.estate1.version))
    assert page.status_code == 200 and "项目经理须为新物业服务企业的人员" in page.get_data(as_text=True)
    response = client.post(url, data=dict(base, project_manager_id_text="王经理 · 乙物业服务有限公司",
                                          version=world.estate1.version))
    assert response.status_code == 302
    assert management.current_period(world.estate1).project_manager_id == manager.id


def test_handover_is_for_the_bureau_and_needs_csrf(login_as, world):
    _start_history(world.estate1)
    db.session.commit()
    url = f"/estates/{world.estate1.id}/handover"
    assert login_as(world.street_user).get(url).status_code == 403
    assert login_as(world.company_user).get(url).status_code == 403
    assert login_as(world.street2_user).get(url).status_code == 404
    form = {"handover_on": "2026-12-01", "management_mode": "professional", "company_id": world.company2.id,
            "items_outcome": "transfer", "version": world.estate1.version}
    assert login_as(world.leader).post(url, data=form).status_code == 403
    response = login_as(world.officer).post(url, data=form, csrf=False)
    assert response.status_code in (200, 400)
    db.session.refresh(world.estate1)
    assert world.estate1.company_id == world.company1.id


def test_handover_refuses_bad_values_in_chinese(world):
    _start_history(world.estate1, date(2026, 6, 1))
    with pytest.raises(DomainError) as error:
        management.handover(world.estate1, _values(world, "", handover_on=date(2026, 5, 1), company_id=None))
    messages = [message for _field, message in error.value.errors]
    assert any("早于当前管理期" in m for m in messages)
    assert any("须选择新的物业服务企业" in m for m in messages)
    assert any("整改事项的去向" in m for m in messages)
    assert world.estate1.company_id == world.company1.id
    assert len(management.periods(world.estate1)) == 1


def test_facts_on_a_day_read_the_period_in_force(world):
    _start_history(world.estate1, date(2025, 1, 1))
    management.handover(world.estate1, _values(world, "keep"))
    facts = management.facts_on(date(2026, 11, 15))
    assert facts[world.estate1.id].company_id == world.company1.id
    assert management.facts_on(date(2026, 12, 1))[world.estate1.id].company_id == world.company2.id
    # Before the first recorded period: the earliest facts known; without history: the estate's fields.
    assert management.facts_on(date(2020, 1, 1))[world.estate1.id].company_id == world.company1.id
    assert facts[world.estate2.id].company_id == world.company2.id


def test_editing_the_company_on_the_form_follows_in_the_history(world):
    from supervision.estates import services

    _start_history(world.estate1, date(2025, 1, 1))
    services.update_estate(world.estate1, {"company_id": world.company2.id}, actor=world.officer)
    current = management.current_period(world.estate1)
    assert current.company_id == world.company2.id
    assert len(db.session.scalars(select(EstateManagement).where(
        EstateManagement.estate_id == world.estate1.id, EstateManagement.ended_on.is_not(None))).all()) == 1
