"""Deadlines in working days on China's calendar (time frozen), overdue, and the hourly sweep.

In 2026 National Day runs 1–7 October; Saturday 10 October is a make-up working day.
"""
from __future__ import annotations

from datetime import date, datetime

import time_machine
from sqlalchemy import func, select

from supervision.campaigns.models import ItemState, RectificationItem, ResponsibleParty
from supervision.campaigns.services import items
from supervision.campaigns.services.sweep import sweep_overdue
from supervision.core.timeutil import LOCAL_TZ
from supervision.extensions import db
from supervision.notifications.models import Notification

from . import factories as f


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=LOCAL_TZ), tick=False)


def _overdue_ids(today):
    return set(db.session.scalars(select(RectificationItem.id).where(RectificationItem.overdue_clause(today))))


def test_deadline_skips_national_day_and_counts_the_make_up_saturday(world):
    with at(2026, 9, 30, 10, 0):
        campaign = f.gen_campaign(world)
        (enrolment,) = f.enrol(campaign, world.estate1, actor=world.officer)
        one = f.gen_item(enrolment, actor=world.officer, workdays=1)
        three = f.gen_item(enrolment, actor=world.officer, workdays=3)
        four = f.gen_item(enrolment, actor=world.officer, workdays=4)
        db.session.commit()
    assert one.deadline == date(2026, 10, 8)  # 1–7 October are holidays
    assert three.deadline == date(2026, 10, 10)  # the make-up Saturday is a working day
    assert four.deadline == date(2026, 10, 12)  # Sunday 11 October is not
    # Overdue is derived: on the deadline day the item is still on time; the next day it is late.
    with at(2026, 10, 10, 23, 30):
        assert not three.is_overdue(date(2026, 10, 10))
        assert three.id not in _overdue_ids(date(2026, 10, 10))
    with at(2026, 10, 11, 0, 30):  # 16:30 UTC on the 10th, but already the 11th in Shanghai
        from supervision.core.timeutil import local_today

        today = local_today()
        assert today == date(2026, 10, 11)
        assert _overdue_ids(today) == {one.id, three.id}
    f.move(three, f.PATH_TO[ItemState.ACCEPTED], answerer=world.company_user, officer=world.officer)
    assert three.id not in _overdue_ids(date(2026, 10, 20))  # accepted items are never overdue


def test_a_notice_sets_its_deadline_in_working_days(world):
    from supervision.campaigns.services.notices import issue_notice

    with at(2026, 9, 29, 9, 0):
        campaign = f.gen_campaign(world)
        (enrolment,) = f.enrol(campaign, world.estate1, actor=world.officer)
        item = f.gen_item(enrolment, actor=world.officer, workdays=20)
        notice = issue_notice(estate=world.estate1, items=[item], actor=world.officer, deadline_workdays=2,
                              campaign=campaign)
    assert notice.deadline == date(2026, 10, 8) == item.deadline  # 30 Sep, then 8 Oct after the holiday


def _notifications():
    return db.session.execute(select(Notification.user_id, Notification.dedup_key)).all()


def test_the_sweep_notifies_once_per_item_and_user(running, runner):
    with at(2026, 11, 2, 9, 0):
        company_item = f.gen_item(running.enrolment1, actor=running.officer, workdays=1)
        street_item = f.gen_item(running.enrolment1, actor=running.officer, workdays=1,
                                 party=ResponsibleParty.STREET)
        f.gen_item(running.enrolment2, actor=running.officer, workdays=30)  # not due yet
        done = f.gen_item(running.enrolment2, actor=running.officer, workdays=1)
        f.move(done, f.PATH_TO[ItemState.ACCEPTED], answerer=running.company2_user, officer=running.officer)
        db.session.commit()
    with at(2026, 11, 10, 9, 0):
        first = sweep_overdue()
        db.session.commit()
        assert first.overdue_items == 2 and first.newly_notified_items == 2
        rows = _notifications()
        by_user = {}
        for user_id, key in rows:
            by_user.setdefault(user_id, set()).add(key)
        bureau = {running.admin.id, running.officer.id}
        assert set(by_user) == bureau | {running.company_user.id, running.street_user.id}
        assert by_user[running.company_user.id] == {f"item-overdue:{company_item.id}:{company_item.deadline}"}
        assert by_user[running.street_user.id] == {f"item-overdue:{street_item.id}:{street_item.deadline}"}
        # The bureau gets one summary of the day, not one message per item.
        assert all(by_user[uid] == {"overdue-summary:2026-11-10"} for uid in bureau)
        summary = db.session.scalars(select(Notification).where(Notification.user_id == running.officer.id)).one()
        assert summary.title == "2026-11-10 逾期整改事项共 2 项" and "overdue=1" in summary.link
        # Running again (every hour from cron) adds nothing.
        second = sweep_overdue()
        db.session.commit()
        assert second.notifications == 0 and len(_notifications()) == len(rows)
        result = runner.invoke(args=["campaigns", "sweep"])
        assert result.exit_code == 0 and "本次新通知 0 项" in result.output
    # A new deadline that is missed again is a new fact: notified once more.
    with at(2026, 11, 10, 10, 0):
        f.add_evidence(company_item, running.company_user)
        items.submit_answer(company_item, actor=running.company_user, response="已整改", files=[])
        items.transition(company_item, ItemState.REJECTED, actor=running.officer, comment="不到位",
                         deadline_workdays=1)
        db.session.commit()
    with at(2026, 11, 13, 9, 0):
        third = sweep_overdue()
        db.session.commit()
        assert third.newly_notified_items == 1 and third.notifications == 3  # the company + 2 summaries
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == running.company2_user.id)) == 0


def test_leaders_hear_of_items_overdue_past_the_second_threshold(running, app):
    with at(2026, 11, 2, 9, 0):
        late = f.gen_item(running.enrolment1, actor=running.officer, workdays=1)  # due 3 Nov
        f.gen_item(running.enrolment2, actor=running.officer, workdays=8)  # due 12 Nov
        db.session.commit()
    leader_keys = lambda: {k for u, k in _notifications() if u == running.leader.id}  # noqa: E731
    with at(2026, 11, 16, 9, 0):  # 9 working days after 3 Nov: not yet
        sweep_overdue()
        db.session.commit()
        assert leader_keys() == set()
    with at(2026, 11, 17, 9, 0):  # the 10th working day: the leaders are told, once
        sweep_overdue()
        sweep_overdue()
        db.session.commit()
        assert leader_keys() == {"overdue-leader:2026-11-17"}
        message = db.session.scalars(select(Notification).where(Notification.user_id == running.leader.id)).one()
        assert message.title == "逾期超过 10 个工作日的整改事项 1 项" and f"#{late.id}" in message.body
    old, app.config["LEADER_OVERDUE_WORKDAYS"] = app.config["LEADER_OVERDUE_WORKDAYS"], 3
    try:
        with at(2026, 11, 18, 9, 0):
            sweep_overdue()
            db.session.commit()
            assert "逾期超过 3 个工作日的整改事项 2 项" in db.session.scalars(select(Notification.title).where(
                Notification.dedup_key == "overdue-leader:2026-11-18")).one()
    finally:
        app.config["LEADER_OVERDUE_WORKDAYS"] = old


def test_users_see_overdue_notifications_in_the_header(running, login_as):
    with at(2026, 11, 2, 9, 0):
        f.gen_item(running.enrolment1, actor=running.officer, workdays=1)
        db.session.commit()
    with at(2026, 11, 10, 9, 0):
        sweep_overdue()
        db.session.commit()
        html = login_as(running.company_user).get("/campaigns/items").get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in html
