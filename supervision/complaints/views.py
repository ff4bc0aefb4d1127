"""The complaint register's pages: list, new, one complaint with its moves, the clerk's queue, the
12345 import. Thin: each view validates a form, calls one service and renders or redirects."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..attachments.services import IMAGE, attachments_of, store
from ..audit.models import AuditLog
from ..audit.services import record
from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, COMPANY, DISTRICT_READERS, STREET
from ..campaigns.models import RectificationItem
from ..companies.models import Company
from ..core.errors import ConcurrentEditError, DomainError, check_version
from ..core.forms import apply_domain_error
from ..core.pagination import paginate_rows
from ..core.timeutil import local_today, utcnow
from ..documents.excel import Column, write_workbook, xlsx_response
from ..documents.imports import check_file, instructions
from ..estates.models import Estate
from ..extensions import db
from ..i18n import in_chinese
from ..jobs import exports
from ..jobs import imports as import_jobs
from ..regions.choices import street_choices
from ..templating import localtime
from . import (
    indicators,  # noqa: F401  (registers 维修及时率 with the targets)
    links,  # noqa: F401  (registers the rates on the portal's estate sheet and the enforcement trigger)
    listing,
    services,
)
from . import rates as rates_service
from .forms import (
    AnswerForm,
    AssignForm,
    CallbackForm,
    ComplaintFilterForm,
    ComplaintForm,
    ImportForm,
    ReasonForm,
    VerifyForm,
)
from .intake import HOTLINE_JOB, REPAIR_COLUMNS, REPAIRS_JOB, HotlineImport, RepairLogImport
from .matching import suggestions_for
from .models import Channel, Complaint, Kind, MatchStatus, RoutineSupervision, Satisfaction, State, Urgency
from .privacy import CONTACT_VIEW, contact, mask_name, mask_phone
from .sweep import overdue_clause, overdue_count_clause

bp = Blueprint("complaints", __name__, url_prefix="/complaints")
C = Complaint
LIST_OPTIONS = (joinedload(C.estate), joinedload(C.street), joinedload(C.company))


def _domain_error(form, error: DomainError) -> None:
    db.session.rollback()
    if form is None or not apply_domain_error(form, error):
        flash(error.message, "danger")


def filtered(statement, filters: ComplaintFilterForm, *, now=None, counting: bool = False):
    """``counting``: for the list's capped count (the overdue filter as ranges of the state indexes)."""
    q = (filters.q.data or "").strip()
    if q:
        like = f"%{q}%"
        statement = statement.where(or_(C.tracking_no == q, C.ticket_no == q, C.description.like(like)))
    if filters.kind.data:
        statement = statement.where(C.kind == Kind(filters.kind.data))
    if filters.state.data:
        statement = statement.where(C.state == State(filters.state.data))
    if filters.channel.data:
        statement = statement.where(C.channel == Channel(filters.channel.data))
    if filters.overdue.data == "1":
        statement = statement.where((overdue_count_clause if counting else overdue_clause)(now or utcnow()))
    if filters.street.data and not filters.street.errors:
        statement = statement.where(C.street_id == filters.street.data)
    return drill_down(statement)


def drill_down(statement):
    """The complaints behind a figure of the rates page: ?month=YYYY-MM&measure=…&company=…&kind=…."""
    if not request.args.get("month"):
        return statement
    year, month = _month_arg()
    start, end = rates_service.month_bounds(year, month)
    measure = request.args.get("measure") if request.args.get("measure") in rates_service.MEASURES else "received"
    kind = Kind.REPAIR if request.args.get("kind") == "repair" else Kind.COMPLAINT
    statement = statement.where(rates_service.drill_clause(measure, start, end, kind))
    company = request.args.get("company", type=int)
    if company:
        statement = statement.where(C.company_id == company)
    return statement


@bp.get("/")
@scope.role_required(ALL_ROLES)
def index():
    filters = ComplaintFilterForm(request.args)
    filters.street.choices = [(None, _("全部"))] + street_choices()
    filters.validate()
    now = utcnow()
    rows = filtered(scope.visible(C), filters, now=now)
    queued = db.session.scalar(select(db.func.count(C.id)).where(C.match_status == MatchStatus.PENDING,
                                                                 C.state == State.RECEIVED)) \
        if current_user.role in BUREAU else 0
    # The count selects the ids alone: an index answers it without reading 10,000 rows.
    counted = filtered(scope.visible(C, statement=select(C.id)), filters, now=now, counting=True)
    page = paginate_rows(listing.statement(rows), count_limit=True, count_statement=counted)
    return render_template("complaints/index.html", filters=filters, page=page, queued=queued,
                           rows=listing.rows(page.items, now))


def _photos(field_name: str = "photos"):
    return [f for f in request.files.getlist(field_name) if f and f.filename][:3]


@bp.route("/new", methods=["GET", "POST"])
@scope.role_required(BUREAU | STREET)
def new():
    form = ComplaintForm()
    if form.validate_on_submit():
        estate = scope.load(Estate, form.estate_id.data)
        try:
            complaint = services.receive(
                channel=Channel(form.channel.data), kind=Kind(form.kind.data), category=form.category.data,
                description=form.description.data, estate=estate, urgency=Urgency(form.urgency.data),
                ticket_no=form.ticket_no.data, name=form.name.data, phone=form.phone.data, actor=current_user)
            for file in _photos():
                store(file, kinds=(IMAGE,), owner=complaint, purpose="photo", user=current_user)
        except DomainError as error:
            _domain_error(form, error)
        else:
            db.session.commit()
            flash(_("已登记，编号 %(no)s。", no=complaint.tracking_no), "success")
            return redirect(url_for(".detail", complaint_id=complaint.id))
    return render_template("complaints/form.html", form=form)


def _load(complaint_id: int) -> Complaint:
    return scope.load(C, complaint_id, options=(*LIST_OPTIONS, joinedload(C.repeat_of)))


@bp.get("/<int:complaint_id>")
@scope.role_required(ALL_ROLES)
def detail(complaint_id: int):
    complaint = _load(complaint_id)
    name, phone, full = contact(complaint, current_user)
    # The repeats' ids off ix_complaints_repeat_of_id, then the viewer's scope on those: with the scope's
    # street and an ORDER BY, SQLite walked the street's every complaint (3,600 at 100×) by date instead.
    repeats = sorted(db.session.scalars(scope.visible(C).where(
        C.id.in_(select(C.id).where(C.repeat_of_id == complaint.id).scalar_subquery()))),
        key=lambda c: (c.received_at, c.id))
    moves = services.available_moves(complaint, current_user)
    version = complaint.version
    forms = {"answer": AnswerForm(version=version), "callback": CallbackForm(version=version),
             "reason": ReasonForm(version=version), "verify": VerifyForm(version=version)}
    # The 10 latest changes, the former 50 with ?history=all (a complaint handled and re-opened many times
    # has hundreds of audit rows, each worded field by field).
    more = request.args.get("history") == "all"
    history, views = _history(complaint, HISTORY_ALL if more else HISTORY_SHOWN + 1) \
        if current_user.sees_district else ([], None)
    history_more = not more and len(history) > HISTORY_SHOWN
    history = history[:HISTORY_SHOWN] if history_more else history
    html = render_template("complaints/detail.html", c=complaint, name=name, phone=phone, full=full, moves=moves,
                           forms=forms, repeats=repeats, photos=attachments_of(complaint, "photo"), now=utcnow(),
                           may_verify=services.is_supervisor(current_user, complaint) and complaint.verdict is None,
                           history=history, history_more=history_more, contact_views=views)
    if full:
        # The access log entry of this view, committed once the page is rendered: a commit before would expire
        # the complaint and the user, and the page would read both again.
        db.session.commit()
    return html


HISTORY_SHOWN, HISTORY_ALL = 10, 50


def _history(complaint: Complaint, limit: int = HISTORY_ALL):
    """The complaint's change history (newest first, ``limit`` rows) without the contact views, and those views
    counted with the latest (each full view of the name and phone is an audit row: listed one by one, the
    district's busiest complaints showed 50 rows of views and none of their changes)."""
    about = (AuditLog.object_type == "Complaint", AuditLog.object_id == complaint.id)
    history = list(db.session.scalars(
        select(AuditLog).options(joinedload(AuditLog.actor))
        .where(*about, AuditLog.action != CONTACT_VIEW)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))
    views = db.session.execute(select(db.func.count(AuditLog.id), db.func.max(AuditLog.at))
                               .where(*about, AuditLog.action == CONTACT_VIEW)).one()
    return history, views


def _move(complaint_id: int, to_state: State, form_class, **extra):
    complaint = _load(complaint_id)
    form = form_class()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(url_for(".detail", complaint_id=complaint_id))
    try:
        check_version(complaint, form.version.data)
        kwargs = {k: f(form) for k, f in extra.items()}
        services.transition(complaint, to_state, actor=current_user, text=form.text.data, **kwargs)
    except (DomainError, ConcurrentEditError) as error:
        _domain_error(None, error)
    else:
        db.session.commit()
        flash(_("已保存。"), "success")
    return redirect(url_for(".detail", complaint_id=complaint_id))


@bp.post("/<int:complaint_id>/respond")
@scope.role_required(ALL_ROLES)
def respond(complaint_id: int):
    return _move(complaint_id, State.RESPONDED, AnswerForm)


@bp.post("/<int:complaint_id>/resolve")
@scope.role_required(ALL_ROLES)
def resolve(complaint_id: int):
    return _move(complaint_id, State.RESOLVED, AnswerForm)


@bp.post("/<int:complaint_id>/callback")
@scope.role_required(BUREAU | STREET)
def callback(complaint_id: int):
    return _move(complaint_id, State.CALLED_BACK, CallbackForm,
                 satisfaction=lambda form: Satisfaction(form.satisfaction.data))


@bp.post("/<int:complaint_id>/reopen")
@scope.role_required(BUREAU | STREET)
def reopen(complaint_id: int):
    return _move(complaint_id, State.ASSIGNED, ReasonForm)


@bp.post("/<int:complaint_id>/close")
@scope.role_required(BUREAU | STREET)
def close(complaint_id: int):
    complaint = _load(complaint_id)
    form = ReasonForm()
    form.text.validators = []
    if form.is_submitted() and form.csrf_token.validate(form):
        try:
            check_version(complaint, form.version.data)
            services.transition(complaint, State.CLOSED, actor=current_user, text=form.text.data)
        except (DomainError, ConcurrentEditError) as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(_("已关闭。"), "success")
    return redirect(url_for(".detail", complaint_id=complaint_id))


@bp.post("/<int:complaint_id>/verify")
@scope.role_required(BUREAU | STREET)
def verify(complaint_id: int):
    complaint = _load(complaint_id)
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            check_version(complaint, form.version.data)
            services.verify(complaint, valid=form.verdict.data == "valid", actor=current_user, note=form.note.data,
                            deadline_workdays=form.deadline_workdays.data or 10)
        except (DomainError, ConcurrentEditError) as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(_("核查结论已记录。") if complaint.verdict.value == "unfounded" else
                  _("核查属实：已转为整改事项，并提出信用记分建议（待住建局发出告知）。"), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for(".detail", complaint_id=complaint_id))


# --- the clerk's queue -------------------------------------------------------------

@bp.get("/queue")
@scope.role_required(BUREAU)
def queue():
    # Plain columns; the suggestions are those stored when each complaint was received (matching.suggestions_for),
    # so the page does not index every estate of the district after each change.
    # (the JSON column read as text: the page's rows are made unique, and lists are not hashable)
    statement = (select(C.id, C.tracking_no, C.ticket_no, C.address, C.description, C.version,
                        cast(C.match_suggestions, Text).label("match_suggestions"))
                 .where(C.match_status == MatchStatus.PENDING, C.state == State.RECEIVED)
                 .order_by(C.received_at, C.id))
    page = paginate_rows(statement)
    suggestions = suggestions_for(page.items)
    return render_template("complaints/queue.html", page=page, suggestions=suggestions, form=AssignForm())


@bp.post("/<int:complaint_id>/assign")
@scope.role_required(BUREAU)
def assign(complaint_id: int):
    complaint = scope.load(C, complaint_id, roles=BUREAU)
    form = AssignForm()
    if form.validate_on_submit():
        estate = scope.load(Estate, form.estate_id.data)
        try:
            check_version(complaint, form.version.data)
            services.assign_estate(complaint, estate, actor=current_user)
        except (DomainError, ConcurrentEditError) as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(_("已指定小区“%(name)s”并派单。", name=estate.name), "success")
    else:
        for message in form.estate_id.errors or [_("请选择小区。")]:
            flash(message, "danger")
    return redirect(url_for(".queue"))


# --- 12345 import ---------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def import_hotline():
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        data = form.file.data.read()
        problem = check_file(data, form.file.data.filename)
        if problem:
            form.file.errors = [problem]
        elif (job_page := import_jobs.job_page_if_large(HOTLINE_JOB.name, data, form.file.data.filename,
                                                        current_user)) is not None:
            return job_page
        else:
            result = HotlineImport(actor=current_user).run(data, form.file.data.filename)
            if result.ok:
                db.session.commit()
                outcome = result.created
                flash(_("已导入 %(n)s 件12345工单（%(s)s 件此前已登记，跳过；%(q)s 件待人工匹配小区；"
                        "%(r)s 件为重复诉求）。", n=outcome.created, s=outcome.skipped, q=outcome.queued,
                        r=outcome.repeats), "success")
                return redirect(url_for(".index", channel="hotline"))
            db.session.rollback()
    return render_template("complaints/import.html", form=form, result=result)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    db.session.rollback()
    return render_template("error.html", status=409, message=error.message), 409


# --- the three rates ----------------------------------------------------------------

def _month_arg() -> tuple[int, int]:
    raw = request.args.get("month") or ""
    try:
        year, month = (int(p) for p in raw.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = local_today()
    return today.year, today.month


@bp.get("/rates")
@scope.role_required(DISTRICT_READERS | STREET)
def rates():
    year, month = _month_arg()
    start, end = rates_service.month_bounds(year, month)
    by = request.args.get("by") if request.args.get("by") in ("street", "company") else "street"
    rows, total, repairs = rates_service.monthly_table(by, start, end, current_user)
    previous = date(year - (month == 1), (month - 2) % 12 + 1, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return render_template("complaints/rates.html", rows=rows, total=total, repairs=repairs, by=by,
                           month=f"{year}-{month:02d}", previous=previous.strftime("%Y-%m"),
                           following=following.strftime("%Y-%m"))


# --- 日常监管: an estate's standing container ----------------------------------------------

@bp.get("/routine/<int:estate_id>")
@scope.role_required(ALL_ROLES)
def routine(estate_id: int):
    """The estate's items outside any campaign (verified complaints) and its latest complaints."""
    estate = scope.load(Estate, estate_id)
    container = db.session.scalar(select(RoutineSupervision).where(RoutineSupervision.estate_id == estate.id))
    items = db.session.scalars(scope.visible(RectificationItem).where(
        RectificationItem.estate_id == estate.id, RectificationItem.campaign_id.is_(None))
        .order_by(RectificationItem.id.desc()).limit(50)).all()
    complaints = db.session.scalars(scope.visible(C).where(C.estate_id == estate.id)
                                    .order_by(C.received_at.desc()).limit(20)).all()
    return render_template("complaints/routine.html", estate=estate, container=container, items=items,
                           complaints=complaints, now=utcnow())


# --- a company's own repair log -------------------------------------------------------------

@bp.get("/repairs/template.xlsx")
@scope.role_required(COMPANY)
def repair_template():
    data = write_workbook(REPAIR_COLUMNS, title="报修台账", example=True,
                          extra_sheets={"填写说明": instructions(REPAIR_COLUMNS)})
    return xlsx_response(data, "报修台账模板.xlsx")


@bp.route("/repairs/import", methods=["GET", "POST"])
@scope.role_required(COMPANY)
def import_repairs():
    form = ImportForm()
    form.file.label.text = _("报修台账（.xlsx）")
    result = None
    if form.validate_on_submit():
        data = form.file.data.read()
        problem = check_file(data, form.file.data.filename)
        if problem:
            form.file.errors = [problem]
        elif (job_page := import_jobs.job_page_if_large(REPAIRS_JOB.name, data, form.file.data.filename,
                                                        current_user)) is not None:
            return job_page
        else:
            result = RepairLogImport(current_user.company, current_user).run(data, form.file.data.filename)
            if result.ok:
                db.session.commit()
                flash(_("已导入 %(n)s 条报修记录（已登记的报修单号只补记修复时间）。", n=len(result.created)),
                      "success")
                return redirect(url_for(".index", kind="repair"))
            db.session.rollback()
    return render_template("complaints/import_repairs.html", form=form, result=result)


@bp.app_template_global("complaint_rates")
def complaint_rates(year: int | None = None, month: int | None = None, street_id: int | None = None,
                    by: str = "street") -> dict:
    """The month's three rates for the dashboard, the targets page and the monthly report: the
    district's (or one street's) totals and the ranking by street (or, for a street, by company).
    Figures only; the same function as the rates page (``rates.monthly_table``)."""
    today = local_today()
    year, month = year or today.year, month or today.month
    start, end = rates_service.month_bounds(year, month)
    rows, total, repairs = rates_service.monthly_table("company" if street_id else by, start, end,
                                                       _ScopeOf(street_id))
    return {"month": f"{year}-{month:02d}", "rows": rows, "total": total, "repairs": repairs,
            "by": "company" if street_id else by}


class _ScopeOf:
    """Who the figures are for: a street, or the district."""

    def __init__(self, street_id: int | None):
        self.street_id = street_id
        self.is_street = street_id is not None


# --- export -------------------------------------------------------------------------------------

EXPORT_LIMIT = 20_000


def export_columns(full: bool) -> list[Column]:
    """The export's columns (of ``_export_select``'s rows): the contact in full for the bureau and the
    street, masked otherwise."""
    def name(c):
        return c.complainant_name if full else mask_name(c.complainant_name)

    def phone(c):
        return c.complainant_phone if full else mask_phone(c.complainant_phone)

    return [
        Column("tracking_no", "编号"), Column("ticket_no", "渠道工单编号"),
        Column("kind", "类型"),  # an enum: the writer translates each label once
        Column("channel", "渠道"),
        Column("received_at", "受理时间", export=lambda c: localtime(c.received_at)),
        Column("estate", "小区", export=lambda c: c.estate_name or ""),
        Column("company", "物业企业", export=lambda c: c.company_name or ""),
        Column("category", "类别"), Column("description", "诉求内容", width=40),
        Column("name", "诉求人", export=name), Column("phone", "联系电话", export=phone),
        Column("state", "状态"),
        Column("response_due_at", "响应时限", export=lambda c: localtime(c.response_due_at)),
        Column("responded_at", "响应时间", export=lambda c: localtime(c.responded_at)),
        Column("resolution_due_at", "办结时限", export=lambda c: localtime(c.resolution_due_at)),
        Column("resolved_at", "办结时间", export=lambda c: localtime(c.resolved_at)),
        Column("satisfaction", "回访结果"),
        Column("repeat", "重复诉求", export=lambda c: "是" if c.repeat_of_id else ""),
    ]


def _full_contact() -> bool:
    return current_user.sees_district or current_user.is_street


def _export_statement():
    filters = ComplaintFilterForm(request.args)
    filters.street.choices = [(None, _("全部"))] + street_choices()
    filters.validate()
    return filtered(scope.visible(C), filters).order_by(C.received_at.desc(), C.id.desc())


def _export_select(statement):
    """The list's complaints as plain rows with their estate's and company's names (no ORM objects)."""
    estate, company = aliased(Estate), aliased(Company)
    return (statement.with_only_columns(
        C.id, C.tracking_no, C.ticket_no, C.kind, C.channel, C.received_at, estate.name.label("estate_name"),
        company.name.label("company_name"), C.category, C.description, C.complainant_name, C.complainant_phone,
        C.state, C.response_due_at, C.responded_at, C.resolution_due_at, C.resolved_at, C.satisfaction,
        C.repeat_of_id)
        .outerjoin(estate, estate.id == C.estate_id).outerjoin(company, company.id == C.company_id))


def _export_rows(rows, _statement):
    """The rows as they stream; a full export (by the bureau or a street) is then recorded in the audit
    log like a view of the contact (export_response and the job commit it)."""
    if not _full_contact():
        yield from rows
        return
    ids, total = [], 0
    for row in rows:
        total += 1
        if len(ids) < 1000:
            ids.append(row.id)
        yield row
    record("complaint.export_contact", None, object_type="Complaint",
           summary=_("导出含完整联系方式的诉求 %(n)s 件", n=total), after={"ids": ids}, actor=current_user)


exports.register(exports.Exporter(
    "complaints", "投诉与报修", lambda: export_columns(_full_contact()), _export_statement, title="诉求",
    select_rows=_export_select, rows=_export_rows, limit=EXPORT_LIMIT))


@bp.get("/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def export():
    """The list as filtered, in Excel (over EXPORT_JOB_THRESHOLD rows, a job). Companies get the contact
    masked; a full export by the bureau or a street is recorded in the audit log."""
    return exports.export_response("complaints")
