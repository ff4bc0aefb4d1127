"""``flask reports remind``: due-day reminders and missing-report notices, each sent once."""
from __future__ import annotations

from datetime import date

import time_machine
from sqlalchemy import func, select

from supervision.extensions import db
from supervision.notifications.models import Notification
from supervision.reports import services
from supervision.reports.models import ReportStatus
from supervision.reports.weeks import Week

from .factories import campaign_world, gen_report, local, utc

W39 = Week(2026, 39)  # due Thursday 24 September 18:00
STARTS = date(2026, 9, 21)  # the campaign's first week is W39


def notes(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_reminders_on_the_due_day_then_missing_notices(world):
    campaign, _ = campaign_world(world, starts_on=STARTS)
    assert services.remind(utc(local(2026, 9, 23, 10))).reminded == 0  # not the due day yet
    result = services.remind(utc(local(2026, 9, 24, 9)))
    assert (result.reminded, result.missing) == (2, 0)
    [reminder] = notes(world.street_user)
    assert "今天 18:00 前" in reminder.title and "2026年第39周" in reminder.title
    assert reminder.link == f"/reports/cell/{campaign.id}/{world.street1.id}/2026-W39"
    assert services.remind(utc(local(2026, 9, 24, 10))).reminded == 0  # idempotent
    gen_report(campaign, world.street1, W39, status=ReportStatus.SUBMITTED, submitted_at=utc(local(2026, 9, 24, 12)))
    db.session.commit()
    # After the due time: only the street that did not report, and the bureau once.
    result = services.remind(utc(local(2026, 9, 24, 18, 30)))
    assert (result.reminded, result.missing) == (0, 3)  # street2's user, the admin, the officer
    assert len(notes(world.street_user)) == 1
    [missing] = notes(world.street2_user)[1:]
    assert "逾期未报送" in missing.title
    assert missing.dedup_key == f"report-missing:{campaign.id}:{world.street2.id}:2026-W39"
    [bureau] = notes(world.officer)
    assert "1 个街道逾期未报送周报（西城街道）" in bureau.title and "/reports/overview" in bureau.link
    assert notes(world.leader) == []
    for later in (local(2026, 9, 24, 19), local(2026, 9, 25, 9), local(2026, 9, 28, 9)):
        assert services.remind(utc(later)).missing == 0


def test_the_command_is_idempotent(world, runner):
    campaign_world(world, starts_on=STARTS)
    with time_machine.travel(local(2026, 9, 24, 8), tick=False):
        first = runner.invoke(args=["reports", "remind"])
        second = runner.invoke(args=["reports", "remind"])
    assert first.exit_code == 0, first.output
    assert "报送提醒 2 条" in first.output and "报送提醒 0 条" in second.output
    with time_machine.travel(local(2026, 9, 25, 8), tick=False):
        third = runner.invoke(args=["reports", "remind", "-v"])
        fourth = runner.invoke(args=["reports", "remind"])
    assert "逾期未报通知 4 条" in third.output and "missing" in third.output  # 2 streets + admin + officer
    assert "逾期未报通知 0 条" in fourth.output
    assert db.session.scalar(select(func.count(Notification.id))) == 6


def test_missing_notices_look_back_two_weeks(world):
    campaign, _ = campaign_world(world)  # running since 3 August
    result = services.remind(utc(local(2026, 9, 24, 9)))
    # W37 (due 11 Sept) and W38 (due 18 Sept) are missing for both streets; W39 is due today.
    assert (result.reminded, result.missing) == (2, 2 * 2 + 2 * 2)
    keys = {n.dedup_key for n in notes(world.officer)}
    assert keys == {f"report-missing:{campaign.id}:2026-W37", f"report-missing:{campaign.id}:2026-W38"}


def test_a_closed_campaign_reminds_nobody(world):
    from supervision.campaigns.models import CampaignStatus

    campaign, _ = campaign_world(world, starts_on=STARTS)
    campaign.status = CampaignStatus.CLOSED
    db.session.commit()
    result = services.remind(utc(local(2026, 9, 24, 9)))
    assert (result.reminded, result.missing) == (0, 0)
