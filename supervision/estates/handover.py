"""The management history's rules: the first period, the period in force on a day, the handover (交接).

Services never commit: they add, flush and audit; the view commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, bindparam, case, cast, func, literal, select, true, union, union_all
from sqlalchemy.orm import joinedload

from ..audit.services import record, snapshot
from ..campaigns.models import ItemState, RectificationItem, ResponsibleParty
from ..companies.models import Company, Staff
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..extensions import db
from .errors import InvalidValues
from .management import EndMethod, EstateManagement, StartMethod
from .models import Estate, ManagementMode

PERIOD_FIELDS = ["company_id", "management_mode", "project_manager_id", "contract_start", "contract_end",
                 "started_on", "start_method", "ended_on", "end_method", "items_outcome"]
ITEMS_TRANSFER = "transfer"
ITEMS_KEEP = "keep"
ITEMS_OUTCOMES = (ITEMS_TRANSFER, ITEMS_KEEP)
ITEMS_OUTCOME_LABELS = {ITEMS_TRANSFER: _l("未销号事项移交新企业"), ITEMS_KEEP: _l("未销号事项由原企业负责")}


@dataclass(frozen=True)
class Facts:
    """Who managed an estate on a day."""

    company_id: int | None
    management_mode: ManagementMode
    project_manager_id: int | None = None


def periods(estate: Estate) -> list[EstateManagement]:
    """The estate's periods, newest first."""
    return list(db.session.scalars(_periods_statement(), {"estate_id": estate.id}))


@cache
def _periods_statement():
    """Built once per process, run with the estate's id."""
    return (select(EstateManagement).where(EstateManagement.estate_id == bindparam("estate_id"))
            .options(joinedload(EstateManagement.company), joinedload(EstateManagement.project_manager))
            .order_by(EstateManagement.started_on.desc(), EstateManagement.id.desc()))


def current_period(estate: Estate) -> EstateManagement | None:
    return db.session.scalars(
        select(EstateManagement).where(EstateManagement.estate_id == estate.id, EstateManagement.ended_on.is_(None))
        .order_by(EstateManagement.started_on.desc(), EstateManagement.id.desc())).first()


def open_first_period(estate: Estate, started_on: date | None = None, *, actor=None) -> EstateManagement:
    """The estate's first period, from its current company and mode (a new estate, or one without history)."""
    period = EstateManagement(estate_id=estate.id, company_id=estate.company_id,
                              management_mode=estate.management_mode,
                              started_on=started_on or local_today(), start_method=StartMethod.OTHER)
    db.session.add(period)
    db.session.flush()
    record("estate.management_open", period, after=snapshot(period, PERIOD_FIELDS), actor=actor)
    return period


def facts_on(day: date, estate_ids=None) -> dict[int, Facts]:
    """``{estate_id: Facts}`` on ``day`` for the estates (all when ``estate_ids`` is None).

    The period in force on ``day``; before an estate's first recorded period, its first period (the
    earliest facts known); an estate without any period: its current fields."""
    estates = select(Estate.id, Estate.company_id, Estate.management_mode)
    rows = select(EstateManagement).order_by(EstateManagement.estate_id, EstateManagement.started_on,
                                             EstateManagement.id)
    if estate_ids is not None:
        ids = list(estate_ids)
        estates = estates.where(Estate.id.in_(ids))
        rows = rows.where(EstateManagement.estate_id.in_(ids))
    facts = {eid: Facts(cid, mode) for eid, cid, mode in db.session.execute(estates)}
    chosen: dict[int, EstateManagement] = {}
    for period in db.session.scalars(rows):
        first = period.estate_id not in chosen
        if first or period.started_on <= day:
            chosen[period.estate_id] = period
    for eid, period in chosen.items():
        facts[eid] = Facts(period.company_id, period.management_mode, period.project_manager_id)
    return facts


def facts_of(estate: Estate, day: date) -> Facts:
    return facts_on(day, [estate.id]).get(estate.id, Facts(estate.company_id, estate.management_mode))


def open_items(estate: Estate, company_id: int | None) -> list[RectificationItem]:
    """The estate's items not yet accepted whose responsible party is the given company."""
    if company_id is None:
        return []
    return list(db.session.scalars(
        select(RectificationItem).where(RectificationItem.estate_id == estate.id,
                                        RectificationItem.company_id == company_id,
                                        RectificationItem.responsible_party == ResponsibleParty.COMPANY,
                                        RectificationItem.state != ItemState.ACCEPTED)
        .order_by(RectificationItem.id)))


def _resolve(values: dict) -> dict:
    """``company_id`` / ``project_manager_id`` to the rows (``company`` / ``project_manager``)."""
    values = dict(values)
    if "company" not in values:
        values["company"] = db.session.get(Company, values["company_id"]) if values.get("company_id") else None
    if "project_manager" not in values:
        manager_id = values.get("project_manager_id")
        values["project_manager"] = db.session.get(Staff, manager_id) if manager_id else None
    mode = values.get("management_mode")
    if mode and not isinstance(mode, ManagementMode):
        values["management_mode"] = ManagementMode(mode)
    for key, enum in (("start_method", StartMethod), ("end_method", EndMethod)):
        if values.get(key) and not isinstance(values[key], enum):
            values[key] = enum(values[key])
    return values


def handover_errors(estate: Estate, values: dict) -> list[tuple[str, str]]:
    errors = []
    if values.get("company_id") and values.get("company") is None:
        errors.append(("company_id", _("所选物业企业不存在。")))
    on = values.get("handover_on")
    current = current_period(estate)
    mode = values.get("management_mode")
    company = values.get("company")
    if on is None:
        errors.append(("handover_on", _("请填写交接日期。")))
    elif current is not None and on < current.started_on:
        errors.append(("handover_on", _("交接日期不能早于当前管理期的开始日期（%(day)s）。", day=current.started_on)))
    if mode is None:
        errors.append(("management_mode", _("请选择新的管理模式。")))
    if mode is ManagementMode.PROFESSIONAL and company is None:
        errors.append(("company_id", _("管理模式为“物业企业”时，须选择新的物业服务企业。")))
    if mode is ManagementMode.NONE and company is not None:
        errors.append(("company_id", _("管理模式为“无物业”时，不应填写物业服务企业。")))
    if company is not None and company.archived_at is not None:
        errors.append(("company_id", _("物业企业“%(name)s”已归档，不能选择。", name=company.name)))
    if company is not None and company.id == estate.company_id and mode is estate.management_mode:
        errors.append(("company_id", _("新的物业服务企业与当前相同，无需交接。")))
    manager = values.get("project_manager")
    if manager is not None and (company is None or manager.company_id != company.id):
        errors.append(("project_manager_id", _("项目经理须为新物业服务企业的人员。")))
    start, end = values.get("contract_start"), values.get("contract_end")
    if start and end and end < start:
        errors.append(("contract_end", _("合同结束日期不能早于开始日期。")))
    if values.get("items_outcome") not in ITEMS_OUTCOMES:
        errors.append(("items_outcome", _("请选择未销号整改事项的去向。")))
    return errors


def handover(estate: Estate, values: dict, *, actor=None) -> EstateManagement:
    """交接: end the current period on ``handover_on`` and start the next one on that day.

    ``values``: handover_on, end_method, company (or None), management_mode, start_method,
    contract_start, contract_end, project_manager (or None), items_outcome ("transfer": the open
    items of the old company become the new company's; "keep": they stay with the old company,
    which answers them and bears their credit consequences), notes."""
    if estate.archived_at is not None:
        raise DomainError(_("该小区已归档，不能办理交接。"))
    values = _resolve(values)
    errors = handover_errors(estate, values)
    if errors:
        raise InvalidValues(errors)
    on: date = values["handover_on"]
    company: Company | None = values.get("company")
    manager: Staff | None = values.get("project_manager")
    current = current_period(estate)
    if current is None:
        current = open_first_period(estate, estate.created_at.date() if estate.created_at else on, actor=actor)
    before = snapshot(current, PERIOD_FIELDS)
    old_company_id = current.company_id
    current.ended_on = on
    current.end_method = values.get("end_method") or EndMethod.HANDOVER
    current.items_outcome = values["items_outcome"]
    db.session.flush()
    record("estate.management_end", current, before=before, after=snapshot(current, PERIOD_FIELDS), actor=actor)

    new = EstateManagement(estate_id=estate.id, company_id=company.id if company else None,
                           management_mode=values["management_mode"],
                           project_manager_id=manager.id if manager else None,
                           contract_start=values.get("contract_start"), contract_end=values.get("contract_end"),
                           started_on=on, start_method=values.get("start_method") or StartMethod.OTHER,
                           notes=(values.get("notes") or "").strip() or None)
    db.session.add(new)
    db.session.flush()
    record("estate.management_open", new, after=snapshot(new, PERIOD_FIELDS), actor=actor)

    estate_before = snapshot(estate, ["company_id", "management_mode"])
    estate.company_id = new.company_id
    estate.management_mode = new.management_mode
    db.session.flush()
    record("estate.handover", estate, before=estate_before, after=snapshot(estate, ["company_id", "management_mode"]),
           actor=actor)

    if values["items_outcome"] == ITEMS_TRANSFER and new.company_id is not None:
        for item in open_items(estate, old_company_id):
            item_before = snapshot(item, ["company_id"])
            item.company_id = new.company_id
            db.session.flush()
            record("item.transfer", item, before=item_before, after=snapshot(item, ["company_id"]), actor=actor)
    return new


def follow_edit(estate: Estate, *, actor=None, today: date | None = None) -> None:
    """The estate's company or mode was changed on its edit form (not by a handover): the history follows.

    A period that started today is corrected in place; otherwise it ends today (其他) and a new one starts,
    and the open items stay with the old company (as a handover with "keep")."""
    today = today or local_today()
    current = current_period(estate)
    if current is None:
        open_first_period(estate, today, actor=actor)
        return
    if current.company_id == estate.company_id and current.management_mode is estate.management_mode:
        return
    if current.started_on >= today:
        before = snapshot(current, PERIOD_FIELDS)
        current.company_id = estate.company_id
        current.management_mode = estate.management_mode
        if current.project_manager_id is not None and current.company_id is None:
            current.project_manager_id = None
        db.session.flush()
        record("estate.management_correct", current, before=before, after=snapshot(current, PERIOD_FIELDS),
               actor=actor)
        return
    before = snapshot(current, PERIOD_FIELDS)
    current.ended_on = today
    current.end_method = EndMethod.OTHER
    current.items_outcome = ITEMS_KEEP
    db.session.flush()
    record("estate.management_end", current, before=before, after=snapshot(current, PERIOD_FIELDS), actor=actor)
    open_first_period(estate, today, actor=actor)


@dataclass(frozen=True)
class PeriodJoin:
    """SQL for "who managed the estate on ``day``": outer-join ``period`` ON ``onclause`` to a query of
    estates; ``company`` and ``mode`` are then that day's company id and management mode."""

    period: object
    onclause: object
    company: object
    mode: object


def period_join(day: date, estate=Estate, day_table=None) -> PeriodJoin:
    """The period in force on ``day`` (the latest started on or before it); before the first recorded
    period, the first one; an estate without history: its own ``company_id`` / ``management_mode``.

    ``day`` may be a column of ``day_table``, a table of days the query joins (one row per estate and day)."""
    # Core aliases of the table, not ORM ``aliased()``: each column of an ORM alias is adapted when first used,
    # which made building the statement cost more than running it.
    table = EstateManagement.__table__
    period, earlier, first = table.alias(), table.alias(), table.alias()
    correlated = (estate,) if day_table is None else (estate, day_table)
    latest = (select(earlier.c.id).where(earlier.c.estate_id == estate.id, earlier.c.started_on <= day)
              .order_by(earlier.c.started_on.desc(), earlier.c.id.desc()).limit(1).correlate(*correlated)
              .scalar_subquery())
    earliest = (select(first.c.id).where(first.c.estate_id == estate.id).order_by(first.c.started_on, first.c.id)
                .limit(1).correlate(estate).scalar_subquery())
    return PeriodJoin(
        period=period, onclause=period.c.id == func.coalesce(latest, earliest),
        company=case((period.c.id.is_(None), estate.company_id), else_=period.c.company_id),
        mode=case((period.c.id.is_(None), estate.management_mode), else_=period.c.management_mode))


def _managed_by(company_id: int):
    """The estates a company manages now or has a management period of: the only ones it can have
    managed on any day (a small set, instead of the district's estates)."""
    return Estate.id.in_(union(select(Estate.id).where(Estate.company_id == company_id),
                               select(EstateManagement.estate_id).where(EstateManagement.company_id == company_id)))


def company_areas_on(day: date):
    """``select(company_id, total_area)``: the floor area each company managed on ``day`` (not archived
    estates) — the weight of a project manager's estate in its company's area, for that day."""
    facts = period_join(day)
    # CAST: a CASE has no type affinity in SQLite, so a join on it to an INTEGER column could use no
    # automatic index and scanned the whole subquery for every row joined (the score table: 2 s at 100×).
    return (select(cast(facts.company, Integer).label("company_id"), func.sum(Estate.floor_area).label("total_area"))
            .select_from(Estate).join(facts.period, facts.onclause, isouter=True)
            .where(Estate.archived_at.is_(None), facts.company.is_not(None)).group_by(facts.company))


def company_area_days(company_id: int, days) -> select:
    """``select(day_index, total_area)``: ``company_areas_on`` for one company and many days in one
    statement (``day_index``: the day's place in ``days``; a day on which it managed nothing has no row)."""
    rows = [select(literal(index, Integer).label("day_index"), literal(day, Date).label("day"))
            for index, day in enumerate(days)]
    day_table = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("area_days")
    facts = period_join(day_table.c.day, day_table=day_table)
    return (select(day_table.c.day_index, func.sum(Estate.floor_area).label("total_area"))
            .select_from(day_table).join(Estate, true()).join(facts.period, facts.onclause, isouter=True)
            .where(Estate.archived_at.is_(None), _managed_by(company_id), facts.company == company_id)
            .group_by(day_table.c.day_index))
