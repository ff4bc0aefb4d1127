from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth import scope
from ..auth.roles import ADMIN
from ..core.forms import ConfirmForm
from ..core.pagination import paginate
from ..extensions import db
from . import delivery
from .forms import NotificationSettingsForm, category_fields
from .models import DeliveryStatus, DigestDelivery, DigestFrequency, Notification
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


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = NotificationSettingsForm()
    if request.method == "GET":
        form.email.data = current_user.email
        for category, frequency in delivery.preferences(current_user).items():
            form[f"c_{category.value}"].data = frequency.value
    elif form.validate_on_submit():
        before = {"email": current_user.email,
                  **{c.value: f.value for c, f in delivery.preferences(current_user).items()}}
        current_user.email = (form.email.data or "").strip() or None
        choices = {c: DigestFrequency(field.data) for c, field in category_fields(form)}
        delivery.set_preferences(current_user, choices)
        after = {"email": current_user.email, **{c.value: f.value for c, f in choices.items()}}
        record("notification.preferences", current_user, before=before, after=after, actor=current_user)
        db.session.commit()
        flash(_("提醒设置已保存。"), "success")
        return redirect(url_for(".settings"))
    return render_template("notifications/settings.html", form=form, fields=category_fields(form),
                           mail_on=bool(current_app.config["MAIL_SERVER"]),
                           webhook_on=bool(current_app.config["NOTIFY_WEBHOOK_URL"]))


@bp.get("/deliveries")
@scope.role_required(ADMIN)
def deliveries():
    status = request.args.get("status") or ""
    statement = select(DigestDelivery).options(joinedload(DigestDelivery.user)).order_by(
        DigestDelivery.created_at.desc(), DigestDelivery.id.desc())
    if status in {s.value for s in DeliveryStatus}:
        statement = statement.where(DigestDelivery.status == DeliveryStatus(status))
    problems = db.session.scalar(select(func.count(DigestDelivery.id)).where(
        DigestDelivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.ABANDONED, DeliveryStatus.SENDING])))
    return render_template("notifications/deliveries.html", page=paginate(statement), status=status,
                           statuses=list(DeliveryStatus), problems=problems, retry_form=ConfirmForm())


@bp.post("/deliveries/<int:delivery_id>/retry")
@scope.role_required(ADMIN)
def delivery_retry(delivery_id: int):
    row = db.get_or_404(DigestDelivery, delivery_id)
    if ConfirmForm().validate_on_submit() and row.status is not DeliveryStatus.SENT:
        before = {"status": row.status.value, "attempts": row.attempts}
        delivery.retry(row)
        record("notification.delivery_retry", row, before=before, after={"status": row.status.value, "attempts": 0},
               actor=current_user)
        db.session.commit()
        flash(_("已安排重新发送，下一次摘要任务运行时发送。"), "success")
    return redirect(url_for(".deliveries"))
