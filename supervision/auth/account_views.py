"""A user's own sessions, and the administrator's list of login throttles."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.forms import ConfirmForm
from ..core.pagination import paginate
from ..extensions import db
from . import scope, sessions, throttle
from .models import LoginThrottle, UserSession
from .roles import ADMIN
from .session import current_session, finish

bp = Blueprint("account", __name__)


@bp.get("/account/sessions")
@login_required
def sessions_page():
    rows = db.session.scalars(sessions.open_sessions(current_user)).all()
    return render_template("auth/sessions.html", rows=rows, current=current_session(), confirm_form=ConfirmForm())


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    row = scope.load(UserSession, session_id)  # another user's session answers 404
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("account.sessions_page"))
    if current_session() is not None and row.id == current_session().id:
        finish()
        flash(_("您已退出登录。"), "info")
        return redirect(url_for("auth.login"))
    sessions.end(row, sessions.ENDED_BY_USER, actor=current_user)
    db.session.commit()
    flash(_("已结束该设备上的登录。"), "success")
    return redirect(url_for("account.sessions_page"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    if ConfirmForm().validate_on_submit():
        count = sessions.end_others(current_user, current_session())
        db.session.commit()
        flash(_("已结束其他 %(n)s 个设备上的登录。", n=count), "success")
    return redirect(url_for("account.sessions_page"))


@bp.get("/admin/login-throttles")
@scope.role_required(ADMIN)
def throttles():
    return render_template("auth/throttles.html", page=paginate(throttle.active()), confirm_form=ConfirmForm())


@bp.post("/admin/login-throttles/<int:throttle_id>/clear")
@scope.role_required(ADMIN)
def clear_throttle(throttle_id: int):
    row = db.get_or_404(LoginThrottle, throttle_id)
    if ConfirmForm().validate_on_submit():
        throttle.clear(row, actor=current_user)
        db.session.commit()
        flash(_("已解除 %(name)s 的登录限制。", name=str(row)), "success")
    return redirect(url_for("account.throttles"))
