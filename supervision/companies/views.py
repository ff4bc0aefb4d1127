"""Companies (物业服务企业), staff and certificates (持证上岗).

Who may do what:

- the bureau registers, edits, archives and imports companies; leaders read;
- street officers read the companies that manage estates in their street;
- a company user reads their own company (``/companies/mine``) and maintains its staff and
  certificates; the bureau may correct them too.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import history_for
from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, COMPANY, DISTRICT_READERS, STREET, Role
from ..core.errors import DomainError, check_version
from ..core.forms import MAX_INT, ConfirmForm
from ..core.pagination import paginate_keys, paginate_rows
from ..core.timeutil import local_today
from ..documents.excel import xlsx_response
from ..documents.preview import ImportFlow
from ..estates.errors import flash_errors
from ..estates.models import Estate, OwnersCommittee, effective_status
from ..estates.sections import company_sections
from ..extensions import db
from ..i18n import in_chinese
from ..jobs import exports
from ..jobs import imports as import_jobs
from ..regions.models import Community, Street
from . import services, spreadsheet
from .forms import (
    CertificateForm,
    CompanyArchiveForm,
    CompanyFilterForm,
    CompanyForm,
    LeaveForm,
    StaffFilterForm,
    StaffForm,
)
from .models import Certificate, CertificateType, Company, Position, QualificationGrade, Staff

bp = Blueprint("companies", __name__, url_prefix="/companies")

STAFF_EDITORS = COMPANY | BUREAU
SORT_KEYS = ("name", "credit_code", "updated")


# --- companies -----------------------------------------------------------------------

def _company_statement(form):
    sort = request.args.get("sort")
    return services.filter_companies(
        scope.visible(Company), q=form.q.data, grade=request.args.get("grade") if request.args.get("grade") in (
            {"none"} | {g.value for g in QualificationGrade}) else None,
        archived=request.args.get("archived"),
        sort=sort if sort and sort.lstrip("-") in SORT_KEYS else None)


@bp.get("/")
@scope.role_required(DISTRICT_READERS | STREET)
def index():
    form = CompanyFilterForm(request.args)
    # Plain columns (what the rows show), not ORM rows.
    page = paginate_rows(_company_statement(form).with_only_columns(
        Company.id, Company.name, Company.credit_code, Company.legal_representative, Company.contact_person,
        Company.phone, Company.qualification_grade, Company.archived_at))
    ids = [company.id for company in page.items]
    counts = services.company_counts(ids, estate_scope=Estate.scope_clause(current_user))
    rates, manager_rates = services.company_rates_and_managers(ids)
    return render_template("companies/index.html", page=page, filters=form, counts=counts, rates=rates,
                           manager_rates=manager_rates, sort=request.args.get("sort") or "name",
                           can_edit=current_user.role in BUREAU)


@bp.get("/export.xlsx")
@scope.role_required(DISTRICT_READERS | STREET)
@in_chinese
def export():
    return exports.export_response("companies")


exports.register(exports.Exporter("companies", "物业企业", spreadsheet.company_columns,
                                  lambda: _company_statement(CompanyFilterForm(request.args))))


@bp.get("/mine")
@scope.role_required(COMPANY)
def mine():
    company = scope.load(Company, current_user.company_id)
    return _render_detail(company)


@bp.get("/<int:company_id>")
@scope.role_required(ALL_ROLES)
def detail(company_id: int):
    company = scope.load(Company, company_id)
    return _render_detail(company)


def _render_detail(company: Company):
    """The company page from plain columns (no ORM rows for its estates, staff and certificates): the estates
    with their street, community and committee; the current staff with their certificates (one query) and
    whether each is qualified; both certification rates and the estates' rates from one grouped query."""
    today = local_today()
    estates = db.session.execute(
        scope.visible(Estate).with_only_columns(
            Estate.id, Estate.name, Estate.households, Street.name.label("street"), Community.name.label("community"),
            OwnersCommittee.status.label("committee_status"), OwnersCommittee.term_end.label("committee_term_end"))
        .join(Street, Street.id == Estate.street_id).join(Community, Community.id == Estate.community_id)
        .outerjoin(OwnersCommittee, OwnersCommittee.estate_id == Estate.id)
        .where(Estate.company_id == company.id, Estate.archived_at.is_(None))
        .order_by(Estate.name_sort, Estate.id)).all()
    committee_states = {row.id: effective_status(row.committee_status, row.committee_term_end, today)
                        for row in estates if row.committee_status is not None}
    staff = services.staff_rows(scope.visible(Staff).where(Staff.company_id == company.id,
                                                           services.active_on_clause(today)), today)
    rate, manager_rate, estate_rates = services.company_certification(company.id, on=today)
    role = current_user.role
    own = role is Role.COMPANY_USER and current_user.company_id == company.id
    staff_link = (url_for(".staff_index", company_id=company.id) if role in DISTRICT_READERS
                  else url_for(".staff_index") if own else None)
    return render_template(
        "companies/detail.html", company=company, estates=estates, committee_states=committee_states, staff=staff,
        rate=rate, manager_rate=manager_rate, estate_rates=estate_rates, today=today, own=own,
        staff_link=staff_link, warning_days=services.EXPIRY_WARNING_DAYS, can_edit=role in BUREAU,
        can_edit_staff=role in BUREAU or own,
        history=None if role is Role.COMPANY_USER else _company_history(company),
        sections=company_sections.for_page(company, current_user))


def _company_history(company):

    return history_for(company)


@bp.route("/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def create():
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = services.create_company(form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已登记企业“%(name)s”。", name=company.name), "success")
            return redirect(url_for(".detail", company_id=company.id))
    return render_template("companies/form.html", form=form, company=None)


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def edit(company_id: int):
    company = scope.load(Company, company_id, roles=BUREAU)
    form = CompanyForm(obj=company)
    if request.method == "GET":
        form.qualification_grade.data = company.qualification_grade.value if company.qualification_grade else ""
    if form.validate_on_submit():
        try:
            check_version(company, form.version.data)
            services.update_company(company, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".detail", company_id=company.id))
    return render_template("companies/form.html", form=form, company=company)


@bp.route("/<int:company_id>/archive", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def archive(company_id: int):
    company = scope.load(Company, company_id, roles=BUREAU)
    form = CompanyArchiveForm(obj=company) if request.method == "GET" else CompanyArchiveForm()
    if form.validate_on_submit():
        try:
            check_version(company, form.version.data)
            services.archive_company(company, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已归档企业“%(name)s”。", name=company.name), "success")
        return redirect(url_for(".detail", company_id=company.id))
    return render_template(
        "confirm.html", form=form, title=_("归档企业"), danger=True, confirm_label=_("归档"),
        message=_("确定归档企业“%(name)s”吗？企业不会被删除，历史记录保留，但不再出现在企业列表、"
                  "可选企业和持证统计中。仍在管理小区的企业不能归档。", name=company.name),
        cancel_url=url_for(".detail", company_id=company.id))


@bp.post("/<int:company_id>/restore")
@scope.role_required(ALL_ROLES)
def restore(company_id: int):
    company = scope.load(Company, company_id, roles=BUREAU)
    if ConfirmForm().validate_on_submit():
        try:
            services.restore_company(company, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已恢复企业“%(name)s”。", name=company.name), "success")
    return redirect(url_for(".detail", company_id=company.id))


@bp.get("/import/template.xlsx")
@scope.role_required(BUREAU)
@in_chinese
def import_template():
    return xlsx_response(spreadsheet.template_bytes(), "物业企业导入模板.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def import_file():
    """Upload → preview → confirm (documents.preview)."""
    def done(result):
        flash(_("已导入 %(n)s 家企业。", n=len(result.created)), "success")
        return redirect(url_for(".index"))

    def run(data, filename, mapping, dry_run, check_rows):
        return spreadsheet.CompanyImport(filename, current_user).run(data, filename, mapping=mapping,
                                                                       dry_run=dry_run, check_rows=check_rows)

    def start_job(data, filename, mapping):
        return import_jobs.start(spreadsheet.JOB_IMPORTER.name, data, filename, current_user, mapping=mapping)

    return ImportFlow(kind=spreadsheet.CompanyImport.kind, columns=spreadsheet.company_columns(),
                      template="companies/import.html", run=run, done=done, start_job=start_job).handle()


# --- staff -------------------------------------------------------------------------

def _staff_filter_choices(form: StaffFilterForm, company_id: int | None) -> None:
    # The 项目 choices are the chosen company's estates, never the whole district's (24,000 at
    # district scale); without a company only an estate a link chose (?estate_id=N) is offered.
    form.estate_id.choices = [("", _("全部")), ("none", _("公司总部（未分配项目）"))]
    estates = scope.visible(Estate).with_only_columns(Estate.id, Estate.name).where(Estate.archived_at.is_(None))
    chosen = form.estate_id.data
    if company_id:
        estates = estates.where(Estate.company_id == company_id)
    else:
        form.estate_id.description = _("选择企业并点击“查询”后，可按该企业的项目筛选。")
        linked = chosen and chosen.isdigit() and int(chosen) <= MAX_INT
        estates = estates.where(Estate.id == int(chosen)) if linked else None
    if estates is not None:
        rows = db.session.execute(estates.order_by(Estate.name_sort))
        form.estate_id.choices += [(str(row.id), row.name) for row in rows]
    form.position_id.choices = [(None, _("全部"))] + [
        (row.id, row.name)
        for row in db.session.execute(select(Position.id, Position.name).order_by(Position.sort_order))]


@bp.get("/staff")
@scope.role_required(DISTRICT_READERS | COMPANY)
def staff_index():
    form = StaffFilterForm(request.args)
    if current_user.role is Role.COMPANY_USER:
        del form.company_id
        company_id = current_user.company_id
    else:
        company_id = form.company_id.data
    _staff_filter_choices(form, company_id)
    today = local_today()
    estate_arg = request.args.get("estate_id") or None
    if estate_arg not in (None, "none") and not (estate_arg.isdigit() and int(estate_arg) <= MAX_INT):
        estate_arg = None
    cert = request.args.get("cert") or None
    status = request.args.get("status") or None
    statement = services.filter_staff(
        scope.visible(Staff), q=form.q.data, company_id=company_id,
        estate_id=estate_arg, position_id=form.position_id.data, cert=cert, status=status, today=today,
        sort=request.args.get("sort") if (request.args.get("sort") or "").lstrip("-") in ("name", "position",
                                                                                        "expiry") else None)
    # A company user's summary is its own company's (``company_id``): its scope adds nothing to that.
    own = current_user.role is Role.COMPANY_USER
    figures = services.kept_summary(on=today, company_id=company_id,
                                    company_scope=None if current_user.sees_district or own else
                                    Company.scope_clause(current_user))
    summary, manager_summary, expiring = figures.rate, figures.managers, figures.expiring
    # Pages first, then relations: the page's ids by filter and order alone, then those 50 with what the rows show.
    # A text search scans the staff either way (LIKE '%…%'): the count comes with the page's ids in that one pass.
    # The district's current staff with / without a valid certificate are counted in the stored summary.
    searched = bool((form.q.data or "").strip())
    counted = {"qualified": figures.qualified, "unqualified": figures.unqualified}.get(cert) if (
        not searched and not company_id and not estate_arg and not form.position_id.data
        and status not in ("left", "all")) else None
    if counted is not None:
        page = paginate_keys(statement.with_only_columns(Staff.id), _staff_rows, counter=lambda: counted)
    else:
        page = paginate_keys(statement.with_only_columns(Staff.id), _staff_rows,
                             count_limit=None if searched else True, count_with_keys=searched,
                             short_page_is_last=True)
    return render_template(
        "companies/staff_index.html", page=page, filters=form, today=today, summary=summary,
        manager_summary=manager_summary, expiring=expiring, sort=request.args.get("sort") or "name",
        can_add=current_user.role in STAFF_EDITORS, warning_days=services.EXPIRY_WARNING_DAYS)


def _staff_rows(ids) -> dict:
    rows = services.staff_rows(select(Staff), local_today(), ids=ids)
    return {row.id: row for row in rows}


def _bind_staff_choices(form: StaffForm, company: Company, staff: Staff | None = None) -> None:
    form.position_id.choices = [(None, _("请选择"))] + [
        (row.id, row.name)
        for row in db.session.execute(select(Position.id, Position.name).order_by(Position.sort_order))]
    estates = db.session.execute(select(Estate.id, Estate.name).where(
        Estate.company_id == company.id, Estate.archived_at.is_(None)).order_by(Estate.name_sort)).all()
    choices = [(None, _("（公司总部）"))] + [(row.id, row.name) for row in estates]
    if staff is not None and staff.estate_id and staff.estate_id not in {row.id for row in estates}:
        choices.append((staff.estate_id, staff.estate.name if staff.estate else str(staff.estate_id)))
    form.estate_id.choices = choices


def _company_for_new_staff() -> Company:
    if current_user.role is Role.COMPANY_USER:
        return scope.load(Company, current_user.company_id)
    company_id = request.args.get("company_id", type=int)
    if not company_id:
        abort(404)
    return scope.load(Company, company_id, roles=STAFF_EDITORS)


@bp.route("/staff/new", methods=["GET", "POST"])
@scope.role_required(STAFF_EDITORS)
def staff_new():
    company = _company_for_new_staff()
    form = StaffForm()
    _bind_staff_choices(form, company)
    if request.method == "GET" and request.args.get("estate_id", type=int):
        form.estate_id.data = request.args.get("estate_id", type=int)
    if form.validate_on_submit():
        try:
            staff = services.create_staff(company, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已登记人员“%(name)s”，请继续登记其证书。", name=staff.name), "success")
            return redirect(url_for(".staff_detail", staff_id=staff.id))
    return render_template("companies/staff_form.html", form=form, company=company, staff=None)


@bp.get("/staff/<int:staff_id>")
@scope.role_required(ALL_ROLES)
def staff_detail(staff_id: int):

    staff = scope.load(Staff, staff_id, options=(
        joinedload(Staff.company), joinedload(Staff.estate),
        joinedload(Staff.position).selectinload(Position.required_certificates),
        selectinload(Staff.certificates).joinedload(Certificate.certificate_type)))
    today = local_today()
    can_edit = current_user.role in BUREAU or (
        current_user.role is Role.COMPANY_USER and current_user.company_id == staff.company_id)
    return render_template(
        "companies/staff_detail.html", staff=staff, today=today, can_edit=can_edit,
        certificate_state=services.certificate_state, qualified=services.staff_is_qualified(staff, today),
        history=history_for(staff), confirm_form=ConfirmForm())


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def staff_edit(staff_id: int):
    staff = scope.load(Staff, staff_id, roles=STAFF_EDITORS)
    form = StaffForm(obj=staff)
    _bind_staff_choices(form, staff.company, staff)
    if form.validate_on_submit():
        try:
            check_version(staff, form.version.data)
            services.update_staff(staff, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".staff_detail", staff_id=staff.id))
    return render_template("companies/staff_form.html", form=form, company=staff.company, staff=staff)


@bp.route("/staff/<int:staff_id>/leave", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def staff_leave(staff_id: int):
    staff = scope.load(Staff, staff_id, roles=STAFF_EDITORS)
    form = LeaveForm(obj=staff) if request.method == "GET" else LeaveForm()
    if request.method == "GET":
        form.left_on.data = local_today()
    if form.validate_on_submit():
        try:
            check_version(staff, form.version.data)
            services.mark_left(staff, form.left_on.data, actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已登记“%(name)s”离职。", name=staff.name), "success")
            return redirect(url_for(".staff_detail", staff_id=staff.id))
    return render_template(
        "confirm.html", form=form, title=_("登记离职"), danger=True, confirm_label=_("登记离职"),
        message=_("登记“%(name)s”（%(position)s）离职后，该人员不再计入持证率，记录和证书仍保留。",
                  name=staff.name, position=staff.position.name),
        cancel_url=url_for(".staff_detail", staff_id=staff.id))


@bp.post("/staff/<int:staff_id>/return")
@scope.role_required(ALL_ROLES)
def staff_return(staff_id: int):
    staff = scope.load(Staff, staff_id, roles=STAFF_EDITORS)
    if ConfirmForm().validate_on_submit():
        try:
            services.mark_returned(staff, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已恢复“%(name)s”为在职。", name=staff.name), "success")
    return redirect(url_for(".staff_detail", staff_id=staff.id))


# --- certificates ------------------------------------------------------------------

def _bind_certificate_choices(form: CertificateForm, staff: Staff) -> None:
    required = {t.id for t in staff.position.required_certificates}
    types = db.session.scalars(select(CertificateType).order_by(CertificateType.id)).all()
    ordered = sorted(types, key=lambda t: (t.id not in required, t.id))
    form.certificate_type_id.choices = [(None, _("请选择"))] + [
        (t.id, _("%(name)s（本岗位要求）", name=t.name) if t.id in required else t.name) for t in ordered]


@bp.route("/staff/<int:staff_id>/certificates/new", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def certificate_new(staff_id: int):
    staff = scope.load(Staff, staff_id, roles=STAFF_EDITORS, options=(
        joinedload(Staff.position).selectinload(Position.required_certificates),))
    form = CertificateForm()
    _bind_certificate_choices(form, staff)
    if form.validate_on_submit():
        try:
            services.add_certificate(staff, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已登记证书。"), "success")
            return redirect(url_for(".staff_detail", staff_id=staff.id))
    return render_template("companies/certificate_form.html", form=form, staff=staff, certificate=None)


@bp.route("/certificates/<int:certificate_id>/edit", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def certificate_edit(certificate_id: int):
    certificate = scope.load(Certificate, certificate_id, roles=STAFF_EDITORS)
    staff = certificate.staff
    form = CertificateForm(obj=certificate)
    _bind_certificate_choices(form, staff)
    if form.validate_on_submit():
        try:
            check_version(certificate, form.version.data)
            services.update_certificate(certificate, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".staff_detail", staff_id=staff.id))
    return render_template("companies/certificate_form.html", form=form, staff=staff, certificate=certificate)


@bp.route("/certificates/<int:certificate_id>/delete", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def certificate_delete(certificate_id: int):
    certificate = scope.load(Certificate, certificate_id, roles=STAFF_EDITORS)
    staff = certificate.staff
    form = ConfirmForm()
    if form.validate_on_submit():
        services.delete_certificate(certificate, actor=current_user)
        db.session.commit()
        flash(_("已删除证书。"), "success")
        return redirect(url_for(".staff_detail", staff_id=staff.id))
    return render_template(
        "confirm.html", form=form, title=_("删除证书"), danger=True, confirm_label=_("删除"),
        message=_("确定删除证书“%(cert)s”吗？只用于删除登记错误的证书；过期的证书无需删除，系统会标为已过期。",
                  cert=str(certificate)),
        cancel_url=url_for(".staff_detail", staff_id=staff.id))
