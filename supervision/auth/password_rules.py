"""What a new password must be, and the demo password's guard in production.

Rules (``check``): at least PASSWORD_MIN_LENGTH characters; not the username; not in
``common-passwords.txt`` (compared without case); not the user's current password.

Production is ``SUPERVISION_ENV=production`` (config ``PRODUCTION``). There the app refuses to start
while a demo account still has the demo password, and ``flask seed demo`` refuses to run.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..core.errors import DomainError
from ..extensions import db
from ..seeding import load_json
from .models import User
from .passwords import verify_password

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check(password: str, *, username: str | None = None, current_hash: str | None = None,
          field: str = "password") -> None:
    """Raise a DomainError naming ``field`` when ``password`` breaks a rule."""
    password = password or ""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise DomainError(_("密码长度至少为 %(n)s 位。", n=minimum), field=field)
    if username and password.strip().lower() == username.strip().lower():
        raise DomainError(_("密码不能与用户名相同。"), field=field)
    if password.strip().lower() in common_passwords():
        raise DomainError(_("该密码过于常见，容易被猜中，请换一个。"), field=field)
    if current_hash and verify_password(current_hash, password):
        raise DomainError(_("新密码不能与当前密码相同。"), field=field)


def demo_password() -> str:
    return load_json("demo/users.json")["password"]


def demo_accounts_with_demo_password() -> list[str]:
    """Usernames of active demo accounts whose password is still the demo password."""

    data = load_json("demo/users.json")
    names = [row["username"] for row in data["users"]]
    users = db.session.scalars(select(User).where(User.username.in_(names), User.active.is_(True))).all()
    return sorted(user.username for user in users if verify_password(user.password_hash, data["password"]))


def refuse_demo_password_in_production(app) -> None:
    """At start-up in production: stop if a demo account can still log in with the demo password."""
    if not app.config.get("PRODUCTION"):
        return
    with app.app_context():
        try:
            found = demo_accounts_with_demo_password()
        except SQLAlchemyError as error:  # no schema yet (before `flask db upgrade`) or no database
            log.warning("Could not check the demo accounts' passwords: %s", error.__class__.__name__)
            found = []
        finally:
            db.session.remove()
            db.engine.dispose()  # gunicorn preloads the app: no connection crosses the fork
    if found:
        raise RuntimeError(
            "拒绝启动：生产环境（SUPERVISION_ENV=production）下演示账户仍使用演示密码："
            + "、".join(found) + "。请先停用这些账户或修改其密码。"
            " / Refusing to start: demo accounts still have the demo password in production.")
