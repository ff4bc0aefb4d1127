"""Flask-Login wiring on top of the server-side sessions (``sessions.py``).

The signed cookie holds Flask-Login's user id and ``SESSION_TOKEN_KEY``, a random token naming a
row of ``user_sessions``. At the start of every request the row is checked (open, user active,
within the idle timeout and the absolute lifetime); a cookie whose row has ended is forgotten.
"""
from __future__ import annotations

from flask import flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ..extensions import db, login_manager
from . import sessions
from .password_rules import refuse_demo_password_in_production

SESSION_TOKEN_KEY = "sid"
_NO_SESSION_ENDPOINTS = {"static", "bootstrap.static"}


def begin(user) -> None:
    """Log ``user`` in on this browser: a fresh cookie and a new session row (the caller commits)."""
    session.clear()
    row, token = sessions.start(user, ip=request.remote_addr, user_agent=request.user_agent.string)
    login_user(user)
    session[SESSION_TOKEN_KEY] = token
    g.user_session = row


def current_session():
    """This request's session row (None for API tokens and anonymous visitors)."""
    return g.get("user_session")


def finish() -> None:
    """Log out on this browser: end its session row (the caller commits first) and forget the cookie."""
    row = current_session()
    if row is not None:
        sessions.end(row, sessions.LOGOUT, actor=row.user)
    db.session.commit()
    logout_user()
    session.clear()


def _check_session() -> None:
    """Honour the cookie only while its session row is open; forget it otherwise."""
    g.user_session = None
    if request.endpoint in _NO_SESSION_ENDPOINTS or "_user_id" not in session:
        return
    outcome = sessions.check(session.get(SESSION_TOKEN_KEY), session.get("_user_id"))
    if outcome.wrote:
        db.session.commit()
    if outcome.session is not None:
        g.user_session = outcome.session
        return
    logout_user()
    session.pop(SESSION_TOKEN_KEY, None)
    if outcome.reason in sessions.TIMEOUTS and not request.path.startswith("/api/"):
        flash(_("登录已超时，请重新登录。"), "warning")


def init_login(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        row = g.get("user_session")
        if row is None or str(row.user_id) != user_id:
            return None
        return row.user

    app.before_request(_check_session)

    @app.before_request
    def force_password_change():
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
        flash(str(login_manager.login_message), "warning")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

    refuse_demo_password_in_production(app)
