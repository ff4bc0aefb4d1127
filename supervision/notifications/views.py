from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import scope
from ..core.pagination import paginate
from ..extensions import db
from .models import Notification
from .services import mark_read

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    only_unread = request.args.get("unread") == "1"
    statement = scope.visible(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if only_unread:
        statement = statement.where(Notification.read_at.is_(None))
    return render_template("notifications/index.html", page=paginate(statement), only_unread=only_unread)


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    notification = scope.load(Notification, notification_id)
    mark_read(current_user, [notification.id])
    db.session.commit()
    return redirect(notification.link or url_for(".index"))


@bp.post("/read-all")
@login_required
def read_all():
    mark_read(current_user)
    db.session.commit()
    return redirect(url_for(".index"))
