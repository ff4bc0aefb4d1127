"""The holiday-arrangement register (issue 16, item 1): the bureau's data, not the package's.

The pinned chinese-calendar knows 2026 and nothing after; 2027 is entered here by hand (the real
2027 arrangement is not needed: the tests say which days they make holidays)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from flask import current_app
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.core import workdays
from supervision.core.holidays import services
from supervision.core.holidays.models import DayKind, HolidayDay, HolidayYear
from supervision.core.holidays.services import DayInput
from supervision.core.holidays.spreadsheet import template_bytes
from supervision.extensions import db
from supervision.notifications.models import Notification
from supervision.reports.weeks import Week, due_date, due_wording, no_workday

H, W = DayKind.HOLIDAY, DayKind.WORKDAY


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 4, tzinfo=UTC), tick=False)


def _new_request():
    """End the test's own transaction, as the next request would start a new one."""
    db.session.commit()


def _seed():
    services.seed_from_builtin()
    db.session.commit()


def test_the_seed_copies_the_known_years_once(runner):
    assert runner.invoke(args=["seed", "reference"]).exit_code == 0
    count = db.session.scalar(select(func.count(HolidayDay.id)))
    assert runner.invoke(args=["seed", "reference"]).exit_code == 0
    assert db.session.scalar(select(func.count(HolidayDay.id))) == count > 0
    assert max(db.session.scalars(select(HolidayYear.year))) == 2026
    assert not workdays.is_workday(date(2026, 9, 25)) and workdays.holiday_name(date(2026, 9, 25)) == "中秋节"
    assert workdays.is_workday(date(2026, 10, 10))  # 调休上班
    assert not workdays.is_provisional(date(2026, 12, 31))
    assert workdays.is_provisional(date(2027, 1, 4))


def test_new_years_day_2027_moves_the_w53_report_once_entered(world):
    _seed()
    week = Week(2026, 53)  # 28 December 2026 – 3 January 2027; Friday is New Year's Day 2027
    assert due_date(week) == date(2027, 1, 1)  # 2027 not entered: Monday–Friday, provisional
    services.set_year(2027, [DayInput(date(2027, 1, 1), H, "元旦")], actor=world.admin)
    db.session.commit()
    assert due_date(week) == date(2026, 12, 31)
    assert due_wording(week) == "遇元旦提前至12月31日报送"
    assert not workdays.is_provisional(date(2027, 1, 1))
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "holiday.set_year")).one()
    assert log.object_id == 2027 and log.after["days"] == [["2027-01-01", "holiday", "元旦"]]


def test_a_week_without_a_working_day_says_so(world):
    _seed()
    services.set_year(2027, [DayInput(date(2027, 2, d), H, "春节") for d in range(8, 13)], actor=world.admin)
    db.session.commit()
    week = Week(2027, 6)  # 8–14 February 2027
    assert no_workday(week)
    assert due_wording(week).startswith("本周无工作日（春节），除住建局另有安排外不要求报送周报")
    assert due_date(week) == date(2027, 2, 15)
    assert due_wording(Week(2027, 7)) is None


def test_a_changed_arrangement_moves_open_deadlines_and_tells_the_company(world):
    from supervision.campaigns.models import ItemSource
    from supervision.campaigns.services.items import create_item

    _seed()
    with at(date(2026, 12, 21)):
        item = create_item(estate=world.estate1, source=ItemSource.COMPLAINT, category="消防安全",
                           description="消防通道堆物", actor=world.officer, deadline_workdays=10)
        past = create_item(estate=world.estate1, source=ItemSource.COMPLAINT, category="消防安全",
                           description="早已到期", actor=world.officer, deadline_workdays=1,
                           opened_on=date(2026, 12, 1))
        db.session.commit()
        assert item.deadline == date(2027, 1, 4)  # ten weekdays after 21 December, 2027 provisional
        services.set_year(2027, [DayInput(date(2027, 1, 1), H, "元旦")], actor=world.admin)
        db.session.commit()
    assert item.deadline == date(2027, 1, 5)  # New Year's Day no longer counts: 顺延
    assert past.deadline == date(2026, 12, 2)  # already past: left alone
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "item.deadline_recompute")).one()
    assert log.object_id == item.id and log.after["deadline"] == "2027-01-05"
    notes = db.session.scalars(select(Notification).where(Notification.user_id == world.company_user.id,
                                                          Notification.kind == "deadline_moved")).all()
    assert len(notes) == 1 and "顺延至 2027-01-05" in notes[0].title
    # Taking the holiday out again moves it back: 提前.
    with at(date(2026, 12, 22)):
        services.remove_day(2027, date(2027, 1, 1), actor=world.admin)
        db.session.commit()
    assert item.deadline == date(2027, 1, 4)
    assert any("提前" in n.title for n in db.session.scalars(select(Notification).where(
        Notification.kind == "deadline_moved")))


def test_every_worker_sees_a_committed_change_at_once(world):
    _seed()
    assert workdays.is_workday(date(2027, 10, 1))
    assert workdays.is_workday(date(2027, 10, 1))  # cached per data generation
    db.session.add(HolidayYear(year=2027, days=[HolidayDay(year=2027, day=date(2027, 10, 1), kind=H, name="国庆节")]))
    db.session.commit()
    assert not workdays.is_workday(date(2027, 10, 1))


def test_admin_pages_add_remove_and_import(world, login_as):
    _seed()
    client = login_as(world.admin)
    assert login_as(world.officer).get("/admin/holidays/").status_code == 403
    page = client.get("/admin/holidays/").get_data(as_text=True)
    assert "2026" in page
    assert "未录入" in client.get("/admin/holidays/2027").get_data(as_text=True)
    client.post("/admin/holidays/2027/days", data={"day": "2027-10-09", "kind": "workday", "name": "国庆节"})
    _new_request()
    assert workdays.is_workday(date(2027, 10, 9))  # a Saturday worked
    response = client.post("/admin/holidays/2027/days", data={"day": "2027-10-08", "kind": "workday", "name": "国庆节"},
                           follow_redirects=True)
    assert "不能登记为调休上班" in response.get_data(as_text=True)
    client.post("/admin/holidays/2027/days/2027-10-09/remove", data={})
    _new_request()
    assert not workdays.is_workday(date(2027, 10, 9))

    import io

    sheet = template_bytes([DayInput(date(2027, 10, d), H, "国庆节") for d in range(1, 8)]
                           + [DayInput(date(2027, 9, 26), W, "国庆节")])
    response = client.post("/admin/holidays/import", data={
        "year": 2027, "notice": "国办发明电〔2026〕1号", "file": (io.BytesIO(sheet), "2027.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    _new_request()
    row = db.session.get(HolidayYear, 2027)
    db.session.refresh(row)
    assert len(row.days) == 8 and row.notice == "国办发明电〔2026〕1号"
    assert not workdays.is_workday(date(2027, 10, 4)) and workdays.is_workday(date(2027, 9, 26))

    bad = template_bytes([DayInput(date(2028, 1, 1), H, "元旦")])
    response = client.post("/admin/holidays/import", data={"year": 2027, "file": (io.BytesIO(bad), "bad.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "不在 2027 年内" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert len(row.days) == 8  # all or nothing


def test_provisional_dates_say_so_and_the_dashboard_warns_from_november(world, login_as):
    from supervision.campaigns.models import ItemSource
    from supervision.campaigns.services.items import create_item

    _seed()
    with at(date(2026, 12, 21)):
        item = create_item(estate=world.estate1, source=ItemSource.COMPLAINT, category="消防安全",
                           description="消防通道堆物", actor=world.officer, deadline_workdays=10)
        db.session.commit()
        page = login_as(world.officer).get(f"/campaigns/items/{item.id}").get_data(as_text=True)
        assert "2027年节假日安排未录入，日期为暂定" in page
        # The item list asks the register's years alone when the calendar is not in memory.
        current_app.extensions.pop("holiday_calendar", None)
        assert workdays.year_is_provisional(2027) and not workdays.year_is_provisional(2026)
        assert "holiday_calendar" not in current_app.extensions
        listing = login_as(world.officer).get("/campaigns/items").get_data(as_text=True)
        assert "2027年节假日安排未录入，日期为暂定" in listing
    with at(date(2026, 10, 31)):
        assert 'data-testid="holiday-missing"' not in login_as(world.admin).get("/").get_data(as_text=True)
    with at(date(2026, 11, 1)):
        page = login_as(world.admin).get("/").get_data(as_text=True)
        assert 'data-testid="holiday-missing"' in page and "2027年节假日安排尚未录入" in page
        services.set_year(2027, [DayInput(date(2027, 1, 1), H, "元旦")], actor=world.admin)
        db.session.commit()
        assert 'data-testid="holiday-missing"' not in login_as(world.admin).get("/").get_data(as_text=True)
    page = login_as(world.officer).get(f"/campaigns/items/{item.id}").get_data(as_text=True)
    assert "日期为暂定" not in page
    assert not workdays.year_is_provisional(2027)
    assert "日期为暂定" not in login_as(world.officer).get("/campaigns/items").get_data(as_text=True)


def test_a_stored_report_due_time_moves_with_the_arrangement(world):
    from supervision.core.timeutil import to_local
    from tests.reports.factories import gen_campaign, gen_report

    _seed()
    campaign = gen_campaign(starts_on=date(2026, 12, 1), ends_on=date(2027, 3, 31))
    with at(date(2026, 12, 28)):
        report = gen_report(campaign, world.street1, Week(2026, 53))
        db.session.commit()
        assert to_local(report.due_at).date() == date(2027, 1, 1)  # the issue: due on New Year's Day
        services.set_year(2027, [DayInput(date(2027, 1, 1), H, "元旦")], actor=world.admin)
        db.session.commit()
    assert to_local(report.due_at).date() == date(2026, 12, 31)
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "report.due_recompute")) is not None
    notes = db.session.scalars(select(Notification).where(Notification.user_id == world.street_user.id,
                                                          Notification.kind == "report_due_moved")).all()
    assert len(notes) == 1 and "提前至 2026-12-31 18:00" in notes[0].title


def test_the_register_page_counts_each_year_s_days_in_one_statement(world, login_as, count_queries):
    """The years' holidays and adjusted working days are counted in SQL: as many queries for seven years as for
    one, and the same numbers as the days entered."""
    _seed()
    client = login_as(world.admin)
    client.get("/admin/holidays/")
    with count_queries() as statements:
        html = client.get("/admin/holidays/").get_data(as_text=True)
    holidays = db.session.scalar(select(func.count(HolidayDay.id)).where(HolidayDay.year == 2026,
                                                                         HolidayDay.kind == DayKind.HOLIDAY))
    workdays_ = db.session.scalar(select(func.count(HolidayDay.id)).where(HolidayDay.year == 2026,
                                                                          HolidayDay.kind == DayKind.WORKDAY))
    assert f">2026</a></td>\n      <td>{holidays}</td>\n      <td>{workdays_}</td>" in html
    assert not [s for s in statements if "FROM holiday_days" in s and "holiday_years" not in s]
    assert len(statements) <= 5
