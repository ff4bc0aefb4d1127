"""Accounts: authentication with per-address throttling, and the administrator's actions."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record, record_change, snapshot
from ..core.errors import DomainError
from ..core.timeutil import to_local, utcnow
from ..extensions import db
from . import password_rules, sessions, throttle
from .models import User, UserSession
from .passwords import hash_password, needs_rehash, verify_password
from .roles import Role

# Verified against when the username is unknown, so both paths take as long.
_DUMMY_HASH: dict[str, str] = {}


@dataclass
class LoginResult:
    user: User | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None and self.message is None


def _dummy_hash() -> str:
    key = f"{current_app.config['PASSWORD_HASH_TIME_COST']}:{current_app.config['PASSWORD_HASH_MEMORY_COST']}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password")
    return _DUMMY_HASH[key]


def _wait_message(until) -> str:
    return _("登录失败次数过多，请于 %(time)s 后再试。其他电脑或网络上的登录不受影响。",
             time=to_local(until).strftime("%H:%M:%S"))


def authenticate(username: str, password: str, *, address: str | None = None) -> LoginResult:
    """Check a login. Failures are throttled per (name, address), the same for unknown and known names."""
    username = (username or "").strip()
    until = throttle.blocked_until(username, address)
    if until is not None:
        return LoginResult(None, _wait_message(until))
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None or not verify_password(user.password_hash, password):
        if user is None:
            verify_password(_dummy_hash(), password)
        record("auth.login_failed", user, object_type="User", summary=username[:64] or "-", actor=user,
               after={"username": username[:64], "address": address,
                      "reason": "unknown_user" if user is None else "wrong_password"})
        row = throttle.register_failure(username, address)
        if row.blocked_until is not None and row.blocked_until > utcnow():
            return LoginResult(None, _wait_message(row.blocked_until))
        return LoginResult(None, _("用户名或密码错误。"))
    if not user.active:
        return LoginResult(None, _("该账户已停用，请联系系统管理员。"))
    throttle.register_success(username, address)
    user.last_login_at = utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("auth.login", user, actor=user, after={"address": address})
    return LoginResult(user)


def check_password_rules(password: str, *, user: User | None = None, username: str | None = None,
                         field: str = "password") -> None:
    password_rules.check(password, username=user.username if user else username,
                         current_hash=user.password_hash if user else None, field=field)


def _check_binding(role: Role, street_id, company_id) -> tuple[int | None, int | None]:
    if role is Role.STREET_OFFICER:
        if not street_id:
            raise DomainError(_("街道办账户必须选择所属街道。"), field="street_id")
        return street_id, None
    if role is Role.COMPANY_USER:
        if not company_id:
            raise DomainError(_("物业企业账户必须选择所属企业。"), field="company_id")
        return None, company_id
    return None, None


def create_user(*, username: str, display_name: str, role: Role, password: str,
                street_id=None, company_id=None, phone=None, must_change_password=True,
                actor=None) -> User:
    username = username.strip()
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise DomainError(_("用户名“%(name)s”已被使用。", name=username), field="username")
    check_password_rules(password, username=username)
    street_id, company_id = _check_binding(role, street_id, company_id)
    user = User(
        username=username, display_name=display_name.strip(), role=role, phone=phone,
        street_id=street_id, company_id=company_id, password_hash=hash_password(password),
        must_change_password=must_change_password, locale="zh_CN",
    )
    db.session.add(user)
    record("user.create", user, after=snapshot(user), actor=actor)
    return user


def update_user(user: User, *, display_name: str, role: Role, street_id=None, company_id=None,
                phone=None, actor=None) -> User:
    before = snapshot(user, ["display_name", "role", "street_id", "company_id", "phone"])
    street_id, company_id = _check_binding(role, street_id, company_id)
    if user.role is Role.BUREAU_ADMIN and role is not Role.BUREAU_ADMIN:
        _refuse_last_admin(user)
    user.display_name = display_name.strip()
    user.role = role
    user.street_id = street_id
    user.company_id = company_id
    user.phone = phone
    record_change("user.update", user, before, actor=actor)
    return user


def _refuse_last_admin(user: User) -> None:
    others = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.BUREAU_ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise DomainError(_("不能停用或降级最后一个管理员账户。"))


def set_active(user: User, active: bool, *, actor) -> User:
    if user.active == active:
        return user
    if not active:
        if actor is not None and actor.id == user.id:
            raise DomainError(_("不能停用自己的账户。"))
        if user.role is Role.BUREAU_ADMIN:
            _refuse_last_admin(user)
    user.active = active
    ended = 0 if active else sessions.end_all(user, sessions.DISABLED)
    record("user.enable" if active else "user.disable", user,
           before={"active": not active}, after={"active": active} | ({"sessions_ended": ended} if ended else {}),
           actor=actor)
    return user


def reset_password(user: User, new_password: str, *, actor) -> User:
    """An administrator sets a temporary password; the user must change it.

    Every session of the user ends, and the login throttles of the account name are cleared.
    """
    check_password_rules(new_password, user=user)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    ended = sessions.end_all(user, sessions.PASSWORD_RESET)
    cleared = throttle.clear_for_username(user.username)
    record("user.reset_password", user, actor=actor, after={"sessions_ended": ended, "throttles_cleared": cleared})
    return user


def change_own_password(user: User, current: str, new: str, *, keep: UserSession | None = None) -> User:
    """Change one's own password; every other session of the user ends (``keep`` continues)."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("当前密码不正确。"), field="current_password")
    check_password_rules(new, user=user, field="new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    ended = sessions.end_all(user, sessions.PASSWORD_CHANGE, except_session=keep)
    record("user.change_password", user, actor=user, after={"other_sessions_ended": ended})
    return user


def set_locale(user: User, locale: str) -> None:
    if user.locale != locale:
        before = {"locale": user.locale}
        user.locale = locale
        record("user.set_locale", user, before=before, after={"locale": locale}, actor=user)
