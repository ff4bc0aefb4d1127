"""Estate register (小区台账) and owners' committees (业主委员会).

Who may do what:

- everyone reads the estates in their scope (street officers: their street; company users: the
  estates they manage) and exports the filtered list;
- the bureau (admin, officer) creates, edits, archives, restores and imports estates;
- the bureau and the street office of the estate maintain its owners' committee (street offices
  guide the formation and file the committee, domain notes §6.8); leaders read only.
"""
from __future__ import annotations

from dataclasses import replace
from functools import cache

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload

from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, DISTRICT_READERS, STREET, Role
from ..companies import services as company_services
from ..companies.models import Certificate, Company, Position, Staff
from ..core.errors import DomainError, check_version
from ..core.forms import ConfirmForm
from ..core.pagination import page_number, paginate_keys
from ..core.timeutil import local_today
from ..documents.excel import xlsx_response
from ..documents.preview import ImportFlow
from ..extensions import db
from ..i18n import in_chinese
from ..jobs import exports
from ..pickers.fields import NO_MATCH
from ..regions.models import Community, Street
from . import committee_figures, services, spreadsheet, tasks
from . import handover as management
from .errors import flash_errors
from .forms import (
    ArchiveForm,
    CommitteeDissolveForm,
    CommitteeExpireForm,
    CommitteeFilterForm,
    CommitteeForm,
    CommitteeFormingForm,
    CommitteeRestartForm,
    EstateFilterForm,
    EstateForm,
)
from .models import CommitteeStatus, Estate, ManagementMode, OwnersCommittee
from .sections import PerScope, estate_sections

bp = Blueprint("estates", __name__, url_prefix="/estates")

COMMITTEE_EDITORS = BUREAU | STREET


# --- choices -----------------------------------------------------------------------

def _street_choices(blank):
    statement = select(Street.id, Street.name).where(Street.active.is_(True)).order_by(Street.name_sort)
    if current_user.role is Role.STREET_OFFICER:
        statement = statement.where(Street.id == current_user.street_id)
    return [(None, blank)] + [(row.id, row.name) for row in db.session.execute(statement)]


def _community_filter(form) -> None:
    """The 社区 picker finds the communities of the chosen street only (a street officer: their own street's).

    A bureau user who follows a link with a ``community_id`` but no street gets the community's street chosen
    for them. A community outside the street (another street's, or left over after changing the street) is
    dropped from the filter rather than combined with the street into an empty list.
    """
    field = form.community_id
    street_id = current_user.street_id if current_user.role is Role.STREET_OFFICER else form.street_id.data
    if field.data is not None and field.data != NO_MATCH:
        community_street = db.session.scalar(select(Community.street_id).where(Community.id == field.data))
        if street_id and community_street != street_id:
            field.data, field.option, field.text, field.raw_data = None, None, None, []
            field.params["street"] = street_id  # the search box's street; nothing chosen to resolve again
            return
        if not street_id:
            form.street_id.data = street_id = community_street
    if street_id:
        field.narrow(street=street_id)  # the search box finds, and a typed name resolves to, the street's


def _company_filter_choices(form) -> None:
    """The 物业企业 choices: 全部, 无物业企业 and, when a link chose one (?company_id=N), that company.

    Other companies are found with the text field (name or credit code). A company outside the user's
    scope is not named (its estates are outside the scope too, so the list is empty)."""

    choices = [(None, _("全部")), (-1, _("（无物业企业）"))]
    company_id = form.company_id.data
    if company_id and company_id > 0:
        name = db.session.scalar(scope.visible(Company, statement=select(Company.name)).where(Company.id == company_id))
        choices.append((company_id, name or _("企业编号 %(id)s", id=company_id)))
    elif company_id is not None and company_id != -1:
        form.company_id.data = None
    form.company_id.choices = choices


def _bind_filter_choices(form, *, communities=True, companies=True):
    form.street_id.choices = _street_choices(_("全部"))
    if communities:
        _community_filter(form)
    if companies:
        _company_filter_choices(form)


def _filters(form) -> services.EstateFilters:
    args = request.args
    mode = args.get("management_mode")
    committee = args.get("committee")
    alert = args.get("alert")
    sort = args.get("sort")
    return services.EstateFilters(
        q=(form.q.data or "").strip() or None,
        street_id=form.street_id.data,
        community_id=getattr(form, "community_id", None) and form.community_id.data,
        company_id=getattr(form, "company_id", None) and form.company_id.data,
        company=(getattr(getattr(form, "company", None), "data", None) or "").strip() or None,
        management_mode=mode if mode in {m.value for m in ManagementMode} else None,
        committee=committee if committee in services.COMMITTEE_FILTERS else None,
        is_old=args.get("is_old"),
        eligible=args.get("eligible", getattr(getattr(form, "eligible", None), "data", None)),
        alert=alert if alert in services.ALERTS else None,
        archived=args.get("archived"),
        sort=sort if sort and sort.lstrip("-") in services.SORT_KEYS else None,
    )


def _list_statement(filters: services.EstateFilters):
    statement = scope.visible(Estate)
    if current_user.sees_district:
        statement = services.read_off_list_index(statement, filters)
    return services.list_estates(statement, filters)


# --- estate list, detail, export -----------------------------------------------------

@cache
def _row_aliases():
    """The list's joins for names, made once (``aliased()`` costs ~0.3 ms)."""

    return aliased(Street), aliased(Community), aliased(Company), aliased(OwnersCommittee)


def _list_rows(statement, today):
    """The columns a row of the list shows, as plain rows with the street's, community's, company's
    names and the committee's status and term end (``None`` without a company or committee).

    Loading five ORM objects a row was most of the list's query time; ``statement`` keeps its filters
    and order, the names come from joins of their own (a filter or sort may have joined the same
    tables already)."""
    E = Estate
    street, community, company, committee = _row_aliases()
    return (statement.with_only_columns(
        E.id, E.name, E.address, E.management_mode, E.households, E.year_built, E.is_old, E.committee_eligible,
        E.committee_due_on, E.archived_at, street.name.label("street_name"), community.name.label("community_name"),
        company.name.label("company_name"),
        services.committee_status_expression(today, committee).label("committee_status"),
        committee.term_end.label("committee_term_end"))
        .outerjoin(street, street.id == E.street_id).outerjoin(community, community.id == E.community_id)
        .outerjoin(company, company.id == E.company_id).outerjoin(committee, committee.estate_id == E.id))


def _list_rows_for(ids: list[int], today) -> dict:
    """{id: row} of the list's columns for the page's estates."""
    return {row.id: row for row in db.session.execute(_list_rows(select(Estate).where(Estate.id.in_(ids)), today))}


@bp.get("/")
@scope.role_required(ALL_ROLES)
def index():
    form = EstateFilterForm(request.args)
    _bind_filter_choices(form)
    filters = _filters(form)
    # The list as first opened by a district-wide user (Estate.scope_clause: everything): counted
    # without visiting every estate.
    district_wide = current_user.role in DISTRICT_READERS and services.unfiltered(filters)
    today = local_today()
    # The count of a street, 具备条件 or the committee filters (a district reader's or a street office's) from the
    # stored groups of committee_figures: no count over the estates joined to their committees.
    counter = committee_figures.list_counter(current_user, filters, today) or (
        services.registered_count if district_wide else None)
    # Pages first: the page's ids by filter and order (read off ix_estates_list: no join, no sort of the whole
    # register), then those 50 estates with their names. A text search reads every estate either way: its
    # count comes with the page's ids, in that one pass.
    keys = _list_statement(filters).with_only_columns(Estate.id)
    page = paginate_keys(keys, lambda ids: _list_rows_for(ids, today), counter=counter,
                         count_with_keys=bool(filters.q))
    alerts = {row.id: services.alerts_for(row.committee_due_on, row.committee_status, row.committee_term_end, today)
              for row in page.items}
    # A link to one company's estates (?company_id=N): named above the list, with a way out.
    narrowed_company = form.company_id.choices[-1][1] if filters.company_id and filters.company_id > 0 else None
    labels = {state: state.label for states in (ManagementMode, CommitteeStatus) for state in states}
    return render_template("estates/index.html", page=page, filters=form, sort=filters.sort or "name",
                           alerts=alerts, labels=labels, can_edit=current_user.role in BUREAU,
                           narrowed_company=narrowed_company)


@bp.get("/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def export():
    return exports.export_response("estates")


def _export_statement():
    form = EstateFilterForm(request.args)
    _bind_filter_choices(form)
    return _list_statement(_filters(form))


exports.register(exports.Exporter(
    "estates", "小区台账", spreadsheet.export_columns, _export_statement, select_rows=spreadsheet.export_select,
    rows=spreadsheet.export_rows))


# The detail page's estate and staff, built once per process for each shape of user (``aliased()``, loader
# options and the scope rules cost about as much as the queries), run with the estate's id and the user's
# street or company.
_DETAIL_ESTATE = PerScope(lambda user: select(Estate).where(
    Estate.id == bindparam("estate_id"), Estate.scope_clause(user)).options(
    joinedload(Estate.street), joinedload(Estate.community), joinedload(Estate.company),
    joinedload(Estate.committee)))
_DETAIL_STAFF = PerScope(lambda user: (
    scope.visible(Staff, user).where(Staff.estate_id == bindparam("estate_id"),
                                     company_services.active_on_clause(bindparam("today", type_=Date)))
    # One query: an estate has a handful of staff, each with a few certificates.
    .options(joinedload(Staff.position).joinedload(Position.required_certificates),
             joinedload(Staff.certificates).joinedload(Certificate.certificate_type))
    .join(Position, Position.id == Staff.position_id).order_by(Position.sort_order, Staff.name_sort)))


@bp.get("/<int:estate_id>")
@scope.role_required(ALL_ROLES)
def detail(estate_id: int):

    # scope.load(Estate, estate_id, options=…) without building the query.
    estate = db.session.scalar(_DETAIL_ESTATE(current_user), PerScope.params(current_user, estate_id=estate_id))
    if estate is None:
        abort(404)
    today = local_today()
    staff = db.session.scalars(
        _DETAIL_STAFF(current_user), PerScope.params(current_user, estate_id=estate.id, today=today)).unique().all()
    rate, manager_rate = company_services.certification_rate_and_managers(estate_id=estate.id, on=today)
    show_history = current_user.role is not Role.COMPANY_USER
    can_add_staff = estate.company_id is not None and estate.archived_at is None and (
        current_user.role in BUREAU
        or (current_user.role is Role.COMPANY_USER and current_user.company_id == estate.company_id))
    return render_template(
        "estates/detail.html", estate=estate, staff=staff, rate=rate, manager_rate=manager_rate, today=today,
        alerts=services.committee_alerts(estate, today), due_date=estate.committee_due_on,
        history=services.estate_history(estate) if show_history else None,
        periods=management.periods(estate), items_outcomes=management.ITEMS_OUTCOME_LABELS,
        sections=estate_sections.for_page(estate, current_user),
        can_edit=current_user.role in BUREAU, can_edit_committee=current_user.role in COMMITTEE_EDITORS,
        can_add_staff=can_add_staff,
        actions=services.allowed_actions(estate.committee), transitions=services.TRANSITIONS,
        certificate_state=company_services.certificate_state, qualified=company_services.staff_is_qualified)


# --- create, edit, archive ---------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def create():
    form = EstateForm()
    if form.validate_on_submit():
        try:
            estate = services.create_estate(form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已登记小区“%(name)s”。", name=estate.name), "success")
            return redirect(url_for(".detail", estate_id=estate.id))
    return render_template("estates/form.html", form=form, estate=None)


@bp.route("/<int:estate_id>/edit", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def edit(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=BUREAU)
    form = EstateForm(obj=estate)
    if request.method == "GET":
        form.management_mode.data = estate.management_mode.value
        form.property_type.data = estate.property_type.value if estate.property_type else ""
    if form.validate_on_submit():
        try:
            check_version(estate, form.version.data)
            services.update_estate(estate, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".detail", estate_id=estate.id))
    return render_template("estates/form.html", form=form, estate=estate)


@bp.route("/<int:estate_id>/archive", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def archive(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=BUREAU)
    form = ArchiveForm(obj=estate) if request.method == "GET" else ArchiveForm()
    if form.validate_on_submit():
        try:
            check_version(estate, form.version.data)
            services.archive_estate(estate, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已归档小区“%(name)s”。归档后不再出现在台账和统计中，可随时恢复。", name=estate.name), "success")
        return redirect(url_for(".detail", estate_id=estate.id))
    return render_template(
        "confirm.html", form=form, title=_("归档小区"), danger=True, confirm_label=_("归档"),
        message=_("确定归档小区“%(name)s”吗？小区不会被删除：它的历史记录、业委会和人员信息都会保留，"
                  "但不再出现在台账列表和各项统计中。", name=estate.name),
        cancel_url=url_for(".detail", estate_id=estate.id))


@bp.post("/<int:estate_id>/restore")
@scope.role_required(ALL_ROLES)
def restore(estate_id: int):
    estate = scope.load(Estate, estate_id, roles=BUREAU)
    if ConfirmForm().validate_on_submit():
        try:
            services.restore_estate(estate, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已恢复小区“%(name)s”。", name=estate.name), "success")
    return redirect(url_for(".detail", estate_id=estate.id))


# --- import ------------------------------------------------------------------------

@bp.get("/import/template.xlsx")
@scope.role_required(BUREAU)
@in_chinese
def import_template():
    return xlsx_response(spreadsheet.template_bytes(), "小区台账导入模板.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def import_file():
    """Upload → preview (how the file was understood, what would change) → confirm (documents.preview)."""
    def done(result):
        flash(_("已导入：新增 %(created)s 个小区，更新 %(updated)s 个，跳过 %(skipped)s 个。",
                created=result.counts["create"], updated=result.counts["update"], skipped=result.counts["skip"]),
              "success")
        return redirect(url_for(".index", sort="-updated"))

    def run(data, filename, mapping, dry_run, check_rows):
        return spreadsheet.EstateImport(filename, current_user).run(data, filename, mapping=mapping, dry_run=dry_run,
                                                                      check_rows=check_rows)

    return ImportFlow(kind=spreadsheet.EstateImport.kind, columns=spreadsheet.estate_columns(),
                      template="estates/import.html", run=run, done=done,
                      start_job=lambda data, filename, mapping: tasks.start_import(data, filename, current_user,
                                                                                   mapping=mapping)).handle()


# --- owners' committees ----------------------------------------------------------------

@bp.get("/committees")
@scope.role_required(DISTRICT_READERS | STREET)
def committees():
    form = CommitteeFilterForm(request.args)
    _bind_filter_choices(form, communities=False, companies=False)
    filters = _filters(form)
    if not filters.sort:
        filters.sort = "street"
    filters.archived = None
    # Pages first: the page's ids sorted on the estates (and the streets for the street order), then those
    # 50 estates with their street, community and committee — not the joins for every estate sorted.
    today = local_today()
    # Without a search the count is the stored groups' (committee_figures: per street, 具备条件, status, alerts).
    stored_count = committee_figures.list_counter(current_user, filters, today)
    if filters.sort == "street" and not filters.q:
        # The streets' order, each street's page read off its index: no sort of every estate (in_street_order).
        matching = services.filter_estates(scope.visible(Estate), replace(filters, sort=None)).with_only_columns(
            Estate.id).order_by(None)
        keys = services.in_street_order(matching, page_number() * current_app.config["PER_PAGE"],
                                        eligible_filtered=filters.eligible in ("1", "0"))
        page = paginate_keys(keys, lambda ids: _committee_rows(ids, today), counter=stored_count or (
            lambda: db.session.scalar(select(func.count()).select_from(matching.subquery()))))
    else:
        # A search reads every estate's name and address either way (off ix_estates_list, for the district): the
        # few matches sorted, their count in the same pass.
        statement = scope.visible(Estate)
        if current_user.sees_district and filters.q:
            statement = services.read_off_list_index(statement, filters)
        keys = services.filter_estates(statement, filters).with_only_columns(Estate.id)
        page = paginate_keys(keys, lambda ids: _committee_rows(ids, today), count_with_keys=bool(filters.q),
                             counter=stored_count)
    # The counts of the user's scope (a street office: its street), narrowed to the chosen street: stored per
    # street and day by the committing transaction (committee_figures), not counted over every estate here.
    street_id = current_user.street_id if current_user.role is Role.STREET_OFFICER else filters.street_id
    if current_user.role is Role.STREET_OFFICER and filters.street_id and filters.street_id != street_id:
        street_id = -1  # another street's estates are outside the scope: nothing to count
    return render_template(
        "estates/committees.html", page=page, filters=form, sort=filters.sort, today=today,
        summary=committee_figures.summary(street_id, today), labels={state: state.label for state in CommitteeStatus},
        alerts={row.id: services.alerts_for(row.committee_due_on, row.committee_status, row.term_end, today)
                for row in page.items},
        can_edit=current_user.role in COMMITTEE_EDITORS, warning_days=services.TERM_WARNING_DAYS)


def _committee_rows(ids: list[int], today) -> dict:
    """The page's estates as plain rows: the columns the table shows, the street's and community's names and the
    committee's status on ``today`` (None: no committee) — not three ORM objects an estate."""
    street, community, _company, committee = _row_aliases()
    rows = db.session.execute(
        select(Estate.id, Estate.name, Estate.households, Estate.committee_due_on,
               street.name.label("street_name"), community.name.label("community_name"),
               services.committee_status_expression(today, committee).label("committee_status"),
               committee.elected_on, committee.term_end, committee.filing_number)
        .outerjoin(street, street.id == Estate.street_id).outerjoin(community, community.id == Estate.community_id)
        .outerjoin(committee, committee.estate_id == Estate.id).where(Estate.id.in_(ids)))
    return {row.id: row for row in rows}


def _load_for_committee(estate_id: int) -> Estate:
    return scope.load(Estate, estate_id, roles=COMMITTEE_EDITORS,
                      options=(joinedload(Estate.committee), joinedload(Estate.street)))


@bp.route("/<int:estate_id>/committee/new", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def committee_new(estate_id: int):
    estate = _load_for_committee(estate_id)
    if estate.committee is not None:
        return redirect(url_for(".committee_edit", estate_id=estate.id))
    form = CommitteeForm()
    if form.validate_on_submit():
        try:
            services.create_committee(estate, form.values(), actor=current_user,
                                      status=CommitteeStatus(form.status.data or "preparing"))
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已建立业主委员会记录。"), "success")
            return redirect(url_for(".detail", estate_id=estate.id))
    return render_template("estates/committee_form.html", form=form, estate=estate, committee=None,
                           title=_("建立业主委员会记录"))


@bp.route("/<int:estate_id>/committee/edit", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def committee_edit(estate_id: int):
    estate = _load_for_committee(estate_id)
    committee = estate.committee
    if committee is None:
        return redirect(url_for(".committee_new", estate_id=estate.id))
    form = CommitteeForm(obj=committee)
    del form.status
    if form.validate_on_submit():
        try:
            check_version(committee, form.version.data)
            services.update_committee(committee, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".detail", estate_id=estate.id))
    return render_template("estates/committee_form.html", form=form, estate=estate, committee=committee,
                           title=_("修改业主委员会信息"))


ACTION_FORMS = {
    "form": CommitteeFormingForm,
    "reelect": CommitteeFormingForm,
    "expire": CommitteeExpireForm,
    "dissolve": CommitteeDissolveForm,
    "restart": CommitteeRestartForm,
}
ACTION_HELP = {
    "form": _l("业主大会依法选举产生业主委员会后登记。任期届满日期按选举日期和任期自动计算。"),
    "reelect": _l("任期届满前后依法换届选举产生新一届业主委员会后登记；上一届的备案号不再沿用。"),
    "expire": _l("任期已届满且尚未换届的业主委员会标记为“届满”。系统每日也会自动标记。"),
    "dissolve": _l("业主委员会依法解散或被撤销时登记，请写明原因。"),
    "restart": _l("组建新的筹备组，重新开始业主大会、业主委员会的组建（或换届）工作。"),
}


@bp.route("/<int:estate_id>/committee/<action>", methods=["GET", "POST"])
@scope.role_required(ALL_ROLES)
def committee_action(estate_id: int, action: str):
    if action not in ACTION_FORMS:
        abort(404)
    estate = _load_for_committee(estate_id)
    committee = estate.committee
    if committee is None:
        abort(404)
    form_class = ACTION_FORMS[action]
    form = form_class(obj=committee) if request.method == "GET" else form_class()
    if request.method == "GET" and action == "reelect":
        form.elected_on.data = form.filed_on.data = form.filing_number.data = form.members_count.data = None
    if request.method == "GET" and action == "restart":
        form.prep_group_on.data = None
        form.notes.data = None
    if request.method == "GET" and action == "dissolve":
        form.notes.data = None
    if action not in services.allowed_actions(committee):
        flash(_("当前状态为“%(status)s”，不能办理该操作。", status=committee.current_status.label), "warning")
        return redirect(url_for(".detail", estate_id=estate.id))
    if form.validate_on_submit():
        try:
            check_version(committee, form.version.data)
            services.transition_committee(committee, action, form.values(), actor=current_user)
        except DomainError as error:
            flash_errors(form, error)
        else:
            db.session.commit()
            flash(_("已办理：%(label)s。", label=services.TRANSITIONS[action][2]), "success")
            return redirect(url_for(".detail", estate_id=estate.id))
    return render_template("estates/committee_action.html", form=form, estate=estate, committee=committee,
                           action=action, label=services.TRANSITIONS[action][2], help=ACTION_HELP[action])

