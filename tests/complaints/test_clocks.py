"""The clock table's edit page, and open complaints' deadlines counted again when a clock or the
holiday register changes (closed complaints untouched; idempotent; a job when there are many)."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.complaints import clock, deadlines
from supervision.complaints.models import ComplaintClock, Kind, State, Urgency
from supervision.core.holidays import services as holidays
from supervision.core.holidays.models import DayKind
from supervision.core.holidays.services import DayInput
from supervision.core.timeutil import to_local
from supervision.extensions import db
from supervision.jobs.backends import backend
from supervision.jobs.models import Job

from .factories import gen_complaint

# Monday 1 March 2027, 10:00 in Shanghai. An ordinary complaint: response by the end of Tuesday 2
# March (1 working day), resolution by the end of Monday 8 March (5 working days).
RECEIVED = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


def _calendar_2027(world):
    holidays.seed_from_builtin()
    holidays.set_year(2027, [DayInput(date(2027, 1, 1), DayKind.HOLIDAY, "元旦")], actor=world.admin)
    clock.seed_clocks()
    db.session.commit()


def _complaint(estate, state=State.ASSIGNED, **kw):
    response_due, resolution_due = clock.deadlines(Kind.COMPLAINT, Urgency.ORDINARY, "环境卫生", RECEIVED)
    return gen_complaint(estate, received_at=RECEIVED, state=state, response_due_at=response_due,
                         resolution_due_at=resolution_due, **kw)


def _day(value: datetime) -> date:
    return to_local(value).date()


def _default_clock(kind=Kind.COMPLAINT, urgency=Urgency.ORDINARY) -> ComplaintClock:
    return db.session.scalar(select(ComplaintClock).where(
        ComplaintClock.kind == kind, ComplaintClock.urgency == urgency, ComplaintClock.category.is_(None)))


# --- the holiday register ---------------------------------------------------------------------

def test_a_holiday_on_the_due_day_moves_an_open_complaint_but_not_a_closed_one(login_as, world):
    _calendar_2027(world)
    open_one = _complaint(world.estate1)
    closed = _complaint(world.estate1, state=State.CLOSED, resolved_at=RECEIVED, closed_at=RECEIVED)
    repair = gen_complaint(world.estate2, kind=Kind.REPAIR, received_at=RECEIVED, state=State.RESPONDED,
                           responded_at=RECEIVED,
                           resolution_due_at=clock.deadlines(Kind.REPAIR, Urgency.ORDINARY, "维修", RECEIVED)[1],
                           response_due_at=RECEIVED)
    db.session.commit()
    assert _day(open_one.resolution_due_at) == date(2027, 3, 8) == _day(closed.resolution_due_at)
    assert _day(repair.resolution_due_at) == date(2027, 3, 4)  # 3 working days
    response = login_as(world.admin).post("/admin/holidays/2027/days",
                                          data={"day": "2027-03-08", "kind": "holiday", "name": "测试假日"})
    assert response.status_code == 302
    db.session.expire_all()
    assert _day(open_one.resolution_due_at) == date(2027, 3, 9)  # one working day later
    assert _day(open_one.response_due_at) == date(2027, 3, 2)  # before the changed day: unchanged
    assert _day(closed.resolution_due_at) == date(2027, 3, 8)  # closed: untouched
    assert _day(repair.resolution_due_at) == date(2027, 3, 4)  # due before the holiday: unchanged
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "complaint.deadline_recompute")).one()
    assert entry.object_id == open_one.id and entry.actor_id == world.admin.id
    # Counting again changes nothing (idempotent); removing the day moves it back.
    assert deadlines.recompute(deadlines.Scope(), actor=world.admin, reason="test") == 0
    holidays.remove_day(2027, date(2027, 3, 8), actor=world.admin)
    db.session.commit()
    assert _day(open_one.resolution_due_at) == date(2027, 3, 8)


def test_a_make_up_working_day_brings_an_open_deadline_forward(world):
    _calendar_2027(world)
    complaint = _complaint(world.estate1)
    db.session.commit()
    holidays.add_day(2027, DayInput(date(2027, 3, 6), DayKind.WORKDAY, "调休"), actor=world.admin)  # a Saturday
    db.session.commit()
    assert _day(complaint.resolution_due_at) == date(2027, 3, 6)


def test_a_reopened_complaint_counts_its_resolution_from_the_reopening(world):
    from supervision.complaints.models import ComplaintTransition

    _calendar_2027(world)
    complaint = _complaint(world.estate1, responded_at=RECEIVED)
    reopened_at = datetime(2027, 3, 3, 2, 0, tzinfo=UTC)  # Wednesday 3 March
    db.session.add(ComplaintTransition(complaint_id=complaint.id, to_state=State.ASSIGNED, verb="reopen",
                                       at=reopened_at))
    complaint.resolution_due_at = clock.deadlines(Kind.COMPLAINT, Urgency.ORDINARY, "环境卫生", reopened_at)[1]
    db.session.commit()
    assert _day(complaint.resolution_due_at) == date(2027, 3, 10)
    assert deadlines.recompute(deadlines.Scope(), actor=world.admin, reason="test") == 0


def test_many_open_complaints_are_counted_again_in_a_job(app, world, monkeypatch):
    _calendar_2027(world)
    complaints = [_complaint(world.estate1) for _i in range(3)]
    db.session.commit()
    monkeypatch.setitem(app.config, "DEADLINE_RECOMPUTE_JOB_THRESHOLD", 2)
    change = holidays.add_day(2027, DayInput(date(2027, 3, 8), DayKind.HOLIDAY, "测试假日"), actor=world.admin)
    assert change.complaints.job is not None and change.complaints.moved == 0
    db.session.commit()
    backend().wait()
    db.session.expire_all()
    job = db.session.get(Job, change.complaints.job.id)
    assert job.status == "finished", job.message
    assert {_day(c.resolution_due_at) for c in complaints} == {date(2027, 3, 9)}


# --- the clock editor -------------------------------------------------------------------------

def test_the_admin_edits_a_clock_and_open_complaints_follow(login_as, world):
    _calendar_2027(world)
    complaint = _complaint(world.estate1)
    closed = _complaint(world.estate1, state=State.CLOSED, resolved_at=RECEIVED)
    db.session.commit()
    row = _default_clock()
    client = login_as(world.admin)
    page = client.get("/admin/complaint-clocks/")
    assert page.status_code == 200 and f'data-clock="{row.id}"' in page.text and "5 个工作日" in page.text
    assert "重新计算" in page.text  # the page says what a change does to open complaints
    form = client.get(f"/admin/complaint-clocks/{row.id}").text
    assert 'name="csrf_token"' in form and f'name="version" type="hidden" value="{row.version}"' in form
    response = client.post(f"/admin/complaint-clocks/{row.id}", data={
        "response_amount": 4, "response_unit": "hours", "resolution_amount": 3, "resolution_unit": "days",
        "version": row.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert (row.response_hours, row.response_days, row.resolution_hours, row.resolution_days) == (4, None, None, 3)
    assert to_local(complaint.response_due_at) == datetime(2027, 3, 1, 14, 0, tzinfo=to_local(RECEIVED).tzinfo)
    assert _day(complaint.resolution_due_at) == date(2027, 3, 4)
    assert _day(closed.resolution_due_at) == date(2027, 3, 8)
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "complaint_clock.update")).one()
    assert log.before["resolution_days"] == 5 and log.after["resolution_days"] == 3
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "complaint.deadline_recompute")) == 1
    # New complaints follow the new clock.
    assert _day(clock.deadlines(Kind.COMPLAINT, Urgency.ORDINARY, "收费", RECEIVED)[1]) == date(2027, 3, 4)


def test_a_concurrent_edit_of_a_clock_is_detected(login_as, world):
    clock.seed_clocks()
    db.session.commit()
    row = _default_clock()
    stale = row.version
    client = login_as(world.admin)
    data = {"response_amount": 2, "response_unit": "days", "resolution_amount": 6, "resolution_unit": "days",
            "version": stale}
    assert client.post(f"/admin/complaint-clocks/{row.id}", data=data).status_code == 302
    second = client.post(f"/admin/complaint-clocks/{row.id}", follow_redirects=True,
                         data={**data, "resolution_amount": 9})
    assert "该记录已被他人修改" in second.text
    db.session.expire_all()
    assert row.resolution_days == 6 and row.version == stale + 1


def test_a_clock_refuses_limits_out_of_range(login_as, world):
    clock.seed_clocks()
    db.session.commit()
    row = _default_clock()
    client = login_as(world.admin)
    for amount, unit in ((0, "hours"), (81, "hours"), (-1, "days"), (61, "days")):
        response = client.post(f"/admin/complaint-clocks/{row.id}", data={
            "response_amount": 1, "response_unit": "days", "resolution_amount": amount, "resolution_unit": unit,
            "version": row.version})
        assert response.status_code == 200 and 'data-testid="form-errors"' in response.text, (amount, unit)
    db.session.expire_all()
    assert row.resolution_days == 5 and row.version == 1


def test_only_the_bureau_admin_opens_the_clock_editor(login_as, world):
    clock.seed_clocks()
    db.session.commit()
    row = _default_clock()
    for user in (world.company_user, world.street_user, world.officer, world.leader):
        client = login_as(user)
        assert client.get("/admin/complaint-clocks/").status_code == 403
        assert client.get(f"/admin/complaint-clocks/{row.id}").status_code == 403
        assert client.get("/admin/complaint-clocks/new").status_code == 403
        assert client.post(f"/admin/complaint-clocks/{row.id}/remove", data={"version": row.version}).status_code == 403
        assert client.post(f"/admin/complaint-clocks/{row.id}", data={
            "response_amount": 1, "response_unit": "hours", "resolution_amount": 1, "resolution_unit": "hours",
            "version": row.version}).status_code == 403
    db.session.expire_all()
    assert row.resolution_days == 5


def test_a_category_gets_its_own_clock_and_loses_it_again(login_as, world):
    _calendar_2027(world)
    fees = _complaint(world.estate1, category="收费")
    other = _complaint(world.estate1)  # 环境卫生: keeps the default
    db.session.commit()
    client = login_as(world.admin)
    assert client.get("/admin/complaint-clocks/new").status_code == 200
    data = {"kind": "complaint", "urgency": "ordinary", "category": "收费", "response_amount": 1,
            "response_unit": "days", "resolution_amount": 2, "resolution_unit": "days"}
    assert client.post("/admin/complaint-clocks/new", data=data).status_code == 302
    db.session.expire_all()
    assert _day(fees.resolution_due_at) == date(2027, 3, 3) and _day(other.resolution_due_at) == date(2027, 3, 8)
    again = client.post("/admin/complaint-clocks/new", data=data)
    assert again.status_code == 200 and "该类别已有办理时限" in again.text
    row = db.session.scalar(select(ComplaintClock).where(ComplaintClock.category == "收费"))
    assert client.post(f"/admin/complaint-clocks/{row.id}/remove", data={"version": row.version}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ComplaintClock).where(ComplaintClock.category == "收费")) is None
    assert _day(fees.resolution_due_at) == date(2027, 3, 8)  # the default again
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("complaint_clock.%"))))
    assert actions == {"complaint_clock.add", "complaint_clock.remove"}
    # A default row cannot be removed.
    default = _default_clock()
    client.post(f"/admin/complaint-clocks/{default.id}/remove", data={"version": default.version})
    assert db.session.get(ComplaintClock, default.id) is not None


def test_whoever_handles_a_complaint_is_told_once_when_its_deadline_moves(world):
    from supervision.notifications.models import Notification

    _calendar_2027(world)
    complaint = _complaint(world.estate1, responded_at=RECEIVED)
    other = _complaint(world.estate2, responded_at=RECEIVED)  # another street's estate and company
    db.session.commit()
    assert complaint.company_id == world.company_user.company_id != other.company_id

    def told(user):
        return [n.title for n in db.session.scalars(select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "complaint_deadline"))]

    holidays.add_day(2027, DayInput(date(2027, 3, 8), DayKind.HOLIDAY, "测试假日"), actor=world.admin)
    db.session.commit()
    assert told(world.company_user) == [f"诉求 {complaint.tracking_no} 的办结时限已调整为 03-09 23:59 前"]
    assert [t for t in told(world.company2_user) if complaint.tracking_no in t] == []
    assert told(world.street2_user) == []  # the complaint has a company: the street is not told
    # Counting again moves nothing and tells nobody twice.
    assert deadlines.recompute(deadlines.Scope(), actor=world.admin, reason="test") == 0
    assert len(told(world.company_user)) == 1
