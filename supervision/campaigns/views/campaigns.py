"""Campaign list, creation, settings, the progress page and enrolment."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...audit.services import history_for
from ...auth import scope
from ...auth.roles import ALL_ROLES, BUREAU
from ...core.errors import DomainError, check_version
from ...core.forms import ConfirmForm
from ...core.pagination import paginate_keys
from ...core.timeutil import local_today
from ...documents.excel import xlsx_response
from ...documents.preview import ImportFlow
from ...estates.models import Estate, ManagementMode
from ...estates.sections import campaign_sections
from ...extensions import db
from ...i18n import in_chinese
from ...jobs import imports as import_jobs
from ...regions.choices import street_choices
from ..forms import (
    CampaignCreateForm,
    CampaignEditForm,
    CampaignFilterForm,
    CampaignReopenForm,
    EnrolFilterForm,
    EnrolmentFilterForm,
)
from ..models import (
    Campaign,
    CampaignScheme,
    CampaignStatus,
    ChecklistTemplate,
    Enrolment,
    EnrolmentStage,
    EnrolmentStatus,
    SelfInspectionStatus,
)
from ..services import campaigns as campaign_service
from ..services import enrolment as enrolment_service
from ..services import progress
from . import bp
from ._helpers import Labels, drop_scoped_filters, enum_or_none, show_error, value_of


def _template_choices(blank, keep: ChecklistTemplate | None = None):
    """Active checklists; ``keep``, the campaign's own, stays listed after a newer version replaced it."""
    rows = db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.active.is_(True))
                              .order_by(ChecklistTemplate.code, ChecklistTemplate.version.desc())).all()
    if keep is not None and keep not in rows:
        rows = [keep, *rows]
    return [(None, blank)] + [(t.id, str(t)) for t in rows]


@bp.get("/")
@scope.role_required(ALL_ROLES)
def index():
    filters = CampaignFilterForm(request.args)
    filters.validate()  # a year outside 2000–2100 is not looked up
    # Pages first: the page's ids by scope, filters and order, then those campaigns' columns and counts.
    keys = campaign_service.campaign_list_keys(
        current_user, q=filters.q.data, year=filters.year.data if not filters.year.errors else None,
        status=enum_or_none(CampaignStatus, filters.status.data))
    page = paginate_keys(keys, lambda ids: campaign_service.campaign_list_rows_for(current_user, ids))
    return render_template("campaigns/index.html", page=page, filters=filters, labels=Labels())


@bp.route("/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def new():
    form = CampaignCreateForm()
    schemes = db.session.scalars(select(CampaignScheme).where(CampaignScheme.active.is_(True))
                                 .order_by(CampaignScheme.code, CampaignScheme.version)).all()
    form.scheme_id.choices = [(s.id, s.name) for s in schemes]
    form.checklist_template_id.choices = _template_choices(_("（按阶段方案默认）"))
    if request.method == "GET":
        form.year.data = local_today().year
        form.starts_on.data = local_today()
    if form.validate_on_submit():
        scheme = db.session.get(CampaignScheme, form.scheme_id.data)
        template = db.session.get(ChecklistTemplate, form.checklist_template_id.data) \
            if form.checklist_template_id.data else None
        try:
            campaign = campaign_service.create_campaign(
                name=form.name.data, year=form.year.data, scheme=scheme, starts_on=form.starts_on.data,
                checklist_template=template, description=form.description.data,
                requires_signed_scan=form.requires_signed_scan.data,
                default_deadline_workdays=form.default_deadline_workdays.data, actor=current_user)
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("已创建专项行动（筹备中）。请核对各阶段的起止日期，然后纳入小区并启动。"), "success")
            return redirect(url_for(".edit", campaign_id=campaign.id))
    return render_template("campaigns/new.html", form=form, schemes=schemes)


def _phase_rows(form):
    return [campaign_service.PhaseInput(id=int(row.form.id.data), name=row.form.name.data,
                                        starts_on=row.form.starts_on.data, ends_on=row.form.ends_on.data)
            for row in form.phases]


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def edit(campaign_id: int):
    campaign = scope.load(Campaign, campaign_id, roles=BUREAU)
    form = CampaignEditForm(obj=campaign)
    form.checklist_template_id.choices = _template_choices(_("（不使用自查表）"), keep=campaign.checklist_template)
    if request.method == "GET":
        while len(form.phases):
            form.phases.pop_entry()
        for phase in campaign.phases:
            form.phases.append_entry({"id": phase.id, "name": phase.name, "starts_on": phase.starts_on,
                                      "ends_on": phase.ends_on})
    phase_names = {p.id: p for p in campaign.phases}
    if form.validate_on_submit():
        template = db.session.get(ChecklistTemplate, form.checklist_template_id.data) \
            if form.checklist_template_id.data else None
        try:
            check_version(campaign, form.version.data)
            warnings = campaign_service.update_campaign(
                campaign, actor=current_user, name=form.name.data, year=form.year.data,
                description=form.description.data, requires_signed_scan=form.requires_signed_scan.data,
                default_deadline_workdays=form.default_deadline_workdays.data, checklist_template=template,
                phases=_phase_rows(form))
        except (DomainError, ValueError) as error:
            show_error(form, error if isinstance(error, DomainError) else DomainError(_("阶段数据有误，请刷新页面。")))
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            for warning in warnings:
                flash(_("提示：%(w)s 阶段可以重叠，但请确认这是有意安排。", w=warning), "warning")
            return redirect(url_for(".detail", campaign_id=campaign.id))
    return render_template("campaigns/edit.html", form=form, campaign=campaign, phase_names=phase_names,
                           warnings=campaign_service.phase_warnings(campaign.phases))


@bp.get("/<int:campaign_id>")
@scope.role_required(ALL_ROLES)
def detail(campaign_id: int):
    campaign = scope.load(Campaign, campaign_id)
    today = local_today()
    data = progress.campaign_progress(campaign, user=current_user, today=today)
    return render_template("campaigns/detail.html", campaign=campaign, progress=data, today=today,
                           current=campaign_service.current_phases(campaign, today),
                           warnings=campaign_service.phase_warnings(campaign.phases),
                           history=history_for(campaign, limit=20) if current_user.sees_district else [],
                           sections=campaign_sections.for_page(campaign, current_user))


@bp.route("/<int:campaign_id>/activate", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def activate(campaign_id: int):
    campaign = scope.load(Campaign, campaign_id, roles=BUREAU)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            campaign_service.activate(campaign, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("专项行动已启动，街道办和物业企业现在可以看到并办理。"), "success")
        return redirect(url_for(".detail", campaign_id=campaign.id))
    count = db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.campaign_id == campaign.id,
                                                                     Enrolment.status == EnrolmentStatus.ACTIVE))
    return render_template("confirm.html", form=form, title=_("启动专项行动"),
                           message=_("确定启动“%(name)s”吗？已纳入 %(n)s 个小区。"
                                     "启动后，相关街道办和物业企业即可查看、摸底和填报自查表。",
                                     name=campaign.name, n=count),
                           cancel_url=url_for(".detail", campaign_id=campaign.id), confirm_label=_("启动"))


@bp.route("/<int:campaign_id>/close", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def close(campaign_id: int):
    campaign = scope.load(Campaign, campaign_id, roles=BUREAU)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            remaining = campaign_service.close(campaign, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("专项行动已结束。") + (_("仍有 %(n)s 个小区未销号，其整改事项继续跟踪。", n=remaining)
                                         if remaining else ""), "success")
        return redirect(url_for(".detail", campaign_id=campaign.id))
    remaining = campaign_service.open_enrolment_count(campaign)
    message = _("确定结束“%(name)s”吗？结束后不能再纳入小区、摸底、填报自查表或验收。", name=campaign.name)
    if remaining:
        message += _("注意：还有 %(n)s 个小区尚未销号。", n=remaining)
    return render_template("confirm.html", form=form, title=_("结束专项行动"), message=message, danger=True,
                           cancel_url=url_for(".detail", campaign_id=campaign.id), confirm_label=_("结束"))


@bp.route("/<int:campaign_id>/reopen", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def reopen(campaign_id: int):
    """已结束 → 进行中, with a reason: needed before an item of the campaign can be re-opened."""
    campaign = scope.load(Campaign, campaign_id, roles=BUREAU)
    form = CampaignReopenForm()
    if form.validate_on_submit():
        try:
            campaign_service.reopen(campaign, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("专项行动已重新开启。"), "success")
            return redirect(url_for(".detail", campaign_id=campaign.id))
    return render_template("confirm.html", form=form, title=_("重新开启专项行动"),
                           message=_("确定重新开启“%(name)s”吗？重新开启后可以重新打开其中已销项的整改事项、重新验收。",
                                     name=campaign.name),
                           cancel_url=url_for(".detail", campaign_id=campaign.id), confirm_label=_("重新开启"))


# --- enrolments ----------------------------------------------------------------------

def _enrolment_filter(filters) -> progress.EnrolmentFilter:
    def flag(value):
        return {"1": True, "0": False}.get(value or "")

    return progress.EnrolmentFilter(
        street_id=value_of(filters, "street"), company_id=value_of(filters, "company"),
        stage=enum_or_none(EnrolmentStage, filters.stage.data), surveyed=flag(filters.surveyed.data),
        self_inspected=flag(filters.self_inspected.data), closed=flag(filters.closed.data), q=filters.q.data,
        si_status=enum_or_none(SelfInspectionStatus, filters.si.data))


@bp.get("/<int:campaign_id>/enrolments")
@scope.role_required(ALL_ROLES)
def enrolments(campaign_id: int):
    campaign = scope.load(Campaign, campaign_id)
    filters = EnrolmentFilterForm(request.args)
    filters.street.choices = street_choices(blank=_("全部"))
    drop_scoped_filters(filters)
    # Pages first: the page's ids by the filters and the estate's name, then the stages and counts of those.
    keys = progress.enrolment_keys_statement(campaign.id, _enrolment_filter(filters), user=current_user)
    keys = keys.join(Estate, Estate.id == Enrolment.estate_id).order_by(Estate.name_sort, Enrolment.id)
    page = paginate_keys(keys, progress.enrolment_list_rows_for)
    return render_template("campaigns/enrolments.html", campaign=campaign, page=page, filters=filters,
                           today=local_today(), labels=Labels())


def _estate_filter(filters) -> enrolment_service.EstateFilter:
    mode = enum_or_none(ManagementMode, filters.mode.data)
    return enrolment_service.EstateFilter(street_id=filters.street.data, management_mode=mode,
                                          is_old={"1": True, "0": False}.get(filters.old.data or ""),
                                          company_id=filters.company.data, q=filters.q.data)


@bp.route("/<int:campaign_id>/enrol", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def enrol(campaign_id: int):
    campaign = scope.load(Campaign, campaign_id, roles=BUREAU)
    filters = EnrolFilterForm(request.args)
    filters.street.choices = street_choices(blank=_("全部"))
    estate_filter = _estate_filter(filters)
    confirm = ConfirmForm()
    if request.method == "POST":
        if not confirm.validate_on_submit():
            abort(400)
        if estate_filter.is_empty() and request.form.get("all") != "1":
            flash(_("请先选择筛选条件；如确需纳入全区所有小区，请勾选“全部小区”。"), "warning")
            return redirect(url_for(".enrol", campaign_id=campaign.id, **request.args))
        estates = db.session.scalars(enrolment_service.estates_statement(estate_filter, scope.visible(Estate))).all()
        try:
            result = enrolment_service.enrol(campaign, estates, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
            return redirect(url_for(".enrol", campaign_id=campaign.id, **request.args))
        db.session.commit()
        flash(_("新纳入 %(added)s 个小区，重新纳入 %(back)s 个，已在册跳过 %(skipped)s 个。",
                added=len(result.added), back=len(result.reactivated), skipped=result.skipped), "success")
        return redirect(url_for(".enrolments", campaign_id=campaign.id))
    # Pages first: the page's ids (a search's total with them, one pass over the estates), then those 50.
    keys = enrolment_service.estates_statement(estate_filter, scope.visible(Estate, statement=select(Estate.id)))
    page = paginate_keys(keys.order_by(Estate.street_id, Estate.name_sort), _estates_by_id,
                         count_with_keys=bool(estate_filter.q and estate_filter.q.strip()))
    # The page's total is the count of the same estates (the bureau sees them all).
    total, already = enrolment_service.count_matching(estate_filter, campaign, total=page.total)
    enrolled_ids = enrolment_service.enrolled_estate_ids(campaign, among=[estate.id for estate in page.items])
    return render_template("campaigns/enrol.html", campaign=campaign, filters=filters, page=page, total=total,
                           already=already, enrolled_ids=enrolled_ids, confirm=confirm,
                           empty_filter=estate_filter.is_empty())


def _estates_by_id(ids) -> dict:
    return {estate.id: estate for estate in db.session.scalars(select(Estate).where(Estate.id.in_(ids)).options(
        selectinload(Estate.street), selectinload(Estate.company)))}


@bp.route("/<int:campaign_id>/enrol/import", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def enrol_import(campaign_id: int):
    """Upload → preview → confirm (documents.preview); the list may be any ledger naming street and estate."""
    campaign = scope.load(Campaign, campaign_id, roles=BUREAU)

    def run(data, filename, mapping, dry_run, check_rows):
        return enrolment_service.EnrolmentImport(campaign, current_user).run(
            data, filename, mapping=mapping, dry_run=dry_run, check_rows=check_rows)

    def done(outcome):
        result = outcome.created
        flash(_("新纳入 %(added)s 个小区，重新纳入 %(back)s 个，已在册跳过 %(skipped)s 个。",
                added=len(result.added), back=len(result.reactivated), skipped=result.skipped), "success")
        return redirect(url_for(".enrolments", campaign_id=campaign.id))

    def start_job(data, filename, mapping):
        return import_jobs.start(enrolment_service.JOB_IMPORTER.name, data, filename, current_user, mapping=mapping,
                                 options={"campaign_id": campaign.id})

    return ImportFlow(kind=enrolment_service.EnrolmentImport.kind, columns=list(enrolment_service.IMPORT_COLUMNS),
                      template="campaigns/enrol_import.html", run=run, done=done, start_job=start_job,
                      context={"campaign": campaign}).handle()


@bp.get("/<int:campaign_id>/enrol/template.xlsx")
@scope.role_required(BUREAU)
@in_chinese
def enrol_template(campaign_id: int):
    scope.load(Campaign, campaign_id, roles=BUREAU)
    return xlsx_response(enrolment_service.import_template(), "纳入小区名单模板.xlsx")
