"""前期物业, service contracts and their filing, party building: lists, forms, the filing workflow.

- everyone sees the contracts of the estates in their scope (a street its street's, a company its own);
- a company registers and corrects its own contracts, a street office those of its estates, the bureau any;
- only the bureau checks, files and returns a contract;
- the bureau and street offices record 前期物业 and party building.
"""
from __future__ import annotations

from functools import cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, bindparam, exists, func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..attachments.services import EVIDENCE, attachments_of
from ..attachments.services import store as store_upload
from ..audit.services import history_for
from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, COMPANY, STREET, Role
from ..companies.models import Company
from ..core.choices import options
from ..core.errors import DomainError, check_version
from ..core.forms import VersionedForm
from ..core.pagination import paginate_keys
from ..core.search import contains
from ..core.timeutil import local_today
from ..documents.excel import xlsx_response
from ..documents.forms import ImportForm
from ..estates.errors import flash_errors
from ..estates.models import Estate
from ..estates.sections import PerScope, estate_sections
from ..extensions import db
from ..i18n import in_chinese
from ..jobs import exports
from ..jobs import imports as import_jobs
from ..regions.models import Street
from . import (
    contract_figures,
    indicators,  # noqa: F401  (registers the three indicators on the targets page)
    party_figures,
    preliminary_figures,
    public,  # noqa: F401  (registers the fee standard on the public portal's estate sheet)
    services,
    spreadsheet,
)
from .forms import (
    ContractFilterForm,
    ContractForm,
    EstateFilterForm,
    FileContractForm,
    NewContractForm,
    PartyForm,
    PreliminaryForm,
    ReturnContractForm,
)
from .models import (
    FeeKind,
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
    ServiceLevel,
)

bp = Blueprint("contracts", __name__, url_prefix="/contracts")

CONTRACT_EDITORS = BUREAU | STREET | COMPANY
ESTATE_RECORDERS = BUREAU | STREET


def _street_choices():
    if current_user.role is Role.STREET_OFFICER:
        # The user's own street, kept by the user for the request: the page's header reads it again.
        street = current_user.street
        return [(None, _("全部"))] + ([(street.id, street.name)] if street is not None and street.active else [])
    statement = select(Street.id, Street.name).where(Street.active.is_(True)).order_by(Street.name_sort)
    return [(None, _("全部"))] + [(row.id, row.name) for row in db.session.execute(statement)]


# --- service contracts ---------------------------------------------------------------

def _contract_where(statement, form: ContractFilterForm):
    """``statement`` (of the scoped contracts) with the list's filters, none of them needing a join: the search
    reads the matching estates' and companies' ids (a scan of their names), then their contracts by index."""
    C = ServiceContract
    if form.q.data:
        # The contracts of the estates, and those of the companies, whose name matches: two index look-ups joined
        # in a UNION (an OR of the two made SQLite scan the estates' names twice).
        pattern = f"%{form.q.data.strip()}%"
        estates = select(Estate.id).where(contains(Estate.name, pattern)).correlate(None)
        companies = select(Company.id).where(contains(Company.name, pattern)).correlate(None)
        statement = statement.where(C.id.in_(union(
            select(C.id).where(C.estate_id.in_(estates)).correlate(None),
            select(C.id).where(C.company_id.in_(companies)).correlate(None))))
    if form.street_id.data:
        statement = statement.where(C.street_id == form.street_id.data)
    if form.status.data:
        statement = statement.where(C.status == FilingStatus(form.status.data))
    today = local_today()
    # Two ranges on the contracts' dates: ``ix_service_contracts_ends_on_starts_on`` counts them from the index.
    in_force = and_(C.starts_on <= today, C.ends_on >= today)
    if form.in_force.data == "yes":
        statement = statement.where(in_force)
    elif form.in_force.data == "no":
        statement = statement.where(~in_force)
    return statement


def _contract_order(statement):
    """The list's order (the statement joins the estates): street, estate name, latest first. SQLite walks
    ``ix_service_contracts_list`` by street and sorts one street's contracts at a time, stopping after the page."""
    C = ServiceContract
    return statement.order_by(C.street_id, Estate.name_sort, C.starts_on.desc(), C.id)


def _contract_statement(form: ContractFilterForm):
    """The scoped, filtered, sorted ``select(ServiceContract)`` joined to the estate and the company (what the
    export streams)."""
    statement = (_contract_where(scope.visible(ServiceContract), form)
                 .join(Estate, Estate.id == ServiceContract.estate_id)
                 .join(Company, Company.id == ServiceContract.company_id))
    return _contract_order(statement)


def _contract_filters() -> ContractFilterForm:
    form = ContractFilterForm(request.args)
    form.street_id.choices = _street_choices()
    if not form.validate():
        form.q.data = form.street_id.data = form.status.data = form.in_force.data = None
    return form


def _import_page(run, template: str, done_message, done_endpoint: str, job_importer):
    """An upload page of one of the registers: all or nothing, then back to its list; a large file
    is imported by a job (``jobs.imports``), followed on the job's page."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        job_page = import_jobs.job_page_if_large(job_importer.name, data, upload.filename, current_user)
        if job_page is not None:
            return job_page
        result = run(data, upload.filename, actor=current_user)
        if result.ok:
            db.session.commit()
            flash(done_message(result.created), "success")
            return redirect(url_for(done_endpoint))
        db.session.rollback()
    return render_template(template, form=form, result=result)


def _contract_counter(form: ContractFilterForm):
    """The stored count of the list's filters (``contract_figures``) for a street office or a district reader
    without a search, else None."""
    user = current_user
    if form.q.data or not (user.sees_district or user.is_street) or not contract_figures.available():
        return None
    chosen = form.street_id.data
    if user.is_street and chosen and chosen != user.street_id:
        return lambda: 0  # another street's contracts under the street's own scope: none
    street_id = user.street_id if user.is_street else chosen
    return lambda: contract_figures.count(street_id, form.status.data, form.in_force.data)


@bp.get("/")
@scope.role_required(ALL_ROLES)
def index():
    form = _contract_filters()
    # Pages first: the page's ids off the contracts' list index (filters, then the order joining the estates'
    # sort names), counted on the contracts alone; then those 50 contracts as plain columns, streets and
    # companies joined as tables (no fresh alias per request).
    C = ServiceContract
    filtered = _contract_where(scope.visible(C, statement=select(C.id)), form)
    keys = _contract_order(filtered.join(Estate, Estate.id == C.estate_id))

    def load(ids):
        rows = db.session.execute(
            select(C.id, Estate.name.label("estate_name"), Street.name.label("street_name"),
                   Company.name.label("company_name"), C.owner_party, C.starts_on, C.ends_on, C.service_level,
                   C.status, C.filing_number)
            .join(Estate, Estate.id == C.estate_id).join(Company, Company.id == C.company_id)
            .join(Street, Street.id == C.street_id).where(C.id.in_(ids)))
        return {row.id: row for row in rows}

    # A search counts with the page's keys (one pass over its matches); a street's or the district's filters read
    # the counts stored per street and day (contract_figures); a company's count off an index.
    page = paginate_keys(keys, load, count_with_keys=bool(form.q.data), counter=_contract_counter(form) or (
        lambda: db.session.scalar(select(func.count()).select_from(filtered.subquery()))))
    fees = services.fee_lines([row.id for row in page.items])
    # Each label translated once a page, not once a row.
    labels = {enum: {member: member.label for member in enum} for enum in (FeeKind, FilingStatus, ServiceLevel)}
    return render_template("contracts/index.html", page=page, filters=form, today=local_today(), fees=fees,
                           kinds=labels[FeeKind], statuses=labels[FilingStatus], levels=labels[ServiceLevel],
                           can_import=current_user.role in BUREAU)


@bp.get("/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def export():
    return exports.export_response("contracts")


exports.register(exports.Exporter(
    "contracts", "物业服务合同", spreadsheet.contract_export_columns, lambda: _contract_statement(_contract_filters()),
    select_rows=spreadsheet.contract_export_select, rows=spreadsheet.contract_export_rows))


def _bind_contract_choices(form: ContractForm) -> None:
    """A company registers its own contracts (its picker only ever finds itself): it starts chosen."""
    if current_user.role is Role.COMPANY_USER and form.company_id.data is None and request.method == "GET":
        form.company_id.data = current_user.company_id


def _store_copy(form_field, owner, purpose: str) -> None:
    upload = form_field.data
    if upload and getattr(upload, "filename", None):
        store_upload(upload, kinds=EVIDENCE, owner=owner, purpose=purpose, user=current_user)


@bp.route("/new/<int:estate_id>", methods=["GET", "POST"])
@scope.role_required(CONTRACT_EDITORS)
def new(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=CONTRACT_EDITORS)
    if estate.archived_at is not None:
        abort(404)
    form = NewContractForm()
    _bind_contract_choices(form)
    if request.method == "GET":
        form.company_id.data = current_user.company_id if current_user.role is Role.COMPANY_USER else estate.company_id
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                contract = services.submit_contract(estate, form.values(), form.fees(), actor=current_user)
                _store_copy(form.copy, contract, "contract_copy")
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已提交物业服务合同，等待住建局审核备案。"), "success")
            return redirect(url_for(".detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, estate=estate, contract=None,
                           title=_("登记物业服务合同"))


@bp.get("/<int:contract_id>")
@scope.role_required(ALL_ROLES)
def detail(contract_id: int):
    contract = scope.load(ServiceContract, contract_id, options=(
        joinedload(ServiceContract.estate), joinedload(ServiceContract.company),
        selectinload(ServiceContract.fees), joinedload(ServiceContract.management)))
    return render_template(
        "contracts/detail.html", contract=contract, copies=attachments_of(contract), today=local_today(),
        can_review=current_user.role in BUREAU,
        can_edit=current_user.role in CONTRACT_EDITORS and contract.is_editable,
        file_form=FileContractForm(obj=contract), return_form=ReturnContractForm(obj=contract),
        history=history_for(contract, limit=30) if current_user.role is not Role.COMPANY_USER else [])


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@scope.role_required(CONTRACT_EDITORS)
def edit(contract_id: int):
    contract = scope.load(ServiceContract, contract_id, roles=CONTRACT_EDITORS,
                          options=(selectinload(ServiceContract.fees), joinedload(ServiceContract.estate)))
    if not contract.is_editable:
        flash(_("合同已审核或已备案，不能再修改。"), "warning")
        return redirect(url_for(".detail", contract_id=contract.id))
    form = ContractForm(obj=contract)
    _bind_contract_choices(form)
    if request.method == "GET":
        for fee in contract.fees:
            form[f"fee_{fee.kind.value}"].data = fee.amount
        form.service_level.data = contract.service_level.value if contract.service_level else ""
    if form.validate_on_submit():
        try:
            check_version(contract, form.version.data)
            with db.session.begin_nested():
                services.update_contract(contract, form.values(), form.fees(), actor=current_user)
                _store_copy(form.copy, contract, "contract_copy")
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, estate=contract.estate, contract=contract,
                           title=_("修改物业服务合同") if contract.status is FilingStatus.SUBMITTED
                           else _("修改并重新提交物业服务合同"))


def _review_target(contract_id: int) -> ServiceContract:
    return scope.load(ServiceContract, contract_id, roles=BUREAU)


@bp.post("/<int:contract_id>/check")
@scope.role_required(BUREAU)
def check(contract_id: int):
    contract = _review_target(contract_id)
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        check_version(contract, form.version.data)
        services.check_contract(contract, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("已审核，待备案。"), "success")
    return redirect(url_for(".detail", contract_id=contract_id))


@bp.post("/<int:contract_id>/file")
@scope.role_required(BUREAU)
def file(contract_id: int):
    contract = _review_target(contract_id)
    form = FileContractForm()
    if form.validate_on_submit():
        try:
            check_version(contract, form.version.data)
            with db.session.begin_nested():
                _store_copy(form.filed_copy, contract, "filed_copy")
                services.file_contract(contract, form.filing_number.data, has_copy=True, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        except IntegrityError:  # the same filing number given to another contract at the same moment
            db.session.rollback()
            flash(_("备案编号“%(number)s”已被使用。", number=form.filing_number.data), "danger")
        else:
            db.session.commit()
            flash(_("已备案，备案编号 %(number)s。", number=contract.filing_number), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for(".detail", contract_id=contract_id))


@bp.post("/<int:contract_id>/return")
@scope.role_required(BUREAU)
def return_(contract_id: int):
    contract = _review_target(contract_id)
    form = ReturnContractForm()
    if form.validate_on_submit():
        try:
            check_version(contract, form.version.data)
            services.return_contract(contract, form.reason.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已退回，提交方修改后可重新提交。"), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for(".detail", contract_id=contract_id))


@bp.get("/import/template.xlsx")
@scope.role_required(BUREAU)
@in_chinese
def import_template():
    return xlsx_response(spreadsheet.template_bytes(), "物业服务合同导入模板.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def import_file():
    return _import_page(spreadsheet.import_contracts, "contracts/import.html",
                        lambda created: _("已导入 %(n)s 份物业服务合同。", n=len(created)),
                        ".index", spreadsheet.CONTRACTS_JOB)


# --- 前期物业 ---------------------------------------------------------------------------

# Each gap: (label, whether the estate has a record meeting the condition or has none, the condition on the
# record). 前期物业's are preliminary_figures' (its stored counts count the same); party_figures counts the party ones.
PRELIMINARY_GAPS = {
    "no_record": (_l("未登记"), *preliminary_figures.GAPS["no_record"]),
    "not_tender": (_l("未经招投标"), *preliminary_figures.GAPS["not_tender"]),
    "not_signed": (_l("未签前期物业服务合同"), *preliminary_figures.GAPS["not_signed"]),
    "no_covenant": (_l("未签临时管理规约"), *preliminary_figures.GAPS["no_covenant"]),
}
PARTY_GAPS = {
    "no_org": (_l("未建党组织"), False, lambda: PartyBuilding.has_party_org.is_(True)),
    "org": (_l("已建党组织"), True, lambda: PartyBuilding.has_party_org.is_(True)),
    "red": (_l("已开展红色物业"), True, lambda: PartyBuilding.red_property.is_(True)),
    "no_red": (_l("未开展红色物业"), False, lambda: PartyBuilding.red_property.is_(True)),
}


def _estate_filters(gaps: dict) -> EstateFilterForm:
    form = EstateFilterForm(request.args)
    form.street_id.choices = _street_choices()
    form.gap.choices = options(("", _("全部")), *((key, label) for key, (label, _has, _c) in gaps.items()))
    if not form.validate():
        form.q.data = form.street_id.data = form.gap.data = None
    return form


def _in_use():
    """Not archived, so that the list walks (street, name) in order and stops after its page: on SQLite archived_at
    inside an expression (its planner would otherwise read every estate in use through that column's index and sort
    them); PostgreSQL estimates such an expression at 0.5 % of the rows and sorted every estate: the column there."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.coalesce(Estate.archived_at, None).is_(None)
    return Estate.archived_at.is_(None)


def _gap_clause(model, has: bool, condition):
    """The estate has a record of ``model`` (one per estate at most) meeting ``condition`` (or has none): an
    EXISTS probe of the record's unique estate index per estate, so the list walks (street, name) and stops after
    its page on both databases (a condition on an outer join left PostgreSQL to join and sort every estate)."""
    records = exists(select(model.id).where(model.estate_id == Estate.id, condition()).correlate_except(model))
    return records if has else ~records


def _estate_rows(model, form: EstateFilterForm, gaps: dict, *, statement=None):
    """The scoped, filtered, sorted ``select(Estate, model)`` of the 前期物业 or party-building list (what its
    export streams). ``statement``: another select of the estates (the page's ids), not joined to ``model``."""
    gap = form.gap.data in gaps
    joined = statement is None
    statement = scope.visible(Estate, statement=select(Estate, model) if statement is None else statement)
    if joined:
        statement = statement.outerjoin(model, model.estate_id == Estate.id)
    statement = statement.where(_in_use())
    if form.q.data:
        statement = statement.where(contains(Estate.name, f"%{form.q.data.strip()}%"))
    if form.street_id.data:
        statement = statement.where(Estate.street_id == form.street_id.data)
    if gap:
        statement = statement.where(_gap_clause(model, *gaps[form.gap.data][1:]))
    return statement.order_by(Estate.street_id, Estate.name_sort, Estate.id)


def _estate_page(model, keys, *columns, joins=(), counter=None, searched=False):
    """A page of the estate list: pages first — the page's estate ids (``keys``: ``_estate_rows`` of the ids, in the
    list's order), then those estates as plain rows (id, name, street's name, then ``columns`` of their ``model``
    record and of ``joins``). Counted by ``counter`` (stored counts), else a search with the page's ids (one pass),
    else the ids. Streets (and the callers' companies) joined as tables: a fresh alias proxied each of their
    columns again on every request."""
    rows = (select(Estate.id, Estate.name, Street.name.label("street_name"), *columns).select_from(Estate)
            .join(Street, Street.id == Estate.street_id).outerjoin(model, model.estate_id == Estate.id))
    for target, on in joins:
        rows = rows.outerjoin(target, on)

    def load(ids):
        return {row.id: row for row in db.session.execute(rows.where(Estate.id.in_(ids)))}

    return paginate_keys(keys, load, counter=counter, count_with_keys=searched and counter is None)


def _stored_counter(form: EstateFilterForm, gaps: dict, figures_module):
    """The stored count of the list (``figures_module.gap_count(gap or None, street_id)``: ``party_figures``,
    ``preliminary_figures``) when the list is a street's or the district's without a search, else None (the list
    counts its own rows)."""
    user = current_user
    if form.q.data or (form.gap.data and form.gap.data not in gaps) or not (user.sees_district or user.is_street):
        return None
    if not figures_module.available():
        return None
    gap_count = figures_module.gap_count
    chosen = form.street_id.data
    if user.is_street and chosen and chosen != user.street_id:
        return lambda: 0  # another street's estates under the street's own scope: none
    street_id = user.street_id if user.is_street else chosen
    gap = form.gap.data or None
    return lambda: gap_count(gap, street_id)


@bp.get("/preliminary")
@scope.role_required(ALL_ROLES)
def preliminary_index():
    form = _estate_filters(PRELIMINARY_GAPS)
    P, company = PreliminaryService, Company
    page = _estate_page(P, _estate_rows(P, form, PRELIMINARY_GAPS, statement=select(Estate.id)),
                        P.id.label("record_id"), P.developer,
                        company.name.label("company_name"), P.selection_method, P.selected_on,
                        P.contract_signed_on, P.covenant_signed_on, joins=((company, company.id == P.company_id),),
                        counter=_stored_counter(form, PRELIMINARY_GAPS, preliminary_figures),
                        searched=bool(form.q.data))
    labels = {method: (method.badge, method.label) for method in SelectionMethod}
    return render_template("contracts/preliminary_index.html", page=page, filters=form, labels=labels,
                           can_edit=current_user.role in ESTATE_RECORDERS, can_import=current_user.role in BUREAU)


@bp.get("/preliminary/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def preliminary_export():
    return exports.export_response("contracts.preliminary")


exports.register(exports.Exporter(
    "contracts.preliminary", "前期物业", spreadsheet.preliminary_export_columns,
    lambda: _estate_rows(PreliminaryService, _estate_filters(PRELIMINARY_GAPS), PRELIMINARY_GAPS),
    select_rows=spreadsheet.preliminary_export_select))


@bp.get("/preliminary/import/template.xlsx")
@scope.role_required(BUREAU)
@in_chinese
def preliminary_import_template():
    return xlsx_response(spreadsheet.preliminary_template_bytes(), "前期物业导入模板.xlsx")


@bp.route("/preliminary/import", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def preliminary_import():
    return _import_page(spreadsheet.import_preliminary, "contracts/preliminary_import.html",
                        lambda created: _("已导入 %(n)s 个小区的前期物业信息。", n=len(created)),
                        ".preliminary_index", spreadsheet.PRELIMINARY_JOB)


@bp.route("/preliminary/<int:estate_id>", methods=["GET", "POST"])
@scope.role_required(ESTATE_RECORDERS)
def preliminary_edit(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=ESTATE_RECORDERS)
    row = db.session.scalar(select(PreliminaryService).where(PreliminaryService.estate_id == estate.id))
    form = PreliminaryForm(obj=row)
    if request.method == "GET" and row is not None:
        form.selection_method.data = row.selection_method.value if row.selection_method else ""
    if form.validate_on_submit():
        try:
            if row is not None:
                check_version(row, form.version.data)
            with db.session.begin_nested():
                saved = services.save_preliminary(estate, form.values(), actor=current_user)
                _store_copy(form.contract_copy, saved, "preliminary_contract")
                _store_copy(form.covenant_copy, saved, "covenant")
        except DomainError as error:
            flash_errors(form, error)
        except IntegrityError:  # a colleague recorded the same estate at the same moment
            db.session.rollback()
            flash(_("该记录已被他人修改，请刷新页面后重新编辑。"), "danger")
        else:
            db.session.commit()
            flash(_("已保存前期物业信息。"), "success")
            return redirect(url_for("estates.detail", estate_id=estate.id, _anchor="contracts"))
    return render_template("contracts/estate_form.html", form=form, estate=estate,
                           copies=attachments_of(row) if row is not None else [],
                           title=_("前期物业：招投标、前期物业服务合同和临时管理规约"))


# --- party building -----------------------------------------------------------------------

@bp.get("/party")
@scope.role_required(ALL_ROLES)
def party_index():
    form = _estate_filters(PARTY_GAPS)
    B = PartyBuilding
    page = _estate_page(B, _estate_rows(B, form, PARTY_GAPS, statement=select(Estate.id)),
                        B.has_party_org, B.org_name, B.red_property,
                        counter=_stored_counter(form, PARTY_GAPS, party_figures), searched=bool(form.q.data))
    fees = services.fee_standard_lines([row.id for row in page.items])
    return render_template("contracts/party_index.html", page=page, filters=form, fees=fees,
                           can_edit=current_user.role in ESTATE_RECORDERS, can_import=current_user.role in BUREAU)


@bp.get("/party/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def party_export():
    return exports.export_response("contracts.party")


exports.register(exports.Exporter(
    "contracts.party", "收费标准与党建", spreadsheet.party_export_columns,
    lambda: _estate_rows(PartyBuilding, _estate_filters(PARTY_GAPS), PARTY_GAPS),
    select_rows=spreadsheet.party_export_select, rows=spreadsheet.party_export_rows))


@bp.get("/party/import/template.xlsx")
@scope.role_required(BUREAU)
@in_chinese
def party_import_template():
    return xlsx_response(spreadsheet.party_template_bytes(), "党建信息导入模板.xlsx")


@bp.route("/party/import", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def party_import():
    return _import_page(spreadsheet.import_party, "contracts/party_import.html",
                        lambda created: _("已导入 %(n)s 个小区的党建信息。", n=len(created)),
                        ".party_index", spreadsheet.PARTY_JOB)


@bp.route("/party/<int:estate_id>", methods=["GET", "POST"])
@scope.role_required(ESTATE_RECORDERS)
def party_edit(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=ESTATE_RECORDERS)
    row = db.session.scalar(select(PartyBuilding).where(PartyBuilding.estate_id == estate.id))
    form = PartyForm(obj=row)
    if form.validate_on_submit():
        try:
            if row is not None:
                check_version(row, form.version.data)
            services.save_party(estate, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        except IntegrityError:  # a colleague recorded the same estate at the same moment
            db.session.rollback()
            flash(_("该记录已被他人修改，请刷新页面后重新编辑。"), "danger")
        else:
            db.session.commit()
            flash(_("已保存党建信息。"), "success")
            return redirect(url_for("estates.detail", estate_id=estate.id, _anchor="contracts"))
    return render_template("contracts/estate_form.html", form=form, estate=estate, copies=[],
                           title=_("党组织和红色物业"))


# --- the estate page's section --------------------------------------------------------------

# Built once per process (per shape of user), run with the estate's id and the user's street or company.
_CONTRACT_ROWS = PerScope(lambda user: (
    select(ServiceContract, ServiceContract.scope_clause(user).label("visible"))
    .where(ServiceContract.estate_id == bindparam("estate_id"))
    .options(joinedload(ServiceContract.company), joinedload(ServiceContract.fees))
    .order_by(ServiceContract.starts_on.desc(), ServiceContract.id.desc())))


@cache
def _preliminary_and_party():
    return (select(PreliminaryService, PartyBuilding).select_from(Estate)
            .outerjoin(PreliminaryService, PreliminaryService.estate_id == Estate.id)
            .outerjoin(PartyBuilding, PartyBuilding.estate_id == Estate.id)
            .options(joinedload(PreliminaryService.company)).where(Estate.id == bindparam("estate_id")))


def _estate_section(estate, user) -> dict:
    # Every contract of the estate, each saying whether the user may see it: the list shows those, the fee
    # standard (public, as on the portal) comes from all of them — one query instead of two.
    rows = db.session.execute(_CONTRACT_ROWS(user), PerScope.params(user, estate_id=estate.id)).unique().all()
    contracts = [contract for contract, visible in rows if visible]
    # Both are one row per estate at most: read together.
    preliminary, party = db.session.execute(_preliminary_and_party(), {"estate_id": estate.id}).one()
    return {
        "estate": estate,
        "preliminary": preliminary,
        "party": party,
        "fee": services.fee_standard_among([contract for contract, _visible in rows], local_today()),
        "contracts": contracts,
        "can_record": user.role in ESTATE_RECORDERS and estate.archived_at is None,
        "can_submit": user.role in CONTRACT_EDITORS and estate.archived_at is None,
    }


estate_sections.register("contracts", "contracts/_estate_section.html", context=_estate_section, order=15)
