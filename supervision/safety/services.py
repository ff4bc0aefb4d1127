"""The rules of the safety registers: checks, create / edit / retire, the lists' filters, the
inspection sweep and the link from a rectification item. Services flush and audit, never commit.

Who edits: the bureau (admin, officer) every estate's lifts and facilities; a company user those
of the estates their company manages (``may_edit``); street offices and leaders read only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal, or_, select, true, union_all

from ..audit.services import record, record_change, snapshot
from ..auth.roles import BUREAU, Role
from ..campaigns.models import RectificationItem
from ..companies.models import Company
from ..core.errors import DomainError
from ..core.search import contains
from ..estates.errors import InvalidValues
from ..estates.models import Estate
from ..estates.services import add_months
from ..extensions import db
from ..notifications.services import company_users, notify, street_users
from ..regions.models import Street
from .models import (
    DUE_SOON_DAYS,
    FacilityKind,
    FacilityStatus,
    FireFacility,
    InspectionState,
    Lift,
    LiftStatus,
    SafetyItemLink,
)

LIFT_FIELDS = ("registration_code", "location", "maintenance_company", "last_inspected_on", "next_due_on",
               "status", "notes")
FACILITY_FIELDS = ("kind", "location", "quantity", "last_checked_on", "next_due_on", "status", "notes")
AUDITED_LIFT_FIELDS = ("estate_id", *LIFT_FIELDS, "retired_on", "retire_reason")
AUDITED_FACILITY_FIELDS = ("estate_id", *FACILITY_FIELDS, "retired_on", "retire_reason")

# 电梯定期检验每年一次（TSG T7001）; 建筑消防设施每年至少全面检测一次（GB 25201）.
LIFT_INTERVAL_MONTHS = 12
FACILITY_INTERVAL_MONTHS = 12
MAX_QUANTITY = 100_000


def may_edit(user, estate: Estate) -> bool:
    """The bureau, or a user of the company that manages the estate (never for an archived estate)."""
    if estate.archived_at is not None:
        return False
    if user.role in BUREAU:
        return True
    return user.role is Role.COMPANY_USER and estate.company_id is not None and estate.company_id == user.company_id


def _require_edit(user, estate: Estate) -> None:
    if user is not None and not may_edit(user, estate):
        raise DomainError(_("无权修改该小区的安全台账。"))


def normalise_code(code: str | None) -> str:
    return "".join((code or "").split()).upper()


# --- checks -------------------------------------------------------------------------

def _date_errors(values: dict, last_key: str, today: date, last_label: str) -> list[tuple[str, str]]:
    errors = []
    last, due = values.get(last_key), values.get("next_due_on")
    if last is not None and last > today:
        errors.append((last_key, _("%(label)s不能晚于今天。", label=last_label)))
    if last is not None and due is not None and due <= last:
        errors.append(("next_due_on", _("下次到期日应晚于%(label)s。", label=last_label)))
    if due is not None and due > today + timedelta(days=366 * 6):
        errors.append(("next_due_on", _("下次到期日不能晚于六年之后。")))
    return errors


def lift_errors(values: dict, *, today: date, lift: Lift | None = None,
                check_duplicates: bool = True) -> list[tuple[str, str]]:
    errors = []
    code = values.get("registration_code")
    if not code:
        errors.append(("registration_code", _("请填写使用登记证编号或注册代码。")))
    elif len(code) < 4:
        errors.append(("registration_code", _("使用登记证编号/注册代码至少4个字符。")))
    elif check_duplicates:
        statement = select(Lift.id).where(Lift.registration_code == code)
        if lift is not None and lift.id is not None:
            statement = statement.where(Lift.id != lift.id)
        if db.session.scalar(statement.limit(1)) is not None:
            errors.append(("registration_code", _("使用登记证编号/注册代码 %(code)s 已登记。", code=code)))
    if not values.get("location"):
        errors.append(("location", _("请填写安装位置（楼栋/单元）。")))
    if values.get("status") is LiftStatus.SCRAPPED:
        errors.append(("status", _("报废请使用“报废”操作，并填写原因。")))
    errors += _date_errors(values, "last_inspected_on", today, _("上次检验日期"))
    return errors


def facility_errors(values: dict, *, today: date) -> list[tuple[str, str]]:
    errors = []
    if values.get("kind") is None:
        errors.append(("kind", _("请选择设施类型。")))
    if not values.get("location"):
        errors.append(("location", _("请填写设施位置。")))
    quantity = values.get("quantity")
    if quantity is not None and not 1 <= quantity <= MAX_QUANTITY:
        errors.append(("quantity", _("数量应在1至%(n)s之间。", n=MAX_QUANTITY)))
    if values.get("status") is FacilityStatus.RETIRED:
        errors.append(("status", _("停用请使用“停用”操作，并填写原因。")))
    errors += _date_errors(values, "last_checked_on", today, _("上次检查日期"))
    return errors


def _default_due(values: dict, last_key: str, months: int) -> None:
    if values.get("next_due_on") is None and values.get(last_key) is not None:
        values["next_due_on"] = add_months(values[last_key], months)


def clean_lift(values: dict) -> dict:
    values = {key: values.get(key) for key in LIFT_FIELDS}
    values["registration_code"] = normalise_code(values["registration_code"])
    for key in ("location", "maintenance_company", "notes"):
        values[key] = (values[key] or "").strip() or None
    values["status"] = values["status"] or LiftStatus.IN_USE
    _default_due(values, "last_inspected_on", LIFT_INTERVAL_MONTHS)
    return values


def clean_facility(values: dict) -> dict:
    values = {key: values.get(key) for key in FACILITY_FIELDS}
    for key in ("location", "notes"):
        values[key] = (values[key] or "").strip() or None
    values["status"] = values["status"] or FacilityStatus.NORMAL
    _default_due(values, "last_checked_on", FACILITY_INTERVAL_MONTHS)
    return values


# --- create, edit, retire -------------------------------------------------------------

@dataclass(frozen=True)
class _Register:
    """What differs between the two registers when a record is created or edited."""

    model: type
    audit_name: str
    fields: tuple[str, ...]
    audited_fields: tuple[str, ...]
    clean: Callable[[dict], dict]
    errors: Callable[..., list[tuple[str, str]]]
    retired_message: str


_LIFTS = _Register(Lift, "lift", LIFT_FIELDS, AUDITED_LIFT_FIELDS, clean_lift,
                   lambda values, today, obj: lift_errors(values, today=today, lift=obj),
                   _l("已报废的电梯不能再修改。"))
_FACILITIES = _Register(FireFacility, "fire_facility", FACILITY_FIELDS, AUDITED_FACILITY_FIELDS, clean_facility,
                        lambda values, today, obj: facility_errors(values, today=today),
                        _l("已停用的消防设施不能再修改。"))


def _checked(register: _Register, values: dict, today: date, obj=None) -> dict:
    values = register.clean(values)
    errors = register.errors(values, today, obj)
    if errors:
        raise InvalidValues(errors)
    return values


def _create(register: _Register, estate: Estate, values: dict, *, actor, today: date):
    _require_edit(actor, estate)
    obj = register.model(estate_id=estate.id, **_checked(register, values, today))
    db.session.add(obj)
    db.session.flush()
    record(f"{register.audit_name}.create", obj, after=snapshot(obj, register.audited_fields), actor=actor)
    return obj


def _update(register: _Register, obj, values: dict, *, actor, today: date):
    _require_edit(actor, obj.estate)
    if not obj.active:
        raise DomainError(str(register.retired_message))
    values = _checked(register, values, today, obj)
    before = snapshot(obj, register.fields)
    for key, value in values.items():
        setattr(obj, key, value)
    db.session.flush()
    record_change(f"{register.audit_name}.update", obj, before, actor=actor)
    return obj


def create_lift(estate: Estate, values: dict, *, actor, today: date) -> Lift:
    return _create(_LIFTS, estate, values, actor=actor, today=today)


def update_lift(lift: Lift, values: dict, *, actor, today: date) -> Lift:
    return _update(_LIFTS, lift, values, actor=actor, today=today)


def create_facility(estate: Estate, values: dict, *, actor, today: date) -> FireFacility:
    return _create(_FACILITIES, estate, values, actor=actor, today=today)


def update_facility(facility: FireFacility, values: dict, *, actor, today: date) -> FireFacility:
    return _update(_FACILITIES, facility, values, actor=actor, today=today)


def retire(obj: Lift | FireFacility, *, on: date, reason: str, actor, today: date):
    """报废 a lift / 停用 a facility: kept in the register with the date and the reason."""
    _require_edit(actor, obj.estate)
    if not obj.active:
        raise DomainError(_("该记录已退出使用。"))
    reason = (reason or "").strip()
    errors = []
    if not reason:
        errors.append(("reason", _("请填写原因。")))
    if on is None:
        errors.append(("retired_on", _("请填写日期。")))
    elif on > today:
        errors.append(("retired_on", _("日期不能晚于今天。")))
    if errors:
        raise InvalidValues(errors)
    before = snapshot(obj, ("status", "retired_on", "retire_reason"))
    obj.status = LiftStatus.SCRAPPED if isinstance(obj, Lift) else FacilityStatus.RETIRED
    obj.retired_on, obj.retire_reason = on, reason
    db.session.flush()
    record_change("lift.retire" if isinstance(obj, Lift) else "fire_facility.retire", obj, before, actor=actor)
    return obj


# --- lists ------------------------------------------------------------------------------

STATE_FILTERS = {state.value: state for state in InspectionState}


@dataclass
class Filters:
    q: str | None = None
    street_id: int | None = None
    company_id: int | None = None
    estate_id: int | None = None
    state: InspectionState | None = None  # None: the active rows, whatever their state
    kind: FacilityKind | None = None
    include_retired: bool = False


def _filtered(statement, model, filters: Filters, today: date, search_columns, other_matches=(), *,
              rows_first: bool = False):
    # ``rows_first``: the estate reached from each row (its id inside an expression), never the rows from the
    # estates — for a page in the list's order when most rows pass the estate's conditions (the district, a
    # street): SQLite's planner would otherwise read all of a street's rows through its estates and sort them,
    # instead of walking the order index and stopping after the page. A company's few estates: estates first.
    estate_id = func.coalesce(model.estate_id, None) if rows_first else model.estate_id
    statement = statement.join(Estate, Estate.id == estate_id)
    if filters.street_id:
        statement = statement.where(Estate.street_id == filters.street_id)
        if rows_first:
            # The row's copy of its estate's street: a street's page walks its own order index (``ix_…_street_id_
            # due_order``) and stops after its rows; the estate's street above still decides.
            statement = statement.where(model.street_id == filters.street_id)
    if filters.company_id:
        statement = statement.where(Estate.company_id == filters.company_id)
    if filters.estate_id:
        statement = statement.where(model.estate_id == filters.estate_id)
    if filters.state is not None:
        statement = statement.where(model.state_clause(filters.state, today))
    elif not filters.include_retired:
        statement = statement.where(model.active_clause())
    if filters.q:
        # A substring of free text (names, locations) has no index: see ``views._page`` for how a page is found.
        pattern = f"%{filters.q.replace('%', '').replace('_', '')}%"
        statement = statement.where(or_(*(contains(column, pattern) for column in (Estate.name, *search_columns)),
                                        *other_matches))
    return statement


def list_order(model, *, by_street: bool = False) -> tuple:
    """The registers' order: the next due date first, undated last (the ``ix_…_due_order`` indexes); ``by_street``:
    the same order as the indexes by street hold it (``models._due_order_index``)."""
    if by_street:
        return model.next_due_on.is_not(None).desc(), model.next_due_on, model.id
    return model.next_due_on.is_(None), model.next_due_on, model.id


def list_lifts(visible_statement, filters: Filters, today: date, *, rows_first: bool = False):
    statement = _filtered(visible_statement, Lift, filters, today,
                          (Lift.registration_code, Lift.location, Lift.maintenance_company), rows_first=rows_first)
    return statement.order_by(*list_order(Lift, by_street=rows_first and bool(filters.street_id)))


def list_facilities(visible_statement, filters: Filters, today: date, *, rows_first: bool = False):
    # The search also finds the facilities of a kind whose name holds the words (火灾 → 火灾自动报警系统).
    kinds = [kind for kind in FacilityKind if filters.q and filters.q.casefold() in str(kind.label).casefold()]
    statement = _filtered(visible_statement, FireFacility, filters, today, (FireFacility.location,),
                          (FireFacility.kind.in_(kinds),) if kinds else (), rows_first=rows_first)
    if filters.kind is not None:
        # Estates first: the kind inside an expression, else the planner walks every facility of the kind.
        kind = FireFacility.kind if rows_first else func.coalesce(FireFacility.kind, None)
        statement = statement.where(kind == filters.kind)
    return statement.order_by(*list_order(FireFacility, by_street=rows_first and bool(filters.street_id)))


def _overdue_parts(estate_scope, today: date, *, street_id: int | None, kind: str | None, lean: bool = False,
                   rows_first: bool = True):
    """One select per register of its overdue rows in the viewer's scope (the row's own columns and its estate's
    id); ``lean``: the ids alone (a count)."""
    parts = []
    for name, model, what in (("lift", Lift, Lift.registration_code), ("facility", FireFacility, FireFacility.kind)):
        if kind and kind != name:
            continue
        columns = (model.id.label("id"),) if lean else (
            literal(name).label("kind"), model.id.label("id"), what.label("what"), model.location.label("location"),
            model.next_due_on.label("next_due_on"), model.estate_id.label("estate_id"))
        estate = [func.coalesce(Estate.archived_at, None).is_(None), estate_scope]
        if street_id:
            estate.append(Estate.street_id == street_id)
        part = select(*columns).where(model.state_clause(InspectionState.OVERDUE, today))
        if rows_first:
            # From the overdue rows in due-date order (the district's, or the street's from its own index by the
            # row's copy of its estate's street), each row's estate checked by a subquery neither planner makes a
            # join of: joined, both started from the estates (or hashed all of them, PostgreSQL) and sorted every
            # overdue row for a page of 50 or a count stopped at its limit. A company's few estates: joined.
            visible = select(Estate.id).where(Estate.id == model.estate_id, *estate).correlate(model)
            part = part.where(visible.scalar_subquery().is_not(None))
            if street_id:
                part = part.where(model.street_id == street_id)
                if lean:
                    # "dated" (true of an overdue row) as the street's index holds it: a count reads the street's
                    # overdue dates as a range, not every row of the street (a page stops early anyway, and SQLite
                    # would sort it with the term).
                    part = part.where(model.next_due_on.is_not(None) == true())
        else:
            part = part.join(Estate, Estate.id == model.estate_id).where(*estate)
        parts.append((model, part))
    return parts


def overdue_rows(estate_scope, today: date, *, street_id: int | None = None, kind: str | None = None,
                 first: int | None = None, rows_first: bool = True):
    """The district's overdue inspections, lifts and facilities in one list (most overdue first).

    ``estate_scope``: the viewer's ``Estate.scope_clause`` — lifts and facilities are visible with their
    estate (``ByEstate``): the estate (checked per row, or joined for a company) answers that, no ``EXISTS`` on
    an alias. ``first``: only the list's first rows are asked for (a page): each register gives its own first ones
    in due-date order from its order index (the street's, by street), so the union sorts at most twice that many,
    not every overdue row; the estates', streets' and companies' names are joined to those rows only. Rows: kind
    ("lift" / "facility"), id, what, location, next_due_on, estate_id, estate_name, street_name, company_name."""
    parts = []
    for model, part in _overdue_parts(estate_scope, today, street_id=street_id, kind=kind, rows_first=rows_first):
        if first is not None:
            # In the order of the registers' indexes (the same order: an overdue row has a date).
            order = list_order(model, by_street=bool(street_id) and rows_first)
            part = select(*part.order_by(*order).limit(first).subquery().c)
        parts.append(part)
    rows = union_all(*parts).subquery()
    # The tables themselves, not aliases: a fresh alias of the companies' and streets' every column on each
    # request cost more than the page's rows.
    return (select(rows, Estate.name.label("estate_name"), Street.name.label("street_name"),
                   Company.name.label("company_name"))
            .join(Estate, Estate.id == rows.c.estate_id).join(Street, Street.id == Estate.street_id)
            .outerjoin(Company, Company.id == Estate.company_id)
            .order_by(rows.c.next_due_on, rows.c.kind, rows.c.id))


def overdue_ids(estate_scope, today: date, *, street_id: int | None = None, kind: str | None = None,
                rows_first: bool = True):
    """The ids of ``overdue_rows``' rows (to count them): no street or company names joined."""
    return union_all(*(part for _model, part in _overdue_parts(estate_scope, today, street_id=street_id, kind=kind,
                                                                lean=True, rows_first=rows_first)))


def estate_registers(estate: Estate) -> tuple[list[Lift], list[FireFacility]]:
    """An estate's lifts and facilities, active ones first (the estate page's section)."""
    lifts_statement, facilities_statement = _estate_register_statements()
    params = {"estate_id": estate.id}
    return (list(db.session.scalars(lifts_statement, params)),
            list(db.session.scalars(facilities_statement, params)))


@cache
def _estate_register_statements():
    """Built once per process, run with the estate's id."""
    estate_id = bindparam("estate_id")
    return (select(Lift).where(Lift.estate_id == estate_id)
            .order_by(Lift.status == LiftStatus.SCRAPPED, Lift.location, Lift.id),
            select(FireFacility).where(FireFacility.estate_id == estate_id)
            .order_by(FireFacility.status == FacilityStatus.RETIRED, FireFacility.kind, FireFacility.id))


def state_counts(model, estate_ids_statement, today: date) -> dict[InspectionState, int]:
    """How many active rows of ``model`` (within the estates of ``estate_ids_statement``) are in each state."""
    states = (InspectionState.OVERDUE, InspectionState.DUE_SOON, InspectionState.NO_DATE, InspectionState.OK)
    row = db.session.execute(select(*(
        func.count(model.id).filter(model.state_clause(state, today)).label(state.value) for state in states
    )).where(model.estate_id.in_(estate_ids_statement))).one()
    return {state: getattr(row, state.value) or 0 for state in states}


# --- the sweep --------------------------------------------------------------------------

@dataclass
class SweepResult:
    due_soon: int = 0
    overdue: int = 0
    notifications: int = 0


def _sweep_targets(model, today: date):
    soon = today + timedelta(days=DUE_SOON_DAYS)
    return db.session.execute(
        select(model, Estate.name, Estate.street_id, Estate.company_id)
        .join(Estate, Estate.id == model.estate_id)
        .where(model.counted_clause(), model.next_due_on.is_not(None), model.next_due_on <= soon,
               Estate.archived_at.is_(None))
        .order_by(model.id)).all()


def sweep(today: date) -> SweepResult:
    """Warn the managing company and the street office of every lift / facility due within 30 days
    (once per due date) and again once it is overdue (once per due date). Idempotent: a second run on
    the same data notifies nobody (``notify``'s dedup key names the row, its due date and the stage)."""
    result = SweepResult()
    recipients: dict[tuple[str, int], list] = {}

    def users(kind, key):
        if (kind, key) not in recipients:
            recipients[(kind, key)] = street_users(key) if kind == "street" else company_users(key)
        return recipients[(kind, key)]

    for model, label in ((Lift, "lift"), (FireFacility, "facility")):
        for obj, estate_name, street_id, company_id in _sweep_targets(model, today):
            overdue = obj.next_due_on < today
            stage = "overdue" if overdue else "due_soon"
            if overdue:
                result.overdue += 1
            else:
                result.due_soon += 1
            what = _("电梯 %(code)s", code=obj.registration_code) if label == "lift" else obj.kind.label
            noun = _("定期检验") if label == "lift" else _("检查")
            if overdue:
                title = _("%(estate)s %(what)s%(noun)s已逾期（应于 %(due)s 前完成）", estate=estate_name, what=what,
                          noun=noun, due=obj.next_due_on.isoformat())
            else:
                title = _("%(estate)s %(what)s将于 %(due)s 到期，请及时安排%(noun)s", estate=estate_name, what=what,
                          due=obj.next_due_on.isoformat(), noun=noun)
            targets = users("street", street_id) + (users("company", company_id) if company_id else [])
            result.notifications += notify(
                targets, kind=f"safety_{stage}", title=title, body=obj.location,
                link=f"/safety/{'lifts' if label == 'lift' else 'facilities'}/{obj.id}",
                dedup_key=f"safety:{label}:{obj.id}:{obj.next_due_on.isoformat()}:{stage}")
    return result


# --- links from rectification items ----------------------------------------------------

def link_of(item: RectificationItem) -> SafetyItemLink | None:
    return db.session.get(SafetyItemLink, item.id)


def set_link(item: RectificationItem, target: Lift | FireFacility | None, *, actor) -> SafetyItemLink | None:
    """Link ``item`` to a lift or facility of its own estate (``None``: remove the link); audited on the item."""
    if target is not None and target.estate_id != item.estate_id:
        raise DomainError(_("只能关联本小区的电梯或消防设施。"))
    link = link_of(item)
    before = _link_value(link)
    if target is None:
        if link is not None:
            db.session.delete(link)
        link = None
    else:
        if link is None:
            link = SafetyItemLink(item_id=item.id)
            db.session.add(link)
        link.lift_id = target.id if isinstance(target, Lift) else None
        link.facility_id = target.id if isinstance(target, FireFacility) else None
    db.session.flush()
    after = _link_value(link)
    if before != after:
        record("rectification_item.safety_link", item, before={"safety_link": before},
               after={"safety_link": after}, actor=actor)
    return link


def _link_value(link: SafetyItemLink | None) -> str | None:
    if link is None:
        return None
    return f"lift:{link.lift_id}" if link.lift_id else f"facility:{link.facility_id}"


def linked_items(obj: Lift | FireFacility, item_scope) -> list[RectificationItem]:
    """The rectification items about ``obj`` that the viewer sees (``item_scope``: their scope clause)."""
    column = SafetyItemLink.lift_id if isinstance(obj, Lift) else SafetyItemLink.facility_id
    return list(db.session.scalars(
        select(RectificationItem).join(SafetyItemLink, SafetyItemLink.item_id == RectificationItem.id)
        .where(column == obj.id, item_scope).order_by(RectificationItem.id.desc())))
