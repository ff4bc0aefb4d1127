"""Digests: the in-app notifications of a day (or a week), sent once to each user by e-mail and/or a webhook.

Each user chooses per category (``NotificationCategory``) a daily digest, a weekly one, or none
(default: daily). A daily digest for day D holds the messages created from D−1 at ``DIGEST_HOUR`` up to D at
that hour and is due from then; a weekly one, those of the seven days before Monday at that hour. The
periods are fixed by the clock, not by when the job runs, so running ``send_digests`` every hour (``flask
notifications digest``, a job) sends each digest once: a ``DigestDelivery`` row is claimed and committed
*before* sending (the unique key user + channel + period refuses a second claim), then marked sent. A
failure is kept with its reason (the admin sees it under 消息发送记录) and retried by the next runs, up to
``DELIVERY_MAX_ATTEMPTS`` sends, then abandoned; a digest left ``sending`` by a crash is not sent again
(at most once) and is shown to the admin.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.message import EmailMessage

import requests
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..core.timeutil import LOCAL_TZ, to_local, utcnow
from ..extensions import db
from .models import (
    DeliveryStatus,
    DigestDelivery,
    DigestFrequency,
    Notification,
    NotificationCategory,
    NotificationPreference,
)

_PREFIXES = {
    NotificationCategory.ITEMS: ("item_", "overdue_", "deadline_", "enrolment_", "acceptance_", "notice_",
                                 "self_inspection_"),
    NotificationCategory.REPORTS: ("report",),
    NotificationCategory.CREDIT: ("credit_",),
    NotificationCategory.CERTIFICATES: ("certificate_",),
}
DEFAULT_FREQUENCY = DigestFrequency.DAILY


def category_of(kind: str) -> NotificationCategory:
    for category, prefixes in _PREFIXES.items():
        if kind.startswith(prefixes):
            return category
    return NotificationCategory.OTHER


def preferences(user) -> dict[NotificationCategory, DigestFrequency]:
    chosen = {p.category: p.frequency for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    return {c: chosen.get(c, DEFAULT_FREQUENCY) for c in NotificationCategory}


def set_preferences(user, choices: dict[NotificationCategory, DigestFrequency]) -> None:
    existing = {p.category: p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for category, frequency in choices.items():
        row = existing.get(category)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, category=category, frequency=frequency))
        else:
            row.frequency = frequency
    db.session.flush()


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    label: str


def due_period(frequency: DigestFrequency, now: datetime, hour: int) -> Period:
    """The latest period of ``frequency`` whose digest is due at ``now``."""
    local = to_local(now)
    cut = datetime.combine(local.date(), time(hour), tzinfo=LOCAL_TZ)
    if frequency is DigestFrequency.DAILY:
        day = local.date() if local >= cut else local.date() - timedelta(days=1)
        end = datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)
        return Period(f"daily:{day.isoformat()}", end - timedelta(days=1), end, _("每日提醒（%(d)s）", d=day))
    monday = local.date() - timedelta(days=local.weekday())
    if local < datetime.combine(monday, time(hour), tzinfo=LOCAL_TZ):
        monday -= timedelta(days=7)
    end = datetime.combine(monday, time(hour), tzinfo=LOCAL_TZ)
    iso = (monday - timedelta(days=7)).isocalendar()  # the week covered
    return Period(f"weekly:{iso[0]}-W{iso[1]:02d}", end - timedelta(days=7), end,
                  _("每周提醒（%(d)s 起一周）", d=monday - timedelta(days=7)))


# --- channels ---------------------------------------------------------------------------------------

@dataclass
class Digest:
    user: User
    period: Period
    messages: list[Notification]

    @property
    def subject(self) -> str:
        return _("【物业监管】%(label)s：%(n)s 条消息", label=self.period.label, n=len(self.messages))

    def link(self, message: Notification) -> str:
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + (message.link or "/notifications/")

    def text(self) -> str:
        lines = [self.subject, ""]
        for message in self.messages:
            lines.append(f"· {to_local(message.created_at):%m-%d %H:%M} {message.title}")
            if message.body:
                lines.append(f"  {message.body}")
            lines.append(f"  {self.link(message)}")
        lines += ["", _("在系统中可调整提醒方式：%(url)s", url=current_app.config["PUBLIC_BASE_URL"].rstrip("/")
                        + "/notifications/settings")]
        return "\n".join(lines)


def send_email(digest: Digest) -> None:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = digest.user.email
    message.set_content(digest.text())
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def webhook_body(digest: Digest) -> bytes:
    return json.dumps({
        "period": digest.period.key,
        "user": {"username": digest.user.username, "name": digest.user.display_name, "phone": digest.user.phone},
        "title": digest.subject,
        "text": digest.text(),
        "messages": [{"title": m.title, "body": m.body, "link": digest.link(m), "kind": m.kind,
                      "created_at": to_local(m.created_at).isoformat()} for m in digest.messages],
    }, ensure_ascii=False).encode()


def send_webhook(digest: Digest) -> None:
    config = current_app.config
    body = webhook_body(digest)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if config["NOTIFY_WEBHOOK_SECRET"]:
        signature = hmac.new(config["NOTIFY_WEBHOOK_SECRET"].encode(), body, hashlib.sha256).hexdigest()
        headers["X-Supervision-Signature"] = f"sha256={signature}"
    response = requests.post(config["NOTIFY_WEBHOOK_URL"], data=body, headers=headers, timeout=15)
    response.raise_for_status()


CHANNELS = {"email": send_email, "webhook": send_webhook}


def channels_for(user) -> list[str]:
    config = current_app.config
    names = []
    if config["MAIL_SERVER"] and user.email:
        names.append("email")
    if config["NOTIFY_WEBHOOK_URL"]:
        names.append("webhook")
    return names


# --- the run --------------------------------------------------------------------------------------

@dataclass
class DigestRun:
    sent: int = 0
    failed: int = 0
    abandoned: int = 0
    errors: list[str] = field(default_factory=list)


def _messages(user, period: Period, categories: set[NotificationCategory]) -> list[Notification]:
    rows = db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.created_at >= period.start,
        Notification.created_at < period.end).order_by(Notification.created_at, Notification.id))
    return [m for m in rows if category_of(m.kind) in categories]


def _claim(user, channel: str, period: Period, count: int) -> DigestDelivery | None:
    """The delivery row to send now (claimed and committed), or None: sent already, or given up."""
    row = db.session.scalar(select(DigestDelivery).where(
        DigestDelivery.user_id == user.id, DigestDelivery.channel == channel,
        DigestDelivery.period_key == period.key))
    if row is None:
        row = DigestDelivery(user_id=user.id, channel=channel, period_key=period.key,
                             status=DeliveryStatus.SENDING, attempts=0, message_count=count)
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:  # another worker claimed it at the same moment
            db.session.rollback()
            return None
        return row
    if row.status is not DeliveryStatus.FAILED:
        return None
    row.status, row.message_count = DeliveryStatus.SENDING, count
    db.session.commit()
    return row


def send_digests(now: datetime | None = None, *, progress=None) -> DigestRun:
    """Send every digest due at ``now`` that has not been sent (see the module's docstring)."""
    now = now or utcnow()
    config = current_app.config
    run = DigestRun()
    statement = select(User).where(User.active.is_(True)).order_by(User.id)
    if not config["NOTIFY_WEBHOOK_URL"]:
        statement = statement.where(User.email.is_not(None))
    users = list(db.session.scalars(statement))
    for done, user in enumerate(users, 1):
        channels = channels_for(user)
        if not channels:
            continue
        chosen = preferences(user)
        for frequency in (DigestFrequency.DAILY, DigestFrequency.WEEKLY):
            categories = {c for c, f in chosen.items() if f is frequency}
            if not categories:
                continue
            period = due_period(frequency, now, config["DIGEST_HOUR"])
            messages = _messages(user, period, categories)
            if not messages:
                continue
            for channel in channels:
                _deliver(run, Digest(user, period, messages), channel)
        if progress is not None:
            progress(done, len(users))
    return run


def _deliver(run: DigestRun, digest: Digest, channel: str) -> None:
    row = _claim(digest.user, channel, digest.period, len(digest.messages))
    if row is None:
        return
    row.attempts += 1
    try:
        CHANNELS[channel](digest)
    except (OSError, smtplib.SMTPException, requests.RequestException) as error:
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        if row.attempts >= current_app.config["DELIVERY_MAX_ATTEMPTS"]:
            row.status = DeliveryStatus.ABANDONED
            run.abandoned += 1
        else:
            row.status = DeliveryStatus.FAILED
            run.failed += 1
        run.errors.append(f"{digest.user.username} {channel}: {row.last_error}")
    else:
        row.status, row.sent_at, row.last_error = DeliveryStatus.SENT, utcnow(), None
        run.sent += 1
    db.session.commit()


def retry(delivery: DigestDelivery) -> None:
    """The admin asks for another try of a failed or abandoned delivery (the next run sends it)."""
    delivery.status, delivery.attempts = DeliveryStatus.FAILED, 0
    db.session.flush()

