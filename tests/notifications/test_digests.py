"""Digests by e-mail (to a local SMTP server) and webhook (to a local receiver): once each, retried on failure."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

import pytest
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.core.timeutil import LOCAL_TZ
from supervision.extensions import db
from supervision.notifications import delivery
from supervision.notifications.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestFrequency,
    Notification,
    NotificationCategory,
)

from .servers import SmtpSink, Webhook

MONDAY_9AM = datetime(2026, 12, 7, 9, 0, tzinfo=LOCAL_TZ)  # daily and weekly digests are both due


def local(day, hour):
    return datetime(2026, 12, day, hour, 0, tzinfo=LOCAL_TZ)


def message(user, kind, title, at):
    row = Notification(user_id=user.id, kind=kind, title=title, dedup_key=f"t:{title}", link="/campaigns/items/1",
                       created_at=at)
    db.session.add(row)
    return row


@pytest.fixture
def smtp(app, monkeypatch):
    with SmtpSink() as sink:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
        monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://wuye.example.cn")
        yield sink


@pytest.fixture
def hook(app, monkeypatch):
    with Webhook() as receiver:
        monkeypatch.setitem(app.config, "NOTIFY_WEBHOOK_URL", receiver.url)
        monkeypatch.setitem(app.config, "NOTIFY_WEBHOOK_SECRET", "s3cret")
        yield receiver


def test_each_user_gets_the_days_and_the_weeks_digest_once(world, smtp):
    user, other = world.company_user, world.street_user
    user.email, other.email = "wuye@example.cn", None  # no address: nothing by e-mail
    delivery.set_preferences(user, {NotificationCategory.REPORTS: DigestFrequency.WEEKLY})
    message(user, "item_overdue", "事项甲逾期", local(6, 10))
    message(user, "item_rejected", "事项乙退回", local(6, 20))
    message(user, "item_overdue", "前天的事项", local(5, 10))  # before the day's window
    message(user, "report", "周报退回", local(2, 10))  # reports: weekly
    message(other, "item_overdue", "街道的事项", local(6, 10))
    db.session.commit()

    run = delivery.send_digests(MONDAY_9AM)
    assert run.sent == 2 and run.failed == 0
    by_subject = {m["Subject"]: (to, m) for to, m in smtp.messages}
    assert set(by_subject) == {"【物业监管】每日提醒（2026-12-07）：2 条消息",
                               "【物业监管】每周提醒（2026-11-30 起一周）：1 条消息"}
    to, daily = by_subject["【物业监管】每日提醒（2026-12-07）：2 条消息"]
    text = daily.get_content()
    assert to == ["wuye@example.cn"] and "事项甲逾期" in text and "事项乙退回" in text
    assert "前天的事项" not in text and "周报退回" not in text
    assert "https://wuye.example.cn/campaigns/items/1" in text
    assert "周报退回" in by_subject["【物业监管】每周提醒（2026-11-30 起一周）：1 条消息"][1].get_content()

    # The next hourly runs send nothing again.
    assert delivery.send_digests(MONDAY_9AM.replace(hour=10)).sent == 0
    assert len(smtp.messages) == 2
    rows = db.session.scalars(select(DigestDelivery)).all()
    assert {(r.period_key, r.status) for r in rows} == {("daily:2026-12-07", DeliveryStatus.SENT),
                                                         ("weekly:2026-W49", DeliveryStatus.SENT)}


def test_before_the_hour_the_previous_days_digest_is_the_one_due(world, smtp):
    world.company_user.email = "wuye@example.cn"
    message(world.company_user, "item_overdue", "事项甲逾期", local(6, 10))
    db.session.commit()
    assert delivery.send_digests(local(7, 7)).sent == 0  # the 6th's window (5th 8:00–6th 8:00) is empty
    assert delivery.send_digests(local(7, 8)).sent == 1


def test_a_failing_gateway_is_retried_shown_to_the_admin_and_abandoned(world, hook, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "DELIVERY_MAX_ATTEMPTS", 2)
    message(world.company_user, "credit_record", "信用记录", local(6, 10))
    db.session.commit()
    hook.status = 500
    run = delivery.send_digests(MONDAY_9AM)
    assert run.failed == 1 and run.sent == 0
    row = db.session.scalars(select(DigestDelivery)).one()
    assert row.status is DeliveryStatus.FAILED and row.attempts == 1 and "500" in row.last_error

    page = login_as(world.admin).get("/notifications/deliveries")
    assert "发送失败" in page.get_data(as_text=True) and "有 1 份摘要发送失败" in page.get_data(as_text=True)
    assert login_as(world.officer).get("/notifications/deliveries").status_code == 403

    assert delivery.send_digests(MONDAY_9AM).abandoned == 1  # the second failure: given up
    assert delivery.send_digests(MONDAY_9AM).failed == 0 and len(hook.requests) == 2
    db.session.refresh(row)
    assert row.status is DeliveryStatus.ABANDONED

    hook.status = 200
    client = login_as(world.admin)
    assert client.post(f"/notifications/deliveries/{row.id}/retry", data={}).status_code == 302
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "notification.delivery_retry"))
    db.session.expire_all()
    assert delivery.send_digests(MONDAY_9AM).sent == 1
    headers, body = hook.requests[-1]
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Supervision-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["user"]["username"] == world.company_user.username and payload["messages"][0]["title"] == "信用记录"
    assert delivery.send_digests(MONDAY_9AM).sent == 0 and len(hook.requests) == 3


def test_users_choose_their_digests_and_address(world, login_as, smtp):
    client = login_as(world.street_user)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "每日摘要" in page and "证书到期" in page
    form = {"email": "不是邮箱", **{f"c_{c.value}": "off" for c in NotificationCategory}}
    assert "电子邮箱格式不正确" in client.post("/notifications/settings", data=form).get_data(as_text=True)
    db.session.expire_all()
    assert world.street_user.email is None
    form["email"] = "jiedao@example.cn"
    form["c_items"] = "daily"
    assert client.post("/notifications/settings", data=form).status_code == 302
    db.session.expire_all()
    assert world.street_user.email == "jiedao@example.cn"
    assert delivery.preferences(world.street_user)[NotificationCategory.CREDIT] is DigestFrequency.OFF
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "notification.preferences"))
    assert log.actor_id == world.street_user.id and log.after["email"] == "jiedao@example.cn"

    message(world.street_user, "credit_clue_decided", "线索已处理", local(6, 10))  # credit: off
    message(world.street_user, "item_overdue", "事项逾期", local(6, 11))
    db.session.commit()
    delivery.send_digests(MONDAY_9AM)
    assert [m["Subject"] for _to, m in smtp.messages] == ["【物业监管】每日提醒（2026-12-07）：1 条消息"]
    assert "线索已处理" not in smtp.messages[0][1].get_content()


@pytest.mark.parametrize(("kind", "category"), [
    ("item_overdue", NotificationCategory.ITEMS), ("overdue_summary", NotificationCategory.ITEMS),
    ("report_due_moved", NotificationCategory.REPORTS), ("credit_objection", NotificationCategory.CREDIT),
    ("certificate_expiring", NotificationCategory.CERTIFICATES), ("committee_term", NotificationCategory.OTHER)])
def test_kinds_fall_into_their_categories(kind, category):
    assert delivery.category_of(kind) is category
