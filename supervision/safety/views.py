"""Safety registers (安全台账): lifts (电梯) and fire facilities (消防设施).

Who may do what:

- everyone reads the lifts and facilities of the estates in their scope (street offices: their
  street's; companies: the estates they manage), filters and exports the lists;
- the bureau (admin, officer) and the managing company register, edit, retire and import them
  (``services.may_edit``); street offices and leaders read only;
- the bureau links a rectification item to a lift or facility of its estate (on the item's page).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit.services import history_for
from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, COMPANY, Role
from ..campaigns.models import RectificationItem
from ..companies.models import Company
from ..core.errors import DomainError, check_version
from ..core.pagination import page_number, paginate_rows
from ..core.timeutil import local_today
from ..documents.excel import Column, xlsx_response
from ..documents.forms import ImportForm
from ..estates.errors import flash_errors
from ..estates.models import Estate
from ..estates.sections import estate_sections
from ..extensions import db
from ..i18n import in_chinese
from ..jobs import exports
from ..jobs import imports as import_jobs
from ..regions.choices import street_choices
from ..regions.models import Street
from . import (
    indicators,  # noqa: F401  (registers the two indicators on the targets page)
    services,
    spreadsheet,
)
from .forms import (
    FacilityFilterForm,
    FacilityForm,
    LiftForm,
    LinkForm,
    OverdueFilterForm,
    RegisterFilterForm,
    RetireForm,
)
from .models import FacilityKind, FacilityStatus, FireFacility, InspectionState, Lift, LiftStatus

bp = Blueprint("safety", __name__, url_prefix="/safety")

EDITORS = BUREAU | COMPANY
# The lists count their rows up to this many ("more than …, narrow the filter"): counting a district's every lift
# or facility (or reading each one's text for a search) cost more than the page.
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Register:
    """What differs between the two registers' pages."""

    name: str  # "lift" | "facility": endpoint names and templates
    plural: str  # the URL word and the list endpoint
    model: Any
    form: Any
    filter_form: Any
    title: object
    noun: object
    create: Any
    update: Any
    list_statement: Any
    export_bytes: Any
    template_bytes: Any
    importer: Any
    retire_label: object
    job_importer: Any
    # The list's own columns as plain rows: the code (registration code / kind), the extra column
    # (maintenance company / quantity) and the last inspection or check.
    row_columns: Any = None


LIFTS = Register("lift", "lifts", Lift, LiftForm, RegisterFilterForm, _l("电梯台账"), _l("电梯"),
                 services.create_lift, services.update_lift, services.list_lifts, spreadsheet.lift_export_bytes,
                 spreadsheet.lift_template_bytes, spreadsheet.import_lifts, _l("报废"), spreadsheet.LIFTS_JOB,
                 lambda: (Lift.registration_code.label("code"), Lift.maintenance_company.label("extra"),
                          Lift.last_inspected_on.label("last_on")))
FACILITIES = Register("facility", "facilities", FireFacility, FacilityForm, FacilityFilterForm, _l("消防设施台账"),
                      _l("消防设施"), services.create_facility, services.update_facility, services.list_facilities,
                      spreadsheet.facility_export_bytes, spreadsheet.facility_template_bytes,
                      spreadsheet.import_facilities, _l("停用"), spreadsheet.FACILITIES_JOB,
                      lambda: (FireFacility.kind.label("code"), FireFacility.quantity.label("extra"),
                               FireFacility.last_checked_on.label("last_on")))


# --- lists ---------------------------------------------------------------------------

def _bind_street_choices(form) -> None:
    """A street office filters its own street only; everyone else every street."""
    if current_user.role is Role.STREET_OFFICER:
        street = current_user.street  # kept by the user for the request: the page's header reads it again
        form.street_id.choices = [(street.id, street.name)] if street else [(None, _("全部"))]
        form.street_id.data = current_user.street_id
    else:
        form.street_id.choices = street_choices(blank=_("全部"))


def _bind_filter_choices(form) -> None:
    _bind_street_choices(form)
    if current_user.role is Role.COMPANY_USER:
        del form.company_id


def _filters(form) -> services.Filters:
    kind = getattr(form, "kind", None)
    company = getattr(form, "company_id", None)
    return services.Filters(
        q=(form.q.data or "").strip() or None,
        street_id=form.street_id.data,
        company_id=company.data if company is not None else None,
        state=services.STATE_FILTERS.get(form.state.data or ""),
        kind=FacilityKind.coerce(kind.data) if kind is not None and kind.data in {k.value for k in FacilityKind}
        else None,
    )


def _statements(register: Register):
    """The filter form, its filters, the day and a function that builds the list's statement (``rows_first``:
    planned for a page in the list's order, ``services._filtered``)."""
    form = register.filter_form(request.args)
    _bind_filter_choices(form)
    filters = _filters(form)
    today = local_today()
    # Lifts and facilities are visible with their estate (``ByEstate``): the estate the list joins carries the
    # viewer's scope, instead of an ``EXISTS`` on an alias of it per row.
    visible = scope.visible(Estate, statement=select(register.model))
    # Rows first (services._filtered) unless a company's few estates narrow the list.
    narrow = current_user.is_company or bool(filters.company_id)

    def statement(rows_first: bool = False):
        return register.list_statement(visible, filters, today, rows_first=rows_first and not narrow)
    return form, filters, today, statement


def _statement(register: Register):
    return _statements(register)[3]()


def _index(register: Register):
    form, filters, today, statements = _statements(register)
    model = register.model
    # The page in the list's order from the rows (a district's or a street's: most rows pass); the district's
    # counted from the estates.
    statement, paged = statements(), statements(rows_first=True)

    def rows(statement):
        # The tables themselves, not fresh aliases of their every column: the list joins each once.
        return (statement.with_only_columns(
            model.id, *register.row_columns(), model.location, model.next_due_on, model.status, model.estate_id,
            Estate.name.label("estate_name"), Street.name.label("street_name"), Company.name.label("company_name"))
            .join(Street, Street.id == Estate.street_id).outerjoin(Company, Company.id == Estate.company_id))

    # A street's (or a kind's) count too from the rows, off their index: from the estates, both planners read every
    # row of the street or kind (PostgreSQL hashed them) before the limit.
    page = _page(statement, paged, rows, model, searching=filters.q is not None,
                 counted=paged if filters.street_id or filters.kind else statement)
    states = [model.state_of(row.status, row.next_due_on, today) for row in page.items]
    # Each label translated once a page, not once a row.
    enums = (LiftStatus,) if model is Lift else (FacilityStatus, FacilityKind)
    labels = {member: member.label for enum in enums for member in enum}
    return render_template("safety/list.html", register=register, page=page, states=states, filters=form,
                           today=today, labels=labels, state_badges=_state_badges(), overdue_days=_("逾期 %(n)s 天"),
                           can_import=current_user.role in EDITORS)


def _page(statement, paged, rows, model, *, searching: bool, counted=None):
    """The page of the list ``statement`` (``paged``: the same list, planned for a page in its order; ``rows``
    gives a statement its columns), counted up to ``COUNT_LIMIT``.

    The list's order is an index (``ix_…_due_order``): a page walks it and stops after its rows. A text search
    no index answers: when few rows match, that walk would read the whole register in index order (a row lookup
    each), so the matching ids are looked for first, in one pass over the table that stops at the limit — few (a
    rare word): the page is those ids' rows, sorted, and they are the total; many: the index walk stops early."""
    ids = statement.with_only_columns(model.id)
    if not searching:
        counted = ids if counted is None else counted.with_only_columns(model.id)
        return paginate_rows(rows(paged), count_statement=counted, count_limit=COUNT_LIMIT, short_page_is_last=True)
    matched = db.session.scalars(ids.order_by(None).limit(COUNT_LIMIT + 1)).all()
    if len(matched) <= COUNT_LIMIT:
        # The ids alone, not the filters again: they would lead the planner to the estates first.
        paged = (select(model).join(Estate, Estate.id == model.estate_id).where(model.id.in_(matched))
                 .order_by(*services.list_order(model)))
    return paginate_rows(rows(paged), counter=lambda: len(matched), count_limit=COUNT_LIMIT)


def _state_badges() -> dict[InspectionState, Markup]:
    """Each inspection state's badge (``safety/_macros.html``'s ``state_badge`` without the overdue days)."""
    return {state: Markup(f'<span class="badge bg-{state.badge}" data-state="{state.value}">'  # nosec B704
                          f"{escape(state.label)}</span>") for state in InspectionState}


exports.register(exports.Exporter("safety.lifts", "电梯台账", spreadsheet.lift_export_columns,
                                  lambda: _statement(LIFTS), select_rows=spreadsheet.LIFT_EXPORT))
exports.register(exports.Exporter("safety.facilities", "消防设施台账", spreadsheet.facility_export_columns,
                                  lambda: _statement(FACILITIES), select_rows=spreadsheet.FACILITY_EXPORT))


@bp.get("/lifts")
@scope.role_required(ALL_ROLES)
def lifts():
    return _index(LIFTS)


@bp.get("/facilities")
@scope.role_required(ALL_ROLES)
def facilities():
    return _index(FACILITIES)


@bp.get("/lifts/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def lifts_export():
    return exports.export_response("safety.lifts")


@bp.get("/facilities/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def facilities_export():
    return exports.export_response("safety.facilities")


# --- import ----------------------------------------------------------------------------

@bp.get("/lifts/import/template.xlsx")
@scope.role_required(EDITORS)
@in_chinese
def lifts_template():
    return xlsx_response(LIFTS.template_bytes(), "电梯台账导入模板.xlsx")


@bp.get("/facilities/import/template.xlsx")
@scope.role_required(EDITORS)
@in_chinese
def facilities_template():
    return xlsx_response(FACILITIES.template_bytes(), "消防设施台账导入模板.xlsx")


def _import(register: Register):
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        job_page = import_jobs.job_page_if_large(register.job_importer.name, data, upload.filename, current_user)
        if job_page is not None:
            return job_page
        result = register.importer(data, upload.filename, actor=current_user)
        if result.ok:
            db.session.commit()
            flash(_("已导入 %(n)s 条%(noun)s记录。", n=len(result.created), noun=register.noun), "success")
            return redirect(url_for(f".{register.plural}"))
        db.session.rollback()
    return render_template("safety/import.html", register=register, form=form, result=result), (
        422 if result is not None else 200)


@bp.route("/lifts/import", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def lifts_import():
    return _import(LIFTS)


@bp.route("/facilities/import", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def facilities_import():
    return _import(FACILITIES)


# --- one lift / facility --------------------------------------------------------------

def _load(register: Register, object_id: int):
    return scope.load(register.model, object_id, options=(
        joinedload(register.model.estate).joinedload(Estate.street),
        joinedload(register.model.estate).joinedload(Estate.company)))


def _detail(register: Register, object_id: int):
    obj = _load(register, object_id)
    items = services.linked_items(obj, RectificationItem.scope_clause(current_user))
    return render_template("safety/detail.html", register=register, obj=obj, today=local_today(), items=items,
                           can_edit=services.may_edit(current_user, obj.estate) and obj.active,
                           history=history_for(obj, limit=30) if current_user.sees_district else [])


@bp.get("/lifts/<int:lift_id>")
@scope.role_required(ALL_ROLES)
def lift_detail(lift_id: int):
    return _detail(LIFTS, lift_id)


@bp.get("/facilities/<int:facility_id>")
@scope.role_required(ALL_ROLES)
def facility_detail(facility_id: int):
    return _detail(FACILITIES, facility_id)


def _editable_estate(estate_id: int) -> Estate:
    estate = scope.load(Estate, estate_id, roles=EDITORS)
    if not services.may_edit(current_user, estate):
        abort(403)
    return estate


def _new(register: Register, estate_id: int):
    estate = _editable_estate(estate_id)
    form = register.form()
    if form.validate_on_submit():
        try:
            obj = register.create(estate, form.values(), actor=current_user, today=local_today())
        except DomainError as error:
            db.session.rollback()
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已登记%(noun)s。", noun=register.noun), "success")
            return redirect(url_for(f".{register.name}_detail", **{f"{register.name}_id": obj.id}))
    return render_template("safety/form.html", register=register, form=form, estate=estate, obj=None)


@bp.route("/estates/<int:estate_id>/lifts/new", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def lift_new(estate_id: int):
    return _new(LIFTS, estate_id)


@bp.route("/estates/<int:estate_id>/facilities/new", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def facility_new(estate_id: int):
    return _new(FACILITIES, estate_id)


def _editable(register: Register, object_id: int):
    obj = scope.load(register.model, object_id, roles=EDITORS)
    if not services.may_edit(current_user, obj.estate):
        abort(403)
    if not obj.active:
        flash(_("该记录已退出使用，不能再修改。"), "warning")
        return obj, redirect(url_for(f".{register.name}_detail", **{f"{register.name}_id": obj.id}))
    return obj, None


def _edit(register: Register, object_id: int):
    obj, refused = _editable(register, object_id)
    if refused is not None:
        return refused
    form = register.form(obj=obj)
    if request.method == "GET":
        form.version.data = obj.version
        form.status.data = obj.status.value
        if hasattr(form, "kind"):
            form.kind.data = obj.kind.value
    if form.validate_on_submit():
        try:
            check_version(obj, form.version.data)
            register.update(obj, form.values(), actor=current_user, today=local_today())
        except DomainError as error:
            db.session.rollback()
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(f".{register.name}_detail", **{f"{register.name}_id": obj.id}))
    return render_template("safety/form.html", register=register, form=form, estate=obj.estate, obj=obj)


@bp.route("/lifts/<int:lift_id>/edit", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def lift_edit(lift_id: int):
    return _edit(LIFTS, lift_id)


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def facility_edit(facility_id: int):
    return _edit(FACILITIES, facility_id)


def _retire(register: Register, object_id: int):
    obj, refused = _editable(register, object_id)
    if refused is not None:
        return refused
    form = RetireForm()
    if request.method == "GET":
        form.version.data = obj.version
        form.retired_on.data = local_today()
    if form.validate_on_submit():
        try:
            check_version(obj, form.version.data)
            services.retire(obj, on=form.retired_on.data, reason=form.reason.data, actor=current_user,
                            today=local_today())
        except DomainError as error:
            db.session.rollback()
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已%(verb)s。", verb=register.retire_label), "success")
            return redirect(url_for(f".{register.name}_detail", **{f"{register.name}_id": obj.id}))
    return render_template("safety/retire.html", register=register, form=form, obj=obj)


@bp.route("/lifts/<int:lift_id>/retire", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def lift_retire(lift_id: int):
    return _retire(LIFTS, lift_id)


@bp.route("/facilities/<int:facility_id>/retire", methods=["GET", "POST"])
@scope.role_required(EDITORS)
def facility_retire(facility_id: int):
    return _retire(FACILITIES, facility_id)


# --- overdue inspections ------------------------------------------------------------

def _overdue_statement(*, first: int | None = None):
    """The filter form, the overdue rows' statement (``first``: a page's) and a function that gives their ids."""
    form = OverdueFilterForm(request.args)
    _bind_street_choices(form)
    kind = form.kind.data if form.kind.data in ("lift", "facility") else None
    # From the overdue rows (in due-date order) for the district and a street; from the estates for a company.
    filters = {"estate_scope": Estate.scope_clause(current_user), "today": local_today(),
               "street_id": form.street_id.data, "kind": kind, "rows_first": not current_user.is_company}
    statement = services.overdue_rows(first=first, **filters)
    return form, statement, lambda: services.overdue_ids(**filters)


@bp.get("/overdue")
@scope.role_required(ALL_ROLES)
def overdue():
    # Pages first: each register's first rows up to this page's end, in its due-date index's order.
    form, statement, ids = _overdue_statement(first=page_number() * current_app.config["PER_PAGE"])
    page = paginate_rows(statement, count_statement=ids(), count_limit=COUNT_LIMIT, short_page_is_last=True)
    labels = {kind.value: kind.label for kind in FacilityKind}
    return render_template("safety/overdue.html", page=page, filters=form, today=local_today(), labels=labels)


@bp.get("/overdue/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def overdue_export():
    return exports.export_response("safety.overdue")


def _overdue_columns() -> list[Column]:
    today = local_today()
    labels = {kind.value: kind.label for kind in FacilityKind}
    return [
        Column("kind", "类别", export=lambda r: "电梯" if r.kind == "lift" else "消防设施"),
        Column("what", "编号/设施类型", export=lambda r: labels.get(r.what, r.what), width=26),
        Column("location", "位置", width=20),
        Column("estate_name", "小区", width=24),
        Column("street_name", "街道"),
        Column("company_name", "物业企业", width=24),
        Column("next_due_on", "应检日期", width=12),
        Column("days", "逾期天数", export=lambda r: (today - r.next_due_on).days, width=10),
    ]


exports.register(exports.Exporter("safety.overdue", "逾期未检", _overdue_columns, lambda: _overdue_statement()[1],
                                  rows_not_objects=True))


# --- the link from a rectification item ---------------------------------------------

def _link_choices(item: RectificationItem) -> list[tuple[str, str]]:
    lifts, facilities = services.estate_registers(item.estate)
    choices = [("", _("（不关联）"))]
    choices += [(f"lift:{lift.id}", _("电梯 %(code)s（%(where)s）", code=lift.registration_code, where=lift.location))
                for lift in lifts if lift.active]
    choices += [(f"facility:{f.id}", f"{f.kind.label}（{f.location}）") for f in facilities if f.active]
    return choices


@bp.app_template_global("safety_item_link")
def item_link_section(item: RectificationItem) -> Markup:
    """The rectification item page's 关联设施 block (the campaigns' item template calls it)."""
    link = services.link_of(item)
    can_edit = current_user.role in BUREAU
    if link is None and not can_edit:
        return Markup("")
    form = None
    if can_edit:
        form = LinkForm(formdata=None)
        form.target.choices = _link_choices(item)
        if link is not None:
            form.target.data = f"lift:{link.lift_id}" if link.lift_id else f"facility:{link.facility_id}"
    return Markup(render_template("safety/_item_link.html", item=item, link=link, form=form))  # nosec B704


@bp.post("/items/<int:item_id>/link")
@scope.role_required(BUREAU)
def item_link(item_id: int):
    item = scope.load(RectificationItem, item_id, roles=BUREAU)
    form = LinkForm()
    form.target.choices = _link_choices(item)
    if not form.validate_on_submit():
        flash(_("请选择本小区的电梯或消防设施。"), "danger")
        return redirect(url_for("campaigns.item_detail", item_id=item.id))
    value = form.target.data or ""
    target = None
    if value:
        kind, _sep, raw = value.partition(":")
        model = Lift if kind == "lift" else FireFacility
        target = scope.load(model, int(raw))
    try:
        services.set_link(item, target, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("已更新关联设施。"), "success")
    return redirect(url_for("campaigns.item_detail", item_id=item.id))


# --- the estate page's section ----------------------------------------------------

def _estate_section(estate, user):
    lifts, facilities = services.estate_registers(estate)
    return {"lifts": lifts, "facilities": facilities, "today": local_today(), "estate": estate,
            "can_edit": services.may_edit(user, estate), "S": InspectionState}


estate_sections.register("safety", "safety/_estate_section.html", context=_estate_section, order=35)
