"""Company filings per campaign: the bureau sets filing types on a campaign, companies upload, the bureau
reviews; the campaign page shows who is missing or late (``campaign_sections``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, COMPANY, Role
from ..campaigns.models import Campaign
from ..companies.models import Company
from ..core.errors import DomainError, check_version
from ..core.pagination import paginate_keys
from ..core.timeutil import local_today, to_local
from ..documents.excel import Column
from ..estates.errors import flash_errors
from ..estates.sections import campaign_sections
from ..extensions import db
from ..i18n import in_chinese
from ..jobs import exports
from ..targets.indicators import local_date
from . import services
from .forms import FilingFilterForm, RequirementForm, ReviewFilingForm, SubmitFilingForm
from .models import CompanyFiling, CompanyFilingStatus, FilingRequirement

bp = Blueprint("filings", __name__, url_prefix="/filings")


CAMPAIGN_CHOICES = 30


def _filters() -> FilingFilterForm:
    """The filter form; its campaigns are the latest ``CAMPAIGN_CHOICES`` the user sees plus the chosen one (a
    district adds campaigns every year: 200 at 100× made the drop-down most of the page)."""
    form = FilingFilterForm(request.args)
    visible = scope.visible(Campaign, statement=select(Campaign.id, Campaign.name))
    campaigns = db.session.execute(visible.order_by(Campaign.id.desc()).limit(CAMPAIGN_CHOICES)).all()
    chosen = request.args.get("campaign", type=int)
    if chosen and all(row.id != chosen for row in campaigns):
        campaigns += db.session.execute(visible.where(Campaign.id == chosen)).all()
    form.campaign.choices = [(None, _("全部"))] + [(row.id, row.name) for row in campaigns]
    if not form.validate():
        form.campaign.data = form.status.data = form.late.data = None
    return form


def _filtered(form: FilingFilterForm):
    statement = scope.visible(CompanyFiling).join(FilingRequirement,
                                                  FilingRequirement.id == CompanyFiling.requirement_id)
    if form.campaign.data:
        statement = statement.where(FilingRequirement.campaign_id == form.campaign.data)
    if form.status.data:
        statement = statement.where(CompanyFiling.status == CompanyFilingStatus(form.status.data))
    if form.late.data == "1":
        statement = statement.where(local_date(CompanyFiling.submitted_at) > FilingRequirement.due_on)
    return statement.order_by(FilingRequirement.due_on.desc(), FilingRequirement.id, CompanyFiling.id)


@bp.get("/")
@scope.role_required(ALL_ROLES)
def index():
    form = _filters()
    # Pages first: the page's filing ids with their count in one pass (``count(*) OVER ()``: a street's scope is a
    # list of (requirement, company) pairs built once for both), then those 50 as plain columns with the
    # campaign's and company's names joined and "late" worked out in SQL (no ORM objects per row).
    keys = _filtered(form).with_only_columns(CompanyFiling.id)

    def load(ids):
        rows = db.session.execute(
            select(CompanyFiling.id, CompanyFiling.requirement_id, FilingRequirement.title, FilingRequirement.due_on,
                   Campaign.name.label("campaign_name"), Company.name.label("company_name"),
                   CompanyFiling.submitted_at, CompanyFiling.submission_count, CompanyFiling.status,
                   (local_date(CompanyFiling.submitted_at) > FilingRequirement.due_on).label("late"))
            .join(FilingRequirement, FilingRequirement.id == CompanyFiling.requirement_id)
            .join(Campaign, Campaign.id == FilingRequirement.campaign_id)
            .join(Company, Company.id == CompanyFiling.company_id)
            .where(CompanyFiling.id.in_(ids)))
        return {row.id: row for row in rows}

    page = paginate_keys(keys, load, count_with_keys=True)
    # Each status's label translated once a page, not once a row.
    statuses = {status: status.label for status in CompanyFilingStatus}
    return render_template("filings/index.html", page=page, filters=form, statuses=statuses)


def _when(value) -> str | None:
    """A UTC time as Asia/Shanghai wall-clock text (Excel cells hold no time zone)."""
    return f"{to_local(value):%Y-%m-%d %H:%M}" if value else None


def _columns() -> list[Column]:
    """The export's columns, of ``_export_select``'s rows."""
    return [
        Column("campaign", "专项行动", export=lambda f: f.campaign_name, width=28),
        Column("title", "报送材料", export=lambda f: f.title, width=18),
        Column("due_on", "截止日期", export=lambda f: f.due_on),
        Column("company", "物业服务企业", export=lambda f: f.company_name, width=28),
        Column("status", "状态", export=lambda f: f.status),
        Column("first", "首次报送", export=lambda f: _when(f.first_submitted_at)),
        Column("last", "最近报送", export=lambda f: _when(f.submitted_at)),
        Column("count", "报送次数", export=lambda f: f.submission_count, width=10),
        Column("late", "逾期报送", export=lambda f: to_local(f.submitted_at).date() > f.due_on, width=10),
        Column("reviewed", "审核时间", export=lambda f: _when(f.reviewed_at)),
        Column("reason", "退回原因", export=lambda f: f.return_reason, width=30),
    ]


def _export_select(statement):
    """The filings as plain rows with their campaign's and company's names (no ORM objects)."""
    campaign, company = aliased(Campaign), aliased(Company)
    return (statement.with_only_columns(
        campaign.name.label("campaign_name"), FilingRequirement.title, FilingRequirement.due_on,
        company.name.label("company_name"), CompanyFiling.status, CompanyFiling.first_submitted_at,
        CompanyFiling.submitted_at, CompanyFiling.submission_count, CompanyFiling.reviewed_at,
        CompanyFiling.return_reason)
        .join(campaign, campaign.id == FilingRequirement.campaign_id)
        .join(company, company.id == CompanyFiling.company_id))


exports.register(exports.Exporter("filings", "企业报送材料", _columns, lambda: _filtered(_filters()),
                                  select_rows=_export_select))


@bp.get("/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def export():
    return exports.export_response("filings")


@bp.route("/campaign/<int:campaign_id>/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def requirement_new(campaign_id: int):
    campaign = scope.load(Campaign, campaign_id, roles=BUREAU)
    form = RequirementForm()
    if form.validate_on_submit():
        try:
            requirement = services.save_requirement(campaign, form.data, actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已设置报送材料“%(title)s”。", title=requirement.title), "success")
            return redirect(url_for(".requirement", requirement_id=requirement.id))
    return render_template("filings/requirement_form.html", form=form, campaign=campaign, requirement=None)


@bp.route("/requirement/<int:requirement_id>/edit", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def requirement_edit(requirement_id: int):
    requirement = scope.load(FilingRequirement, requirement_id, roles=BUREAU)
    form = RequirementForm(obj=requirement)
    if form.validate_on_submit():
        try:
            check_version(requirement, form.version.data)
            services.save_requirement(requirement.campaign, form.data, requirement=requirement, actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".requirement", requirement_id=requirement.id))
    return render_template("filings/requirement_form.html", form=form, campaign=requirement.campaign,
                           requirement=requirement)


@bp.get("/requirement/<int:requirement_id>")
@scope.role_required(ALL_ROLES)
def requirement(requirement_id: int):
    requirement = scope.load(FilingRequirement, requirement_id, options=(joinedload(FilingRequirement.campaign),))
    today = local_today()
    user_scope = services._user_scope(current_user)
    # Counts in SQL, the companies a page at a time (a district's thousands made a 550 KB page).
    summary = services.requirement_summary(requirement, today=today, names_shown=False, **user_scope)
    page = services.requirement_rows(requirement, today=today, total=summary.expected, **user_scope)
    own = next((row for row in page.items if row.company.id == current_user.company_id), None) \
        if current_user.role is Role.COMPANY_USER else None
    files = services.files_of([row.filing for row in page.items if row.filing is not None])
    return render_template("filings/requirement.html", requirement=requirement, summary=summary, page=page, own=own,
                           files=files,
                           submit_form=SubmitFilingForm(), review_form=ReviewFilingForm(), today=today,
                           can_review=current_user.role in BUREAU)


def _export_requirement() -> FilingRequirement:
    """The filing type of the workbook's URL (in the request, and again in its job), read once."""
    return exports.memo("filings.requirement",
                        lambda: scope.load(FilingRequirement, request.view_args["requirement_id"]))


def _requirement_columns() -> list[Column]:
    """The filing type's workbook: ``services.requirement_company_rows``."""
    return [
        Column("company", "物业服务企业", export=lambda r: r.company.name, width=28),
        Column("code", "统一社会信用代码", export=lambda r: r.company.credit_code, width=22),
        Column("state", "状态", export=lambda r: r.state_label, width=18),
        Column("submitted", "最近报送", export=lambda r: _when(r.filing.submitted_at) if r.filing else None),
        Column("late", "逾期报送", export=lambda r: r.late, width=10),
        Column("missing", "逾期未报", export=lambda r: r.missing, width=10),
        Column("reason", "退回原因", export=lambda r: r.filing.return_reason if r.filing else None, width=30),
    ]


# Every expected company of the district (or the user's street) is a row: above the inline size a job writes it.
exports.register(exports.Exporter(
    "filings.requirement", "企业报送情况", _requirement_columns,
    lambda: services.requirement_export_select(_export_requirement(), **services._user_scope(current_user)),
    rows_not_objects=True, rows=lambda rows, _statement: services.requirement_company_rows(rows, _export_requirement()),
    download=lambda: f"{_export_requirement().title}-报送情况-{local_today():%Y%m%d}.xlsx",
    sheet_title=lambda: _export_requirement().title))


@bp.get("/requirement/<int:requirement_id>/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def requirement_export(requirement_id: int):
    return exports.export_response("filings.requirement")


@bp.post("/requirement/<int:requirement_id>/submit")
@scope.role_required(COMPANY)
def submit(requirement_id: int):
    requirement = scope.load(FilingRequirement, requirement_id, roles=COMPANY)
    form = SubmitFilingForm()
    if form.validate_on_submit():
        company = db.session.get(Company, current_user.company_id)
        try:
            with db.session.begin_nested():
                services.submit_filing(requirement, company, form.file.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        except IntegrityError:  # a colleague filed at the same moment
            db.session.rollback()
            flash(_("该记录已被他人修改，请刷新页面后重新编辑。"), "danger")
        else:
            db.session.commit()
            flash(_("已报送，等待住建局审核。"), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for(".requirement", requirement_id=requirement.id))


@bp.post("/<int:filing_id>/<any(accept, return):action>")
@scope.role_required(BUREAU)
def review(filing_id: int, action: str):
    filing = scope.load(CompanyFiling, filing_id, roles=BUREAU)
    form = ReviewFilingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        check_version(filing, form.version.data)
        if action == "accept":
            services.accept_filing(filing, actor=current_user)
        else:
            services.return_filing(filing, form.reason.data, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("已审核通过。") if action == "accept" else _("已退回，企业可重新报送。"), "success")
    return redirect(url_for(".requirement", requirement_id=filing.requirement_id))


def _campaign_section(campaign, user):
    return {"campaign": campaign, "statuses": services.campaign_summaries(campaign, user),
            "can_manage": user.role in BUREAU}


campaign_sections.register("filings", "filings/_campaign_section.html", context=_campaign_section, order=10)
