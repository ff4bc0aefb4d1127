"""The handover (交接) of an estate to another company: the bureau's roles only."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU
from ..core.errors import DomainError, check_version
from ..core.timeutil import local_today
from ..extensions import db
from . import handover as management
from .errors import flash_errors
from .forms import HandoverForm
from .models import Estate

bp = Blueprint("estate_management", __name__, url_prefix="/estates")


@bp.route("/<int:estate_id>/handover", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def handover(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=BUREAU)
    form = HandoverForm(obj=estate) if request.method == "GET" else HandoverForm()
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
