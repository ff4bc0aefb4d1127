"""The indicator registry: what each target measures, in SQL.

Every indicator is a ratio of two counts of one kind of row (its *subject*: staff,
estates, rectification items, enrolments or weekly reports). It is described once, by

- ``where``: the conditions that put a row in the denominator, and
- ``achieved``: the condition that also puts it in the numerator,

so that the counts and the drill-down can never disagree: the drill-down lists exactly
the rows of the denominator for which ``achieved`` is false, and their number is
denominator − numerator.

``measure(indicator, day)`` counts in ONE query, grouped by street: the district's
figure is the sum of all groups (for certification, staff at head office belong to no
street and count only for the district and their company). ``gap_rows`` builds the
drill-down ``select``.

Definitions (口径), also shown on the targets page:

- 持证率: staff who have not left, in a post that requires a certificate
  (``Position.required_certificates``), holding a valid certificate of one of the
  post's types on the day ÷ those staff. 项目经理持证率 counts only manager posts
  (``Position.is_manager``). A street counts the staff assigned to its estates.
- 业委会组建率: eligible estates (``committee_eligible``, not archived) whose committee
  is 已成立 ÷ eligible estates.
- 物业管理覆盖率: estates (not archived) whose management mode is one of
  ``COVERED_MODES`` ÷ all estates (not archived); the drill-down lists the 无物业 ones.
  For a past day, the mode and company of an estate are those of its management period in
  force on that day (``estates.handover.period_join``), not today's (also for 业委会组建率's company).
- 整改率: items accepted by the day ÷ items due (deadline on or before the day).
- 按期整改率: items accepted on or before their deadline ÷ items due.
- 销号率: enrolments closed (销号) ÷ enrolments not withdrawn, in campaigns that have
  started (not 筹备中).
- 周报按时报送率: reports whose final version (sent and not returned since: the latest
  submission) arrived by their due time (按时定稿) ÷ reports due by the day; a report
  returned and resubmitted after the due time is not on time.
  The ``WeeklyReport`` model belongs to the weekly-reports feature; see
  ``weekly_report_model`` for the columns this module expects.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Integer, and_, bindparam, case, func, literal, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..campaigns.models import Campaign, CampaignStatus, Enrolment, EnrolmentStatus, ItemState, RectificationItem
from ..companies.models import Certificate, Company, Position, Staff
from ..companies.models import position_certificate_requirements as req
from ..companies.qualification import known_unqualified_clause
from ..companies.services import active_on_clause, qualified_clause, requires_certificate_clause
from ..core import figures
from ..core.timeutil import LOCAL_TZ, local_today
from ..estates.handover import period_join
from ..estates.models import COVERED_MODES, Estate
from ..estates.services import committee_eligible_clause, committee_formed_clause
from ..extensions import db
from ..regions.models import Street
from ..seeding import load_json
from .percent import threshold_percent

# --- SQL helpers ---------------------------------------------------------------


class local_date(FunctionElement):
    """The Asia/Shanghai calendar date of a UTC timestamp column.

    Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.
    """

    type = Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_date)
def _local_date_default(element, compiler, **kw):  # PostgreSQL and others
    return f"CAST(({compiler.process(element.clauses, **kw)} + INTERVAL '8 hours') AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


class not_achieved(FunctionElement):
    """True for a row whose ``achieved`` condition is false or NULL: the rows ``achieved_flag`` counts 0 for.

    PostgreSQL: ``(achieved) IS NOT true``, which its planner estimates as the complement of the condition; as
    ``CASE … END = 0`` it took the drill-down's rows for a handful (an equality on an expression: 0.5 %) and read
    and sorted every row instead of walking an index in the list's order. SQLite keeps the CASE (no estimates;
    its plans were tuned with it).
    """

    type = Boolean()
    inherit_cache = True
    name = "not_achieved"


@compiles(not_achieved)
def _not_achieved_default(element, compiler, **kw):
    return f"(({compiler.process(element.clauses, **kw)}) IS NOT true)"


@compiles(not_achieved, "sqlite")
def _not_achieved_sqlite(element, compiler, **kw):
    return f"(CASE WHEN ({compiler.process(element.clauses, **kw)}) THEN 1 ELSE 0 END = 0)"


class sqlite_opaque(FunctionElement):
    """The column as it is, except on SQLite: ``coalesce(x, NULL)``, which its planner cannot match to the
    column's index (an index on a condition that holds for nearly every row made SQLite read them all and sort
    them instead of walking the list's order). PostgreSQL estimates the condition from its statistics."""

    inherit_cache = True
    name = "sqlite_opaque"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type  # the column's own (an enum column binds its IN list's values)


@compiles(sqlite_opaque)
def _sqlite_opaque_default(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


@compiles(sqlite_opaque, "sqlite")
def _sqlite_opaque_sqlite(element, compiler, **kw):
    return f"coalesce({compiler.process(element.clauses.clauses[0], **kw)}, NULL)"


class in_ids(ColumnElement):
    """``column IN (ids)`` for a short list of ids from a small table: on PostgreSQL ``column = ANY(ARRAY(…))``
    (``<> ALL`` when negated), worked out once for the statement and tested as a filter, where ``IN`` would be a
    join the planner may start from; ``IN`` / ``NOT IN`` elsewhere. The column and the ids are never NULL."""

    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("ids", InternalTraversal.dp_clauseelement), ("negate", InternalTraversal.dp_boolean)]

    def __init__(self, column, ids, negate: bool = False):
        self.column, self.ids, self.negate = column, ids, negate


@compiles(in_ids)
def _in_ids_default(element, compiler, **kw):
    operator = "<> ALL" if element.negate else "= ANY"
    return (f"({compiler.process(element.column, **kw)} {operator}(ARRAY("
            f"{compiler.process(element.ids, asfrom=False, **kw)})))")


@compiles(in_ids, "sqlite")
def _in_ids_sqlite(element, compiler, **kw):
    operator = "NOT IN" if element.negate else "IN"
    return f"({compiler.process(element.column, **kw)} {operator} ({compiler.process(element.ids, **kw)}))"


def end_of_day_utc(day: date) -> datetime:
    """The UTC instant at which the Shanghai calendar day after ``day`` begins."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


# --- values ------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    numerator: int = 0
    denominator: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.numerator + other.numerator, self.denominator + other.denominator)

    @property
    def value(self) -> Fraction | None:
        """The rate, exactly; None when there is nothing to count (shown as "—")."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def gap(self) -> int:
        return self.denominator - self.numerator


NO_COUNTS = Counts()


@dataclass
class Base:
    """The rows an indicator counts: FROM ``subject`` JOIN … WHERE ``where``."""

    subject: object
    street: object  # the column that gives a row's street (NULL: none)
    where: list
    achieved: object
    company: object | None = None  # the column that gives a row's company, if any
    joins: list = field(default_factory=list)  # (target, onclause, outer)
    # ``gap`` in another form for the drill-down's page of ids (the same rows): e.g. a test of stored columns first,
    # so that ``achieved`` is worked out for the rows that pass it only.
    page_gap: object | None = None
    # ``joins`` and ``where`` in another form for the page of ids (the same rows), e.g. reference tables as lists
    # of ids instead of joins, so that the planner walks the subject's index in the drill-down's order.
    page_joins: list | None = None
    page_where: list | None = None

    def select_from(self, statement):
        statement = statement.select_from(self.subject)
        for target, onclause, outer in self.joins:
            statement = statement.join(target, onclause, isouter=outer)
        return statement.where(*self.where)

    @property
    def achieved_flag(self):
        # A CASE, never NULL: numerator and drill-down use the same test.
        return case((self.achieved, 1), else_=0)

    @property
    def gap(self):
        """The drill-down's rows: ``achieved_flag`` is 0 (``achieved`` false or NULL)."""
        return not_achieved(self.achieved)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: object
    short_name: object
    subject: str  # staff | estate | item | enrolment | report
    numerator_label: object
    denominator_label: object
    gap_label: object
    definition: object
    base: Callable[[date], Base | None]
    gap_columns: Callable[[Base], tuple]  # (columns, extra joins, options, order_by)
    unit: str = "rate"
    # (code of a wider indicator, the condition on its rows that makes this one's): when both are
    # measured together, one pass over the wider one's rows gives both (``measure_many``).
    subset_of: tuple[str, Callable[[], object]] | None = None
    # Measured for the district only (its rows belong to no street): the drill-down has no street table.
    district_only: bool = False
    # A street office sees exactly the subject's rows of its street (``base.street``): its drill-down
    # needs no scope clause beyond the street, and the cell's gap is the number of its rows.
    street_scoped: bool = False
    # Its rows are worked out on the working-day calendar in Python (literals in the statement): the drill-down's
    # statement is built again when the calendar changes.
    reads_calendar: bool = False

    @property
    def unit_word(self) -> str:
        return str(SUBJECT_UNITS[self.subject])

    @property
    def default_threshold(self) -> Fraction:
        return Fraction(defaults()[self.code]["threshold"]) / 100

    @property
    def default_percent(self) -> str:

        return threshold_percent(self.default_threshold)

    @property
    def basis(self) -> str:
        return defaults()[self.code].get("basis", "")

    def available(self) -> bool:
        """False when the records it needs are not part of this installation."""
        return self.base(local_today()) is not None


SUBJECT_UNITS = {"staff": _l("人"), "estate": _l("个小区"), "item": _l("项"), "enrolment": _l("个"),
                 "report": _l("份")}


@cache
def defaults() -> dict:
    """Default thresholds and their basis from seeds/targets/defaults.json (a static file)."""

    return {row["indicator"]: row for row in load_json("targets/defaults.json")["targets"]}


# --- the subjects ---------------------------------------------------------------------


def _certification_base(day: date, managers_only: bool) -> Base:

    where = [requires_certificate_clause(), active_on_clause(day), Company.archived_at.is_(None)]
    # The page of ids: the posts and companies as lists of ids (a join let PostgreSQL read every manager and sort
    # them instead of walking ``ix_staff_company_name_sort``), the stored range before the certificates.
    page_where = [in_ids(Staff.position_id, select(req.c.position_id)), active_on_clause(day),
                  in_ids(Staff.company_id, select(Company.id).where(Company.archived_at.is_not(None)), negate=True)]
    if managers_only:
        where.append(Position.is_manager.is_(True))
        page_where.append(in_ids(Staff.position_id, select(Position.id).where(Position.is_manager.is_(True))))
    # The street is the row's copy of its estate's (``estates.street_copy``): a street's page walks
    # ``ix_staff_street_company_name_sort`` in its order instead of every staff member of the street's estates.
    return Base(
        subject=Staff, street=Staff.street_id, company=Staff.company_id, where=where,
        achieved=qualified_clause(day),
        joins=[(Company, Company.id == Staff.company_id, False),
               (Position, Position.id == Staff.position_id, False)],
        page_joins=[], page_where=page_where,
        # Staff whose stored range covers the day are qualified; the others' certificates probed one by one.
        page_gap=and_(known_unqualified_clause(day), not_achieved(qualified_clause(day, per_row=True))),
    )


def _position():

    return Position


def _staff_columns(base: Base):

    # The latest expiry among the person's certificates of a required type: "expired on …".
    last_expiry = (
        select(func.max(Certificate.expires_on))
        .join(req, and_(req.c.certificate_type_id == Certificate.certificate_type_id,
                        req.c.position_id == Staff.position_id))
        .where(Certificate.staff_id == Staff.id)
        .correlate(Staff).scalar_subquery().label("last_expiry")
    )
    options = (joinedload(Staff.company), joinedload(Staff.position),
               joinedload(Staff.estate).joinedload(Estate.street))
    return (Staff, last_expiry), [], options, (Staff.company_id, Staff.name_sort, Staff.id)


def _estates_base(day: date) -> tuple:

    return Estate, [Estate.archived_at.is_(None)]


def _committee_base(day: date) -> Base:

    if day >= local_today():
        return Base(subject=Estate, street=Estate.street_id, company=Estate.company_id,
                    where=[committee_eligible_clause()], achieved=committee_formed_clause(day))
    facts = period_join(day)  # a past day: the company that managed the estate then
    return Base(subject=Estate, street=Estate.street_id, company=facts.company,
                where=[committee_eligible_clause()], achieved=committee_formed_clause(day),
                joins=[(facts.period, facts.onclause, True)])


def _coverage_base(day: date) -> Base:

    _subject, where = _estates_base(day)
    if day >= local_today():
        return Base(subject=Estate, street=Estate.street_id, company=Estate.company_id, where=where,
                    achieved=Estate.management_mode.in_(COVERED_MODES))
    facts = period_join(day)  # a past day: the company and mode of the period in force then
    return Base(subject=Estate, street=Estate.street_id, company=facts.company, where=where,
                achieved=facts.mode.in_(COVERED_MODES), joins=[(facts.period, facts.onclause, True)])


def _estate_columns(base: Base):

    options = (joinedload(Estate.street), joinedload(Estate.community), joinedload(Estate.company),
               joinedload(Estate.committee))
    return (Estate,), [], options, (Estate.street_id, Estate.name_sort, Estate.id)


def _items_due(day: date):

    return [RectificationItem.deadline <= day]


def _rectification_base(day: date) -> Base:

    accepted = and_(RectificationItem.state == ItemState.ACCEPTED, RectificationItem.accepted_at.is_not(None),
                    RectificationItem.accepted_at < end_of_day_utc(day))
    return Base(subject=RectificationItem, street=RectificationItem.street_id,
                company=RectificationItem.company_id, where=_items_due(day), achieved=accepted)


def _on_time_base(day: date) -> Base:

    on_time = and_(RectificationItem.state == ItemState.ACCEPTED, RectificationItem.accepted_at.is_not(None),
                   RectificationItem.accepted_at < end_of_day_utc(day),
                   local_date(RectificationItem.accepted_at) <= RectificationItem.deadline)
    return Base(subject=RectificationItem, street=RectificationItem.street_id,
                company=RectificationItem.company_id, where=_items_due(day), achieved=on_time)


def _item_columns(base: Base):

    options = (joinedload(RectificationItem.estate), joinedload(RectificationItem.company))
    return ((RectificationItem, Street.name.label("street_name")),
            [(Street, Street.id == RectificationItem.street_id, False)], options,
            (RectificationItem.deadline, RectificationItem.id))


def _closure_base(day: date) -> Base:

    bound = end_of_day_utc(day)
    closed = and_(Enrolment.status == EnrolmentStatus.CLOSED,
                  Enrolment.closed_at.is_(None) | (Enrolment.closed_at < bound))
    return Base(
        subject=Enrolment, street=Enrolment.street_id, company=Enrolment.company_id,
        where=[Enrolment.status != EnrolmentStatus.WITHDRAWN, Enrolment.enrolled_at < bound,
               Campaign.status != CampaignStatus.DRAFT],
        achieved=closed, joins=[(Campaign, Campaign.id == Enrolment.campaign_id, False)],
    )


def _enrolment_columns(base: Base):

    options = (joinedload(Enrolment.campaign), joinedload(Enrolment.estate), joinedload(Enrolment.street),
               joinedload(Enrolment.company))
    return (Enrolment,), [], options, (Enrolment.street_id, Enrolment.campaign_id, Enrolment.id)


# --- weekly reports: the hook for the weekly-reports feature ------------------------

def weekly_report_model():
    """``supervision.reports.models.WeeklyReport``, or None while that feature is absent.

    The punctuality indicator needs these of it:

    - ``campaign_id`` and ``street_id`` (integers; the report is one street's, for one campaign),
    - ``due_at`` (UTC, the moment the report falls due),
    - ``final_submitted_expression()``: the time of the standing version (NULL while returned),
    - ``on_time_clause()``: the reports feature's rule of 按时 (按时定稿: the final version —
      sent and not returned since — arrived by ``due_at``), as a SQL condition,

    and it counts a report as due when ``due_at`` falls on or before the day, and on time
    by ``on_time_clause()``. A report never submitted, or returned and not sent again, is not.
    """
    name = "supervision.reports.models"
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return getattr(importlib.import_module(name), "WeeklyReport", None)


def _punctuality_base(day: date) -> Base | None:
    model = weekly_report_model()
    if model is None:
        return None
    return Base(subject=model, street=model.street_id, company=None,
                where=[model.due_at < end_of_day_utc(day)], achieved=model.on_time_clause())


def _report_columns(base: Base):

    model = base.subject
    columns = (model.id.label("id"), model.due_at.label("due_at"),
               model.final_submitted_expression().label("submitted_at"), Street.name.label("street_name"),
               Campaign.name.label("campaign_name"))
    joins = [(Street, Street.id == model.street_id, True), (Campaign, Campaign.id == model.campaign_id, True)]
    return columns, joins, (), (model.due_at.desc(), model.id)


# --- the registry ---------------------------------------------------------------------

INDICATORS: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    INDICATORS[indicator.code] = indicator
    return indicator


register(Indicator(
    code="manager_cert", street_scoped=True, name=_l("项目经理持证率"), short_name=_l("经理持证"), subject="staff",
    numerator_label=_l("持有效证书"), denominator_label=_l("经理岗位人数"), gap_label=_l("未持有效证书的经理"),
    definition=_l("在职（未离职）且所在经理岗位（企业经理、项目经理/管理处主任）要求持证的人员中，统计日持有该岗位"
                  "所需任一有效证书的人数 ÷ 这些人员总数。街道口径统计派驻本街道小区的人员。"),
    base=lambda day: _certification_base(day, managers_only=True), gap_columns=_staff_columns,
    subset_of=("staff_cert", lambda: _position().is_manager.is_(True)),
))
register(Indicator(
    code="staff_cert", street_scoped=True, name=_l("从业人员持证率"), short_name=_l("人员持证"), subject="staff",
    numerator_label=_l("持有效证书"), denominator_label=_l("须持证人数"), gap_label=_l("未持有效证书的人员"),
    definition=_l("在职且所在岗位要求持证（电工、电梯安全管理员、消防设施操作员、项目经理等）的全部人员中，统计日"
                  "持有该岗位所需任一有效证书的人数 ÷ 这些人员总数。"
                  "证书在签发日至到期日之间有效，无到期日视为长期有效。"),
    base=lambda day: _certification_base(day, managers_only=False), gap_columns=_staff_columns,
))
register(Indicator(
    code="committee", street_scoped=True, name=_l("业委会组建率"), short_name=_l("业委会"), subject="estate",
    numerator_label=_l("已成立业委会"), denominator_label=_l("具备条件小区"), gap_label=_l("未成立业委会的小区"),
    definition=_l("具备成立业主大会、业主委员会条件（未归档）的小区中，业主委员会状态为“已成立”的小区数 ÷ 具备条件"
                  "的小区数。筹备、届满、解散均不计入。按台账当前状态统计。"),
    base=_committee_base, gap_columns=_estate_columns,
))
register(Indicator(
    code="coverage", street_scoped=True, name=_l("物业管理覆盖率"), short_name=_l("物业覆盖"), subject="estate",
    numerator_label=_l("已覆盖"), denominator_label=_l("小区总数"), gap_label=_l("无物业管理的小区"),
    definition=_l("未归档小区中，管理方式为物业企业、业委会自管、社区托管或街道物业服务中心的小区数 ÷ 小区总数；"
                  "差额即“无物业”小区。按台账当前状态统计。"),
    base=_coverage_base, gap_columns=_estate_columns,
))
register(Indicator(
    code="rectification", street_scoped=True, name=_l("整改率"), short_name=_l("整改"), subject="item",
    numerator_label=_l("已销项"), denominator_label=_l("到期事项"), gap_label=_l("到期未销项的整改事项"),
    definition=_l("整改期限在统计日当天或之前的整改事项中，统计日结束前已验收销项的事项数 ÷ 到期事项数。"),
    base=_rectification_base, gap_columns=_item_columns,
))
register(Indicator(
    code="rectification_on_time", street_scoped=True, name=_l("按期整改率"), short_name=_l("按期整改"), subject="item",
    numerator_label=_l("按期销项"), denominator_label=_l("到期事项"), gap_label=_l("未按期销项的整改事项"),
    definition=_l("整改期限在统计日当天或之前的整改事项中，在期限当天或之前（北京时间）验收销项的事项数 ÷ 到期事项数。"
                  "逾期后才销项的事项计入差额。对应“维修及时率”。"),
    base=_on_time_base, gap_columns=_item_columns,
))
register(Indicator(
    code="campaign_closure", street_scoped=True, name=_l("专项行动销号率"), short_name=_l("销号"), subject="enrolment",
    numerator_label=_l("已销号"), denominator_label=_l("在册小区"), gap_label=_l("尚未销号的小区"),
    definition=_l("已启动（非筹备中）的专项行动中，未退出的参与小区里已销号的数量 ÷ 未退出的参与小区数量。"),
    base=_closure_base, gap_columns=_enrolment_columns,
))
register(Indicator(
    code="report_punctuality", street_scoped=True, name=_l("周报按时报送率"), short_name=_l("周报按时"),
    subject="report",
    numerator_label=_l("按时报送"), denominator_label=_l("应报周报"), gap_label=_l("未按时报送的周报"),
    definition=_l("截止时间在统计日当天或之前的街道周报中，定稿（最近一次报送且未被退回的版本）报送时间不晚于"
                  "截止时间的份数 ÷ 应报份数（按时定稿）；未报送、退回后尚未重新报送的计为未按时，退回后在截止时间"
                  "之后重新报送的也计为未按时。"),
    base=_punctuality_base, gap_columns=_report_columns,
))


# Indicators that other features define and register themselves (present when the feature is).
EXTRA_INDICATOR_MODULES = ("supervision.surveys.indicator",)
for _module in EXTRA_INDICATOR_MODULES:
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)


def get_indicator(code: str) -> Indicator | None:
    return INDICATORS.get(code)


def all_indicators() -> list[Indicator]:
    return list(INDICATORS.values())


# --- measuring ------------------------------------------------------------------------


def measure(indicator: Indicator, day: date, *, street_id: int | None = None,
            company_id: int | None = None) -> dict[int | None, Counts] | None:
    """Counts per street key (None: rows in no street) in one query; None when unavailable."""
    statement = _measure_statement(indicator, day, street_id, company_id)
    if statement is None:
        return None
    return {row.street_id: Counts(int(row.numerator), int(row.denominator))
            for row in db.session.execute(statement)}


def _measure_statement(indicator: Indicator, day: date, street_id, company_id):
    """``measure``'s statement (street_id, denominator, numerator), None when unavailable."""
    base = indicator.base(day)
    if base is None:
        return None
    statement = base.select_from(select(
        base.street.label("street_id"), func.count().label("denominator"),
        func.coalesce(func.sum(base.achieved_flag), 0).label("numerator"),
    ))
    return _restrict(statement, base, street_id, company_id).group_by(base.street)


def measure_many(indicators: list[Indicator], day: date, *, street_id: int | None = None,
                 company_id: int | None = None) -> dict[str, dict[int | None, Counts] | None]:
    """``measure`` for several indicators: code → counts per street key, in ONE statement.

    Each indicator's query is one part of a UNION ALL, its rows tagged with the part's position.
    An indicator that is a subset of another one measured too (``Indicator.subset_of``) has no
    part of its own: the wider indicator's part is also grouped by the subset's condition (the
    ``in_n`` flags; the other parts carry 0 there, so every part has the same columns).
    """
    codes = {indicator.code for indicator in indicators}
    subsets: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        if indicator.subset_of is not None and indicator.subset_of[0] in codes:
            subsets.setdefault(indicator.subset_of[0], []).append(indicator)
    derived = {i.code for parts in subsets.values() for i in parts}
    measured = [i for i in indicators if i.code not in derived]
    width = max((len(parts) for parts in subsets.values()), default=0)
    result: dict[str, dict[int | None, Counts] | None] = {}
    statements = []
    for index, indicator in enumerate(measured):
        parts = subsets.get(indicator.code, [])
        statement = _measure_part(indicator, day, street_id, company_id, index, parts, width)
        result.update({i.code: None if statement is None else {} for i in [indicator, *parts]})
        if statement is not None:
            statements.append(statement)
    if not statements:
        return result
    for row in db.session.execute(statements[0] if len(statements) == 1 else union_all(*statements)):
        indicator = measured[row.part]
        parts = subsets.get(indicator.code, [])
        counts = Counts(int(row.numerator), int(row.denominator))
        for owner in [indicator] + [part for n, part in enumerate(parts) if row._mapping[f"in_{n}"]]:
            group = result[owner.code]
            group[row.street_id] = group.get(row.street_id, NO_COUNTS) + counts
    return result


def _measure_part(indicator: Indicator, day: date, street_id, company_id, index: int, parts: list[Indicator],
                  width: int):
    """One part of ``measure_many``'s UNION ALL: its position, the subset flags, ``measure``'s columns."""
    base = indicator.base(day)
    if base is None:
        return None
    # Constants as SQL text (ints of ours): typed alike on every database, never grouped by.
    flags = [case((part.subset_of[1](), 1), else_=0).label(f"in_{n}") for n, part in enumerate(parts)]
    padding = [literal_column("0", Integer).label(f"in_{n}") for n in range(len(parts), width)]
    statement = base.select_from(select(
        literal_column(str(index), Integer).label("part"), *flags, *padding, base.street.label("street_id"),
        func.count().label("denominator"), func.coalesce(func.sum(base.achieved_flag), 0).label("numerator"),
    ))
    return _restrict(statement, base, street_id, company_id).group_by(base.street, *flags)


def statement_tables(indicator: Indicator, day: date) -> frozenset[str]:
    """The tables ``measure_many`` reads for ``indicator`` (its SQL; the calendar it may read in Python is not
    among them)."""
    statement = _measure_part(indicator, day, None, None, 0, [], 0)
    return frozenset() if statement is None else figures.statement_tables(statement)


def total(groups: dict[int | None, Counts] | None) -> Counts | None:
    if groups is None:
        return None
    result = NO_COUNTS
    for counts in groups.values():
        result = result + counts
    return result


def measure_total(indicator: Indicator, day: date, *, street_id: int | None = None,
                  company_id: int | None = None) -> Counts | None:
    return total(measure(indicator, day, street_id=street_id, company_id=company_id))


def _restrict(statement, base: Base, street_id, company_id):
    if street_id is not None:
        statement = statement.where(base.street == street_id)
    if company_id is not None:
        if base.company is None:
            return statement.where(literal(False))
        statement = statement.where(base.company == company_id)
    return statement


def gap_rows(indicator: Indicator, day: date, *, street_id: int | None = None, company_id: int | None = None,
             extra_where=()):
    """A ``select`` of the rows in the denominator but not in the numerator (None when unavailable).

    ``extra_where`` takes further conditions, such as the viewer's scope clause.
    """
    base = indicator.base(day)
    if base is None:
        return None
    columns, joins, options, order_by = indicator.gap_columns(base)
    statement = base.select_from(select(*columns))
    for target, onclause, outer in joins:
        statement = statement.join(target, onclause, isouter=outer)
    statement = _restrict(statement, base, street_id, company_id).where(base.gap, *extra_where)
    if options:
        statement = statement.options(*options)
    return statement.order_by(*order_by)


@dataclass(frozen=True)
class GapPage:
    """``gap_rows`` by pages first: ``keys`` selects the rows' subject ids in the drill-down's order (its filters,
    joins that may drop rows and order only, so a page walks an index in that order and stops after it), and
    ``rows`` the columns of ``gap_rows`` (with the id as ``gap_key``) for the ids bound as ``gap_keys``."""

    keys: object
    rows: object

    def load(self, keys: list) -> dict:
        return {row.gap_key: row for row in db.session.execute(self.rows, {"gap_keys": list(keys)})}


def gap_page(indicator: Indicator, day: date, *, street_id: int | None = None, company_id: int | None = None,
             extra_where=()) -> GapPage | None:
    """``gap_rows`` as a ``GapPage`` (None when unavailable, or when its rows have no id: a list of weeks)."""
    base = indicator.base(day)
    if base is None or getattr(base.subject, "id", None) is None:
        return None
    columns, joins, options, order_by = indicator.gap_columns(base)
    key = base.subject.id
    keys = select(key).select_from(base.subject)
    for target, onclause, outer in base.joins if base.page_joins is None else base.page_joins:
        keys = keys.join(target, onclause, isouter=outer)
    keys = keys.where(*(base.where if base.page_where is None else base.page_where))
    for target, onclause, outer in joins:
        if not outer:  # an inner join could drop a row; the outer ones are to one row (a name) at most
            keys = keys.join(target, onclause)
    gap = base.gap if base.page_gap is None else base.page_gap
    keys = _restrict(keys, base, street_id, company_id).where(gap, *extra_where).order_by(*order_by)
    rows = select(*columns, key.label("gap_key")).select_from(base.subject)
    for target, onclause, outer in [*(base.joins if base.page_joins is None else base.page_joins), *joins]:
        rows = rows.join(target, onclause, isouter=outer)
    rows = rows.where(key.in_(bindparam("gap_keys", expanding=True)))
    if options:
        rows = rows.options(*options)
    return GapPage(keys, rows)


def subject_model(indicator: Indicator, day: date):
    base = indicator.base(day)
    return base.subject if base is not None else None
