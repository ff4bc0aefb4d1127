"""The handover (交接) of an estate to another company: the bureau's roles only."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU
from ..companies.models import Company, Staff
from ..core.errors import DomainError, check_version
from ..core.timeutil import local_today
from ..extensions import db
from . import handover as management
from .errors import flash_errors
from .forms import HandoverForm
from .models import Estate

bp = Blueprint("estate_management", __name__, url_prefix="/estates")


def _bind_choices(form: HandoverForm, estate: Estate) -> None:
    managers = db.session.execute(
        select(Staff.id, Staff.name, Company.name.label("company")).join(Company, Company.id == Staff.company_id)
        .where(Staff.left_on.is_(None), Company.archived_at.is_(None))
        .order_by(Company.name_sort, Staff.name_sort)).all()
    form.project_manager_id.choices = [(None, _("（暂不填写）"))] + [
        (row.id, f"{row.name}（{row.company}）") for row in managers]


@bp.route("/<int:estate_id>/handover", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def handover(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=BUREAU)
    form = HandoverForm(obj=estate) if request.method == "GET" else HandoverForm()
    _bind_choices(form, estate)
    if request.method == "GET":
        form.handover_on.data = local_today()
        form.company_id.data = None
        form.management_mode.data = estate.management_mode.value
    if form.validate_on_submit():
        try:
            check_version(estate, form.version.data)
            management.handover(estate, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已办理小区“%(name)s”的物业交接。", name=estate.name), "success")
            return redirect(url_for("estates.detail", estate_id=estate.id, _anchor="management"))
    return render_template("estates/handover.html", form=form, estate=estate,
                           current=management.current_period(estate),
                           open_items=management.open_items(estate, estate.company_id))
