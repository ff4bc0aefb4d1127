"""基础数据: an overview of the reference data, and the posts' certificate rules."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth import scope
from ..auth.roles import ADMIN
from ..campaigns.models import CampaignScheme, ChecklistItem, ChecklistTemplate
from ..companies.models import CertificateType, Position
from ..core.forms import ConfirmForm
from ..extensions import db
from . import services
from .forms import PositionRequirementForm

bp = Blueprint("admin_reference", __name__, url_prefix="/admin/reference")


@bp.get("/")
@scope.role_required(ADMIN)
def index():
    schemes = db.session.scalars(select(CampaignScheme).options(selectinload(CampaignScheme.phases))
                                 .order_by(CampaignScheme.code, CampaignScheme.version)).all()
    # The checklists with their numbers of items counted in SQL (the page shows the number, not the items).
    items = (select(func.count(ChecklistItem.id)).where(ChecklistItem.template_id == ChecklistTemplate.id)
             .correlate(ChecklistTemplate).scalar_subquery())
    templates = db.session.execute(
        select(ChecklistTemplate.id, ChecklistTemplate.name, ChecklistTemplate.code, ChecklistTemplate.version,
               items.label("item_count"))
        .order_by(ChecklistTemplate.code, ChecklistTemplate.version)).all()
    positions = db.session.scalars(select(Position).options(selectinload(Position.required_certificates))
                                   .order_by(Position.sort_order, Position.id)).all()
    return render_template("admin/reference.html", schemes=schemes, templates=templates, positions=positions,
                           reload_form=ConfirmForm())


@bp.get("/checklists/<int:template_id>")
@scope.role_required(ADMIN)
def checklist(template_id: int):
    template = db.get_or_404(ChecklistTemplate, template_id)
    return render_template("admin/checklist.html", template=template)


@bp.route("/positions/<int:position_id>", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def position_edit(position_id: int):
    position = db.get_or_404(Position, position_id)
    form = PositionRequirementForm(obj=position)
    form.certificate_type_ids.choices = [(t.id, t.name) for t in db.session.scalars(
        select(CertificateType).order_by(CertificateType.id))]
    if request.method == "GET":
        form.certificate_type_ids.data = [t.id for t in position.required_certificates]
    if form.validate_on_submit():
        services.set_position_requirements(position, form.certificate_type_ids.data or [], actor=current_user)
        db.session.commit()
        flash(_("已保存“%(name)s”的持证要求，持证率将按新要求计算。", name=position.name), "success")
        return redirect(url_for(".index"))
    return render_template("admin/position_form.html", form=form, position=position)


@bp.post("/reload")
@scope.role_required(ADMIN)
def reload():
    if ConfirmForm().validate_on_submit():
        loaded = services.reload_reference(actor=current_user)
        db.session.commit()
        flash(_("已从 seeds/ 重新加载参考数据（%(n)s 个模块）。", n=len(loaded)), "success")
    return redirect(url_for(".index"))
