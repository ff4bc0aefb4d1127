"""Weekly reports: the street's list and form, the bureau's overview, the bulletin."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..attachments.models import load_visible
from ..attachments.services import UploadError
from ..auth import scope
from ..auth.roles import BUREAU, DISTRICT_READERS, STREET
from ..campaigns.models import Campaign
from ..campaigns.services.progress import PROGRESS_TOPIC
from ..core import generations
from ..core.errors import ConcurrentEditError, DomainError, check_version
from ..core.forms import ConfirmForm, apply_domain_error
from ..core.holidays.models import HOLIDAYS_TOPIC
from ..core.pagination import paginate_keys
from ..core.timeutil import local_today, to_local, utcnow
from ..documents.pdf import render_pdf
from ..extensions import db
from ..filings.services import campaign_summaries
from ..i18n import in_chinese
from ..jobs import exports, pdfs
from ..regions.choices import street_choices
from ..regions.models import Street
from . import services
from .figures import SYSTEM_ROWS, rectification_rate
from .forms import (
    BulletinFilterForm,
    OverviewFilterForm,
    ReportFilterForm,
    ReturnForm,
    StartForm,
    SubmitForm,
    report_form_class,
)
from .models import EDITABLE, ReportStatus, ReportTransition, WeeklyReport, stands_late
from .services import CellStatus, bulletin_columns, bulletin_narratives, bulletin_plain, bulletin_rows, figures_shown
from .weeks import WEEKDAY_NAMES, Week, due_at_for, due_wording

bp = Blueprint("reports", __name__, url_prefix="/reports")

READERS = DISTRICT_READERS | STREET
MAX_GRID_WEEKS = 26
LIST_COLUMNS = (WeeklyReport.id, WeeklyReport.campaign_id, WeeklyReport.street_id, WeeklyReport.iso_year,
                WeeklyReport.iso_week, WeeklyReport.week_start, WeeklyReport.due_at, WeeklyReport.status,
                WeeklyReport.first_submitted_at, WeeklyReport.submitted_at)
DEFAULT_GRID_WEEKS = 8


@bp.app_template_filter("due_label")
def due_label(value) -> str:
    """``2026-09-24 18:00（周四）``"""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local:%Y-%m-%d %H:%M}（{WEEKDAY_NAMES[local.weekday()]}）"


def _campaign_choices(form_field, campaigns, blank=None):
    labels = {}  # each status translated once, not once per campaign
    for c in campaigns:
        if c.status not in labels:
            labels[c.status] = c.status.label
    choices = [(c.id, f"{c.name}（{labels[c.status]}）") for c in campaigns]
    form_field.choices = ([(None, blank)] if blank else []) + choices


# --- lists ------------------------------------------------------------------

@bp.get("/")
@scope.role_required(READERS)
def index():
    filters = ReportFilterForm(request.args)
    campaigns = services.overview_campaigns(current_user, filters.campaign.data)  # bounded, as the overview's
    _campaign_choices(filters.campaign, campaigns, blank=_("全部专项行动"))
    if current_user.is_street:
        del filters.street
    else:
        filters.street.choices = street_choices(blank=_("全部街道"))
    week = Week.parse(filters.week.data) if filters.week.data else None
    if filters.week.data and week is None:
        flash(_("周次格式应为 2026-W39。"), "warning")
    filters.validate()
    keys = services.reports_statement(
        campaign_id=filters.campaign.data if not filters.campaign.errors else None,
        street_id=None if current_user.is_street or filters.street.errors else filters.street.data,
        week=week,
        status=filters.status.data if not filters.status.errors else None,
        keys=True,
    )
    page = paginate_keys(scope.visible(WeeklyReport, statement=keys), _list_rows)
    duties = overdue = ()
    if current_user.is_street:
        now = utcnow()
        # the duties' and the overdue weeks' generations (the calendar's, the reporting spans') in one query
        generations.snapshot((HOLIDAYS_TOPIC, PROGRESS_TOPIC))
        campaigns = services.street_campaigns(current_user.street_id)  # once for both
        duties = services.street_duties(current_user.street_id, now=now, campaigns=campaigns)
        overdue = services.overdue_cells_for_street(current_user.street_id, now=now, campaigns=campaigns)
    return render_template("reports/index.html", page=page, filters=filters, duties=duties, overdue=overdue,
                           start_form=StartForm(), now=utcnow(), CellStatus=CellStatus,
                           status_of=services.report_status_of, status_labels={s: s.label for s in ReportStatus})


@dataclass(frozen=True)
class ListedReport:
    """A report as the list shows it: plain columns with its street and its campaign's name (no ORM row)."""

    id: int
    campaign_id: int
    street_id: int
    iso_year: int
    iso_week: int
    week_start: object
    due_at: object
    status: ReportStatus
    first_submitted_at: object
    submitted_at: object
    street: Street  # the entity, so that the session keeps it for the page (the header, a street's grid)
    campaign_name: str

    @property
    def week(self) -> Week:
        return Week(self.iso_year, self.iso_week)

    @property
    def is_late(self) -> bool:
        return stands_late(self.status, self.submitted_at, self.due_at)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


# The page's reports by id: built once (the ids an expanding parameter); the list shows no narratives and no figures,
# so their text and JSON columns are left unread. The street as an entity: a street office's own, which the page's
# header and its overdue weeks' grid then find in the session.
_LIST_ROWS = (select(*LIST_COLUMNS, Street, Campaign.name).join(Street, Street.id == WeeklyReport.street_id)
              .join(Campaign, Campaign.id == WeeklyReport.campaign_id)
              .where(WeeklyReport.id.in_(bindparam("ids", expanding=True))))


def _list_rows(ids) -> dict:
    return {row[0]: ListedReport(*row)
            for row in db.session.execute(_LIST_ROWS, {"ids": list(ids)})}


def _overview_weeks(campaign, form, weeks) -> list[Week]:
    if not weeks:
        return []
    last = Week.parse(form.to.data) or weeks[-1]
    first = Week.parse(form.start.data) or last.prev(DEFAULT_GRID_WEEKS - 1)
    if (form.to.data and Week.parse(form.to.data) is None) or (form.start.data and Week.parse(form.start.data) is None):
        flash(_("周次格式应为 2026-W39。"), "warning")
    if first > last:
        first, last = last, first
    chosen = [w for w in weeks if first <= w <= last]
    if len(chosen) > MAX_GRID_WEEKS:
        flash(_("一次最多显示 %(n)s 周，已显示截止周之前的 %(n)s 周。", n=MAX_GRID_WEEKS), "info")
        chosen = chosen[-MAX_GRID_WEEKS:]
    if chosen:  # show the range actually displayed in the filter
        form.start.data, form.to.data = str(chosen[0]), str(chosen[-1])
    return chosen


@bp.get("/overview")
@scope.role_required(DISTRICT_READERS)
def overview():
    filters = OverviewFilterForm(request.args)
    campaigns = services.overview_campaigns(current_user, filters.campaign.data)
    _campaign_choices(filters.campaign, campaigns)
    chosen = next((c for c in campaigns if c.id == filters.campaign.data), None) if filters.campaign.data \
        else (campaigns[0] if campaigns else None)
    if filters.campaign.data and chosen is None:
        abort(404)
    campaign = services.overview_campaign(chosen.id) if chosen is not None else None
    grid, period_weeks = None, []
    if campaign is not None:
        filters.campaign.data = campaign.id
        period_weeks = services.campaign_weeks(campaign)
        grid = services.report_grid(campaign, _overview_weeks(campaign, filters, period_weeks))
    return render_template("reports/overview.html", filters=filters, campaign=campaign, grid=grid,
                           period_weeks=period_weeks, CellStatus=CellStatus)


# --- one report ---------------------------------------------------------------

def _load(report_id: int, roles=READERS) -> WeeklyReport:
    return scope.load(WeeklyReport, report_id, roles=roles,
                      options=(joinedload(WeeklyReport.campaign), joinedload(WeeklyReport.street)))


def _report_context(report: WeeklyReport) -> dict:
    figures, live = figures_shown(report)
    weekday = report.campaign.report_weekday if report.campaign.report_weekday is not None else 4
    return {
        "report": report, "figures": figures, "figures_live": live, "system_rows": SYSTEM_ROWS,
        "rate": rectification_rate(figures), "entered": services.merged_entered(report),
        "attachments": services.report_attachments(report),
        "cell_status": services.report_status_of(report), "holiday": due_wording(report.week, weekday),
        "now": utcnow(),
    }


@bp.get("/<int:report_id>")
@scope.role_required(READERS)
def detail(report_id: int):
    report = _load(report_id)
    transitions = db.session.scalars(
        select(ReportTransition).where(ReportTransition.report_id == report.id)
        .options(joinedload(ReportTransition.by)).order_by(ReportTransition.id)
    ).all()
    return render_template("reports/detail.html", transitions=transitions, **_report_context(report))


def _bind_figures(form, entered):
    for entry in entered:
        form[f"fig_{entry['code']}"].data = entry.get("value")


@bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@scope.role_required(STREET)
def edit(report_id: int):
    report = _load(report_id, roles=STREET)
    if not report.is_editable:
        flash(_("该周报已报送并锁定，不能修改。如需更正，请联系区住建局退回。"), "warning")
        return redirect(url_for(".detail", report_id=report.id))
    entered = services.merged_entered(report)
    form = report_form_class(entered)(obj=report)
    if request.method == "GET":
        _bind_figures(form, entered)
        if request.args.get("check"):
            for field_name, message in services.missing_for_submission(report):
                if field_name in form:
                    form[field_name].errors = list(form[field_name].errors) + [message]
    if form.validate_on_submit():
        wants_submit = request.form.get("action") == "submit"
        try:
            check_version(report, form.version.data)
            services.save_report(
                report, entered=form.entered_values(), progress=form.progress.data, problems=form.problems.data,
                next_week_plan=form.next_week_plan.data, contact_person=form.contact_person.data,
                contact_phone=form.contact_phone.data, user=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
            status = 409 if isinstance(error, ConcurrentEditError) else 200
            return render_template("reports/edit.html", form=form, **_report_context(report)), status
        upload_error = None
        try:
            services.add_attachments(report, form.files.data, user=current_user)
        except UploadError as error:
            upload_error = error.message
        db.session.commit()
        if upload_error:
            form.files.errors = [upload_error]
            form.version.data = report.version
            flash(_("草稿已保存，但附件未上传：%(reason)s 请重新选择文件。", reason=upload_error), "warning")
            return render_template("reports/edit.html", form=form, **_report_context(report))
        if wants_submit:
            return redirect(url_for(".submit", report_id=report.id))
        flash(_("草稿已保存。报送前仍可修改。"), "success")
        return redirect(url_for(".edit", report_id=report.id))
    return render_template("reports/edit.html", form=form, **_report_context(report))


@bp.route("/<int:report_id>/submit", methods=["GET", "POST"])
@scope.role_required(STREET)
def submit(report_id: int):
    report = _load(report_id, roles=STREET)
    if not report.is_editable:
        flash(_("该周报已报送并锁定，不能重复报送。"), "warning")
        return redirect(url_for(".detail", report_id=report.id))
    missing = services.missing_for_submission(report)
    if missing:
        flash(_("报送前请先补充：%(items)s", items="；".join(m for _f, m in missing)), "warning")
        return redirect(url_for(".edit", report_id=report.id, check=1))
    form = SubmitForm(obj=report)
    if form.validate_on_submit():
        try:
            check_version(report, form.version.data)
            services.submit_report(report, user=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return redirect(url_for(".edit", report_id=report.id, check=1))
        db.session.commit()
        if report.is_late:
            flash(_("周报已报送（已超过截止时间，记为迟报）。"), "warning")
        else:
            flash(_("周报已按时报送。"), "success")
        return redirect(url_for(".detail", report_id=report.id))
    return render_template("reports/submit.html", form=form, **_report_context(report))


@bp.route("/<int:report_id>/return", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def return_(report_id: int):
    report = _load(report_id, roles=BUREAU)
    if not report.is_sent:
        flash(_("只能退回已报送的周报。"), "warning")
        return redirect(url_for(".detail", report_id=report.id))
    form = ReturnForm(obj=report)
    if request.method == "GET":
        form.comment.data = ""
    if form.validate_on_submit():
        try:
            check_version(report, form.version.data)
            services.return_report(report, comment=form.comment.data, user=current_user)
        except DomainError as error:
            db.session.rollback()
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已退回 %(street)s 的周报，街道修改后可重新报送。", street=report.street.name), "success")
            return redirect(url_for(".detail", report_id=report.id))
    return render_template(
        "confirm.html", form=form, title=_("退回周报"), danger=True, confirm_label=_("确定退回"),
        message=_("确定将%(street)s%(week)s的周报退回修改吗？退回后街道可修改并重新报送；"
                  "截止时间之后重新报送的，记为迟报（以定稿报送时间为准）。",
                  street=report.street.name, week=report.week.label),
        cancel_url=url_for(".detail", report_id=report.id))


@bp.post("/start")
@scope.role_required(STREET)
def start():
    form = StartForm()
    week = Week.parse(form.week.data)
    if not form.validate_on_submit() or week is None or not (form.campaign_id.data or "").isdigit():
        flash(_("请求有误，请返回重试。"), "danger")
        return redirect(url_for(".index"))
    campaign = scope.load(Campaign, int(form.campaign_id.data))
    try:
        report, _created = services.start_report(campaign, current_user.street_id, week, user=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for(".index"))
    except IntegrityError:  # a colleague started the same report at the same moment
        db.session.rollback()
        report = services.find_report(campaign.id, current_user.street_id, week)
        if report is None:
            raise
    if not report.is_editable:
        return redirect(url_for(".detail", report_id=report.id))
    return redirect(url_for(".edit", report_id=report.id))


@bp.get("/cell/<int:campaign_id>/<int:street_id>/<week>")
@scope.role_required(READERS)
def cell(campaign_id: int, street_id: int, week: str):
    """One cell of the grid: the report when there is one, else what is due."""
    parsed = Week.parse(week)
    if parsed is None:
        abort(404)
    campaign = scope.load(Campaign, campaign_id)
    if current_user.is_street and street_id != current_user.street_id:
        abort(404)

    street = scope.load(Street, street_id)
    report = services.find_report(campaign.id, street.id, parsed)
    if report is not None:
        return redirect(url_for(".detail", report_id=report.id))
    due = due_at_for(campaign, parsed)
    expected = services.is_expected(campaign, street.id, parsed)
    status = services.cell_status(None, due, utcnow()) if expected else None
    weekday = campaign.report_weekday if campaign.report_weekday is not None else 4
    can_start = (current_user.is_street and expected and parsed <= Week.current()
                 and parsed in services.campaign_weeks(campaign))
    return render_template("reports/cell.html", campaign=campaign, street=street, week=parsed, due=due,
                           expected=expected, status=status, holiday=due_wording(parsed, weekday),
                           can_start=can_start, start_form=StartForm())


@bp.route("/<int:report_id>/attachments/<int:attachment_id>/remove", methods=["GET", "POST"])
@scope.role_required(STREET)
def remove_attachment(report_id: int, attachment_id: int):
    report = _load(report_id, roles=STREET)
    # Another object's file (if visible) is shown and then refused by the service, as before.
    attachment = services.own_attachment(report, attachment_id) or load_visible(attachment_id, current_user)
    if attachment is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.remove_attachment(report, attachment, user=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已移除附件“%(name)s”。", name=attachment.original_name), "success")
        return redirect(url_for(".edit", report_id=report.id) if report.is_editable
                        else url_for(".detail", report_id=report.id))
    return render_template("confirm.html", form=form, title=_("移除附件"), danger=True,
                           message=_("确定从周报中移除附件“%(name)s”吗？", name=attachment.original_name),
                           cancel_url=url_for(".edit", report_id=report.id))


# --- the bulletin -------------------------------------------------------------

def _bulletin_choice():
    filters = BulletinFilterForm(request.args)
    # As the overview: a bounded list to choose from (rows), then the chosen campaign with its phases.
    campaigns = services.overview_campaigns(current_user, filters.campaign.data)
    _campaign_choices(filters.campaign, campaigns)
    chosen = next((c for c in campaigns if c.id == filters.campaign.data), None) if filters.campaign.data \
        else (campaigns[0] if campaigns else None)
    if filters.campaign.data and chosen is None:
        abort(404)
    campaign = services.overview_campaign(chosen.id) if chosen is not None else None
    week = None
    if campaign is not None:
        filters.campaign.data = campaign.id
        week = Week.parse(filters.week.data) if filters.week.data else services.latest_closed_week(campaign)
        if week is None and filters.week.data:
            flash(_("周次格式应为 2026-W39。"), "warning")
            week = services.latest_closed_week(campaign)
        if week is not None:
            filters.week.data = str(week)
    return filters, campaign, week


@bp.get("/bulletin")
@scope.role_required(DISTRICT_READERS)
def bulletin():
    filters, campaign, week = _bulletin_choice()
    plain = None
    in_period = False
    filings = ()
    if campaign is not None and week is not None:
        in_period = week in services.campaign_weeks(campaign, max(week.sunday, Week.current().sunday))
        plain = bulletin_plain(services.bulletin(campaign, week), filings=False)
        # The page counts the companies and names the first few (the PDF names them all).
        filings = campaign_summaries(campaign, today=min(week.sunday, local_today()))
    return render_template("reports/bulletin.html", filters=filters, campaign=campaign, week=week, b=plain,
                           filings=filings, in_period=in_period)


def _bulletin_or_404(filings: bool = True):
    """The chosen bulletin; computed once per request (the PDF's page count and the PDF both read it), the
    companies' filings only when asked for. Kept in the request's environ, not ``g``: a job's request
    context may share a worker's app context."""
    chosen = request.environ.get(BULLETIN_KEY)
    if chosen is None:
        _filters, campaign, week = _bulletin_choice()
        if campaign is None or week is None:
            abort(404)
        plain = bulletin_plain(services.bulletin(campaign, week), filings=False)
        chosen = request.environ[BULLETIN_KEY] = campaign, week, plain
    campaign, week, plain = chosen
    if filings and "company_filings" not in plain:
        plain["company_filings"] = services.plain_filings(campaign, week)
    return chosen


BULLETIN_KEY = "supervision.reports.bulletin"


@bp.get("/bulletin.pdf")
@scope.role_required(DISTRICT_READERS)
@in_chinese
def bulletin_pdf():
    """The bulletin, by default with its annex: every sent report in full (``?annex=0`` leaves it out).
    With the annex of many streets' reports it is made by a job (``jobs.pdfs``)."""
    return pdfs.pdf_or_job("reports.bulletin")


def _bulletin_pages() -> int:
    """The digest's few pages, and with the annex each street's report (each starts a page) by its lines:
    the tables' rows and its narratives (a street's full text can run to several pages)."""
    _campaign, _week, plain = _bulletin_or_404(filings=False)
    if request.args.get("annex") == "0":
        return BULLETIN_PAGES
    pages = BULLETIN_PAGES
    for row in plain.get("sent_rows") or ():
        lines = ANNEX_HEADING_LINES + len(plain["system_rows"]) + len(row["entered_list"])
        lines += sum(-(-len(text) // ANNEX_CHARS_PER_LINE) for texts in row["paragraphs"].values() for text in texts)
        pages += max(1, -(-lines // ANNEX_LINES_PER_PAGE))
    return pages


def _render_bulletin() -> tuple[bytes, str]:
    campaign, week, plain = _bulletin_or_404()
    annex = request.args.get("annex") != "0"
    data = render_pdf("pdf/reports/bulletin.html", b=plain, annex=annex)
    suffix = "" if annex else "-不含附件"
    return data, f"工作简报-{campaign.name}-{week}{suffix}.pdf"


BULLETIN_PAGES = 3  # the digest without its annex
# A street's report in the annex (A4 portrait, 11 pt), measured on the 100× district's bulletin.
ANNEX_HEADING_LINES, ANNEX_CHARS_PER_LINE, ANNEX_LINES_PER_PAGE = 12, 40, 33
pdfs.register(pdfs.PdfMaker("reports.bulletin", "工作简报（含附件）", _bulletin_pages, _render_bulletin))


def _export_bulletin():
    return _bulletin_or_404(filings=False)  # the workbook has no filings sheet; kept per request already


exports.register(exports.Exporter(
    "reports.bulletin", "周报数据", lambda: bulletin_columns(_export_bulletin()[2]),
    lambda: bulletin_rows(_export_bulletin()[2]), in_memory=True,
    sheet_title=lambda: f"{_export_bulletin()[2]['week']}",
    extra_sheets=lambda: bulletin_narratives(_export_bulletin()[2]),
    download=lambda: f"周报数据-{_export_bulletin()[0].name}-{_export_bulletin()[1]}.xlsx"))


@bp.get("/bulletin.xlsx")
@scope.role_required(DISTRICT_READERS)
@in_chinese
def bulletin_xlsx():
    return exports.export_response("reports.bulletin")
