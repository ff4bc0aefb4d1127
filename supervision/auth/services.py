"""Accounts: authentication with lockout, and the administrator's actions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record, record_change, snapshot
from ..core.errors import DomainError
from ..core.timeutil import to_local, utcnow
from ..extensions import db
from .models import User
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


def _lock_message(user: User) -> str:
    until = to_local(user.locked_until)
    return _("登录失败次数过多，账户已锁定15分钟，请于 %(time)s 后再试。", time=until.strftime("%H:%M"))


def authenticate(username: str, password: str) -> LoginResult:
    """Check a login; count failures and lock the account after too many."""
    username = (username or "").strip()
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    generic = _("用户名或密码错误。")
    if user is None:
        verify_password(_dummy_hash(), password)
        record("auth.login_failed", object_type="User", summary=username[:64] or "-",
               after={"username": username[:64], "reason": "unknown_user"})
        return LoginResult(None, generic)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, _lock_message(user))
    if not verify_password(user.password_hash, password):
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= limit:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            record("auth.locked", user, actor=user,
                   after={"locked_until": user.locked_until, "after_failures": limit})
            return LoginResult(None, _lock_message(user))
        record("auth.login_failed", user, actor=user, after={"failed_logins": user.failed_logins})
        remaining = limit - user.failed_logins
        return LoginResult(None, generic + _("再失败 %(n)s 次账户将被锁定15分钟。", n=remaining))
    if not user.active:
        return LoginResult(None, _("该账户已停用，请联系系统管理员。"))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("auth.login", user, actor=user)
    return LoginResult(user)


def check_password_rules(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise DomainError(_("密码长度至少为 %(n)s 位。", n=minimum), field="password")


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
    check_password_rules(password)
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
    if active:
        user.failed_logins = 0
        user.locked_until = None
    record("user.enable" if active else "user.disable", user,
           before={"active": not active}, after={"active": active}, actor=actor)
    return user


def reset_password(user: User, new_password: str, *, actor) -> User:
    """An administrator sets a temporary password; the user must change it."""
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    record("user.reset_password", user, actor=actor)
    return user


def change_own_password(user: User, current: str, new: str) -> User:
    if not verify_password(user.password_hash, current):
        raise DomainError(_("当前密码不正确。"), field="current_password")
    check_password_rules(new)
    if verify_password(user.password_hash, new):
        raise DomainError(_("新密码不能与当前密码相同。"), field="new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    record("user.change_password", user, actor=user)
    return user


def set_locale(user: User, locale: str) -> None:
    if user.locale != locale:
        before = {"locale": user.locale}
        user.locale = locale
        record("user.set_locale", user, before=before, after={"locale": locale}, actor=user)
