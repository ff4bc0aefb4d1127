"""办理时限: the admin's table of complaint clocks under /admin/complaint-clocks, and editing one.

A changed clock applies to new complaints and is counted again for the open ones of its kind and
urgency (and category), from their received time (``deadlines``; audited per complaint).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import scope
from ..auth.roles import ADMIN
from ..core.errors import ConcurrentEditError, DomainError
from ..core.forms import ConfirmForm, apply_domain_error
from ..extensions import db
from . import clock as clocks
from . import deadlines
from .forms import ClockForm, NewClockForm
from .models import ComplaintClock, Kind, Urgency

bp = Blueprint("complaint_clocks", __name__, url_prefix="/admin/complaint-clocks")


@bp.get("/")
@scope.role_required(ADMIN)
def index():
    return render_template("complaints/clocks.html", clocks=clocks.clocks(), Limit=clocks.Limit,
                           max_hours=clocks.MAX_HOURS, max_days=clocks.MAX_DAYS, remove_form=ConfirmForm())


def _fill(form: ClockForm, clock: ComplaintClock) -> None:
    response = clocks.Limit.of(clock.response_hours, clock.response_days)
    resolution = clocks.Limit.of(clock.resolution_hours, clock.resolution_days)
    form.response_amount.data, form.response_unit.data = response.amount, response.unit
    form.resolution_amount.data, form.resolution_unit.data = resolution.amount, resolution.unit
    form.version.data = clock.version


def _outcome_message(outcome: deadlines.Outcome) -> str:
    if outcome.job is not None:
        return _("未办结诉求的办理时限正在后台重新计算。")
    return _("%(n)s 件未办结诉求的办理时限已按新时限调整。", n=outcome.moved)


@bp.route("/<int:clock_id>", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def edit(clock_id: int):
    clock = db.get_or_404(ComplaintClock, clock_id)
    form = ClockForm()
    if request.method == "GET":
        _fill(form, clock)
    if form.validate_on_submit():
        try:
            changed = clocks.update_clock(
                clock, response=clocks.Limit(form.response_amount.data, form.response_unit.data),
                resolution=clocks.Limit(form.resolution_amount.data, form.resolution_unit.data),
                version=form.version.data, actor=current_user)
            outcome = _recount(clock.kind, clock.urgency, clock.category) if changed else None
        except ConcurrentEditError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return redirect(url_for(".edit", clock_id=clock_id))
        except DomainError as error:
            db.session.rollback()
            clock = db.session.get(ComplaintClock, clock_id)
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("办理时限已保存。") + _outcome_message(outcome) if outcome else _("办理时限未改动。"), "success")
            return redirect(url_for(".index"))
    return render_template("complaints/clock_form.html", form=form, clock=clock, Limit=clocks.Limit,
                           max_hours=clocks.MAX_HOURS, max_days=clocks.MAX_DAYS)


def _recount(kind: Kind, urgency: Urgency, category: str | None) -> deadlines.Outcome:
    return deadlines.schedule(deadlines.Scope(kind=kind.value, urgency=urgency.value, category=category),
                              actor=current_user, reason=_("办理时限调整"))


@bp.route("/new", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def new():
    form = NewClockForm()
    if form.validate_on_submit():
        kind, urgency = Kind(form.kind.data), Urgency(form.urgency.data)
        try:
            clocks.add_clock(kind, urgency, form.category.data,
                             response=clocks.Limit(form.response_amount.data, form.response_unit.data),
                             resolution=clocks.Limit(form.resolution_amount.data, form.resolution_unit.data),
                             actor=current_user)
            outcome = _recount(kind, urgency, form.category.data)
        except DomainError as error:
            db.session.rollback()
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已新增该类别的办理时限。") + _outcome_message(outcome), "success")
            return redirect(url_for(".index"))
    return render_template("complaints/clock_new.html", form=form, max_hours=clocks.MAX_HOURS,
                           max_days=clocks.MAX_DAYS)


@bp.post("/<int:clock_id>/remove")
@scope.role_required(ADMIN)
def remove(clock_id: int):
    clock = db.get_or_404(ComplaintClock, clock_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        kind, urgency, category = clock.kind, clock.urgency, clock.category
        try:
            clocks.remove_clock(clock, version=request.form.get("version"), actor=current_user)
            outcome = _recount(kind, urgency, category)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已删除该类别的办理时限，改按默认时限。") + _outcome_message(outcome), "success")
    return redirect(url_for(".index"))
