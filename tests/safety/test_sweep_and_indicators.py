"""The inspection sweep (idempotent notifications), the two indicators against a hand count, and the
link from a rectification item to a lift or fire facility."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import time_machine
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.extensions import db
from supervision.notifications.models import Notification
from supervision.safety import services
from supervision.safety.models import FacilityStatus, LiftStatus, SafetyItemLink
from supervision.targets.indicators import gap_rows, get_indicator, measure, measure_total

from ..factories import gen_estate
from ..reports.factories import gen_campaign, gen_enrolment, gen_item, local, utc
from .factories import gen_facility, gen_lift

TODAY = date(2026, 11, 20)


def test_sweep_warns_company_and_street_once_30_days_before_and_when_overdue(world, runner):
    soon = gen_lift(world.estate1, next_due_on=date(2026, 12, 10))  # 20 days ahead
    late = gen_facility(world.estate2, next_due_on=date(2026, 11, 1))  # overdue
    gen_lift(world.estate1, next_due_on=date(2027, 5, 1))  # far ahead: nothing
    gen_lift(world.estate1, next_due_on=date(2026, 1, 1), status=LiftStatus.STOPPED)  # stopped: nothing
    gen_facility(world.estate1, next_due_on=date(2026, 1, 1), status=FacilityStatus.RETIRED)  # retired: nothing
    db.session.commit()
    result = services.sweep(TODAY)
    db.session.commit()
    assert (result.due_soon, result.overdue) == (1, 1)
    rows = db.session.execute(select(Notification.user_id, Notification.kind, Notification.title)).all()
    by_user = {}
    for user_id, kind, title in rows:
        by_user.setdefault(user_id, []).append((kind, title))
    assert set(by_user) == {world.street_user.id, world.company_user.id, world.street2_user.id,
                            world.company2_user.id}
    assert [k for k, _t in by_user[world.company_user.id]] == ["safety_due_soon"]
    assert soon.registration_code in by_user[world.street_user.id][0][1]
    kind, title = by_user[world.company2_user.id][0]
    assert kind == "safety_overdue" and "已逾期" in title
    # Idempotent: the second run (and the CLI) notifies nobody again.
    assert services.sweep(TODAY).notifications == 0
    with time_machine.travel("2026-11-20 09:00 +08:00", tick=False):
        output = runner.invoke(args=["safety", "sweep"]).output
    assert "发送提醒 0 条" in output
    assert db.session.scalar(select(func.count(Notification.id))) == 4
    # Once the due date passes, the lift due soon is notified again, as overdue (once).
    assert services.sweep(date(2026, 12, 11)).notifications == 2
    assert services.sweep(date(2026, 12, 12)).notifications == 0
    # A new inspection (a new due date) starts over.
    late.next_due_on = date(2026, 12, 1)
    db.session.flush()
    assert services.sweep(TODAY).notifications == 2


def test_indicators_against_a_hand_count(world):
    other = gen_estate(world.street1, company=world.company2, name="星光小区")
    gen_lift(world.estate1, next_due_on=date(2026, 11, 20))  # due today: not overdue → achieved
    gen_lift(world.estate1, next_due_on=date(2026, 11, 19))  # overdue
    gen_lift(world.estate1, next_due_on=None)  # no date: gap
    gen_lift(world.estate1, next_due_on=date(2026, 1, 1), status=LiftStatus.STOPPED)  # not counted
    gen_lift(world.estate2, next_due_on=date(2027, 1, 1))  # achieved
    gen_lift(other, next_due_on=date(2026, 10, 1))  # overdue, street 1, company 2
    gen_facility(world.estate2, next_due_on=date(2026, 12, 1))
    gen_facility(world.estate2, next_due_on=date(2026, 11, 1), status=FacilityStatus.FAULTY)  # counted, overdue
    gen_facility(world.estate2, next_due_on=date(2026, 11, 1), status=FacilityStatus.RETIRED)  # not counted
    db.session.commit()
    lift = get_indicator("lift_inspection")
    by_street = measure(lift, TODAY)
    # Street 1: 4 counted lifts (2 in estate1 dated, 1 undated, 1 in 星光) of which 1 achieved.
    assert (by_street[world.street1.id].numerator, by_street[world.street1.id].denominator) == (1, 4)
    assert (by_street[world.street2.id].numerator, by_street[world.street2.id].denominator) == (1, 1)
    assert measure_total(lift, TODAY).value == Fraction(2, 5)
    assert measure_total(lift, TODAY, company_id=world.company2.id).value == Fraction(1, 2)
    gap = db.session.execute(gap_rows(lift, TODAY)).all()
    assert len(gap) == 3 and {row.street_name for row in gap} == {"东城街道"}
    fire = get_indicator("fire_check")
    assert measure_total(fire, TODAY).value == Fraction(1, 2)


def test_targets_and_dashboard_show_the_indicators_with_drill_down(world, login_as):
    gen_lift(world.estate1, next_due_on=date(2026, 1, 1), registration_code="GAP00001")
    gen_lift(world.estate2, next_due_on=date(2026, 1, 1), registration_code="GAP00002")
    db.session.commit()
    client = login_as(world.officer)
    assert "电梯定期检验率" in client.get("/targets/").get_data(as_text=True)
    assert "消防设施按期检查率" in client.get("/").get_data(as_text=True)
    page = client.get("/targets/lift_inspection/gap").get_data(as_text=True)
    assert "GAP00001" in page and "GAP00002" in page
    street = login_as(world.street_user).get("/targets/lift_inspection/gap").get_data(as_text=True)
    assert "GAP00001" in street and "GAP00002" not in street


def test_an_officer_links_an_item_to_a_lift_shown_on_both_sides(world, login_as):
    campaign = gen_campaign()
    enrolment = gen_enrolment(campaign, world.estate1)
    item = gen_item(campaign, enrolment, opened_at=utc(local(2026, 8, 12)), deadline=date(2026, 9, 30),
                    description="电梯年检标志过期")
    lift = gen_lift(world.estate1, registration_code="LINK0001")
    foreign = gen_lift(world.estate2, registration_code="LINK0002")
    db.session.commit()
    officer = login_as(world.officer)
    assert "关联的电梯或消防设施" in officer.get(f"/campaigns/items/{item.id}").get_data(as_text=True)
    # Another estate's lift is not a choice: refused, nothing linked.
    officer.post(f"/safety/items/{item.id}/link", data={"target": f"lift:{foreign.id}"})
    assert db.session.get(SafetyItemLink, item.id) is None
    assert officer.post(f"/safety/items/{item.id}/link", data={"target": f"lift:{lift.id}"}).status_code == 302
    link = db.session.get(SafetyItemLink, item.id)
    assert link.lift_id == lift.id and link.facility_id is None
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.object_type == "RectificationItem",
                                                           AuditLog.object_id == item.id)) == \
        "rectification_item.safety_link"
    assert "LINK0001" in officer.get(f"/campaigns/items/{item.id}").get_data(as_text=True)
    assert "电梯年检标志过期" in officer.get(f"/safety/lifts/{lift.id}").get_data(as_text=True)
    company = login_as(world.company_user)
    assert "LINK0001" in company.get(f"/campaigns/items/{item.id}").get_data(as_text=True)  # shown, not editable
    assert company.post(f"/safety/items/{item.id}/link", data={"target": ""}).status_code == 403
    assert login_as(world.company2_user).get(f"/safety/lifts/{lift.id}").status_code == 404
    # Clearing the link.
    officer.post(f"/safety/items/{item.id}/link", data={"target": ""})
    db.session.expire_all()
    assert db.session.get(SafetyItemLink, item.id) is None
