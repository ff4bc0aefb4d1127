"""Draft → submitted (locked, timestamped, late after the due time) → returned → resubmitted."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.core.errors import DomainError, TransitionError
from supervision.extensions import db
from supervision.notifications.models import Notification
from supervision.regions.models import Street
from supervision.reports import services
from supervision.reports.models import ReportStatus
from supervision.reports.services import CellStatus
from supervision.reports.weeks import Week

from .factories import campaign_world, gen_item, gen_survey, local, utc

W39 = Week(2026, 39)  # due Thursday 24 September 18:00 (Mid-Autumn on Friday)


def filled(report, user, **overrides):
    values = {"entered": {"meetings": 2, "households_visited": 120, "publicity_events": 1, "issues_resolved": 3},
              "progress": "完成阳光小区摸底，召开协调会两次。", "problems": "无",
              "next_week_plan": "推进月亮小区引入物业。", "contact_person": "张主任", "contact_phone": "12345678"}
    values.update(overrides)
    return services.save_report(report, user=user, **values)


def start(campaign, world, week=W39, at=None):
    report, _created = services.start_report(campaign, world.street1.id, week, user=world.street_user,
                                            now=at or utc(local(2026, 9, 23, 9)))
    return report


def test_start_creates_a_draft_with_its_due_time(world):
    campaign, _ = campaign_world(world)
    report = start(campaign, world)
    assert report.status is ReportStatus.DRAFT
    assert report.due_at == utc(local(2026, 9, 24, 18))
    assert [e["code"] for e in report.entered_figures] == ["meetings", "households_visited", "publicity_events",
                                                           "issues_resolved"]
    assert report.contact_person == world.street_user.display_name
    again, created = services.start_report(campaign, world.street1.id, W39, user=world.street_user)
    assert again.id == report.id and created is False


def test_start_refuses_future_weeks_and_streets_with_nothing_enrolled(world):
    campaign, _ = campaign_world(world)
    with pytest.raises(DomainError, match="提前"):
        services.start_report(campaign, world.street1.id, Week(2026, 41), user=world.street_user,
                              now=utc(local(2026, 9, 23, 9)))
    other_street = Street(district_id=world.district.id, name="无关街道")
    db.session.add(other_street)
    db.session.flush()
    with pytest.raises(DomainError, match="无需报送"):
        services.start_report(campaign, other_street.id, W39, now=utc(local(2026, 9, 23, 9)))
    with pytest.raises(DomainError, match="报送期"):
        services.start_report(campaign, world.street1.id, Week(2026, 20), now=utc(local(2026, 9, 23, 9)))


def test_submit_requires_the_figures_and_the_narrative(world):
    campaign, _ = campaign_world(world)
    report = start(campaign, world)
    filled(report, world.street_user, entered={"meetings": 2}, progress="")
    with pytest.raises(DomainError) as error:
        services.submit_report(report, user=world.street_user, now=utc(local(2026, 9, 24, 10)))
    assert error.value.field == "fig_households_visited"
    assert report.status is ReportStatus.DRAFT
    fields = [f for f, _m in services.missing_for_submission(report)]
    assert fields == ["fig_households_visited", "fig_publicity_events", "fig_issues_resolved", "progress"]


def test_submission_locks_and_timestamps(world):
    campaign, _ = campaign_world(world)
    report = start(campaign, world)
    filled(report, world.street_user)
    at = utc(local(2026, 9, 24, 17, 30))
    services.submit_report(report, user=world.street_user, now=at)
    db.session.commit()
    assert report.status is ReportStatus.SUBMITTED
    assert report.first_submitted_at == at == report.submitted_at and not report.is_late
    assert services.report_status_of(report, at) is CellStatus.ON_TIME
    with pytest.raises(TransitionError, match="已锁定"):
        filled(report, world.street_user, progress="改一下")
    with pytest.raises(TransitionError):
        services.submit_report(report, user=world.street_user)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == report.id,
                                                               AuditLog.object_type == "WeeklyReport")).all()
    assert actions == ["report.create", "report.update", "report.submit"]


@pytest.mark.parametrize("submitted, late", [
    (local(2026, 9, 24, 18, 0, 0), False),  # exactly at the due time: on time
    (local(2026, 9, 24, 18, 0, 1), True),  # one second after: late
    (local(2026, 9, 25, 9, 0, 0), True),  # the holiday Friday itself is already late
])
def test_late_at_the_boundary(world, submitted, late):
    campaign, _ = campaign_world(world)
    report = start(campaign, world)
    filled(report, world.street_user)
    services.submit_report(report, user=world.street_user, now=utc(submitted))
    assert report.is_late is late
    assert services.report_status_of(report, utc(submitted)) is (CellStatus.LATE if late else CellStatus.ON_TIME)


def test_snapshot_does_not_change_when_the_records_do(world):
    campaign, (e1, _e2) = campaign_world(world)
    gen_survey(e1, date(2026, 9, 22))
    gen_item(campaign, e1, opened_at=utc(local(2026, 9, 22)), deadline=date(2026, 10, 20))
    report = start(campaign, world)
    filled(report, world.street_user)
    services.submit_report(report, user=world.street_user, now=utc(local(2026, 9, 24, 12)))
    db.session.commit()
    sent = dict(report.system_figures)
    assert sent["surveyed_week"] == 1 and sent["items_opened_week"] == 1 and sent["enrolled_total"] == 1
    # Later, records of that week change: another item is back-dated into it, the survey moves out.
    gen_item(campaign, e1, opened_at=utc(local(2026, 9, 23)), deadline=date(2026, 10, 20))
    e1.survey.surveyed_on = date(2026, 9, 29)
    db.session.commit()
    live = services.street_week_figures(campaign, world.street1.id, 2026, 39)
    assert live["items_opened_week"] == 2 and live["surveyed_week"] == 0
    db.session.expire_all()
    assert report.system_figures == sent


def test_return_and_resubmit_after_the_due_time_is_late(world):
    campaign, (e1, _e2) = campaign_world(world)
    report = start(campaign, world)
    filled(report, world.street_user)
    services.submit_report(report, user=world.street_user, now=utc(local(2026, 9, 24, 16)))
    with pytest.raises(DomainError, match="退回意见"):
        services.return_report(report, comment="  ", user=world.officer)
    services.return_report(report, comment="请补充入户走访的小区名单。", user=world.officer,
                           now=utc(local(2026, 9, 25, 10)))
    db.session.commit()
    assert report.status is ReportStatus.RETURNED and report.return_count == 1
    assert services.report_status_of(report, utc(local(2026, 9, 25, 10))) is CellStatus.RETURNED
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.street_user.id))
    assert "退回" in note.title and note.body == "请补充入户走访的小区名单。"
    with pytest.raises(TransitionError, match="只能退回已报送"):
        services.return_report(report, comment="再退一次", user=world.officer)
    # The street edits and resubmits after the due time: late (按时定稿), though its first submission was on time.
    gen_item(campaign, e1, opened_at=utc(local(2026, 9, 23)), deadline=date(2026, 10, 20))
    filled(report, world.street_user, progress="补充：走访阳光小区 120 户。")
    resent_at = utc(local(2026, 9, 28, 9))
    services.submit_report(report, user=world.street_user, now=resent_at)
    db.session.commit()
    assert report.status is ReportStatus.RESUBMITTED and report.submission_count == 2
    assert report.first_submitted_at == utc(local(2026, 9, 24, 16)) and report.submitted_at == resent_at
    assert report.is_late and report.first_on_time and not report.final_on_time
    assert services.report_status_of(report, resent_at) is CellStatus.LATE
    assert report.system_figures["items_opened_week"] == 1  # refreshed at the resubmission
    assert [(t.from_status, t.to_status) for t in report.transitions] == [
        (None, ReportStatus.DRAFT), (ReportStatus.DRAFT, ReportStatus.SUBMITTED),
        (ReportStatus.SUBMITTED, ReportStatus.RETURNED), (ReportStatus.RETURNED, ReportStatus.RESUBMITTED)]
    assert report.transitions[2].comment == "请补充入户走访的小区名单。"
    officer_note = db.session.scalar(select(Notification).where(Notification.user_id == world.officer.id))
    assert "重新报送" in officer_note.title
    services.return_report(report, comment="第二次退回", user=world.officer)
    assert report.status is ReportStatus.RETURNED and report.return_count == 2


def test_a_late_first_submission_stays_late_after_a_return(world):
    campaign, _ = campaign_world(world)
    report = start(campaign, world)
    filled(report, world.street_user)
    services.submit_report(report, user=world.street_user, now=utc(local(2026, 9, 24, 18)) + timedelta(minutes=5))
    services.return_report(report, comment="数据有误", user=world.officer)
    filled(report, world.street_user)
    services.submit_report(report, user=world.street_user, now=utc(local(2026, 9, 24, 18)) + timedelta(hours=1))
    assert report.is_late


def test_saving_figures_checks_the_range(world):
    campaign, _ = campaign_world(world)
    report = start(campaign, world)
    with pytest.raises(DomainError) as error:
        filled(report, world.street_user, entered={"meetings": -1})
    assert error.value.field == "fig_meetings"


def test_time_frozen_start_uses_the_clock(world):
    campaign, _ = campaign_world(world)
    with time_machine.travel(local(2026, 9, 23, 9), tick=False):
        report, _created = services.start_report(campaign, world.street1.id, Week.current(), user=world.street_user)
    assert report.week == W39
