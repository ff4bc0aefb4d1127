"""Creating, revoking and checking API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..auth.roles import Role
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from .models import ApiToken

TOKEN_PREFIX = "wyjg_"
MAX_DAYS = 366


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, *, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored."""
    if user.role is Role.LEADER:
        raise DomainError(_("领导账户为只读账户，不能创建访问令牌。"))
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_("有效期应为 1 至 %(n)s 天。", n=MAX_DAYS), field="days")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip(), prefix=plain[:12], token_hash=_hash(plain),
                     expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    record("api_token.create", token, after={"name": token.name, "expires_at": token.expires_at}, actor=user)
    return token, plain


def revoke_token(token: ApiToken, *, actor) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token.revoke", token, after={"revoked_at": token.revoked_at}, actor=actor)
    return token


def user_for_token(plain: str):
    """The active user a usable token belongs to, else None."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(plain)))
    now = utcnow()
    if token is None or not token.is_usable(now) or not token.user.active:
        return None
    # Record use at most once a minute, to keep reads cheap.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        db.session.commit()
    return token.user
