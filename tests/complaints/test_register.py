"""The register: clocks against hand calculations, the state machine, repeats, privacy, scope."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.complaints import clock, services
from supervision.complaints.models import Channel, Complaint, Kind, Satisfaction, State, Urgency
from supervision.complaints.privacy import mask_phone
from supervision.complaints.sweep import overdue_clause, sweep_overdue
from supervision.core.errors import TransitionError
from supervision.core.timeutil import LOCAL_TZ
from supervision.extensions import db
from supervision.notifications.models import Notification

from ..factories import gen_estate
from .factories import gen_complaint


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


# --- clocks (National Day 2026: 1–7 October off, Saturday 10 October a working day) ---------------

def test_ordinary_complaint_deadlines_skip_the_national_day_holiday(app):
    response, resolution = clock.deadlines(Kind.COMPLAINT, Urgency.ORDINARY, "收费", sh(2026, 9, 30, 10, 0))
    # 1 working day after Wed 30 Sep: Thu 8 Oct. 5 working days: 8, 9, Sat 10 (make-up day), 12, 13 Oct.
    assert response == sh(2026, 10, 8, 23, 59, 59)
    assert resolution == sh(2026, 10, 13, 23, 59, 59)


def test_working_hours_stop_at_five_and_resume_after_the_holiday(app):
    # Urgent: 2 working hours. 16:00 on 30 Sep: one hour that day, the second from 09:00 on 8 Oct.
    response, resolution = clock.deadlines(Kind.COMPLAINT, Urgency.URGENT, "电梯管理", sh(2026, 9, 30, 16, 0))
    assert response == sh(2026, 10, 8, 10, 0)
    assert resolution == sh(2026, 10, 8, 23, 59, 59)
    # Received before opening: the hours count from 09:00.
    assert clock.add_working_hours(sh(2026, 9, 29, 7, 30), 3) == sh(2026, 9, 29, 12, 0)


def test_repairs_emergency_same_day_even_on_a_holiday_ordinary_three_working_days(app):
    _response, resolution = clock.deadlines(Kind.REPAIR, Urgency.URGENT, "维修", sh(2026, 10, 3, 9, 0))
    assert resolution == sh(2026, 10, 3, 23, 59, 59)
    _response, resolution = clock.deadlines(Kind.REPAIR, Urgency.ORDINARY, "维修", sh(2026, 9, 30, 9, 0))
    assert resolution == sh(2026, 10, 10, 23, 59, 59)  # 8, 9, Sat 10 October


def test_a_clock_row_per_category_overrides_the_default(app):
    clock.seed_clocks()
    db.session.add(clock.ComplaintClock(kind=Kind.COMPLAINT, urgency=Urgency.ORDINARY, category="收费",
                                        response_days=2, resolution_days=10))
    db.session.flush()
    response, resolution = clock.deadlines(Kind.COMPLAINT, Urgency.ORDINARY, "收费", sh(2026, 11, 2, 10, 0))
    assert response == sh(2026, 11, 4, 23, 59, 59)
    assert resolution == sh(2026, 11, 16, 23, 59, 59)
    response, _r = clock.deadlines(Kind.COMPLAINT, Urgency.ORDINARY, "绿化养护", sh(2026, 11, 2, 10, 0))
    assert response == sh(2026, 11, 3, 23, 59, 59)


# --- states ------------------------------------------------------------------------------

def test_a_complaint_travels_from_receipt_to_closure_with_a_reopening(world):
    c = services.receive(channel=Channel.PHONE, category="环境卫生", description="垃圾堆放", estate=world.estate1,
                         name="李四", phone="13900001111", actor=world.officer)
    assert c.state is State.ASSIGNED and c.company_id == world.company1.id
    with pytest.raises(TransitionError):  # the street may not answer for the company
        services.transition(c, State.RESPONDED, actor=world.street_user, text="收到")
    with pytest.raises(TransitionError):  # another company neither
        services.transition(c, State.RESPONDED, actor=world.company2_user, text="收到")
    services.transition(c, State.RESPONDED, actor=world.company_user, text="已安排保洁")
    services.transition(c, State.RESOLVED, actor=world.company_user, text="已清运")
    with pytest.raises(TransitionError):  # the company may not call back on itself
        services.transition(c, State.CALLED_BACK, actor=world.company_user, satisfaction=Satisfaction.SATISFIED)
    services.transition(c, State.CALLED_BACK, actor=world.street_user, satisfaction=Satisfaction.UNSATISFIED,
                        text="又堆了")
    services.transition(c, State.ASSIGNED, actor=world.street_user, text="业主不满意")
    assert c.reopened_count == 1 and c.resolved_at is None
    services.transition(c, State.RESOLVED, actor=world.company_user, text="再次清运并加装监控")
    services.transition(c, State.CALLED_BACK, actor=world.officer, satisfaction=Satisfaction.BASIC)
    services.transition(c, State.CLOSED, actor=world.officer)
    db.session.commit()
    verbs = [t.verb for t in c.transitions]
    assert verbs == ["receive", "respond", "resolve", "callback", "reopen", "resolve", "callback", "close"]
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "Complaint")))
    assert {"complaint.receive", "complaint.reopen", "complaint.close"} <= actions
    with pytest.raises(TransitionError):
        services.transition(c, State.RESPONDED, actor=world.officer, text="x")


def test_an_estate_without_a_company_is_handled_by_its_street(world):
    estate = gen_estate(community=world.community1, name="无物业小区")
    c = services.receive(channel=Channel.STREET, category="其他", description="路灯坏", estate=estate)
    services.transition(c, State.RESOLVED, actor=world.street_user, text="已修")
    assert c.responded_at is not None and c.state is State.RESOLVED


def test_repeats_within_thirty_days_are_linked_not_new(world):
    first = services.receive(channel=Channel.PHONE, category="停车秩序", description="乱停车", estate=world.estate1,
                             received_at=sh(2026, 11, 1, 9, 0))
    again = services.receive(channel=Channel.PHONE, category="停车秩序", description="还是乱停车",
                             estate=world.estate1, received_at=sh(2026, 11, 20, 9, 0))
    other = services.receive(channel=Channel.PHONE, category="收费", description="乱收费", estate=world.estate1,
                             received_at=sh(2026, 11, 20, 10, 0))
    late = services.receive(channel=Channel.PHONE, category="停车秩序", description="乱停车", estate=world.estate1,
                            received_at=sh(2026, 12, 5, 9, 0))
    assert again.repeat_of_id == first.id
    assert other.repeat_of_id is None
    assert late.repeat_of_id is None  # 34 days after the first: a new complaint


def test_the_sweep_notifies_once(world):
    c = gen_complaint(world.estate1, received_at=datetime(2026, 11, 2, 2, tzinfo=UTC))
    db.session.commit()
    now = datetime(2026, 11, 20, tzinfo=UTC)
    first = sweep_overdue(now)
    assert first.overdue == 1 and first.notifications >= 2  # the company user and the street user
    assert sweep_overdue(now).notifications == 0
    keys = set(db.session.scalars(select(Notification.dedup_key)))
    assert any(k.startswith(f"complaint-overdue:{c.id}:response") for k in keys)


# --- privacy and scope -----------------------------------------------------------------------

def test_masking(app):
    assert mask_phone("13812341234") == "138****1234"


def test_companies_see_masked_contact_bureau_and_street_full_and_logged(world, login_as):
    c = gen_complaint(world.estate1, name="王小明", phone="13812341234")
    db.session.commit()
    page = login_as(world.company_user).get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "138****1234" in page and "13812341234" not in page and "王小明" not in page
    listing = login_as(world.company_user).get("/complaints/").get_data(as_text=True)
    assert "138****1234" in listing and "13812341234" not in listing
    for user in (world.street_user, world.officer):
        page = login_as(user).get(f"/complaints/{c.id}").get_data(as_text=True)
        assert "13812341234" in page and "王小明" in page
    views = db.session.scalars(select(AuditLog).where(AuditLog.action == "complaint.view_contact",
                                                      AuditLog.object_id == c.id)).all()
    assert {v.actor_id for v in views} == {world.street_user.id, world.officer.id}
    # The list, even for the bureau, shows the masked form only.
    listing = login_as(world.officer).get("/complaints/").get_data(as_text=True)
    assert "13812341234" not in listing


def test_other_streets_and_companies_are_refused(world, login_as):
    ours = gen_complaint(world.estate1)
    theirs = gen_complaint(world.estate2)
    unmatched = gen_complaint(None)
    db.session.commit()
    for user in (world.street_user, world.company_user):
        client = login_as(user)
        assert client.get(f"/complaints/{ours.id}").status_code == 200
        assert client.get(f"/complaints/{theirs.id}").status_code == 404
        assert client.get(f"/complaints/{unmatched.id}").status_code == 404
        assert client.post(f"/complaints/{theirs.id}/respond", data={"text": "x", "version": 1}).status_code == 404
        listing = client.get("/complaints/").get_data(as_text=True)
        assert ours.tracking_no in listing and theirs.tracking_no not in listing
    assert login_as(world.street_user).get("/complaints/queue").status_code == 403
    assert login_as(world.officer).get(f"/complaints/{unmatched.id}").status_code == 200


def test_the_company_answers_through_the_page(world, login_as):
    c = gen_complaint(world.estate1)
    db.session.commit()
    client = login_as(world.company_user)
    response = client.post(f"/complaints/{c.id}/respond", data={"text": "已派人处理", "version": c.version})
    assert response.status_code == 302
    db.session.expire_all()
    c = db.session.get(Complaint, c.id)
    assert c.state is State.RESPONDED and c.response == "已派人处理"
    stale = client.post(f"/complaints/{c.id}/resolve", data={"text": "好了", "version": 1})
    assert stale.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).state is State.RESPONDED  # a stale copy is refused
    assert timedelta(0) <= c.response_due_at - c.received_at


def test_exports_mask_the_contact_for_companies_and_log_full_ones(world, login_as):
    c = gen_complaint(world.estate1, name="王小明", phone="13812341234")
    gen_complaint(world.estate2, phone="13900009999")
    db.session.commit()

    def cells(client):
        response = client.get("/complaints/export.xlsx")
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.data)).active
        return [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]

    company_rows = cells(login_as(world.company_user))
    assert len(company_rows) == 2 and "138****1234" in company_rows[1] and "王**" in company_rows[1]
    assert "13812341234" not in str(company_rows) and "13900009999" not in str(company_rows)
    bureau_rows = cells(login_as(world.officer))
    assert len(bureau_rows) == 3 and "13812341234" in str(bureau_rows)
    logged = db.session.scalar(select(AuditLog).where(AuditLog.action == "complaint.export_contact"))
    assert logged.actor_id == world.officer.id and c.id in logged.after["ids"]


def test_the_list_keeps_a_constant_number_of_queries(world, login_as, count_queries):
    for _n in range(3):
        gen_complaint(world.estate1)
    db.session.commit()
    client = login_as(world.officer)
    client.get("/complaints/")
    with count_queries() as few:
        client.get("/complaints/")
    for _n in range(30):
        gen_complaint(world.estate1)
        gen_complaint(world.estate2)
    db.session.commit()
    with count_queries() as many:
        client.get("/complaints/")
    assert len(many) == len(few) <= 15


# --- the overdue filter ------------------------------------------------------------------------

def _clocks(estate, state, response_due, resolution_due, no):
    complaint = gen_complaint(estate, state=state, response_due_at=response_due, resolution_due_at=resolution_due)
    complaint.tracking_no = no
    db.session.flush()
    return complaint


def _overdue_set(now):
    return set(db.session.scalars(select(Complaint.tracking_no).where(overdue_clause(now))))


def test_the_overdue_clause_is_exactly_the_open_complaints_past_a_deadline_at_the_second(world):
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    second, day = timedelta(seconds=1), timedelta(days=1)
    e = world.estate1
    _clocks(e, State.ASSIGNED, now - second, now + 5 * day, "A-RESPONSE-LATE")
    _clocks(e, State.ASSIGNED, now, now + 5 * day, "A-RESPONSE-DUE-NOW")  # due at this very second: not yet late
    _clocks(e, State.ASSIGNED, now + day, now - second, "A-RESOLUTION-LATE")  # a resolution deadline first
    _clocks(e, State.ASSIGNED, now + second, now + day, "A-IN-TIME")
    _clocks(e, State.RESPONDED, now - 2 * day, now + second, "R-ANSWERED-IN-TIME")  # the late response was given
    _clocks(e, State.RESPONDED, now - 2 * day, now - second, "R-RESOLUTION-LATE")
    _clocks(e, State.RESPONDED, now - 2 * day, now, "R-RESOLUTION-DUE-NOW")
    for state in (State.RECEIVED, State.RESOLVED, State.CALLED_BACK, State.CLOSED):  # not open: never overdue
        _clocks(e, state, now - 9 * day, now - 5 * day, f"{state.value}-PAST")
    expected = {"A-RESPONSE-LATE", "A-RESOLUTION-LATE", "R-RESOLUTION-LATE"}
    assert _overdue_set(now) == expected
    # The clause agrees with the complaint's own clocks, one second either side of every deadline.
    for moment in (now - second, now, now + second, now + 2 * second):
        everyone = db.session.scalars(select(Complaint)).all()
        by_model = {c.tracking_no for c in everyone if c.state in (State.ASSIGNED, State.RESPONDED) and (
            (c.state is State.ASSIGNED and c.response_overdue(moment)) or c.resolution_overdue(moment))}
        assert _overdue_set(moment) == by_model
    assert sweep_overdue(now).overdue == len(expected)


def test_the_overdue_list_shows_the_overdue_open_complaints_in_scope(world, login_as):
    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    _clocks(world.estate1, State.ASSIGNED, now - hour, now + 9 * hour, "LATE-RESPONSE-01")
    _clocks(world.estate1, State.RESPONDED, now - 9 * hour, now - hour, "LATE-RESOLUTION-02")
    _clocks(world.estate1, State.RESPONDED, now - 9 * hour, now + hour, "IN-TIME-03")
    _clocks(world.estate1, State.CLOSED, now - 9 * hour, now - hour, "CLOSED-04")
    _clocks(world.estate2, State.ASSIGNED, now - hour, now + hour, "OTHER-STREET-05")
    db.session.commit()
    page = login_as(world.officer).get("/complaints/?overdue=1").get_data(as_text=True)
    shown = {no for no in ("LATE-RESPONSE-01", "LATE-RESOLUTION-02", "IN-TIME-03", "CLOSED-04", "OTHER-STREET-05")
             if no in page}
    assert shown == {"LATE-RESPONSE-01", "LATE-RESOLUTION-02", "OTHER-STREET-05"}
    street_page = login_as(world.street_user).get("/complaints/?overdue=1").get_data(as_text=True)
    assert "LATE-RESPONSE-01" in street_page and "OTHER-STREET-05" not in street_page


def test_the_export_takes_a_fixed_number_of_queries(world, login_as, count_queries):
    """The audit entry's commit comes after the workbook: rows reloaded one by one would grow with the list."""
    gen_complaint(world.estate1)
    db.session.commit()
    clients = [login_as(world.officer), login_as(world.street_user), login_as(world.company_user)]
    counts = []
    for _round in range(2):
        with count_queries() as statements:
            for client in clients:
                response = client.get("/complaints/export.xlsx")
                assert response.status_code == 200
        counts.append(len(statements))
        for n in range(6):  # more complaints, in both streets and of both companies
            gen_complaint(world.estate2 if n % 2 else world.estate1, phone=f"1390000{n:04d}")
        db.session.commit()
    assert counts[0] == counts[1] <= 3 * 6
    rows = load_workbook(BytesIO(clients[0].get("/complaints/export.xlsx").data)).active
    assert rows.max_row == 1 + 13 and "13900000005" in str(list(rows.iter_rows(values_only=True)))


def test_contact_views_are_counted_not_listed_in_the_change_history(world, login_as, count_queries):
    c = gen_complaint(world.estate1, name="王小明", phone="13812341234")
    db.session.commit()
    client = login_as(world.officer)
    for _ in range(3):
        client.get(f"/complaints/{c.id}")
    with count_queries() as queries:
        page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    views = db.session.scalars(select(AuditLog).where(AuditLog.action == "complaint.view_contact",
                                                      AuditLog.object_id == c.id)).all()
    assert len(views) == 4  # each full view still logged and committed
    assert 'data-testid="contact-views"' in page and "4 次" in page
    assert page.count("audit-table") == 0  # no change recorded in the log: no history of 4 views
    # Committed after the page is rendered: the complaint and the user are not read again.
    selects = [q.lstrip().upper() for q in queries]
    assert len([q for q in selects if q.startswith("SELECT COMPLAINTS.ID, COMPLAINTS.KIND")]) == 2  # it, its repeats
    assert not [q for q in selects if q.startswith("SELECT USERS.ID")]


def test_the_page_shows_the_ten_latest_changes_and_links_to_fifty(world, login_as):
    from supervision.audit.services import record

    c = gen_complaint(world.estate1)
    for number in range(12):
        record("complaint.update", c, before={"category": f"旧{number}"}, after={"category": f"新{number}"},
               actor=world.officer)
    db.session.commit()
    client = login_as(world.officer)
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "新11" in page and "新2" in page and "新1<" not in page and "新0" not in page
    assert 'data-testid="history-more"' in page and "history=all" in page
    everything = client.get(f"/complaints/{c.id}?history=all").get_data(as_text=True)
    assert "新0" in everything and "新11" in everything
    assert 'data-testid="history-more"' not in everything
