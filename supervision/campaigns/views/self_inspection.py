"""The self-inspection form: filled online or offline by the company, reviewed by the bureau."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...attachments.models import Attachment
from ...attachments.services import XLSX, attachments_of, validate
from ...auth import scope
from ...auth.roles import ALL_ROLES, BUREAU, COMPANY
from ...core.errors import DomainError
from ...core.forms import ConfirmForm
from ...documents.excel import xlsx_response
from ...extensions import db
from ...i18n import in_chinese
from ...offline import services as offline
from ..forms import ApproveForm, ReturnForm, ScanForm, UploadForm
from ..models import ChecklistKind, Enrolment, SelfInspection, SelfInspectionAnswer
from ..services import self_inspection as si_service
from ..services.common import may_fill_self_inspection
from . import bp
from .enrolments import _load


def _answer_attachments(si: SelfInspection) -> dict[int, list[Attachment]]:
    """Attachments of every answer, in one query."""
    answer_ids = {a.id: a.item_id for a in si.answers}
    if not answer_ids:
        return {}
    rows = db.session.scalars(select(Attachment).where(
        Attachment.owner_type == SelfInspectionAnswer.attachment_owner_type,
        Attachment.owner_id.in_(list(answer_ids))).order_by(Attachment.id))
    grouped: dict[int, list[Attachment]] = {}
    for attachment in rows:
        grouped.setdefault(answer_ids[attachment.owner_id], []).append(attachment)
    return grouped


def _render(enrolment, si, *, errors=None, entered=None, remarks=None, import_errors=None, status=200):
    items = si.template.offered_items if si is not None else (
        enrolment.campaign.checklist_template.offered_items if enrolment.campaign.checklist_template else [])
    answers = si_service.answers_by_item(si) if si is not None else {}
    editable = si is not None and si.status in si_service.EDITABLE and may_fill_self_inspection(current_user, enrolment)
    categories: dict[str, list] = {}
    for item in items:
        categories.setdefault(item.category, []).append(item)
    return render_template(
        "campaigns/self_inspection.html", enrolment=enrolment, campaign=enrolment.campaign, si=si,
        categories=categories, answers=answers, editable=editable, errors=errors or {}, entered=entered,
        remarks=remarks, import_errors=import_errors or [], K=ChecklistKind, service=si_service,
        attachments=_answer_attachments(si) if si is not None else {},
        scans=attachments_of(si, "signed_scan") if si is not None else [],
        upload_form=UploadForm(), scan_form=ScanForm(), return_form=ReturnForm(), approve_form=ApproveForm(),
        confirm=ConfirmForm(), may_fill=may_fill_self_inspection(current_user, enrolment),
        missing=si_service.missing_items(si) if si is not None else []), status


@bp.route("/enrolments/<int:enrolment_id>/self-inspection", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def self_inspection(enrolment_id: int):
    enrolment = _load(enrolment_id)
    si = enrolment.self_inspection
    if request.method == "GET":
        return _render(enrolment, si)  # opening the page never creates the form: 开始填报 posts
    scope.require_role(COMPANY)
    if si is None or not ConfirmForm().validate_on_submit():
        abort(400)
    key, earlier = offline.once()
    if earlier is None:
        earlier = offline.claim_current(key)
    if earlier is not None:
        return offline.repeated(earlier, url_for(".self_inspection", enrolment_id=enrolment.id))
    items = si.template.offered_items
    raw = {item.id: request.form.get(f"a_{item.id}", "") for item in items}
    remarks = {item.id: request.form.get(f"r_{item.id}", "") for item in items}
    files = {item.id: request.files.getlist(f"f_{item.id}") for item in items}
    try:
        fact_date = date.fromisoformat(request.form["fact_date"]) if request.form.get("fact_date") else None
    except ValueError:
        fact_date = None  # the photos' own dates, else today
    try:
        outcome = si_service.save_answers(si, raw, remarks, actor=current_user, files=files, fact_date=fact_date)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return _render(enrolment, si, entered=raw, remarks=remarks, status=422)
    if outcome.errors:
        db.session.rollback()
        flash(_("有 %(n)s 项填写有误，未保存。请改正标红的项目后重新提交（已选择的文件需重新选择）。",
                n=len(outcome.errors)), "danger")
        return _render(enrolment, si, errors=outcome.errors, entered=raw, remarks=remarks, status=422)
    if request.form.get("action") == "submit":
        try:
            created = si_service.submit(si, actor=current_user)
        except DomainError as error:
            # the checks refuse before changing anything: keep the draft just saved
            offline.settle(current_user, key, url_for(".self_inspection", enrolment_id=enrolment.id))
            db.session.commit()
            flash(_("草稿已保存，但未能提交：%(reason)s", reason=error.message), "danger")
            return redirect(url_for(".self_inspection", enrolment_id=enrolment.id))
        offline.settle(current_user, key, url_for(".enrolment_detail", enrolment_id=enrolment.id))
        db.session.commit()
        flash(_("自查表已提交，得分 %(score)s。", score=si.score if si.score is not None else "—")
              + (_("不达标的 %(n)s 项已转为整改事项。", n=len(created)) if created else ""), "success")
        return redirect(url_for(".enrolment_detail", enrolment_id=enrolment.id))
    offline.settle(current_user, key, url_for(".self_inspection", enrolment_id=enrolment.id))
    db.session.commit()
    flash(_("草稿已保存。"), "success")
    return redirect(url_for(".self_inspection", enrolment_id=enrolment.id))


@bp.post("/enrolments/<int:enrolment_id>/self-inspection/start")
@scope.role_required(COMPANY)
def self_inspection_start(enrolment_id: int):
    enrolment = _load(enrolment_id, roles=COMPANY)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        si_service.start(enrolment, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
    return redirect(url_for(".self_inspection", enrolment_id=enrolment.id))


@bp.get("/enrolments/<int:enrolment_id>/self-inspection.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def self_inspection_workbook(enrolment_id: int):
    enrolment = _load(enrolment_id)
    si = enrolment.self_inspection
    if si is None:
        if not may_fill_self_inspection(current_user, enrolment):
            abort(404)
        flash(_("请先开始填报自查表，再下载 Excel。"), "warning")
        return redirect(url_for(".self_inspection", enrolment_id=enrolment.id))
    return xlsx_response(si_service.workbook(si), f"自查检查表-{enrolment.estate.name}.xlsx")


@bp.post("/enrolments/<int:enrolment_id>/self-inspection/import")
@scope.role_required(COMPANY)
def self_inspection_import(enrolment_id: int):
    enrolment = _load(enrolment_id, roles=COMPANY)
    si = enrolment.self_inspection
    form = UploadForm()
    if si is None or not form.validate_on_submit():
        flash(_("请选择要上传的 Excel 文件。"), "danger")
        return redirect(url_for(".self_inspection", enrolment_id=enrolment.id))
    data = form.file.data.read()
    try:
        validate(data, form.file.data.filename, (XLSX,))
        errors = si_service.import_workbook(si, data, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for(".self_inspection", enrolment_id=enrolment.id))
    if errors:
        db.session.rollback()
        flash(_("文件有 %(n)s 处错误，未导入。请改正后重新上传。", n=len(errors)), "danger")
        return _render(enrolment, si, import_errors=errors, status=422)
    db.session.commit()
    flash(_("已导入 Excel 填报结果（草稿）。请核对后提交。"), "success")
    return redirect(url_for(".self_inspection", enrolment_id=enrolment.id))


@bp.post("/self-inspections/<int:si_id>/scan")
@scope.role_required(COMPANY)
def self_inspection_scan(si_id: int):
    si = scope.load(SelfInspection, si_id, roles=COMPANY)
    form = ScanForm()
    if form.validate_on_submit():
        try:
            si_service.upload_signed_scan(si, form.file.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已上传盖章扫描件。"), "success")
    else:
        flash(_("请选择要上传的文件。"), "danger")
    return redirect(url_for(".self_inspection", enrolment_id=si.enrolment_id))


@bp.route("/self-inspections/<int:si_id>/return", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def self_inspection_return(si_id: int):
    si = scope.load(SelfInspection, si_id, roles=BUREAU)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            si_service.return_for_revision(si, comment=form.comment.data, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已退回自查表，企业修改后可重新提交。"), "success")
            return redirect(url_for(".self_inspection", enrolment_id=si.enrolment_id))
    enrolment = db.session.get(Enrolment, si.enrolment_id)
    return render_template("confirm.html", form=form, title=_("退回自查表"),
                           message=_("将“%(estate)s”的自查表退回企业修改。请写明需要修改的内容。",
                                     estate=enrolment.estate.name),
                           cancel_url=url_for(".self_inspection", enrolment_id=si.enrolment_id),
                           confirm_label=_("退回"), danger=True)


@bp.post("/self-inspections/<int:si_id>/approve")
@scope.role_required(BUREAU)
def self_inspection_approve(si_id: int):
    si = scope.load(SelfInspection, si_id, roles=BUREAU)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            si_service.approve(si, actor=current_user, comment=form.comment.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("自查表已审核通过。"), "success")
    return redirect(url_for(".self_inspection", enrolment_id=si.enrolment_id))
