"""Credit events: list, recording, notices, evidence, revocation; the company's objections."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...attachments.services import attachments_of
from ...audit.services import history_for
from ...auth import scope
from ...auth.roles import BUREAU, COMPANY, DISTRICT_READERS
from ...companies.models import Company
from ...core.errors import DomainError, check_version
from ...core.forms import ConfirmForm
from ...core.pagination import paginate_keys
from ...core.timeutil import local_today
from ...documents.pdf import pdf_response, render_pdf
from ...extensions import db
from ...i18n import in_chinese
from ...regions.services import bureau_name
from .. import options, scoring, services
from ..forms import CompanyChoiceForm, DecideForm, EventFilterForm, EventForm, EvidenceForm, ObjectionForm, RevokeForm
from ..models import (
    ClueStatus,
    CreditClue,
    CreditEvent,
    CreditRuleSet,
    EventOrigin,
    EventStatus,
    ObjectionStatus,
    RecordingLevel,
)
from . import bp
from ._helpers import Badges, _domain_error, _files, _flash_errors, _load_event

# --- events ------------------------------------------------------------------

@bp.get("/events")
@scope.role_required(DISTRICT_READERS)
def events():
    filters = EventFilterForm(request.args)
    filters.validate()
    keys = services.event_keys(
        scope.visible(CreditEvent), q=filters.q.data,
        status=filters.status.data if not filters.status.errors else None,
        part=filters.part.data if not filters.part.errors else None,
        origin=filters.origin.data if not filters.origin.errors else None,
        year=filters.year.data if not filters.year.errors else None)
    # The count capped (LIST_COUNT_LIMIT), as the staff list's: the district's 46,000 events, or a filter no index
    # answers (a search, 来源), counted up to the limit instead of to the end.
    page = paginate_keys(keys, services.event_rows, count_limit=True)
    return render_template("credit/events.html", filters=filters, page=page, badges=Badges(),
                           **services.waiting_counts(), today=local_today())


def _bind_event_form(form: EventForm, company: Company, rule_set: CreditRuleSet) -> None:
    groups = options.item_groups(rule_set)
    form.item_id.choices = [(None, _("请选择评价条款"))] + [
        (item_id, label) for entries in groups.values() for item_id, label in entries]
    form.item_groups = groups
    form.estate_id.choices = [(None, _("（不涉及具体小区）"))] + options.estate_choices(company)
    form.staff_id.choices = [(None, _("（不涉及项目经理）"))] + options.manager_choices(company)


def _event_kwargs(form: EventForm) -> dict:
    return dict(**services.event_inputs(item_id=form.item_id.data, estate_id=form.estate_id.data,
                                        staff_id=form.staff_id.data),
                occurred_on=form.occurred_on.data, description=form.description.data,
                recording_level=RecordingLevel(form.recording_level.data),
                recording_body=form.recording_body.data or None, effective_from=form.effective_from.data,
                effective_until=form.effective_until.data, rectify_by=form.rectify_by.data)


def _issue(event: CreditEvent) -> str:
    services.issue_event(event, actor=current_user)
    if event.is_deduction:
        return _("已发出记分告知单 %(number)s，异议期至 %(day)s。", number=event.notice_number,
                 day=event.objection_deadline.isoformat())
    return _("记录已确认生效。")


@bp.route("/events/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def event_new():
    clue = None
    clue_id = request.args.get("clue_id", type=int)
    if clue_id:
        clue = scope.load(CreditClue, clue_id)
        if clue.status is not ClueStatus.SUBMITTED:
            flash(_("该线索已处理。"), "warning")
            return redirect(url_for(".clue", clue_id=clue.id))
    company_id = clue.company_id if clue else None
    if not company_id:
        chooser = CompanyChoiceForm(request.args)
        if not chooser.company_id.data:
            if "company_id_text" in request.args:
                chooser.validate()
            return render_template("credit/event_company.html", form=chooser)
        company_id = chooser.company_id.data
    company = scope.load(Company, company_id)
    rule_set = services.rule_set_for(local_today())
    form = EventForm()
    _bind_event_form(form, company, rule_set)
    if request.method == "GET":
        form.recording_level.data = RecordingLevel.DISTRICT.value
        if clue:
            form.recording_level.data = RecordingLevel.STREET.value
            form.recording_body.data = f"{clue.street.name}办事处"
            form.estate_id.data = clue.estate_id
            form.occurred_on.data = clue.occurred_on
            form.description.data = clue.description
            match = services.item_matching(rule_set, clue.item)
            form.item_id.data = match.id if match else None
    if form.validate_on_submit():
        try:
            event = services.create_event(
                company=company, **_event_kwargs(form),
                origin=EventOrigin.CLUE if clue else EventOrigin.MANUAL, clue=clue, actor=current_user)
            services.add_evidence(event, _files(), fact_date=form.evidence_date.data, actor=current_user)
            message = _issue(event) if form.issue.data else _("已保存为草稿，可补充证据后发出。")
        except DomainError as error:
            _domain_error(form, error)
            flash(_("未保存。如已选择证据文件，请重新选择。"), "warning")
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".event", event_id=event.id))
    return render_template("credit/event_form.html", form=form, company=company, rule_set=rule_set, clue=clue,
                           event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def event_edit(event_id: int):
    event = scope.load(CreditEvent, event_id, roles=BUREAU)
    if event.status is not EventStatus.DRAFT:
        flash(_("只有草稿可以修改；已告知或已确认的记录只能撤销后重新录入。"), "warning")
        return redirect(url_for(".event", event_id=event.id))
    company = event.company
    rule_set = services.rule_set_for(local_today())
    form = EventForm(obj=event)
    _bind_event_form(form, company, rule_set)
    if request.method == "GET":
        form.recording_level.data = event.recording_level.value
    if form.validate_on_submit():
        try:
            check_version(event, form.version.data)
            services.update_event(event, **_event_kwargs(form), actor=current_user)
            services.add_evidence(event, _files(), fact_date=form.evidence_date.data, actor=current_user)
            message = _issue(event) if form.issue.data else _("已保存。")
        except DomainError as error:
            _domain_error(form, error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".event", event_id=event.id))
    return render_template("credit/event_form.html", form=form, company=company, rule_set=rule_set, clue=None,
                           event=event)


@bp.get("/events/<int:event_id>")
@scope.role_required(DISTRICT_READERS | COMPANY)
def event(event_id: int):
    event = _load_event(event_id)
    objection = event.objection
    today = local_today()
    in_force, scoring_item = services.in_force_with_item(today, event.item)
    return render_template(
        "credit/event.html", event=event, objection=objection, today=today,
        evidence=attachments_of(event), objection_evidence=attachments_of(objection) if objection else [],
        history=history_for(event) if current_user.sees_district else [],
        counts_today=scoring.counts_on(event, today), in_force=in_force, scoring_item=scoring_item,
        evidence_form=EvidenceForm())


@bp.post("/events/<int:event_id>/evidence")
@scope.role_required(BUREAU)
def event_evidence(event_id: int):
    event = _load_event(event_id, roles=BUREAU)
    form = EvidenceForm()
    if event.status is EventStatus.REVOKED:
        flash(_("已撤销的记录不能补充证据。"), "warning")
    elif form.validate_on_submit():
        files = _files()
        if not files:
            flash(_("请选择要上传的文件。"), "warning")
        else:
            try:
                services.add_evidence(event, files, fact_date=form.evidence_date.data, actor=current_user)
            except DomainError as error:
                _domain_error(None, error)
            else:
                db.session.commit()
                flash(_("已上传 %(n)s 个证据文件。", n=len(files)), "success")
    else:
        _flash_errors(form)
    return redirect(url_for(".event", event_id=event_id))


@bp.route("/events/<int:event_id>/notify", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def event_notify(event_id: int):
    event = _load_event(event_id, roles=BUREAU)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            message = _issue(event)
        except DomainError as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(message, "success")
        return redirect(url_for(".event", event_id=event_id))
    if event.is_deduction:
        title = _("发出记分告知单")
        message = _("将向“%(company)s”发出记分告知单：%(clause)s，记 %(points)s 分。发出后记录不可修改，企业可在 "
                    "%(days)s 个工作日内提出异议。确定发出吗？", company=event.company.name,
                    clause=f"{event.item.code} {event.item.description}", points=scoring.q(event.points),
                    days=event.rule_set.objection_workdays)
    else:
        title = _("确认记录")
        message = _("确认后该记录立即生效计分，不可修改。确定确认吗？")
    return render_template("confirm.html", form=form, title=title, message=message,
                           cancel_url=url_for(".event", event_id=event_id), confirm_label=title)


@bp.post("/events/<int:event_id>/confirm")
@scope.role_required(BUREAU)
def event_confirm(event_id: int):
    event = _load_event(event_id, roles=BUREAU)
    if ConfirmForm().validate_on_submit():
        try:
            services.confirm_event(event, actor=current_user)
        except DomainError as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(_("记录已确认。"), "success")
    return redirect(url_for(".event", event_id=event_id))


@bp.route("/events/<int:event_id>/revoke", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def event_revoke(event_id: int):
    event = _load_event(event_id, roles=BUREAU)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_event(event, reason=form.reason.data, actor=current_user)
        except DomainError as error:
            _domain_error(form, error)
        else:
            db.session.commit()
            flash(_("记录已撤销，不再计分。"), "success")
            return redirect(url_for(".event", event_id=event_id))
    return render_template("confirm.html", form=form, title=_("撤销信用记录"), danger=True,
                           message=_("撤销后该记录在任何评价日都不再计分（已发布的评价结果不受影响）。"
                                     "撤销原因将告知企业并记入审计日志。记录：%(name)s，%(clause)s。",
                                     name=str(event), clause=f"{event.item.code} {event.item.description}"),
                           cancel_url=url_for(".event", event_id=event_id), confirm_label=_("确定撤销"))


@bp.get("/events/<int:event_id>/notice.pdf")
@scope.role_required(DISTRICT_READERS | COMPANY)
@in_chinese
def notice_pdf(event_id: int):
    event = _load_event(event_id)
    if not event.notice_number:
        abort(404)
    pdf = render_pdf("pdf/credit/notice.html", event=event, bureau_name=bureau_name(),
                     evidence=attachments_of(event))
    return pdf_response(pdf, f"记分告知单-{event.notice_number}.pdf")


# --- objections --------------------------------------------------------------

@bp.route("/events/<int:event_id>/object", methods=["GET", "POST"])
@scope.role_required(COMPANY)
def object_event(event_id: int):
    event = _load_event(event_id, roles=COMPANY)
    today = local_today()
    refusal = services.objection_refusal(event, today)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for(".event", event_id=event_id))
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            objection = services.submit_objection(event, reasons=form.reasons.data, actor=current_user)
            services.add_evidence(objection, _files(), fact_date=form.evidence_date.data, actor=current_user)
        except DomainError as error:
            _domain_error(form, error)
            flash(_("未提交。如已选择证据文件，请重新选择。"), "warning")
        else:
            db.session.commit()
            flash(_("异议已提交，区住建局处理后将通知您。处理期间该记录暂不计分。"), "success")
            return redirect(url_for(".event", event_id=event_id))
    return render_template("credit/objection_form.html", form=form, event=event, today=today)


@bp.route("/events/<int:event_id>/decide", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def decide_objection(event_id: int):
    event = _load_event(event_id, roles=BUREAU)
    objection = event.objection
    if objection is None or objection.status is not ObjectionStatus.PENDING:
        flash(_("该记录没有待处理的异议。"), "warning")
        return redirect(url_for(".event", event_id=event_id))
    form = DecideForm()
    if form.validate_on_submit():
        try:
            services.decide_objection(objection, uphold=form.decision.data == "uphold", reason=form.reason.data,
                                      actor=current_user)
        except DomainError as error:
            _domain_error(form, error)
        else:
            db.session.commit()
            flash(_("已维持记分，记录自今日起计分。") if form.decision.data == "uphold"
                  else _("已撤销记分。"), "success")
            return redirect(url_for(".event", event_id=event_id))
    return render_template("credit/objection_decide.html", form=form, event=event, objection=objection,
                           evidence=attachments_of(event), objection_evidence=attachments_of(objection))
