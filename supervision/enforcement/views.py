"""Enforcement pages: the overview, cases, the sweep's proposals, steps and their documents.

Views only: each validates its form, calls one service and renders or redirects. Scope: the bureau's
roles see every case, a street office the cases about its estates, a company its own (read-only).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import history_for
from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, COMPANY, DISTRICT_READERS, STREET
from ..companies.models import Company
from ..core.choices import options
from ..core.errors import DomainError, check_version
from ..core.forms import apply_domain_error
from ..core.pagination import paginate
from ..core.timeutil import local_today
from ..documents.pdf import pdf_response
from ..estates.models import Estate
from ..estates.sections import company_sections, estate_sections
from ..extensions import db
from ..i18n import in_chinese
from ..regions.models import Street
from . import queries, services
from .documents import filename, render_step_pdf
from .forms import (
    CaseFilterForm,
    CloseForm,
    ConfirmProposalForm,
    DismissForm,
    InterviewForm,
    ProposalFilterForm,
    RefusalForm,
    StepForm,
)
from .models import (
    EnforcementCase,
    EnforcementFact,
    EnforcementProposal,
    EnforcementRefusal,
    EnforcementRung,
    EnforcementStep,
    LegalArticle,
)
from .public import public_bp
from .triggers import by_name

bp = Blueprint("enforcement", __name__, url_prefix="/enforcement")
extra_blueprints = (public_bp,)
LEADER_ROLES = services.LEADERS


def _refuse(form, error: DomainError) -> None:
    db.session.rollback()
    if form is None or not apply_domain_error(form, error):
        flash(error.message, "danger")


@bp.app_template_global("trigger_label")
def trigger_label(name: str) -> str:
    trigger = by_name(name)
    return str(trigger.label) if trigger is not None else name


# --- overview and cases ------------------------------------------------------

@bp.get("/")
@scope.role_required(ALL_ROLES)
def index():
    return render_template("enforcement/index.html", overview=queries.overview(current_user))


def _bind_case_filters(form: CaseFilterForm) -> None:
    form.rung.choices = options(("", _("全部措施"))) + [(r.code, r.name) for r in services.rungs()]
    form.street_id.choices = [(None, _("全部街道"))] + [
        (s.id, s.name) for s in db.session.scalars(scope.visible(Street).order_by(Street.name_sort))]


@bp.get("/cases")
@scope.role_required(ALL_ROLES)
def cases():
    filters = CaseFilterForm(request.args)
    _bind_case_filters(filters)
    if "status" not in request.args:
        filters.status.data = "open"
    filters.validate()
    valid = {name: (field.data if not field.errors else None) for name, field in filters._fields.items()}
    statement = queries.case_list(scope.visible(EnforcementCase), status=valid["status"] or None,
                                  rung=valid["rung"] or None, street_id=valid["street_id"],
                                  company_id=filters.company_id.data, follow_up=valid["follow_up"] or None,
                                  approval=valid["approval"] or None, q=valid["q"])
    return render_template("enforcement/cases.html", filters=filters, page=paginate(statement),
                           today=local_today())


def _load_case(case_id: int, roles=None, *, steps: bool = True) -> EnforcementCase:
    """The case with its company, estate, rung and facts, and (``steps``) every step with its rung."""
    options = (joinedload(EnforcementCase.company), joinedload(EnforcementCase.estate),
               joinedload(EnforcementCase.rung), selectinload(EnforcementCase.facts))
    if steps:
        options += (selectinload(EnforcementCase.steps).joinedload(EnforcementStep.rung),)
    return scope.load(EnforcementCase, case_id, roles=roles, options=options)


@bp.get("/cases/<int:case_id>")
@scope.role_required(ALL_ROLES)
def case(case_id: int):
    case = _load_case(case_id, steps=False)  # the page lists the steps the user may see, read below
    steps = list(db.session.scalars(scope.visible(EnforcementStep).where(EnforcementStep.case_id == case.id)
                                    .options(joinedload(EnforcementStep.rung)).order_by(EnforcementStep.id)))
    refusals = {}
    if current_user.is_bureau:
        ids = [f.ref.get("refusal_id") for f in case.facts if f.trigger == "refusal"]
        refusals = {r.id: r for r in db.session.scalars(select(EnforcementRefusal)
                                                        .where(EnforcementRefusal.id.in_(ids)))} if ids else {}
    return render_template("enforcement/case.html", case=case, steps=steps, refusals=refusals, today=local_today(),
                           # the escalate button's condition: only the bureau, on an open case
                           next_rung=services.next_rung(case.rung)
                           if current_user.is_bureau and case.status.value == "open" else None, close_form=CloseForm(),
                           history=history_for(case) if current_user.sees_district else [])


def _bind_articles(form) -> None:
    form.article_id.choices = [(None, _("（行政处罚时选择）"))] + [
        (a.id, f"{a.article} {a.summary[:30]}（{a.penalty[:40]}）") for a in services.legal_articles()]


def _bind_step_form(form: StepForm, case: EnforcementCase) -> None:
    level = case.rung.level if case.rung else 0
    form.rung_id.choices = [(r.id, f"{r.name}（{r.approver.label}批准）") for r in services.rungs() if r.level > level]
    _bind_articles(form)


@bp.route("/cases/<int:case_id>/escalate", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def escalate(case_id: int):
    case = _load_case(case_id, roles=BUREAU)
    form = StepForm()
    _bind_step_form(form, case)
    if request.method == "GET" and form.rung_id.choices:
        form.rung_id.data = form.rung_id.choices[0][0]
    if form.validate_on_submit():
        rung = db.session.get(EnforcementRung, form.rung_id.data)
        article = db.session.get(LegalArticle, form.article_id.data) if form.article_id.data else None
        try:
            step = services.take_step(case, rung, actor=current_user, title=form.title.data, content=form.content.data,
                                      article=article, amount=form.amount.data, measure=form.measure.data,
                                      interview_at=form.interview_at.data, interview_place=form.interview_place.data)
        except DomainError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            if step.number:
                flash(_("已作出%(rung)s，文书编号 %(number)s。", rung=rung.name, number=step.number), "success")
            else:
                flash(_("%(rung)s已提交局领导批准。", rung=rung.name), "success")
            return redirect(url_for(".step", step_id=step.id))
    return render_template("enforcement/escalate.html", form=form, case=case)


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@scope.role_required(BUREAU)
def close(case_id: int):
    case = _load_case(case_id, roles=BUREAU)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            services.close_case(case, reason=form.reason.data, actor=current_user)
        except DomainError as error:
            _refuse(None, error)
        else:
            db.session.commit()
            flash(_("案件已结案。"), "success")
    else:
        flash(_("请填写结案理由。"), "danger")
    return redirect(url_for(".case", case_id=case_id))


# --- proposals ---------------------------------------------------------------

@bp.get("/proposals")
@scope.role_required(DISTRICT_READERS)
def proposals():
    filters = ProposalFilterForm(request.args)
    if "status" not in request.args:
        filters.status.data = "pending"
    filters.validate()
    statement = queries.proposal_list(scope.visible(EnforcementProposal),
                                      status=filters.status.data if not filters.status.errors else None,
                                      day=filters.day.data if not filters.day.errors else None)
    return render_template("enforcement/proposals.html", filters=filters, page=paginate(statement))


@bp.get("/proposals/<int:proposal_id>")
@scope.role_required(DISTRICT_READERS)
def proposal(proposal_id: int, confirm_form=None, dismiss_form=None):
    proposal = scope.load(EnforcementProposal, proposal_id, options=(
        joinedload(EnforcementProposal.company), joinedload(EnforcementProposal.estate),
        joinedload(EnforcementProposal.rung), selectinload(EnforcementProposal.facts)))
    credit_item = services.credit_item_for(proposal.rung)
    confirm_form = confirm_form or ConfirmProposalForm()
    _bind_articles(confirm_form)
    return render_template("enforcement/proposal.html", proposal=proposal, credit_item=credit_item,
                           confirm_form=confirm_form,
                           dismiss_form=dismiss_form or DismissForm())


@bp.post("/proposals/<int:proposal_id>/confirm")
@scope.role_required(BUREAU)
def proposal_confirm(proposal_id: int):
    proposal_row = scope.load(EnforcementProposal, proposal_id, roles=BUREAU)
    form = ConfirmProposalForm()
    _bind_articles(form)
    if form.validate_on_submit():
        article = db.session.get(LegalArticle, form.article_id.data) if form.article_id.data else None
        try:
            step = services.confirm_proposal(proposal_row, actor=current_user, note=form.note.data,
                                             interview_at=form.interview_at.data,
                                             interview_place=form.interview_place.data, article=article,
                                             amount=form.amount.data, measure=form.measure.data)
        except DomainError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(_("已确认：%(rung)s（%(state)s）。", rung=step.rung.name, state=step.status.label), "success")
            return redirect(url_for(".step", step_id=step.id))
    return proposal(proposal_id, confirm_form=form)


@bp.post("/proposals/<int:proposal_id>/dismiss")
@scope.role_required(BUREAU)
def proposal_dismiss(proposal_id: int):
    proposal_row = scope.load(EnforcementProposal, proposal_id, roles=BUREAU)
    form = DismissForm()
    if form.validate_on_submit():
        try:
            services.dismiss_proposal(proposal_row, reason=form.reason.data, actor=current_user)
        except DomainError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(_("已不予采纳。"), "success")
            return redirect(url_for(".proposals"))
    return proposal(proposal_id, dismiss_form=form)


# --- steps and documents -----------------------------------------------------

def _load_step(step_id: int, roles=None) -> EnforcementStep:
    return scope.load(EnforcementStep, step_id, roles=roles, options=(
        joinedload(EnforcementStep.rung), joinedload(EnforcementStep.article),
        joinedload(EnforcementStep.case).joinedload(EnforcementCase.company)))


@bp.get("/steps/<int:step_id>")
@scope.role_required(ALL_ROLES)
def step(step_id: int):
    step = _load_step(step_id)
    return render_template("enforcement/step.html", step=step, case=step.case, today=local_today(),
                           can_approve=current_user.role in LEADER_ROLES,
                           history=history_for(step) if current_user.sees_district else [])


@bp.get("/steps/<int:step_id>/document.pdf")
@scope.role_required(ALL_ROLES)
@in_chinese
def step_pdf(step_id: int):
    step = _load_step(step_id)
    return pdf_response(render_step_pdf(step), filename(step))


@bp.route("/steps/<int:step_id>/interview", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def interview(step_id: int):
    step = _load_step(step_id, roles=BUREAU)
    form = InterviewForm(obj=step if request.method == "GET" else None)
    if request.method == "GET" and form.interviewed_on.data is None:
        form.interviewed_on.data = local_today()
    if form.validate_on_submit():
        try:
            check_version(step, form.version.data)
            services.record_interview(step, interviewed_on=form.interviewed_on.data, attendees=form.attendees.data,
                                      commitments=form.commitments.data, follow_up_on=form.follow_up_on.data,
                                      actor=current_user)
        except DomainError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(_("约谈记录已保存，复查日期 %(day)s。", day=step.follow_up_on.isoformat()), "success")
            return redirect(url_for(".step", step_id=step.id))
    return render_template("enforcement/interview.html", form=form, step=step, case=step.case)


@bp.post("/steps/<int:step_id>/approve")
@scope.role_required(DISTRICT_READERS)
def approve(step_id: int):
    step = _load_step(step_id, roles=LEADER_ROLES)
    try:
        services.approve_step(step, actor=current_user)
    except DomainError as error:
        _refuse(None, error)
    else:
        db.session.commit()
        flash(_("已批准，文书编号 %(number)s。", number=step.number), "success")
    return redirect(url_for(".step", step_id=step_id))


@bp.post("/steps/<int:step_id>/publish")
@scope.role_required(BUREAU)
def publish(step_id: int):
    step = _load_step(step_id, roles=BUREAU)
    try:
        services.publish_step(step, actor=current_user)
    except DomainError as error:
        _refuse(None, error)
    else:
        db.session.commit()
        flash(_("已发布，公众可在公示平台查看。"), "success")
    return redirect(url_for(".step", step_id=step_id))


# --- refusals ----------------------------------------------------------------

@bp.route("/refusals/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def refusal_new():
    form = RefusalForm()
    if request.method == "GET" and request.args.get("company_id", "").isdigit():
        form.company_id.data = int(request.args["company_id"])
    if form.validate_on_submit():
        company = db.session.get(Company, form.company_id.data)
        estate = db.session.get(Estate, form.estate_id.data) if form.estate_id.data else None
        try:
            services.record_refusal(company=company, estate=estate, occurred_on=form.occurred_on.data,
                                    description=form.description.data, actor=current_user)
        except DomainError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(_("已记录。下次巡检时系统将据此提出执法建议。"), "success")
            return redirect(url_for(".index"))
    return render_template("enforcement/refusal_form.html", form=form)


@bp.post("/refusals/<int:refusal_id>/rectified")
@scope.role_required(BUREAU)
def refusal_rectified(refusal_id: int):
    refusal = scope.load(EnforcementRefusal, refusal_id, roles=BUREAU)
    try:
        services.mark_refusal_rectified(refusal, actor=current_user)
    except DomainError as error:
        _refuse(None, error)
    else:
        db.session.commit()
        flash(_("已确认整改。"), "success")
    fact = db.session.scalar(select(EnforcementFact).where(EnforcementFact.key == f"refusal:{refusal.id}"))
    if fact is not None and fact.case_id:
        return redirect(url_for(".case", case_id=fact.case_id))
    return redirect(url_for(".index"))


# --- sections of the estate and company pages --------------------------------

def _register_sections() -> None:
    roles = DISTRICT_READERS | STREET | COMPANY
    estate_sections.register("enforcement", "enforcement/_section.html", order=45, roles=roles,
                             context=lambda estate, user: {"enforcement_cases": queries.estate_cases(user, estate.id)})
    company_sections.register("enforcement", "enforcement/_section.html", order=45, roles=roles,
                              context=lambda company, user: {"enforcement_cases": queries.cases_of(
                                  user, company_id=company.id)})


_register_sections()
