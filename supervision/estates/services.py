"""The estate register and owners' committees: validation, changes, derived dates and warnings.

Services never commit: they add, flush and write the audit row; the view or the
CLI command commits once.

Owners' committees (业主委员会) follow this lifecycle, one record per estate::

    筹备 preparing ──form──▶ 已成立 formed ──expire──▶ 届满 term expired
         ▲                     ▲   │                        │
         │                     └───┴──────reelect (换届选举)─┘
         └──restart (重新筹备)── 届满 / 解散 dissolved ◀──dissolve── any other state

Rules from the source documents (domain notes §6.4 and §6.8):

- the term is five years by default; a warning shows ``TERM_WARNING_DAYS`` days before it ends;
- where at least half of the households have chosen professional management in writing, the
  owners' assembly and committee are due within ``FORMATION_MONTHS`` months of that choice
  (``Estate.committee_due_on``); an estate past that date without a formed committee is overdue.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, exists, func, literal, not_, or_, select, type_coerce, union_all
from sqlalchemy.orm import aliased, joinedload

from ..audit.models import AuditLog
from ..audit.services import record, record_change, snapshot
from ..companies.models import Company
from ..core.errors import DomainError, TransitionError
from ..core.search import contains
from ..core.timeutil import local_today, utcnow
from ..extensions import db
from ..regions.models import Community, Street
from . import handover as management
from .errors import InvalidValues
from .models import CommitteeStatus, Estate, ManagementMode, OwnersCommittee

TERM_WARNING_DAYS = 90
FORMATION_MONTHS = 2
DEFAULT_TERM_YEARS = 5

ESTATE_FIELDS = (
    "name", "address", "street_id", "community_id", "company_id", "management_mode", "property_type",
    "year_built", "buildings", "households", "floor_area", "is_old", "committee_eligible",
    "professional_vote_on", "professional_vote_households", "latitude", "longitude", "notes",
)
AUDITED_ESTATE_FIELDS = ESTATE_FIELDS + ("committee_due_on", "archived_at")

# Plausible ranges; the same limits apply to forms, services and Excel imports.
LIMITS = {
    "year_built": (1900, None),  # upper bound: this year
    "buildings": (1, 5000),
    "households": (1, 200_000),
    "floor_area": (Decimal("1"), Decimal("50000000")),
    "professional_vote_households": (1, 200_000),
    "latitude": (Decimal("-90"), Decimal("90")),
    "longitude": (Decimal("-180"), Decimal("180")),
}


# --- dates ---------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month (31 Dec + 2 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def formation_due_date(estate: Estate) -> date | None:
    """When the owners' assembly and committee are due (the 1/2 rule), or None when the rule does not apply.

    At least half of the households must have chosen professional management in writing
    (``professional_vote_households * 2 >= households``); the committee is then due
    ``FORMATION_MONTHS`` months after the date of that choice.
    """
    return formation_due_on(estate.professional_vote_households, estate.households, estate.professional_vote_on)


def formation_due_on(votes: int | None, households: int | None, voted_on: date | None) -> date | None:
    """``formation_due_date`` from the three figures (a bulk import has no ``Estate`` objects)."""
    if not (votes and households and voted_on) or votes * 2 < households:
        return None
    return add_months(voted_on, FORMATION_MONTHS)


# --- validation ----------------------------------------------------------------

def _range_error(field: str, value, label: str) -> str | None:
    if value is None:
        return None
    low, high = LIMITS[field]
    if field == "year_built":
        high = local_today().year
    if low is not None and value < low:
        return _("%(label)s不能小于 %(n)s。", label=label, n=low)
    if high is not None and value > high:
        return _("%(label)s不能大于 %(n)s。", label=label, n=high)
    return None


def estate_errors(values: dict, *, estate: Estate | None = None, community: Community | None = None,
                  company=None, today: date | None = None, check_duplicates: bool = True) -> list[tuple[str, str]]:
    """Every problem with the values of an estate, as (field, message); empty when all is well.

    ``community`` and ``company`` may be passed when already loaded (imports resolve them in bulk).
    """

    today = today or local_today()
    errors: list[tuple[str, str]] = []
    name = (values.get("name") or "").strip()
    if not name:
        errors.append(("name", _("请填写小区名称。")))
    elif len(name) > 128:
        errors.append(("name", _("小区名称不能超过128个字符。")))
    if not (values.get("address") or "").strip():
        errors.append(("address", _("请填写小区地址。")))

    community_id = values.get("community_id")
    if community is None and community_id:
        community = db.session.get(Community, community_id)
    if community is None:
        errors.append(("community_id", _("请选择所属社区。")))
    elif not community.active and (estate is None or estate.community_id != community.id):
        errors.append(("community_id", _("社区“%(name)s”已停用，不能选择。", name=community.name)))

    mode = values.get("management_mode")
    if mode is None:
        errors.append(("management_mode", _("请选择管理模式。")))
    company_id = values.get("company_id")
    if company is None and company_id:
        company = db.session.get(Company, company_id)
        if company is None:
            errors.append(("company_id", _("所选物业企业不存在。")))
    if company is not None and company.archived_at is not None and (estate is None or estate.company_id != company.id):
        errors.append(("company_id", _("物业企业“%(name)s”已归档，不能选择。", name=company.name)))
    if mode is ManagementMode.PROFESSIONAL and company is None and not company_id:
        errors.append(("company_id", _("管理模式为“物业企业”时，须选择物业服务企业。")))
    if mode is ManagementMode.NONE and (company is not None or company_id):
        errors.append(("company_id", _("管理模式为“无物业”时，不应填写物业服务企业。")))

    # Lazy: translated only for a message (an import checks thousands of rows).
    labels = {"year_built": _l("建成年份"), "buildings": _l("楼栋数"), "households": _l("户数"),
              "floor_area": _l("建筑面积"), "professional_vote_households": _l("选择专业化物业管理的户数"),
              "latitude": _l("纬度"), "longitude": _l("经度")}
    for field, label in labels.items():
        message = _range_error(field, values.get(field), label)
        if message:
            errors.append((field, message))

    votes, voted_on, households = (values.get("professional_vote_households"), values.get("professional_vote_on"),
                                   values.get("households"))
    if votes is not None and voted_on is None:
        errors.append(("professional_vote_on", _("填写了选择专业化物业管理的户数，请同时填写征询日期。")))
    if voted_on is not None and votes is None:
        errors.append(("professional_vote_households", _("填写了征询日期，请同时填写选择专业化物业管理的户数。")))
    if voted_on is not None and voted_on > today:
        errors.append(("professional_vote_on", _("征询日期不能晚于今天。")))
    if votes is not None and households is None:
        errors.append(("households", _("填写了选择专业化物业管理的户数，请同时填写小区户数。")))
    elif votes is not None and households is not None and votes > households:
        errors.append(("professional_vote_households",
                       _("选择专业化物业管理的户数（%(v)s）不能超过小区户数（%(h)s）。", v=votes, h=households)))
    if (values.get("latitude") is None) != (values.get("longitude") is None):
        errors.append(("longitude", _("经度和纬度须同时填写或同时留空。")))

    if check_duplicates and name and community is not None:
        duplicate = select(Estate.id).where(Estate.street_id == community.street_id,
                                            func.lower(Estate.name) == name.lower())
        if estate is not None and estate.id is not None:
            duplicate = duplicate.where(Estate.id != estate.id)
        if db.session.scalar(duplicate) is not None:
            street_name = community.street.name if community.street else ""
            errors.append(("name", _("%(street)s已有名为“%(name)s”的小区（含已归档的小区）。",
                                     street=street_name, name=name)))
    return errors


def _clean(values: dict) -> dict:
    cleaned = {key: values.get(key) for key in ESTATE_FIELDS if key in values}
    for key in ("name", "address", "notes"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = cleaned[key].strip() or None
    cleaned["is_old"] = bool(cleaned.get("is_old"))
    cleaned["committee_eligible"] = bool(cleaned.get("committee_eligible"))
    return cleaned


# --- estates -------------------------------------------------------------------

def create_estate(values: dict, *, actor=None, audit_action: str = "estate.create") -> Estate:
    """A new estate from ``values`` (keys of ``ESTATE_FIELDS``; the street follows the community)."""
    errors = estate_errors(values)
    if errors:
        raise InvalidValues(errors)
    return _insert_estate(values, actor=actor, audit_action=audit_action)


def _insert_estate(values: dict, *, actor=None, audit_action: str = "estate.create", community=None) -> Estate:
    cleaned = _clean(values)
    community = community or db.session.get(Community, cleaned["community_id"])
    cleaned["street_id"] = community.street_id
    estate = Estate(**cleaned)
    estate.committee_due_on = formation_due_date(estate)
    db.session.add(estate)
    db.session.flush()
    record(audit_action, estate, after=snapshot(estate, list(AUDITED_ESTATE_FIELDS)), actor=actor)
    management.open_first_period(estate, actor=actor)
    return estate


def update_estate(estate: Estate, values: dict, *, actor=None) -> Estate:
    merged = {key: getattr(estate, key) for key in ESTATE_FIELDS}
    merged.update({key: values[key] for key in ESTATE_FIELDS if key in values})
    errors = estate_errors(merged, estate=estate)
    if errors:
        raise InvalidValues(errors)
    before = snapshot(estate, list(AUDITED_ESTATE_FIELDS))
    managed_by = (estate.company_id, estate.management_mode)
    cleaned = _clean(merged)
    cleaned["street_id"] = db.session.get(Community, cleaned["community_id"]).street_id
    for key, value in cleaned.items():
        setattr(estate, key, value)
    estate.committee_due_on = formation_due_date(estate)
    db.session.flush()
    record_change("estate.update", estate, before, actor=actor)
    if (estate.company_id, estate.management_mode) != managed_by:
        management.follow_edit(estate, actor=actor)
    return estate


def archive_estate(estate: Estate, *, actor=None, reason: str | None = None) -> Estate:
    if estate.archived_at is not None:
        raise TransitionError(_("该小区已归档。"))
    estate.archived_at = utcnow()
    db.session.flush()
    record("estate.archive", estate, before={"archived_at": None},
           after={"archived_at": estate.archived_at, "reason": reason}, actor=actor)
    return estate


def restore_estate(estate: Estate, *, actor=None) -> Estate:
    if estate.archived_at is None:
        raise TransitionError(_("该小区未归档。"))
    before = {"archived_at": estate.archived_at}
    estate.archived_at = None
    db.session.flush()
    record("estate.restore", estate, before=before, after={"archived_at": None}, actor=actor)
    return estate


def estate_history(estate: Estate, limit: int = 100) -> list[AuditLog]:
    """Audit rows of the estate and of its owners' committee, newest first."""

    committee_id = estate.committee.id if estate.committee is not None else None  # the detail page loaded it
    statement = _estate_history_statement(committee_id is not None)
    params = {"estate_id": estate.id, "limit": limit}
    if committee_id is not None:
        params["committee_id"] = committee_id
    return list(db.session.scalars(statement, params))


@cache
def _estate_history_statement(with_committee: bool):
    """Built once per process, run with the estate's (and its committee's) id."""
    condition = and_(AuditLog.object_type == "Estate", AuditLog.object_id == bindparam("estate_id"))
    if with_committee:
        condition = or_(condition, and_(AuditLog.object_type == "OwnersCommittee",
                                        AuditLog.object_id == bindparam("committee_id")))
    return (select(AuditLog).options(joinedload(AuditLog.actor)).where(condition)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(bindparam("limit")))


# --- list filters --------------------------------------------------------------

SORTS = {
    "name": (Estate.name_sort,),
    "households": (Estate.households, Estate.name_sort),
    "year_built": (Estate.year_built, Estate.name_sort),
    "floor_area": (Estate.floor_area, Estate.name_sort),
    "updated": (Estate.updated_at,),
}
SORT_KEYS = ("name", "street", "community", "company", "households", "year_built", "floor_area", "updated")
COMMITTEE_FILTERS = ("none",) + tuple(s.value for s in CommitteeStatus)
ALERTS = ("overdue", "term_soon", "term_over")


@dataclass
class EstateFilters:
    q: str | None = None
    street_id: int | None = None
    community_id: int | None = None
    company_id: int | None = None
    company: str | None = None  # part of the company's name or of its unified social credit code
    management_mode: str | None = None
    committee: str | None = None  # "none" or a CommitteeStatus value
    is_old: str | None = None  # "1" / "0"
    eligible: str | None = None  # "1" / "0"
    alert: str | None = None  # one of ALERTS
    archived: str | None = None  # "" active only, "1" archived only, "all"
    sort: str | None = None


def unfiltered(filters: EstateFilters) -> bool:
    """Nothing but 在册 (not archived) narrows the list: the list as first opened."""
    return filters.archived not in ("1", "all") and not any(
        getattr(filters, field.name) for field in fields(filters) if field.name not in ("archived", "sort"))


def registered_count() -> int:
    """The number of estates not archived, in the whole district.

    Counted as all estates less the archived ones: SQLite counts a whole table from its b-tree's
    pages (~0.01 ms) but visits every entry of an index to count part of it (1.3 ms for 24,000
    estates, the largest part of the list's time at 100× the district)."""
    everything = select(func.count()).select_from(Estate).scalar_subquery()
    archived = select(func.count()).select_from(Estate).where(Estate.archived_at.is_not(None)).scalar_subquery()
    return db.session.execute(select(everything - archived)).scalar_one()


def formation_overdue_clause(today: date):
    """Estates past their committee due date without a committee that was formed (已成立 or 届满)."""
    committee = aliased(OwnersCommittee)  # the query may already join OwnersCommittee
    return and_(Estate.committee_due_on.is_not(None), Estate.committee_due_on < today, not_(exists(
        select(committee.id).where(
            committee.estate_id == Estate.id,
            committee.status.in_((CommitteeStatus.FORMED, CommitteeStatus.EXPIRED)),
        )
    )))


def term_ending_soon_clause(today: date, days: int = TERM_WARNING_DAYS):
    """Formed committees whose term ends within ``days`` days (today included)."""
    return and_(OwnersCommittee.status == CommitteeStatus.FORMED, OwnersCommittee.term_end.is_not(None),
                OwnersCommittee.term_end >= today, OwnersCommittee.term_end <= today + timedelta(days=days))


def term_over_clause(today: date):
    """Committees whose term has ended but that no one has re-elected: 届满, or still 已成立 past the end."""
    return or_(OwnersCommittee.status == CommitteeStatus.EXPIRED,
               and_(OwnersCommittee.status == CommitteeStatus.FORMED, OwnersCommittee.term_end.is_not(None),
                    OwnersCommittee.term_end < today))


def read_off_list_index(statement, filters: EstateFilters):
    """``statement`` (a district-wide user's estates) read off ``ix_estates_list`` on SQLite when the filters are
    the broad ones (管理方式, 老旧小区, 无物业企业, 业委会, 条件, a search): the page's ids walk it in name order and
    the count reads it alone. Without statistics SQLite would take the one-column index of the filter and read
    every estate it names (16,400 rows for 专业化物业). A street, community or company has its own index."""
    narrow = filters.street_id or filters.community_id or (filters.company_id or 0) > 0 or filters.company
    if narrow or filters.archived == "all":
        return statement
    return statement.with_hint(Estate, "INDEXED BY ix_estates_list", "sqlite")


def list_estates(statement, filters: EstateFilters, *, today: date | None = None):
    """The estate list (web page, export and API): ``statement`` is already scoped.

    ``company_id == -1`` asks for the estates without a property company.
    """
    if filters.company_id == -1:
        filters.company_id = None
        statement = statement.where(Estate.company_id.is_(None))
    return filter_estates(statement, filters, today=today)


def filter_estates(statement, filters: EstateFilters, *, today: date | None = None):
    """Add the list filters and the sort order to a ``select(Estate)`` (already scoped by the caller)."""
    today = today or local_today()
    if filters.q:
        like = f"%{filters.q.strip()}%"
        statement = statement.where(or_(contains(Estate.name, like), contains(Estate.address, like)))
    if filters.street_id:
        statement = statement.where(Estate.street_id == filters.street_id)
    if filters.community_id:
        statement = statement.where(Estate.community_id == filters.community_id)
    if filters.company_id:
        statement = statement.where(Estate.company_id == filters.company_id)
    if filters.company and filters.company.strip():
        statement = statement.where(Estate.company_id.in_(company_search(filters.company)))
    if filters.management_mode:
        statement = statement.where(Estate.management_mode == ManagementMode(filters.management_mode))
    if filters.is_old in ("1", "0"):
        statement = statement.where(Estate.is_old.is_(filters.is_old == "1"))
    if filters.eligible in ("1", "0"):
        statement = statement.where(Estate.committee_eligible.is_(filters.eligible == "1"))
    if filters.archived == "1":
        statement = statement.where(Estate.archived_at.is_not(None))
    elif filters.archived != "all":
        statement = statement.where(Estate.archived_at.is_(None))

    needs_committee = filters.committee in COMMITTEE_FILTERS or filters.alert in ("term_soon", "term_over")
    if needs_committee:
        statement = statement.outerjoin(OwnersCommittee, OwnersCommittee.estate_id == Estate.id)
    if filters.committee == "none":
        # The join's own column: PostgreSQL reads ``estate_id IS NULL`` as an anti-join (and walks the list's order,
        # stopping after the page); ``id IS NULL`` left it a filter after the join, estimated at one row, so it
        # joined and sorted every estate.
        statement = statement.where(OwnersCommittee.estate_id.is_(None))
    elif filters.committee in COMMITTEE_FILTERS:
        statement = statement.where(committee_status_clause(CommitteeStatus(filters.committee), today))
    if filters.alert == "overdue":
        statement = statement.where(formation_overdue_clause(today))
    elif filters.alert == "term_soon":
        statement = statement.where(term_ending_soon_clause(today))
    elif filters.alert == "term_over":
        statement = statement.where(term_over_clause(today))
    return sort_estates(statement, filters.sort)


def in_street_order(keys, limit: int, *, eligible_filtered: bool):
    """``keys`` (``select(Estate.id)`` of the estates in use, filtered, no order) in the streets' order
    (``sort_estates``'s "street": code, name), then by name: each street's first ``limit`` ids read off an index
    by street and name, merged — not every matching estate joined to its street and sorted (21,700 at 100× the
    district). ``limit`` must reach the end of the page asked for; count ``keys`` itself. The index is named:
    SQLite without statistics would walk the register's name order (ix_estates_list) for each street."""
    index = "ix_estates_committee_page" if eligible_filtered else "ix_estates_archived_street_name_sort"
    keys = keys.with_hint(Estate, f"INDEXED BY {index}", "sqlite")
    streets = db.session.scalars(select(Street.id).order_by(
        case((Street.code.is_(None), 1), else_=0), Street.code, Street.name_sort, Street.id)).all()
    parts = [keys.where(Estate.street_id == street_id).add_columns(literal(rank).label("rank"), Estate.name_sort)
             .order_by(Estate.name_sort, Estate.id).limit(limit).subquery() for rank, street_id in enumerate(streets)]
    if not parts:
        return keys.where(literal(False))
    merged = union_all(*(select(part) for part in parts)).subquery()
    return select(merged.c.id).order_by(merged.c.rank, merged.c.name_sort, merged.c.id)


def company_search(text: str):
    """The ids of the companies whose name or unified social credit code contains ``text``
    (case-insensitive; ``%`` and ``_`` are plain characters), as a subquery."""

    text = text.strip()
    return select(Company.id).where(or_(Company.name.icontains(text, autoescape=True),
                                        Company.credit_code.icontains(text, autoescape=True)))


@cache
def _sort_aliases():
    """The sorts' joins, made once (``aliased()`` costs ~0.3 ms)."""

    return aliased(Street), aliased(Community), aliased(Company)


def sort_estates(statement, sort: str | None):
    key = (sort or "name").lstrip("-")
    descending = bool(sort and sort.startswith("-"))
    street, community, company = _sort_aliases()
    if key == "street":
        statement = statement.join(street, street.id == Estate.street_id)
        # Streets in their configured order (code), as the bureau lists them.
        columns = (street.code, street.name_sort, Estate.name_sort)
    elif key == "community":
        statement = statement.join(community, community.id == Estate.community_id)
        columns = (community.name_sort, Estate.name_sort)
    elif key == "company":
        statement = statement.outerjoin(company, company.id == Estate.company_id)
        columns = (company.name_sort, Estate.name_sort)
    else:
        columns = SORTS.get(key, SORTS["name"])
    ordered = [c.desc() if descending else c.asc() for c in columns[:1]] + [c.asc() for c in columns[1:]]
    # NULLs last either way, then a stable tie-breaker. A NOT NULL column (the default sort, by name)
    # needs no NULLs term, and without it the database can read the first page off the column's index.
    first = getattr(columns[0], "expression", columns[0])
    nulls_last = [] if getattr(first, "nullable", True) is False else [case((columns[0].is_(None), 1), else_=0)]
    return statement.order_by(*nulls_last, *ordered, Estate.id)


# --- owners' committees -------------------------------------------------------

COMMITTEE_FIELDS = ("prep_group_on", "first_assembly_on", "elected_on", "filed_on", "filing_number",
                    "members_count", "term_years", "term_end", "dissolved_on", "notes")
MEMBERS_RANGE = (3, 21)
STEPS = (("prep_group_on", "筹备组成立"), ("first_assembly_on", "首次业主大会"), ("elected_on", "选举"),
         ("filed_on", "备案"))


def committee_errors(values: dict, status: CommitteeStatus, *, today: date | None = None) -> list[tuple[str, str]]:
    """Problems with a committee's dates and numbers for the given status."""
    today = today or local_today()
    errors: list[tuple[str, str]] = []
    labels = {"prep_group_on": _("筹备组成立日期"), "first_assembly_on": _("首次业主大会日期"),
              "elected_on": _("选举日期"), "filed_on": _("备案日期"), "dissolved_on": _("解散日期")}
    for field, label in labels.items():
        value = values.get(field)
        if value is not None and value > today:
            errors.append((field, _("%(label)s不能晚于今天。", label=label)))
    ordered = [(field, values.get(field)) for field, _label in STEPS]
    previous = None
    for field, value in ordered:
        if value is None:
            continue
        if previous is not None and value < previous[1]:
            errors.append((field, _("%(label)s不能早于%(previous)s。", label=labels[field],
                                    previous=labels[previous[0]])))
        previous = (field, value)
    if status is CommitteeStatus.PREPARING and not values.get("prep_group_on"):
        errors.append(("prep_group_on", _("请填写筹备组成立日期。")))
    if status in (CommitteeStatus.FORMED, CommitteeStatus.EXPIRED) and not values.get("elected_on"):
        errors.append(("elected_on", _("已成立的业主委员会须填写选举日期。")))
    if values.get("filed_on") and not (values.get("filing_number") or "").strip():
        errors.append(("filing_number", _("填写了备案日期，请同时填写备案号。")))
    if (values.get("filing_number") or "").strip() and not values.get("filed_on"):
        errors.append(("filed_on", _("填写了备案号，请同时填写备案日期。")))
    members = values.get("members_count")
    if members is not None and not (MEMBERS_RANGE[0] <= members <= MEMBERS_RANGE[1]):
        errors.append(("members_count", _("委员人数应在 %(low)s 至 %(high)s 人之间（一般为5至11人的单数）。",
                                          low=MEMBERS_RANGE[0], high=MEMBERS_RANGE[1])))
    term_years = values.get("term_years")
    if term_years is not None and not (1 <= term_years <= 5):
        errors.append(("term_years", _("任期应为1至5年。")))
    if status is CommitteeStatus.DISSOLVED and not values.get("dissolved_on"):
        errors.append(("dissolved_on", _("请填写解散日期。")))
    return errors


def _apply_committee(committee: OwnersCommittee, values: dict) -> None:
    for key in COMMITTEE_FIELDS:
        if key in values:
            value = values[key]
            if isinstance(value, str):
                value = value.strip() or None
            setattr(committee, key, value)
    committee.term_years = committee.term_years or DEFAULT_TERM_YEARS
    if committee.elected_on and committee.status in (CommitteeStatus.FORMED, CommitteeStatus.EXPIRED):
        committee.term_end = add_years(committee.elected_on, committee.term_years)


def _committee_snapshot(committee: OwnersCommittee) -> dict:
    return snapshot(committee, ["status", *COMMITTEE_FIELDS])


def create_committee(estate: Estate, values: dict, *, status: CommitteeStatus = CommitteeStatus.PREPARING,
                     actor=None) -> OwnersCommittee:
    """Start the committee record of an estate: in preparation, or already formed (registering an old one)."""
    if estate.committee is not None:
        raise DomainError(_("该小区已有业主委员会记录，请在原记录上办理。"))
    if estate.archived_at is not None:
        raise DomainError(_("该小区已归档，不能新建业主委员会记录。"))
    if status not in (CommitteeStatus.PREPARING, CommitteeStatus.FORMED):
        raise TransitionError(_("新建的业主委员会记录只能是“筹备”或“已成立”。"))
    values = dict(values)
    values.setdefault("term_years", DEFAULT_TERM_YEARS)
    errors = committee_errors(values, status)
    if errors:
        raise InvalidValues(errors)
    committee = OwnersCommittee(estate_id=estate.id, status=status, term_years=DEFAULT_TERM_YEARS)
    committee.estate = estate
    _apply_committee(committee, values)
    db.session.add(committee)
    db.session.flush()
    record("committee.create", committee, after=_committee_snapshot(committee), actor=actor)
    return committee


def update_committee(committee: OwnersCommittee, values: dict, *, actor=None) -> OwnersCommittee:
    """Correct the dates, numbers and notes of a committee without changing its status."""
    merged = {key: getattr(committee, key) for key in COMMITTEE_FIELDS}
    merged.update({key: values[key] for key in COMMITTEE_FIELDS if key in values})
    errors = committee_errors(merged, committee.status)
    if errors:
        raise InvalidValues(errors)
    before = _committee_snapshot(committee)
    _apply_committee(committee, merged)
    db.session.flush()
    record_change("committee.update", committee, before, actor=actor)
    return committee


# (action, states it may start from, state it leads to, label)
TRANSITIONS = {
    "form": ((CommitteeStatus.PREPARING,), CommitteeStatus.FORMED, _l("成立")),
    "reelect": ((CommitteeStatus.FORMED, CommitteeStatus.EXPIRED), CommitteeStatus.FORMED, _l("换届选举")),
    "expire": ((CommitteeStatus.FORMED,), CommitteeStatus.EXPIRED, _l("届满")),
    "dissolve": ((CommitteeStatus.PREPARING, CommitteeStatus.FORMED, CommitteeStatus.EXPIRED),
                 CommitteeStatus.DISSOLVED, _l("解散")),
    "restart": ((CommitteeStatus.EXPIRED, CommitteeStatus.DISSOLVED), CommitteeStatus.PREPARING, _l("重新筹备")),
}


def allowed_actions(committee: OwnersCommittee | None) -> list[str]:
    if committee is None:
        return []
    current = committee.current_status  # a term ended before the sweep ran: the 届满 actions are offered
    return [action for action, (sources, _target, _label) in TRANSITIONS.items()
            if (committee.status if action == "expire" else current) in sources]


def _append_note(existing: str | None, note: str | None, what: str, day: date | None) -> str | None:
    if not note or not note.strip():
        return existing
    line = f"{day.isoformat() if day else ''} {what}：{note.strip()}".strip()
    return f"{existing}\n{line}" if existing else line


def transition_committee(committee: OwnersCommittee, action: str, values: dict | None = None, *,
                         actor=None, today: date | None = None) -> OwnersCommittee:
    """Move a committee along its lifecycle; ``values`` carries the dates the step records."""
    today = today or local_today()
    if action not in TRANSITIONS:
        raise TransitionError(_("未知的操作。"))
    sources, target, _label = TRANSITIONS[action]
    # Read from the term dates (a term ended before the nightly sweep is 届满), except by the sweep itself.
    status = committee.status if action == "expire" else committee.status_on(today)
    if status not in sources:
        raise TransitionError(_("当前状态为“%(status)s”，不能办理该操作。", status=status.label))
    values = dict(values or {})
    before = _committee_snapshot(committee)
    merged = {key: getattr(committee, key) for key in COMMITTEE_FIELDS}
    if action == "expire":
        if committee.term_end is None or committee.term_end >= today:
            raise TransitionError(_("任期尚未届满（任期至 %(end)s），不能标记为届满。",
                                    end=committee.term_end.isoformat() if committee.term_end else "—"))
    elif action in ("form", "reelect"):
        if action == "reelect":
            previous_election = committee.elected_on
            # A new election: the old filing belongs to the previous committee.
            merged.update({"filed_on": None, "filing_number": None})
            if values.get("elected_on") and previous_election and values["elected_on"] <= previous_election:
                raise InvalidValues([("elected_on", _("换届选举日期应晚于上届选举日期（%(d)s）。",
                                                      d=previous_election.isoformat()))])
        merged.update({k: v for k, v in values.items() if k in COMMITTEE_FIELDS})
        merged["dissolved_on"] = None
        if not merged.get("elected_on"):
            raise InvalidValues([("elected_on", _("请填写选举日期。"))])
    elif action == "dissolve":
        merged["dissolved_on"] = values.get("dissolved_on")
        merged["notes"] = _append_note(committee.notes, values.get("notes"), _("解散"), values.get("dissolved_on"))
        if merged.get("dissolved_on") and committee.elected_on and merged["dissolved_on"] < committee.elected_on:
            raise InvalidValues([("dissolved_on", _("解散日期不能早于选举日期。"))])
    elif action == "restart":
        # 重新筹备 / 换届筹备: a new preparatory group; the first owners' assembly stays in the record.
        merged.update({"prep_group_on": values.get("prep_group_on"), "elected_on": None, "filed_on": None,
                       "filing_number": None, "term_end": None, "dissolved_on": None,
                       "members_count": None})
        merged["notes"] = _append_note(committee.notes, values.get("notes"), _("重新筹备"), values.get("prep_group_on"))
        if merged["prep_group_on"] and committee.dissolved_on and merged["prep_group_on"] < committee.dissolved_on:
            raise InvalidValues([("prep_group_on", _("筹备组成立日期不能早于解散日期。"))])
    errors = committee_errors(merged, target, today=today)
    if errors:
        raise InvalidValues(errors)
    committee.status = target
    _apply_committee(committee, merged)
    if action == "restart":
        committee.term_end = None
    db.session.flush()
    record_change(f"committee.{action}", committee, before, actor=actor)
    return committee


def expire_due_terms(today: date | None = None, *, actor=None) -> list[OwnersCommittee]:
    """Mark 届满 every formed committee whose term has ended (the daily sweep). Only the stored status
    changes: every figure and badge already reads the term dates (``committee_status_clause``)."""
    today = today or local_today()
    due = list(db.session.scalars(
        select(OwnersCommittee).where(OwnersCommittee.status == CommitteeStatus.FORMED,
                                      OwnersCommittee.term_end < today).order_by(OwnersCommittee.id)
    ))
    for committee in due:
        transition_committee(committee, "expire", actor=actor, today=today)
    return due


@dataclass(frozen=True)
class Alert:
    kind: str  # overdue, term_soon, term_over
    level: str  # bootstrap colour
    message: str


def committee_alerts(estate: Estate, today: date | None = None) -> list[Alert]:
    """The warnings shown for one estate's committee (the same rules as the SQL clauses above)."""
    committee = estate.committee
    return alerts_for(estate.committee_due_on, committee.status if committee is not None else None,
                      committee.term_end if committee is not None else None, today)


def alerts_for(due_on: date | None, status: CommitteeStatus | None, term_end: date | None,
               today: date | None = None) -> list[Alert]:
    """:func:`committee_alerts` from an estate's 应成立日期 and its committee's status and term end
    (``status`` None: no committee), for lists that load these columns rather than objects."""
    today = today or local_today()
    alerts = []
    formed = status in (CommitteeStatus.FORMED, CommitteeStatus.EXPIRED)
    if due_on and due_on < today and not formed:
        alerts.append(Alert("overdue", "danger", _(
            "已有过半数业主选择专业化物业管理，业主大会和业主委员会应于 %(due)s 前成立，已逾期 %(days)s 天。",
            due=due_on.isoformat(), days=(today - due_on).days)))
    elif due_on and due_on >= today and not formed:
        alerts.append(Alert("due", "warning", _("业主大会和业主委员会应于 %(due)s 前成立。", due=due_on.isoformat())))
    if status is not None and term_end:
        if status is CommitteeStatus.FORMED and today <= term_end <= today + timedelta(days=TERM_WARNING_DAYS):
            alerts.append(Alert("term_soon", "warning", _("任期将于 %(end)s 届满（还有 %(days)s 天），请及早组织换届。",
                                                          end=term_end.isoformat(), days=(term_end - today).days)))
        elif status is CommitteeStatus.FORMED and term_end < today:
            alerts.append(Alert("term_over", "danger", _("任期已于 %(end)s 届满，尚未换届。",
                                                         end=term_end.isoformat())))
    if status is CommitteeStatus.EXPIRED:
        alerts.append(Alert("term_over", "danger", _("业主委员会任期已届满，尚未换届。")))
    return alerts


def committee_count_columns(today: date) -> tuple:
    """Eligible, formed (among eligible), term ending soon, term over and overdue counts of estates joined
    (outer) with their committee."""
    formed_or_expired = OwnersCommittee.status.in_((CommitteeStatus.FORMED, CommitteeStatus.EXPIRED))
    return (func.count(Estate.id).filter(committee_eligible_clause()),
            func.count(Estate.id).filter(committee_eligible_clause(),
                                         committee_status_clause(CommitteeStatus.FORMED, today)),
            func.count(Estate.id).filter(term_ending_soon_clause(today)),
            func.count(Estate.id).filter(term_over_clause(today)),
            func.count(Estate.id).filter(Estate.committee_due_on.is_not(None), Estate.committee_due_on < today,
                                         or_(OwnersCommittee.id.is_(None), not_(formed_or_expired))))


def committee_summary(statement=None, today: date | None = None) -> dict:
    """Counts for the committee page, over the (scoped) estates of ``statement``'s WHERE clause.

    ``statement`` is a ``select(Estate)`` restricted to the visible estates; archived estates are
    left out. Returns eligible, formed (已成立, counted among eligible estates), rate, term_soon,
    term_over and overdue.
    """
    today = today or local_today()
    base = (statement if statement is not None else select(Estate)).where(Estate.archived_at.is_(None))
    # An estate has at most one committee (unique estate_id): the joined row answers what the clauses'
    # correlated EXISTS would ask per estate (two subqueries for each of 24,000 estates at 100×).
    row = db.session.execute(
        base.outerjoin(OwnersCommittee, OwnersCommittee.estate_id == Estate.id).with_only_columns(
            *committee_count_columns(today),
        )
    ).one()
    eligible, formed, term_soon, term_over, overdue = (value or 0 for value in row)
    return {"eligible": eligible, "formed": formed, "rate": (formed / eligible) if eligible else None,
            "term_soon": term_soon, "term_over": term_over, "overdue": overdue}


def committee_eligible_clause():
    """Counted by the formation rate: not archived and 具备成立条件."""
    return and_(Estate.archived_at.is_(None), Estate.committee_eligible.is_(True))


def committee_formed_clause(day: date | None = None):
    """The estate's committee is 已成立 on ``day`` (default today): formed and its term not ended
    before ``day`` — read from the term dates, not from the nightly sweep (an expired or dissolved
    one does not count)."""
    day = day or local_today()
    return exists(select(OwnersCommittee.id).where(OwnersCommittee.estate_id == Estate.id,
                                                   committee_status_clause(CommitteeStatus.FORMED, day))
                  .correlate_except(OwnersCommittee))


def committee_status_clause(status: CommitteeStatus, day: date, committee=OwnersCommittee):
    """The committee's status on ``day`` is ``status`` (see ``models.effective_status``)."""
    past_term = and_(committee.term_end.is_not(None), committee.term_end < day)
    if status is CommitteeStatus.FORMED:
        return and_(committee.status == CommitteeStatus.FORMED, not_(past_term))
    if status is CommitteeStatus.EXPIRED:
        return or_(committee.status == CommitteeStatus.EXPIRED,
                   and_(committee.status == CommitteeStatus.FORMED, past_term))
    return committee.status == status


def committee_status_expression(day: date, committee=OwnersCommittee):
    """The committee's status on ``day`` as a column (for lists that read rows, not objects)."""

    expired = type_coerce(literal(CommitteeStatus.EXPIRED.value), committee.status.type)
    return type_coerce(case((and_(committee.status == CommitteeStatus.FORMED, committee.term_end.is_not(None),
                                  committee.term_end < day), expired), else_=committee.status),
                       committee.status.type)
