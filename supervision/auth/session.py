"""Flask-Login wiring.

The session id includes a fragment of the password hash, so changing or
resetting a password ends every other session of that account.
"""
from __future__ import annotations

from flask import jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager


def session_id_for(user) -> str:
    return f"{user.id}:{user.password_hash[-16:]}"


def init_login(app) -> None:
    from .models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _sep, fragment = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.password_hash[-16:] != fragment:
            return None
        return user

    @app.before_request
    def force_password_change():
        from flask_login import current_user

        exempt = {"auth.change_password", "auth.logout", "auth.set_language", "static", "bootstrap.static"}
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in exempt and not request.path.startswith("/api/")):
            return redirect(url_for("auth.change_password"))
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            response = jsonify(code="unauthenticated", message="请先登录或提供有效的访问令牌。")
            response.status_code = 401
            return response
        from flask import flash

        flash(str(login_manager.login_message), "warning")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
