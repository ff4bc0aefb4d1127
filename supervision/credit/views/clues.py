"""Clues from the street offices, and the yearly basic-information assessment."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...attachments.services import attachments_of
from ...audit.services import history_for
from ...auth import scope
from ...auth.roles import BUREAU, DISTRICT_READERS, STREET
from ...companies.models import Company
from ...core.errors import DomainError
from ...core.pagination import paginate_rows
from ...core.timeutil import local_today
from ...estates.models import Estate
from ...extensions import db
from .. import assessment as assessment_services
from .. import clues as clue_services
from .. import scoring, services
from ..forms import BasicAssessmentForm, ClueFilterForm, ClueForm, RevokeForm
from ..models import CreditClue, CreditRuleItem, PartKind
from . import bp
from ._helpers import Badges, _domain_error, _files

# --- clues -------------------------------------------------------------------

@bp.get("/clues")
@scope.role_required(DISTRICT_READERS | STREET)
def clues():
    filters = ClueFilterForm(request.args)
    filters.validate()
    rows, counted = clue_services.clue_list(scope.visible(CreditClue), q=filters.q.data,
                                            status=filters.status.data if not filters.status.errors else None)
    return render_template("credit/clues.html", filters=filters, page=paginate_rows(rows, count_statement=counted),
                           badges=Badges())


def _bind_clue_form(form: ClueForm) -> None:
    form.estate_id.narrow(street=current_user.street_id)
    form.item_id.choices = [(None, _("（不确定，由区住建局认定）"))] + clue_services.item_choices()
    form.has_estates = clue_services.has_estates(current_user.street_id)


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
    # Everything the page shows in the one query, whoever submitted it and whatever its state (a lazy load of the
    # submitter or of the event made the count depend on the clue).
    clue = scope.load(CreditClue, clue_id, options=(
        joinedload(CreditClue.company), joinedload(CreditClue.estate), joinedload(CreditClue.street),
        joinedload(CreditClue.item), joinedload(CreditClue.submitted_by), joinedload(CreditClue.event)))
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
        form.items.data = assessment_services.suggested_items(company, items, day, on=today, facts=facts,
                                                              in_force=in_force)
    if form.validate_on_submit():
        chosen = [i for i in items if i.id in set(form.items.data or [])]
        try:
            created = assessment_services.record_basic_assessment(
                company, chosen, effective_from=form.effective_from.data, note=form.note.data, actor=current_user)
        except DomainError as error:
            _domain_error(form, error)
        else:
            db.session.commit()
            flash(_("已记录 %(n)s 项基本信息。", n=len(created)), "success")
            return redirect(url_for(".company", company_id=company.id))
    return render_template("credit/assessment.html", form=form, company=company, items=items, facts=facts,
                           in_force=in_force, rule_set=rule_set)
