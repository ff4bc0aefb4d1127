"""The scheme editor (阶段方案与检查表): the district sees the schemes, the bureau edits them.

Edits go through ``services.schemes``: a scheme or checklist in use gets a new version, so the
campaigns created from it keep their phases and forms.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...audit.services import history_for
from ...auth import scope
from ...auth.roles import BUREAU, DISTRICT_READERS
from ...core.errors import DomainError
from ...core.pagination import paginate
from ...core.timeutil import local_today
from ...documents.excel import Column, write_workbook, xlsx_response
from ...extensions import db
from ..models import Campaign, CampaignScheme, ChecklistItem
from ..scheme_forms import ChecklistItemForm, RowVersionForm, SchemeCopyForm, SchemeEditForm
from ..services import schemes as service
from ..services.self_inspection import standard_text
from . import bp
from ._helpers import show_error


def _scheme(scheme_id: int) -> CampaignScheme:
    return db.get_or_404(CampaignScheme, scheme_id)


def _latest_scheme(scheme_id: int) -> CampaignScheme:
    """Edits start from the newest version; an older one's edit page sends the user there."""
    scheme = _scheme(scheme_id)
    if not service.is_latest(scheme):
        abort(404)
    return scheme


def _item(scheme: CampaignScheme, checklist_item_id: int) -> ChecklistItem:
    item = db.get_or_404(ChecklistItem, checklist_item_id)
    template = service.scheme_template(scheme)
    if template is None or item.template_id != template.id:
        abort(404)
    return item


@bp.get("/schemes")
@scope.role_required(DISTRICT_READERS)
def schemes():
    show_all = request.args.get("all") == "1"
    statement = select(CampaignScheme)
    if not show_all:
        statement = statement.where(CampaignScheme.active.is_(True))
    page = paginate(statement.order_by(CampaignScheme.code, CampaignScheme.version.desc())
                    .options(selectinload(CampaignScheme.phases)))
    ids = [s.id for s in page.items]
    used = {}
    if ids:
        used = dict(db.session.execute(select(Campaign.scheme_id, func.count(Campaign.id))
                                       .where(Campaign.scheme_id.in_(ids)).group_by(Campaign.scheme_id)).all())
    templates = service.scheme_templates(page.items)
    return render_template("campaigns/schemes.html", page=page, used=used, templates=templates, show_all=show_all)


@bp.get("/schemes/<int:scheme_id>")
@scope.role_required(DISTRICT_READERS)
def scheme_detail(scheme_id: int):
    scheme = _scheme(scheme_id)
    template = service.scheme_template(scheme)
    versions = db.session.scalars(select(CampaignScheme).where(CampaignScheme.code == scheme.code)
                                  .order_by(CampaignScheme.version.desc())).all()
    return render_template(
        "campaigns/scheme.html", scheme=scheme, template=template, days=service.phase_days(scheme),
        versions=versions, latest=service.is_latest(scheme), campaigns=service.campaigns_using(scheme),
        sharing=[s for s in service.schemes_sharing(scheme.checklist_code) if s.code != scheme.code],
        template_in_use=service.template_in_use(template) if template else False,
        in_use=service.scheme_in_use(scheme), history=history_for(scheme, limit=20))


def _checklist_columns() -> list[Column]:
    return [
        Column("code", _("编号"), width=10),
        Column("category", _("类别"), width=14),
        Column("requirement", _("检查要求"), width=60),
        Column("kind", _("类型"), export=lambda item: str(item.kind.label), width=10),
        Column("standard", _("合格标准"), export=standard_text, width=12),
        Column("weight", _("权重"), export=lambda item: float(item.weight), width=8),
        Column("retired", _("状态"), export=lambda item: _("已停用") if item.retired_at else _("在用"), width=8),
    ]


@bp.get("/schemes/<int:scheme_id>/checklist.xlsx")
@scope.role_required(DISTRICT_READERS)
def scheme_export(scheme_id: int):
    """The scheme's phases and its checklist's items (retired ones marked) as a workbook."""
    scheme = _scheme(scheme_id)
    template = service.scheme_template(scheme)
    phases = [[_("序号"), _("阶段名称"), _("类型"), _("开始（第几天）"), _("结束（第几天）"), _("工作内容")]]
    phases += [[phase.position, phase.name, str(phase.kind.label), first, last, phase.description or ""]
               for phase, first, last in service.phase_days(scheme)]
    data = write_workbook(_checklist_columns(), template.items if template else [], title=_("检查项"),
                          extra_sheets={_("阶段"): phases})
    return xlsx_response(data, f"{scheme.name}-{_('第%(n)s版', n=scheme.version)}-{local_today():%Y%m%d}.xlsx")


@bp.route("/schemes/<int:scheme_id>/copy", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def scheme_copy(scheme_id: int):
    scheme = _scheme(scheme_id)
    form = SchemeCopyForm()
    if request.method == "GET":
        form.name.data = _("%(name)s（副本）", name=scheme.name)[:128]
    if form.validate_on_submit():
        try:
            copy = service.copy_scheme(scheme, name=form.name.data, actor=current_user)
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("已复制为新方案“%(name)s”，可以修改其阶段和检查项。", name=copy.name), "success")
            return redirect(url_for(".scheme_detail", scheme_id=copy.id))
    return render_template("campaigns/scheme_copy.html", form=form, scheme=scheme)


@bp.route("/schemes/<int:scheme_id>/edit", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def scheme_edit(scheme_id: int):
    scheme = _latest_scheme(scheme_id)
    days = service.phase_days(scheme)
    form = SchemeEditForm(obj=scheme)
    if request.method == "GET":
        while len(form.phases):
            form.phases.pop_entry()
        for phase, first, last in days:
            form.phases.append_entry({"position": phase.position, "name": phase.name, "start_day": first,
                                      "end_day": last})
    if form.validate_on_submit():
        try:
            rows = [service.PhaseEdit(position=int(row.form.position.data), name=row.form.name.data,
                                      start_day=row.form.start_day.data, end_day=row.form.end_day.data)
                    for row in form.phases]
            target = service.update_scheme(scheme, actor=current_user, row_version=form.row_version.data,
                                           name=form.name.data, description=form.description.data, phases=rows)
        except (DomainError, ValueError) as error:
            show_error(form, error if isinstance(error, DomainError) else DomainError(_("阶段数据有误，请刷新页面。")))
        else:
            db.session.commit()
            if target.id != scheme.id:
                flash(_("该方案已有专项行动在用，已保存为第%(n)s版；在用的专项行动不受影响。", n=target.version),
                      "success")
            else:
                flash(_("已保存。"), "success")
            return redirect(url_for(".scheme_detail", scheme_id=target.id))
    phases = {p.position: p for p, _first, _last in days}
    return render_template("campaigns/scheme_edit.html", form=form, scheme=scheme, phases=phases,
                           in_use=service.scheme_in_use(scheme))


def _item_input(form) -> service.ItemInput:
    return service.ItemInput(code=form.code.data, category=form.category.data, requirement=form.requirement.data,
                             kind=form.kind.data, threshold=form.threshold.data, comparator=form.comparator.data,
                             unit=form.unit.data, weight=form.weight.data)


def _saved_item_message(template_before, item) -> str:
    if item.template_id != template_before.id:
        return _("检查表已有专项行动在用，已保存为第%(n)s版；在用的专项行动不受影响。", n=item.template.version)
    return _("已保存。")


@bp.route("/schemes/<int:scheme_id>/items/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def scheme_item_new(scheme_id: int):
    scheme = _latest_scheme(scheme_id)
    template = service.scheme_template(scheme)
    if template is None:
        abort(404)
    form = ChecklistItemForm()
    if request.method == "GET":
        form.row_version.data = template.row_version
    if form.validate_on_submit():
        try:
            item = service.add_item(scheme, _item_input(form), actor=current_user, row_version=form.row_version.data)
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_saved_item_message(template, item), "success")
            return redirect(url_for(".scheme_detail", scheme_id=scheme.id, _anchor="checklist"))
    return render_template("campaigns/scheme_item_form.html", form=form, scheme=scheme, template=template,
                           item=None)


@bp.route("/schemes/<int:scheme_id>/items/<int:checklist_item_id>/edit", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def scheme_item_edit(scheme_id: int, checklist_item_id: int):
    scheme = _latest_scheme(scheme_id)
    item = _item(scheme, checklist_item_id)
    template = item.template
    form = ChecklistItemForm(obj=item)
    if request.method == "GET":
        form.row_version.data = template.row_version
        form.kind.data = item.kind.value
        form.threshold.data = "" if item.threshold is None else f"{item.threshold.normalize():f}"
        form.weight.data = f"{item.weight.normalize():f}"
    form.code.data = item.code  # the code stays
    if form.validate_on_submit():
        try:
            saved = service.update_item(scheme, item, _item_input(form), actor=current_user,
                                        row_version=form.row_version.data)
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_saved_item_message(template, saved), "success")
            return redirect(url_for(".scheme_detail", scheme_id=scheme.id, _anchor="checklist"))
    return render_template("campaigns/scheme_item_form.html", form=form, scheme=scheme, template=template,
                           item=item)


@bp.route("/schemes/<int:scheme_id>/items/<int:checklist_item_id>/retire", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def scheme_item_retire(scheme_id: int, checklist_item_id: int):
    scheme = _latest_scheme(scheme_id)
    item = _item(scheme, checklist_item_id)
    template = item.template
    back = url_for(".scheme_detail", scheme_id=scheme.id, _anchor="checklist")
    form = RowVersionForm()
    if request.method == "GET":
        form.row_version.data = template.row_version
    if form.validate_on_submit():
        try:
            saved = service.retire_item(scheme, item, actor=current_user, row_version=form.row_version.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已停用检查项“%(code)s”。", code=saved.code) + " " + _saved_item_message(template, saved),
                  "success")
        return redirect(back)
    message = _("确定停用检查项“%(code)s %(text)s”吗？停用后新的自查表不再包含此项；"
                "已填报的自查表和已产生的整改事项保留此项。",
                code=item.code, text=item.requirement)
    if service.template_in_use(template):
        message += _("该检查表已有专项行动在用，停用将生成检查表的新版本，在用的专项行动不受影响。")
    return render_template("confirm.html", form=form, title=_("停用检查项"), message=message, danger=True,
                           cancel_url=back, confirm_label=_("停用"))


@bp.post("/schemes/<int:scheme_id>/items/<int:checklist_item_id>/restore")
@scope.role_required(BUREAU)
def scheme_item_restore(scheme_id: int, checklist_item_id: int):
    scheme = _latest_scheme(scheme_id)
    item = _item(scheme, checklist_item_id)
    form = RowVersionForm()
    if form.validate_on_submit():
        try:
            saved = service.restore_item(scheme, item, actor=current_user, row_version=form.row_version.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已恢复检查项“%(code)s”。", code=saved.code), "success")
    return redirect(url_for(".scheme_detail", scheme_id=scheme.id, _anchor="checklist"))
