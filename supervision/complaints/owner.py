"""The owner's own way in: a public, login-free form, a tracking number and a private link.

No third-party service: the challenge is an arithmetic question whose numbers travel signed
(itsdangerous, the app's secret key) and expire after 30 minutes. Rate limits are counted in the
database, so every worker and host agrees: at most ``OWNER_LIMIT_PER_ADDRESS`` submissions an hour
from one network address (kept only as a keyed hash) and ``OWNER_LIMIT_PER_PHONE`` a day per phone.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, or_, select

from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..estates.models import Estate
from ..extensions import db
from ..regions.models import Street
from . import services
from .models import Channel, Complaint, Kind, Urgency

CHALLENGE_SECONDS = 1800


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="owner-challenge")


def new_challenge() -> tuple[str, str]:
    """(question, signed token) — e.g. ("7 加 5 等于几？", "…")."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = _serializer().dumps({"a": a, "b": b, "n": secrets.token_hex(4)})
    return _("%(a)s 加 %(b)s 等于几？", a=a, b=b), token


def question_of(token: str | None) -> str | None:
    try:
        data = _serializer().loads(token or "", max_age=CHALLENGE_SECONDS)
    except BadSignature:
        return None
    return _("%(a)s 加 %(b)s 等于几？", a=data["a"], b=data["b"])


def check_challenge(token: str | None, answer: str | None) -> bool:
    try:
        data = _serializer().loads(token or "", max_age=CHALLENGE_SECONDS)
    except BadSignature:  # also SignatureExpired
        return False
    try:
        return int((answer or "").strip()) == data["a"] + data["b"]
    except ValueError:
        return False


def address_hash(remote_addr: str | None) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, (remote_addr or "-").encode(), hashlib.sha256).hexdigest()


def search_estates(q: str | None, limit: int = 10) -> list[tuple[int, str, str]]:
    """(id, name, street) of active estates whose name or address contains ``q`` (public data only)."""
    q = (q or "").strip()
    if len(q) < 2:
        return []
    like = f"%{q}%"
    return [tuple(r) for r in db.session.execute(
        select(Estate.id, Estate.name, Street.name).join(Street, Street.id == Estate.street_id)
        .where(Estate.archived_at.is_(None), or_(Estate.name.like(like), Estate.address.like(like)))
        .order_by(Estate.name_sort).limit(limit))]


def check_limits(source: str, phone: str) -> None:
    now = utcnow()
    config = current_app.config
    per_address = int(config.get("OWNER_LIMIT_PER_ADDRESS", 3))
    per_phone = int(config.get("OWNER_LIMIT_PER_PHONE", 3))
    from_address = db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.channel == Channel.ONLINE, Complaint.source_hash == source,
        Complaint.received_at >= now - timedelta(hours=1)))
    if from_address >= per_address:
        raise DomainError(_("提交过于频繁，请一小时后再试，或拨打12345热线。"))
    from_phone = db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.channel == Channel.ONLINE, Complaint.complainant_phone == phone,
        Complaint.received_at >= now - timedelta(days=1)))
    if from_phone >= per_phone:
        raise DomainError(_("该手机号今天已提交 %(n)s 件诉求，请明天再试，或拨打12345热线。", n=from_phone),
                          field="phone")


def submit(*, estate: Estate, kind: Kind, category: str, description: str, phone: str, name: str | None,
           remote_addr: str | None) -> tuple[Complaint, str]:
    """Register the owner's complaint; returns it and the private token (shown once, stored hashed)."""
    phone = phone.strip()
    source = address_hash(remote_addr)
    check_limits(source, phone)
    token = secrets.token_urlsafe(24)
    complaint = services.receive(channel=Channel.ONLINE, kind=kind, category=category, description=description,
                                 estate=estate, urgency=Urgency.ORDINARY, name=name, phone=phone,
                                 owner_token=token, source_hash=source)
    return complaint, token


def by_token(token: str) -> Complaint | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Complaint).where(Complaint.owner_token_hash == services.token_hash(token)))
