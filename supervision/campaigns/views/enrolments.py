"""One enrolled estate: its page, survey, extra items, withdrawal and acceptance."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...attachments.services import EVIDENCE, attachments_of, store
from ...audit.services import history_for
from ...auth import scope
from ...auth.roles import ALL_ROLES, BUREAU, STREET
from ...companies.models import Company
from ...core.errors import DomainError
from ...core.timeutil import local_today
from ...documents.pdf import pdf_response
from ...estates.models import CommitteeStatus, Estate, ManagementMode
from ...extensions import db
from ...i18n import in_chinese
from ...offline import services as offline
from ..forms import AcceptanceForm, ItemForm, SurveyForm, WithdrawForm
from ..models import (
    Acceptance,
    AcceptanceVerdict,
    Campaign,
    Enrolment,
    ItemSource,
    ItemState,
    PhaseKind,
    RectificationItem,
    RectificationNotice,
    ResponsibleParty,
    Severity,
    SurveyRecord,
)
from ..services import acceptance as acceptance_service
from ..services import enrolment as enrolment_service
from ..services import items as item_service
from ..services import progress
from ..services import survey as survey_service
from ..services.common import may_fill_self_inspection, may_survey, require_active_campaign, require_open_enrolment
from . import bp
from ._helpers import show_error


def _load(enrolment_id, roles=None):
    return scope.load(Enrolment, enrolment_id, roles=roles,
                      options=(joinedload(Enrolment.estate), joinedload(Enrolment.campaign),
                               joinedload(Enrolment.street), joinedload(Enrolment.company)))


@bp.get("/enrolments/<int:enrolment_id>")
@scope.role_required(ALL_ROLES)
def enrolment_detail(enrolment_id: int):
    # What the page reads of the enrolment, loaded with it (no lazy load per relation).
    enrolment = scope.load(Enrolment, enrolment_id, options=(
        joinedload(Enrolment.estate).joinedload(Estate.community), joinedload(Enrolment.estate)
        .joinedload(Estate.committee), joinedload(Enrolment.campaign).joinedload(Campaign.phases),
        joinedload(Enrolment.street), joinedload(Enrolment.company),
        joinedload(Enrolment.survey).joinedload(SurveyRecord.surveyed_by), joinedload(Enrolment.self_inspection)))
    items = db.session.scalars(
        scope.visible(RectificationItem).where(RectificationItem.enrolment_id == enrolment.id)
        .options(joinedload(RectificationItem.notice)).order_by(RectificationItem.id)).all()
    notices = db.session.scalars(
        scope.visible(RectificationNotice).where(RectificationNotice.estate_id == enrolment.estate_id,
                                                 RectificationNotice.campaign_id == enrolment.campaign_id)
        .order_by(RectificationNotice.id)).all()
    acceptances = db.session.scalars(
        select(Acceptance).where(Acceptance.enrolment_id == enrolment.id)
        .options(joinedload(Acceptance.inspected_by)).order_by(Acceptance.id.desc())).all()
    survey = enrolment.survey
    kinds = {p.kind for p in enrolment.campaign.phases}
    eligible = [i for i in items if i.state is not ItemState.ACCEPTED and i.notice_id is None]
    return render_template(
        "campaigns/enrolment.html", enrolment=enrolment, campaign=enrolment.campaign, estate=enrolment.estate,
        stage=progress.stage_of(enrolment), items=items, notices=notices, acceptances=acceptances, survey=survey,
        survey_photos=attachments_of(survey) if survey else [], si=enrolment.self_inspection,
        today=local_today(), eligible_for_notice=eligible,
        missing_steps=acceptance_service.steps_missing(enrolment),
        may_survey=may_survey(current_user, enrolment), may_fill=may_fill_self_inspection(current_user, enrolment),
        company_name=enrolment.company.name if enrolment.company else None,
        history=history_for(enrolment, limit=20) if current_user.sees_district else [],
        surveyed_by=survey.surveyed_by if survey else None, survey_facts=_survey_facts(survey),
        has_survey_phase=PhaseKind.SURVEY in kinds, has_si_phase=PhaseKind.SELF_INSPECTION in kinds)


def _survey_facts(survey):
    if survey is None:
        return None

    mode = ManagementMode.coerce(survey.management_mode_found)
    committee = survey.committee_status_found
    company = db.session.get(Company, survey.company_found_id) if survey.company_found_id else None
    return {"mode": mode.label if mode else "—", "company": company.name if company else "—",
            "committee": _("未成立") if committee in (None, survey_service.NO_COMMITTEE)
            else CommitteeStatus(committee).label}


@bp.route("/enrolments/<int:enrolment_id>/withdraw", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def withdraw(enrolment_id: int):
    enrolment = _load(enrolment_id, roles=BUREAU)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            enrolment_service.withdraw(enrolment, reason=form.reason.data, actor=current_user)
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("已将“%(estate)s”退出本次专项行动。", estate=enrolment.estate.name), "success")
            return redirect(url_for(".enrolment_detail", enrolment_id=enrolment.id))
    return render_template("confirm.html", form=form, title=_("退出专项行动"), danger=True,
                           message=_("确定将“%(estate)s”退出“%(campaign)s”吗？已有的摸底、自查和整改记录会保留，"
                                     "可以重新纳入。", estate=enrolment.estate.name, campaign=enrolment.campaign.name),
                           cancel_url=url_for(".enrolment_detail", enrolment_id=enrolment.id),
                           confirm_label=pgettext("enrolment", "退出"))


def _problems(rows) -> list[survey_service.ProblemInput]:
    problems = []
    for row in rows:
        data = row.form
        if not (data.description.data or "").strip():
            continue
        problems.append(survey_service.ProblemInput(
            category=data.category.data, description=data.description.data,
            severity=Severity(data.severity.data), responsible_party=ResponsibleParty(data.responsible_party.data),
            deadline_workdays=data.deadline_workdays.data))
    return problems


@bp.route("/enrolments/<int:enrolment_id>/survey", methods=["GET", "POST"])
@scope.role_required(BUREAU | STREET)
def survey(enrolment_id: int):
    enrolment = _load(enrolment_id, roles=BUREAU | STREET)
    if enrolment.survey is not None:
        flash(_("该小区已录入摸底情况。"), "info")
        return redirect(url_for(".enrolment_detail", enrolment_id=enrolment.id))
    if not may_survey(current_user, enrolment):
        flash(_("只有住建局或本街道办可以录入摸底情况。"), "danger")
        return redirect(url_for(".enrolment_detail", enrolment_id=enrolment.id))
    estate = enrolment.estate
    form = SurveyForm()
    if request.method == "GET":
        form.surveyed_on.data = local_today()
        form.management_mode.data = estate.management_mode.value
        form.company_id.data = estate.company_id
        form.committee_status.data = survey_service.committee_status_of(estate)
        for row in form.problems:
            row.form.deadline_workdays.data = enrolment.campaign.default_deadline_workdays
            if estate.company_id is None:
                row.form.responsible_party.data = ResponsibleParty.STREET.value
    if form.validate_on_submit():
        try:
            survey_service.record_survey(
                enrolment, actor=current_user, surveyed_on=form.surveyed_on.data,
                management_mode=ManagementMode(form.management_mode.data), company_id=form.company_id.data,
                committee_status=form.committee_status.data, notes=form.notes.data,
                problems=_problems(form.problems), photos=form.photos.data or [])
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("已录入摸底情况。"), "success")
            return redirect(url_for(".enrolment_detail", enrolment_id=enrolment.id))
    return render_template("campaigns/survey_form.html", form=form, enrolment=enrolment, estate=estate,
                           campaign=enrolment.campaign)


@bp.route("/enrolments/<int:enrolment_id>/items/new", methods=["GET", "POST"])
@scope.role_required(BUREAU | STREET)
def item_new(enrolment_id: int):
    """补录问题 (survey, by the bureau or the street) or a complaint (bureau)."""
    enrolment = _load(enrolment_id, roles=BUREAU | STREET)
    if not may_survey(current_user, enrolment):
        flash(_("只有住建局或本街道办可以补录问题。"), "danger")
        return redirect(url_for(".enrolment_detail", enrolment_id=enrolment.id))
    form = ItemForm()
    if not current_user.is_bureau:
        form.source.choices = [(ItemSource.SURVEY.value, ItemSource.SURVEY.label)]
    if request.method == "GET":
        form.deadline_workdays.data = enrolment.campaign.default_deadline_workdays
        if enrolment.company_id is None:
            form.responsible_party.data = ResponsibleParty.STREET.value
    if form.validate_on_submit():
        try:

            require_active_campaign(enrolment.campaign)
            require_open_enrolment(enrolment)
            source = ItemSource(form.source.data)
            if source is ItemSource.SURVEY and enrolment.survey is None:
                raise DomainError(_("请先录入摸底情况，摸底发现的问题随摸底一并录入。"), field="source")
            item = item_service.create_item(
                estate=enrolment.estate, enrolment=enrolment, source=source,
                source_id=enrolment.survey.id if source is ItemSource.SURVEY else None,
                category=form.category.data, description=form.description.data,
                severity=Severity(form.severity.data), responsible_party=ResponsibleParty(form.responsible_party.data),
                responsible_note=form.responsible_note.data, deadline_workdays=form.deadline_workdays.data,
                actor=current_user)
            for photo in form.photos.data or []:
                if photo and photo.filename:
                    store(photo, kinds=EVIDENCE, owner=item, purpose="photo", fact_date=local_today(),
                          user=current_user)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("已新增整改事项 #%(id)s。", id=item.id), "success")
            return redirect(url_for(".enrolment_detail", enrolment_id=enrolment.id))
    return render_template("campaigns/item_new.html", form=form, enrolment=enrolment)


# --- acceptance -------------------------------------------------------------------------

@bp.route("/enrolments/<int:enrolment_id>/acceptance", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def acceptance_new(enrolment_id: int):
    enrolment = _load(enrolment_id, roles=BUREAU)
    items = acceptance_service.enrolment_items(enrolment)
    form = AcceptanceForm()
    key, earlier = offline.once() if request.method == "POST" else (None, None)
    if earlier is not None:
        return offline.repeated(earlier, url_for(".enrolment_detail", enrolment_id=enrolment.id))
    verdicts, comments = {}, {}
    for item in items:
        raw = request.form.get(f"v_{item.id}") if request.method == "POST" else \
            ("1" if item.state in (ItemState.SUBMITTED, ItemState.ACCEPTED) else "0")
        verdicts[item.id] = raw
        comments[item.id] = request.form.get(f"c_{item.id}", "")
    if form.validate_on_submit():
        if (earlier := offline.claim_current(key)) is not None:
            return offline.repeated(earlier, url_for(".enrolment_detail", enrolment_id=enrolment.id))
        missing = [i.id for i in items if verdicts.get(i.id) not in ("1", "0")]
        try:
            if missing:
                raise DomainError(_("请对每一项整改事项选择“通过”或“不通过”。"))
            acceptance = acceptance_service.record_acceptance(
                enrolment, actor=current_user, inspected_on=form.inspected_on.data,
                verdict=AcceptanceVerdict(form.verdict.data), remarks=form.remarks.data,
                item_verdicts={i.id: acceptance_service.ItemVerdictInput(verdicts[i.id] == "1", comments[i.id])
                               for i in items},
                reopen_deadline_workdays=form.reopen_deadline_workdays.data, photos=form.photos.data or [])
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            offline.settle(current_user, key, url_for(".acceptance_detail", acceptance_id=acceptance.id))
            db.session.commit()
            if acceptance.verdict is AcceptanceVerdict.PASSED:
                flash(_("验收通过，“%(estate)s”已销号。", estate=enrolment.estate.name), "success")
            else:
                flash(_("已记录验收不通过，不通过的事项已退回整改。"), "warning")
            return redirect(url_for(".acceptance_detail", acceptance_id=acceptance.id))
    return render_template("campaigns/acceptance_form.html", form=form, enrolment=enrolment, items=items,
                           verdicts=verdicts, comments=comments, today=local_today(),
                           missing_steps=acceptance_service.steps_missing(enrolment))


def _load_acceptance(acceptance_id):
    return scope.load(Acceptance, acceptance_id, options=(
        joinedload(Acceptance.enrolment).joinedload(Enrolment.estate),
        selectinload(Acceptance.verdicts).joinedload(acceptance_service.AcceptanceItemVerdict.item),
        joinedload(Acceptance.inspected_by)))


@bp.get("/acceptances/<int:acceptance_id>")
@scope.role_required(ALL_ROLES)
def acceptance_detail(acceptance_id: int):
    acceptance = _load_acceptance(acceptance_id)
    return render_template("campaigns/acceptance.html", acceptance=acceptance, enrolment=acceptance.enrolment,
                           photos=attachments_of(acceptance))


@bp.get("/acceptances/<int:acceptance_id>.pdf")
@scope.role_required(ALL_ROLES)
@in_chinese
def acceptance_pdf(acceptance_id: int):
    acceptance = _load_acceptance(acceptance_id)
    data = acceptance_service.render_acceptance_pdf(acceptance)
    return pdf_response(data, f"验收记录-{acceptance.enrolment.estate.name}-{acceptance.inspected_on}.pdf")
