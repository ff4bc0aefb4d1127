"""The safety registers' pages: scope, who edits, forms with versions, audit, the estate section."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.core.errors import DomainError
from supervision.extensions import db
from supervision.safety import services
from supervision.safety.models import FacilityStatus, FireFacility, Lift, LiftStatus

from .factories import gen_facility, gen_lift

TODAY = date(2026, 11, 20)


def travel():
    return time_machine.travel(f"{TODAY.isoformat()} 10:00 +08:00", tick=False)


def test_other_streets_and_companies_lifts_are_refused(world, login_as):
    ours, theirs = gen_lift(world.estate1), gen_lift(world.estate2)
    our_f, their_f = gen_facility(world.estate1), gen_facility(world.estate2)
    db.session.commit()
    for user in (world.street_user, world.company_user):
        client = login_as(user)
        assert client.get(f"/safety/lifts/{ours.id}").status_code == 200
        assert client.get(f"/safety/lifts/{theirs.id}").status_code == 404
        assert client.get(f"/safety/facilities/{our_f.id}").status_code == 200
        assert client.get(f"/safety/facilities/{their_f.id}").status_code == 404
        page = client.get("/safety/lifts").get_data(as_text=True)
        assert ours.registration_code in page and theirs.registration_code not in page
        assert client.get("/safety/lifts/export.xlsx").status_code == 200
    # Editing another company's lift: 404 (invisible), never a change.
    client = login_as(world.company_user)
    assert client.post(f"/safety/lifts/{theirs.id}/edit", data={"location": "x"}).status_code == 404
    assert client.post(f"/safety/lifts/{theirs.id}/retire", data={"reason": "x"}).status_code == 404
    assert client.get(f"/safety/estates/{world.estate2.id}/lifts/new").status_code == 404
    # The street office reads only.
    street = login_as(world.street_user)
    assert street.get(f"/safety/lifts/{ours.id}/edit").status_code == 403
    assert street.get(f"/safety/estates/{world.estate1.id}/lifts/new").status_code == 403
    assert street.get("/safety/lifts/import").status_code == 403
    leader = login_as(world.leader)
    assert leader.get(f"/safety/lifts/{theirs.id}").status_code == 200
    assert leader.get(f"/safety/lifts/{theirs.id}/edit").status_code == 403


def test_company_registers_and_edits_a_lift_of_its_estate_with_audit_and_version(world, login_as):
    with travel():
        client = login_as(world.company_user)
        response = client.post(f"/safety/estates/{world.estate1.id}/lifts/new", data={
            "registration_code": " 3110 0001 ", "location": "2号楼", "maintenance_company": "甲电梯",
            "last_inspected_on": "2026-03-01", "status": "in_use"})
        assert response.status_code == 302
        lift = db.session.scalar(select(Lift))
        assert lift.registration_code == "31100001" and lift.next_due_on == date(2027, 3, 1)  # a year on
        # A duplicate code is refused with a Chinese message naming the field, nothing saved.
        response = client.post(f"/safety/estates/{world.estate1.id}/lifts/new", data={
            "registration_code": "31100001", "location": "3号楼", "status": "in_use"})
        assert response.status_code == 200 and "已登记" in response.get_data(as_text=True)
        assert db.session.scalar(select(db.func.count(Lift.id))) == 1
        # A stale version is refused.
        stale = client.post(f"/safety/lifts/{lift.id}/edit", data={
            "registration_code": "31100001", "location": "2号楼东", "status": "in_use", "version": "99"})
        assert "已被他人修改" in stale.get_data(as_text=True)
        ok = client.post(f"/safety/lifts/{lift.id}/edit", data={
            "registration_code": "31100001", "location": "2号楼东", "status": "in_use",
            "last_inspected_on": "2026-03-01", "next_due_on": "2027-02-28", "version": str(lift.version)})
        assert ok.status_code == 302
        db.session.expire_all()
        assert db.session.get(Lift, lift.id).location == "2号楼东"
        retire = client.post(f"/safety/lifts/{lift.id}/retire", data={
            "retired_on": "2026-11-19", "reason": "设备老化", "version": str(db.session.get(Lift, lift.id).version)})
        assert retire.status_code == 302
        db.session.expire_all()
        lift = db.session.get(Lift, lift.id)
        assert lift.status is LiftStatus.SCRAPPED and lift.retire_reason == "设备老化"
        actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "Lift")))
        assert actions == {"lift.create", "lift.update", "lift.retire"}
        # A retired lift is no longer editable.
        assert client.get(f"/safety/lifts/{lift.id}/edit").status_code == 302


def test_facility_form_checks_dates_and_the_estate_page_shows_the_section(world, login_as):
    with travel():
        client = login_as(world.officer)
        bad = client.post(f"/safety/estates/{world.estate2.id}/facilities/new", data={
            "kind": "hydrant", "location": "1号楼", "last_checked_on": "2026-12-01", "status": "normal"})
        assert "不能晚于今天" in bad.get_data(as_text=True)
        assert db.session.scalar(select(db.func.count(FireFacility.id))) == 0
        ok = client.post(f"/safety/estates/{world.estate2.id}/facilities/new", data={
            "kind": "hydrant", "location": "1号楼", "quantity": "6", "last_checked_on": "2025-10-01",
            "status": "normal"})
        assert ok.status_code == 302
        page = client.get(f"/estates/{world.estate2.id}").get_data(as_text=True)
        assert "安全台账" in page and "消火栓" in page and "逾期" in page  # due 2026-10-01: overdue
        facility = db.session.scalar(select(FireFacility))
        assert facility.status is FacilityStatus.NORMAL and facility.quantity == 6
        # The managing company of another estate cannot add one here.
        assert login_as(world.company_user).post(f"/safety/estates/{world.estate2.id}/facilities/new",
                                                 data={"kind": "hydrant", "location": "x"}).status_code == 404


def test_list_filters_by_state_street_and_search(world, login_as):
    with travel():
        overdue = gen_lift(world.estate1, next_due_on=date(2026, 11, 1), registration_code="AAA0001")
        soon = gen_lift(world.estate1, next_due_on=date(2026, 12, 10), registration_code="BBB0002")
        fine = gen_lift(world.estate2, next_due_on=date(2027, 6, 1), registration_code="CCC0003")
        gen_lift(world.estate2, next_due_on=None, registration_code="DDD0004", status=LiftStatus.SCRAPPED)
        db.session.commit()
        client = login_as(world.officer)

        def codes(query):
            page = client.get(f"/safety/lifts?{query}").get_data(as_text=True)
            return {code for code in ("AAA0001", "BBB0002", "CCC0003", "DDD0004") if code in page}

        assert codes("") == {"AAA0001", "BBB0002", "CCC0003"}
        assert codes("state=overdue") == {overdue.registration_code}
        assert codes("state=due_soon") == {soon.registration_code}
        assert codes("state=ok") == {fine.registration_code}
        assert codes("state=retired") == {"DDD0004"}
        assert codes(f"street_id={world.street2.id}") == {"CCC0003"}
        assert codes(f"company_id={world.company1.id}") == {"AAA0001", "BBB0002"}
        assert codes("q=阳光") == {"AAA0001", "BBB0002"}
        assert codes("q=ccc") == {"CCC0003"}
        overdue_page = client.get("/safety/overdue").get_data(as_text=True)
        assert "AAA0001" in overdue_page and "BBB0002" not in overdue_page
        # The street office's overdue list is its street's only.
        gen_facility(world.estate2, next_due_on=date(2026, 10, 1), location="西城泵房")
        db.session.commit()
        page = login_as(world.street_user).get("/safety/overdue").get_data(as_text=True)
        assert "AAA0001" in page and "西城泵房" not in page
        assert "西城泵房" in client.get("/safety/overdue").get_data(as_text=True)


def test_the_lists_take_a_fixed_number_of_queries(world, login_as, count_queries):
    gen_lift(world.estate1)
    gen_facility(world.estate1)
    db.session.commit()
    client = login_as(world.officer)
    counts = []
    for _round in range(2):
        with count_queries() as one:
            assert client.get("/safety/lifts").status_code == 200
            assert client.get("/safety/facilities").status_code == 200
            assert client.get("/safety/overdue").status_code == 200
        counts.append(len(one))
        for n in range(8):  # more rows in both streets and companies
            gen_lift(world.estate2 if n % 2 else world.estate1, next_due_on=date(2026, 1, 1))
            gen_facility(world.estate2 if n % 2 else world.estate1, next_due_on=date(2026, 1, 1))
        db.session.commit()
    assert counts[0] == counts[1]


def test_services_refuse_edits_of_retired_records_and_audit_edits_under_their_own_names(world):
    lift, facility = gen_lift(world.estate1), gen_facility(world.estate1)
    services.update_lift(lift, {"registration_code": lift.registration_code, "location": "2号楼1单元"},
                         actor=world.officer, today=TODAY)
    services.update_facility(facility, {"kind": facility.kind, "location": "地下车库", "quantity": 12},
                             actor=world.officer, today=TODAY)
    assert (lift.location, facility.location, facility.quantity) == ("2号楼1单元", "地下车库", 12)
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type.in_(("Lift", "FireFacility")))))
    assert actions == {"lift.update", "fire_facility.update"}
    for obj, update, message in ((lift, services.update_lift, "已报废的电梯不能再修改。"),
                                 (facility, services.update_facility, "已停用的消防设施不能再修改。")):
        services.retire(obj, on=TODAY, reason="老化", actor=world.officer, today=TODAY)
        with pytest.raises(DomainError, match=message):
            update(obj, {"location": "别处"}, actor=world.officer, today=TODAY)
        assert obj.location != "别处"
