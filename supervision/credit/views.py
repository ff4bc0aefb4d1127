"""Credit pages: ranking, company credit file, events, notices, objections, clues, rules, publication.

Views only: each validates its form, calls the credit services (``services``, ``clues``, ``assessment``,
``company_file``, ``publication``, ``standings``) and renders or redirects.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..attachments.services import attachments_of
from ..audit.services import history_for
from ..auth import scope
from ..auth.roles import ADMIN, ALL_ROLES, BUREAU, COMPANY, DISTRICT_READERS, STREET
from ..companies.models import Company
from ..core.choices import street_choices
from ..core.errors import DomainError, check_version
from ..core.forms import ConfirmForm, apply_domain_error
from ..core.pagination import page_number, paginate
from ..core.timeutil import local_today
from ..documents.excel import xlsx_response
from ..documents.pdf import pdf_response, render_pdf
from ..estates.models import Estate
from ..extensions import db
from ..i18n import in_chinese
from . import assessment as assessment_services
from . import clues as clue_services
from . import company_file, markup, scoring, services, standings
from . import publication as publication_services
from .forms import (BasicAssessmentForm, ClueFilterForm, ClueForm, CompanyChoiceForm, DecideForm, EventFilterForm,
                    EventForm, EvidenceForm, ObjectionForm, PublicationForm, RankingFilterForm, RevokeForm,
                    RuleSetYearForm)
from .models import (ClueStatus, CreditClue, CreditEvent, CreditPublication, CreditPublicationRow, CreditRuleItem,
                     CreditRuleSet, EventOrigin, EventStatus, ObjectionStatus, PartKind, RecordingLevel)

bp = Blueprint("credit", __name__, url_prefix="/credit")
for _name, _function in markup.TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """A refusal no form can show (e.g. no rule set loaded yet): an error page, not a 500."""
    db.session.rollback()
    return render_template("error.html", status=409, message=error.message), 409


def _domain_error(form, error: DomainError) -> None:
    db.session.rollback()
    if form is None or not apply_domain_error(form, error):
        flash(error.message, "danger")


def _files():
    return [f for f in request.files.getlist("evidence") if f and f.filename]


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "danger")


# --- ranking -----------------------------------------------------------------

def _ranking_query():
    """The ranking's filters, rule set, day and rows, shared by the page and the export."""
    filters = RankingFilterForm(request.args)
    filters.rule_set.choices = [(None, _("当年适用规则集"))] + [(r.id, str(r)) for r in services.rule_sets()]
    filters.street.choices = street_choices(blank=_("全部街道"))
    today = local_today()
    as_of = filters.as_of.data or today
    if as_of > today:
        flash(_("评价日不能晚于今天，已按今天计算。"), "warning")
        as_of = today
    in_force = services.rule_set_for(as_of)
    rule_set = standings.rule_set_for_ranking(filters.rule_set.data, in_force)
    if rule_set is None:
        abort(404)
    filters.grade.choices = [("", _("全部等级"))] + [(g.code, g.label) for g in rule_set.grades]
    filters.validate()  # the fields' data are already parsed: the rule set and day above use them
    sort = request.args.get("sort", "-total")
    rows = standings.ranking(rule_set, as_of, q=filters.q.data, grade=filters.grade.data,
                             street_id=filters.street.data, sort=sort)
    return filters, rule_set, in_force, as_of, rows, sort


@bp.get("/")
@scope.role_required(DISTRICT_READERS)
def ranking():
    filters, rule_set, in_force, as_of, ranked, sort = _ranking_query()
    page = standings.ListPagination(rows=ranked, page=page_number(), per_page=current_app.config["PER_PAGE"],
                                    max_per_page=200, error_out=False)
    rows = [row.score(rule_set) for row in page.items]
    return render_template("credit/ranking.html", filters=filters, page=page, rows=rows, rule_set=rule_set,
                           cells=[standings.ranking_cells(row, rule_set) for row in rows],
                           in_force=in_force, as_of=as_of, counts=standings.grade_counts(rule_set, as_of),
                           sort=sort, publications=publication_services.latest())


@bp.get("/export.xlsx")
@scope.role_required(DISTRICT_READERS)
@in_chinese
def ranking_export():
    filters, rule_set, in_force, as_of, ranked, sort = _ranking_query()
    data = standings.ranking_workbook(rule_set, [row.score(rule_set) for row in ranked])
    return xlsx_response(data, f"信用评价-{as_of.isoformat()}.xlsx")


# --- company credit file -----------------------------------------------------

@bp.get("/mine")
@scope.role_required(COMPANY)
def mine():
    return redirect(url_for(".company", company_id=current_user.company_id))


def _as_of_arg() -> date:
    today = local_today()
    raw = request.args.get("as_of")
    if raw:
        try:
            return min(date.fromisoformat(raw), today)
        except ValueError:
            flash(_("评价日格式应为 YYYY-MM-DD，已按今天计算。"), "warning")
    return today


@bp.get("/companies/<int:company_id>")
@scope.role_required(DISTRICT_READERS | COMPANY)
def company(company_id: int):
    company = scope.load(Company, company_id)
    data = company_file.credit_file(company, _as_of_arg(), include_drafts=current_user.sees_district)
    history = company_file.score_history(company)
    return render_template("credit/company.html", history=history, today=local_today(), **data)


@bp.get("/companies/<int:company_id>/report.pdf")
@scope.role_required(DISTRICT_READERS | COMPANY)
@in_chinese
def report_pdf(company_id: int):
    company = scope.load(Company, company_id)
    data = company_file.credit_file(company, _as_of_arg(), include_drafts=current_user.sees_district)
    pdf = render_pdf("pdf/credit/report.html", generated_on=local_today(), bureau_name=_bureau_name(), **data)
    return pdf_response(pdf, f"信用报告-{company.name}-{data['as_of'].isoformat()}.pdf")


def _bureau_name() -> str:
    from ..regions.models import District

    return db.session.scalar(select(District.bureau_name).order_by(District.id).limit(1)) or _("区住房和城乡建设局")


# --- events ------------------------------------------------------------------

@bp.get("/events")
@scope.role_required(DISTRICT_READERS)
def events():
    filters = EventFilterForm(request.args)
    filters.validate()
    statement = services.event_list(
        scope.visible(CreditEvent), q=filters.q.data,
        status=filters.status.data if not filters.status.errors else None,
        part=filters.part.data if not filters.part.errors else None,
        origin=filters.origin.data if not filters.origin.errors else None,
        year=filters.year.data if not filters.year.errors else None)
    return render_template("credit/events.html", filters=filters, page=paginate(statement),
                           **services.waiting_counts(), today=local_today())


def _bind_event_form(form: EventForm, company: Company, rule_set: CreditRuleSet) -> None:
    groups = services.item_groups(rule_set)
    form.item_id.choices = [(None, _("请选择评价条款"))] + [
        (item_id, label) for entries in groups.values() for item_id, label in entries]
    form.item_groups = groups
    form.estate_id.choices = [(None, _("（不涉及具体小区）"))] + services.estate_choices(company)
    form.staff_id.choices = [(None, _("（不涉及项目经理）"))] + services.manager_choices(company)


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
    company_id = clue.company_id if clue else request.args.get("company_id", type=int)
    if not company_id:
        chooser = CompanyChoiceForm(request.args)
        chooser.company_id.choices = [(None, _("请选择企业"))] + services.company_choices(scope.visible(Company))
        return render_template("credit/event_company.html", form=chooser)
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


def _load_event(event_id: int, roles=None) -> CreditEvent:
    return scope.load(CreditEvent, event_id, roles=roles, options=(
        joinedload(CreditEvent.company), joinedload(CreditEvent.item).joinedload(CreditRuleItem.part),
        joinedload(CreditEvent.estate), joinedload(CreditEvent.staff), joinedload(CreditEvent.rule_set),
        joinedload(CreditEvent.objection)))


@bp.get("/events/<int:event_id>")
@scope.role_required(DISTRICT_READERS | COMPANY)
def event(event_id: int):
    event = _load_event(event_id)
    objection = event.objection
    today = local_today()
    in_force = services.rule_set_for(today)
    scoring_item = services.item_matching(in_force, event.item)
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
    pdf = render_pdf("pdf/credit/notice.html", event=event, bureau_name=_bureau_name(),
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


# --- clues -------------------------------------------------------------------

@bp.get("/clues")
@scope.role_required(DISTRICT_READERS | STREET)
def clues():
    filters = ClueFilterForm(request.args)
    filters.validate()
    statement = clue_services.clue_list(scope.visible(CreditClue), q=filters.q.data,
                                        status=filters.status.data if not filters.status.errors else None)
    return render_template("credit/clues.html", filters=filters, page=paginate(statement))


def _bind_clue_form(form: ClueForm) -> None:
    estates = clue_services.estate_choices(current_user.street_id)
    form.estate_id.choices = [(None, _("请选择小区"))] + estates
    form.item_id.choices = [(None, _("（不确定，由区住建局认定）"))] + clue_services.item_choices()
    form.has_estates = bool(estates)


@bp.route("/clues/new", methods=["GET", "POST"])
@scope.role_required(STREET)
def clue_new():
    form = ClueForm()
    _bind_clue_form(form)
    if form.validate_on_submit():
        estate = scope.load(Estate, form.estate_id.data)
        item = db.session.get(CreditRuleItem, form.item_id.data) if form.item_id.data else None
        try:
            clue = clue_services.submit_clue(estate=estate, occurred_on=form.occurred_on.data,
                                        description=form.description.data, item=item, actor=current_user)
            services.add_evidence(clue, _files(), fact_date=form.evidence_date.data, actor=current_user)
        except DomainError as error:
            _domain_error(form, error)
            flash(_("未提交。如已选择证据文件，请重新选择。"), "warning")
        else:
            db.session.commit()
            flash(_("线索已报送区住建局。"), "success")
            return redirect(url_for(".clue", clue_id=clue.id))
    return render_template("credit/clue_form.html", form=form)


@bp.get("/clues/<int:clue_id>")
@scope.role_required(DISTRICT_READERS | STREET)
def clue(clue_id: int):
    clue = scope.load(CreditClue, clue_id, options=(joinedload(CreditClue.company), joinedload(CreditClue.estate),
                                                    joinedload(CreditClue.street), joinedload(CreditClue.item)))
    return render_template("credit/clue.html", clue=clue, evidence=attachments_of(clue),
                           history=history_for(clue) if current_user.sees_district else [])


@bp.route("/clues/<int:clue_id>/reject", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def clue_reject(clue_id: int):
    clue = scope.load(CreditClue, clue_id, roles=BUREAU)
    form = RevokeForm()
    form.reason.label.text = _("不予采纳的原因")
    if form.validate_on_submit():
        try:
            clue_services.reject_clue(clue, reason=form.reason.data, actor=current_user)
        except DomainError as error:
            _domain_error(form, error)
        else:
            db.session.commit()
            flash(_("已不予采纳，并通知报送街道。"), "success")
            return redirect(url_for(".clue", clue_id=clue_id))
    return render_template("confirm.html", form=form, title=_("不予采纳线索"), danger=True,
                           message=_("线索：%(company)s，%(estate)s。原因将告知报送街道。",
                                     company=clue.company.name, estate=clue.estate.name),
                           cancel_url=url_for(".clue", clue_id=clue_id), confirm_label=_("不予采纳"))


# --- basic information -------------------------------------------------------

@bp.route("/companies/<int:company_id>/assessment", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def assessment(company_id: int):
    company = scope.load(Company, company_id, roles=BUREAU)
    today = local_today()
    rule_set = services.rule_set_for(today)
    items = services.items_of(rule_set, kinds={PartKind.BASIC})
    form = BasicAssessmentForm()
    form.items.choices = [(i.id, _("%(code)s %(description)s（%(points)s分）", code=i.code, description=i.description,
                                    points=scoring.q(i.points))) for i in items]
    if request.method == "GET":
        form.effective_from.data = today
    day = form.effective_from.data or today
    in_force = assessment_services.basic_items_in_force(company, day)
    facts = assessment_services.registry_facts(company, today)
    if request.method == "GET":
        form.items.data = assessment_services.suggested_items(company, items, day, on=today)
    if form.validate_on_submit():
        chosen = [i for i in items if i.id in set(form.items.data or [])]
        try:
            created = assessment_services.record_basic_assessment(company, chosen, effective_from=form.effective_from.data,
                                                       note=form.note.data, actor=current_user)
        except DomainError as error:
            _domain_error(form, error)
        else:
            db.session.commit()
            flash(_("已记录 %(n)s 项基本信息。", n=len(created)), "success")
            return redirect(url_for(".company", company_id=company.id))
    return render_template("credit/assessment.html", form=form, company=company, items=items, facts=facts,
                           in_force=in_force, rule_set=rule_set)


# --- rules -------------------------------------------------------------------

@bp.get("/rules")
@scope.role_required(ALL_ROLES)
def rules():
    rule_sets = services.rule_sets()
    years = services.rule_set_years()
    form = RuleSetYearForm()
    form.rule_set_id.choices = [(None, _("请选择"))] + [(r.id, str(r)) for r in rule_sets]
    if request.method == "GET":
        form.year.data = local_today().year
    return render_template("credit/rules.html", rule_sets=rule_sets, years=years, form=form,
                           in_force=services.rule_set_for(local_today()))


@bp.post("/rules/years")
@scope.role_required(ADMIN)
def rules_year():
    form = RuleSetYearForm()
    rule_sets = services.rule_sets()
    form.rule_set_id.choices = [(None, _("请选择"))] + [(r.id, str(r)) for r in rule_sets]
    if form.validate_on_submit():
        rule_set = db.session.get(CreditRuleSet, form.rule_set_id.data)
        try:
            services.set_rule_set_for_year(form.year.data, rule_set, actor=current_user)
        except DomainError as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(_("%(year)s 年度适用“%(name)s”。", year=form.year.data, name=str(rule_set)), "success")
    else:
        _flash_errors(form)
    return redirect(url_for(".rules"))


@bp.get("/rules/<int:rule_set_id>")
@scope.role_required(ALL_ROLES)
def rule_set(rule_set_id: int):
    rule_set = scope.load(CreditRuleSet, rule_set_id, options=(
        selectinload(CreditRuleSet.parts), selectinload(CreditRuleSet.grades),
        selectinload(CreditRuleSet.items).selectinload(CreditRuleItem.part)))
    return render_template("credit/rule_set.html", rule_set=rule_set,
                           override_notes=scoring.override_notes(rule_set))


# --- publication -------------------------------------------------------------

@bp.get("/publications")
@scope.role_required(ALL_ROLES)
def publications():
    statement = scope.visible(CreditPublication).order_by(CreditPublication.as_of.desc(),
                                                          CreditPublication.id.desc())
    return render_template("credit/publications.html", page=paginate(statement))


@bp.route("/publications/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def publication_new():
    form = PublicationForm()
    today = local_today()
    if request.method == "GET":
        form.as_of.data = today
        form.name.data = _("%(year)s年度物业服务企业信用评价结果", year=today.year)
    if form.validate_on_submit():
        if form.as_of.data > today:
            form.as_of.errors.append(_("评价截止日不能晚于今天。"))
        elif request.form.get("confirmed") == "1":
            try:
                publication = publication_services.publish(name=form.name.data, as_of=form.as_of.data, notes=form.notes.data,
                                               actor=current_user)
            except DomainError as error:
                _domain_error(form, error)
            else:
                db.session.commit()
                flash(_("已发布“%(name)s”：%(n)s 家企业，红名单 %(red)s 家，黑名单 %(black)s 家。",
                        name=publication.name, n=publication.company_count, red=publication.red_count,
                        black=publication.black_count), "success")
                return redirect(url_for(".publication", publication_id=publication.id))
        else:
            rule_set, rows = publication_services.preview_publication(form.as_of.data)
            return render_template("credit/publication_preview.html", form=form, rule_set=rule_set, rows=rows,
                                   red=[r for r in rows if r.red], black=[r for r in rows if r.black],
                                   counts=standings.grade_counts(rule_set, form.as_of.data))
    return render_template("credit/publication_form.html", form=form)


@bp.get("/publications/<int:publication_id>")
@scope.role_required(ALL_ROLES)
def publication(publication_id: int):
    publication = scope.load(CreditPublication, publication_id,
                             options=(joinedload(CreditPublication.rule_set), joinedload(CreditPublication.published_by)))
    rows = publication_services.rows_of(scope.visible(CreditPublicationRow), publication)
    parts = publication_services.parts_of(publication)
    grade = request.args.get("grade") or None
    shown = [r for r in rows if grade is None or r.grade_code == grade]
    return render_template("credit/publication.html", publication=publication, rows=shown, parts=parts,
                           red=[r for r in rows if r.red], black=[r for r in rows if r.black],
                           grades=sorted({(r.grade_rank, r.grade_code, r.grade_label) for r in rows}), grade=grade)


@bp.get("/publications/<int:publication_id>/lists.pdf")
@scope.role_required(ALL_ROLES)
@in_chinese
def publication_pdf(publication_id: int):
    publication = scope.load(CreditPublication, publication_id)
    rows = publication_services.listed_rows(publication)
    pdf = render_pdf("pdf/credit/lists.html", publication=publication, red=[r for r in rows if r.red],
                     black=[r for r in rows if r.black])
    return pdf_response(pdf, f"红黑名单-{publication.name}.pdf")


def _register_sections() -> None:
    """The estate page lists the estate's credit records; the company page shows the grade."""
    from ..estates.sections import company_sections, estate_sections

    estate_sections.register("credit", "credit/_estate_section.html", order=40, roles=DISTRICT_READERS | COMPANY,
                             context=lambda estate, user: {"credit_events": company_file.estate_events(estate, user)})
    company_sections.register("credit", "credit/_company_section.html", order=40,
                              roles=DISTRICT_READERS | COMPANY,
                              context=lambda company, user: {"credit": company_file.dashboard_summary(company)})


_register_sections()
