"""User accounts."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.models import TimestampMixin, VersionedMixin
from ..core.types import UTCDateTime, enum_column
from ..extensions import db
from .roles import ADMIN, BUREAU, DISTRICT_READERS, Role


class User(UserMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # A street officer belongs to exactly one street, a company user to one company.
        CheckConstraint(
            "(role = 'street_officer') = (street_id IS NOT NULL)", name="street_binding"
        ),
        CheckConstraint(
            "(role = 'company_user') = (company_id IS NOT NULL)", name="company_binding"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))  # where digests go (notifications.delivery)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")

    street = relationship("Street")
    company = relationship("Company")

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）"

    # Flask-Login: a disabled account cannot log in (and its sessions are ended, see sessions.py).
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_bureau(self) -> bool:
        return self.role in BUREAU

    @property
    def sees_district(self) -> bool:
        return self.role in DISTRICT_READERS

    @property
    def is_street(self) -> bool:
        return self.role is Role.STREET_OFFICER

    @property
    def is_company(self) -> bool:
        return self.role is Role.COMPANY_USER

    def has_role(self, *roles) -> bool:
        allowed = set()
        for role in roles:
            allowed.update(role if isinstance(role, (set, frozenset, list, tuple)) else {role})
        return self.role in allowed

    @classmethod
    def scope_clause(cls, user):
        # Accounts are the administrator's business; everyone else sees only their own.
        return true() if user.role in ADMIN else cls.id == user.id


class UserSession(db.Model):
    """One login of one user: the signed session cookie holds a random token whose hash is kept here.

    A session is valid while ``ended_at`` is empty, the user is active, it was used within the idle
    timeout and it is younger than the absolute lifetime (``sessions.check``).
    """
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))

    user = relationship("User")

    def __str__(self) -> str:
        return f"{self.user}（{self.ip or '-'}）"

    # Everyone sees their own sessions only; the administrator acts on a user's sessions as a whole.
    scope_clause = scoping.OwnRows("user_id")


class LoginThrottle(db.Model):
    """Failed logins of one account name from one client address, and the delay they earned."""
    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("username", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))  # lower-cased, as typed (the account may not exist)
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __str__(self) -> str:
        return f"{self.username} @ {self.address}"
