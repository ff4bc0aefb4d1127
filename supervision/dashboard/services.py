"""What the landing page and the monthly report show: key figures, scorecards, charts.

Everything is computed from the records on request (a handful of aggregate queries), except
that the landing page's indicators and key figures are kept per process until the data behind them
changes (``landing``, keyed by the "dashboard" data generation: a change shows at once on every
worker); the page says when they were computed. The indicators' counts are kept the same way, per
indicator (``targets.services.measured``), for the targets pages, the indicator chart and the API too;
the drill-downs' rows, the other charts and the reports are always live. Today's counts and key figures
are also stored by the transaction that changes their data (``core.figures``), so a worker's first request
after a change reads them (one query) instead of counting.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, bindparam, case, func, literal_column, select, union_all

from ..campaigns.models import Campaign, CampaignStatus, Enrolment, EnrolmentStatus, ItemState, RectificationItem
from ..campaigns.services.progress import PROGRESS_TOPIC
from ..companies import services as company_services
from ..companies.models import Certificate, CertificateType, Company, Position, Staff, position_certificate_requirements
from ..complaints.rates import RATES_TOPIC
from ..core import figures, generations
from ..core.holidays.models import HOLIDAYS_TOPIC, ReportWeekRequirement
from ..core.timeutil import local_today, utcnow
from ..credit.models import SCORES_TOPIC
from ..estates.handover import period_join
from ..estates.management import EstateManagement
from ..estates.models import CommitteeStatus, Estate, ManagementMode, OwnersCommittee
from ..estates.services import committee_status_clause
from ..extensions import db
from ..regions.models import District, Street
from ..regions.services import bureau_name
from ..surveys.card import SURVEYS_TOPIC
from ..targets import services as target_services
from ..targets.indicators import (
    Counts,
    all_indicators,
    gap_rows,
    get_indicator,
    weekly_report_model,
)
from ..targets.models import Target, TargetSnapshot
from . import charts

# The indicators drawn on the trend chart of the landing page (the source documents' own).
TREND_INDICATORS = ("manager_cert", "committee", "coverage", "rectification", "campaign_closure")


# What the landing page's indicators and key figures are made of: changing any of it changes this
# data generation, which keys the per-process cache of those figures (``landing``).
DASHBOARD_TOPIC = "dashboard"


def _watch_dashboard_inputs() -> None:

    generations.watch(DASHBOARD_TOPIC, Target, TargetSnapshot, Street, Company, Estate, OwnersCommittee, Staff,
                      Certificate, CertificateType, Position, position_certificate_requirements, Campaign, Enrolment,
                      RectificationItem)
    # A past day's figures (the targets of a past year, its drill-downs) read the management periods.
    generations.watch(DASHBOARD_TOPIC, EstateManagement)
    # The working-week calendar (每周抽查覆盖率's weeks) reads the report-week decisions too.
    generations.watch(DASHBOARD_TOPIC, ReportWeekRequirement)
    report = weekly_report_model()
    if report is not None:
        generations.watch(DASHBOARD_TOPIC, report)


_watch_dashboard_inputs()


# The generations the landing page reads (its cache, the calendar, the to-do list, the survey card, the
# complaint rates).
LANDING_TOPICS = (DASHBOARD_TOPIC, HOLIDAYS_TOPIC, PROGRESS_TOPIC, SURVEYS_TOPIC, RATES_TOPIC)


def read_generations() -> None:
    """Read the landing page's generations in one query: the session keeps them for the request."""
    generations.snapshot(LANDING_TOPICS)


# The generations a company user's landing page reads (its credit score, the survey card).
COMPANY_TOPICS = (SCORES_TOPIC, SURVEYS_TOPIC)


def read_company_generations() -> None:
    generations.snapshot(COMPANY_TOPICS)


def landing(key: tuple, compute):
    """``(compute(), computed_at)`` for the landing page, reused until the data behind it changes.

    Kept per process under ``key`` (the scope and the day) and the "dashboard" data generation, so
    every worker shows a change on its next request; computed live within a transaction that
    changed the data, or before the first change of a new database.
    """
    size = current_app.config.get("DASHBOARD_CACHE_SIZE", 16)
    if size <= 0:
        return compute(), utcnow()
    return generations.cached(DASHBOARD_TOPIC, "dashboard_landing", size, key, lambda: (compute(), utcnow()))


def landing_html(key: tuple, render):
    """``render()`` (HTML made only of the landing page's cached figures), kept like ``landing``'s."""
    size = current_app.config.get("DASHBOARD_CACHE_SIZE", 16)
    if size <= 0:
        return render()
    return generations.cached(DASHBOARD_TOPIC, "dashboard_landing_html", size, key, render)


def detach(*objects) -> None:
    """Take loaded ORM rows out of the session so they can outlive the request in a cache."""
    for obj in objects:
        if obj is not None and obj in db.session:
            db.session.expunge(obj)


@dataclass(frozen=True)
class Figure:
    label: object  # a lazy string
    value: int
    note: object = ""
    tone: str = ""  # "" | "danger" | "warning"


def key_figures(day: date, street_id: int | None = None) -> list[Figure]:
    """The district's (or one street's) headline numbers: today's as the committing transaction stored them
    (``core.figures``), else counted in one query."""
    counts = None
    if day == local_today():
        key = figures_key(street_id, day)
        counts = figures.load(KEY_FIGURES, generations.current(DASHBOARD_TOPIC), [key]).get(key)
    if counts is None:
        counts = db.session.execute(key_figures_statement(day, street_id)).one()._asdict()
    return figures_of(counts, street_id)


def figures_of(counts: dict, street_id: int | None) -> list[Figure]:
    unmanaged, open_items, overdue = counts["unmanaged"], counts["open_items"], counts["overdue_items"]
    return [
        Figure(_l("小区总数"), counts["estates"], _l("未归档")),
        Figure(_l("无物业小区"), unmanaged, _l("待覆盖"), "danger" if unmanaged else ""),
        Figure(_l("已成立业委会"), counts["committees"]),
        Figure(_l("物业企业"), counts["companies"], _l("本街道服务企业") if street_id else ""),
        Figure(_l("未销项整改事项"), open_items, "", "warning" if open_items else ""),
        Figure(_l("逾期未销项"), overdue, _l("已过整改期限"), "danger" if overdue else ""),
        Figure(_l("专项行动在册小区"), counts["enrolments"], _l("进行中的行动")),
    ]


def key_figures_statement(day: date, street_id: int | None = None):
    """The headline numbers' one statement (columns named as ``figures_of`` reads them)."""

    # A past day counts who managed each estate then (the management history), today the registry.
    facts = period_join(day) if day < local_today() else None
    managed_mode = facts.mode if facts is not None else Estate.management_mode
    managed_by = facts.company if facts is not None else Estate.company_id

    def estates(*conditions):
        statement = select(func.count(Estate.id)).select_from(Estate)
        if facts is not None:
            statement = statement.join(facts.period, facts.onclause, isouter=True)
        statement = statement.where(Estate.archived_at.is_(None), *conditions)
        if street_id is not None:
            statement = statement.where(Estate.street_id == street_id)
        return statement.scalar_subquery()

    def items(*conditions):
        statement = select(func.count(RectificationItem.id)).where(*conditions)
        if street_id is not None:
            statement = statement.where(RectificationItem.street_id == street_id)
        return statement.scalar_subquery()

    companies = select(func.count(Company.id)).where(Company.archived_at.is_(None))
    if street_id is not None:
        # The street's companies as one uncorrelated list (IN): a correlated EXISTS looked through the
        # street's estates once per company in the district (12,000 × 1,800 rows at 100×).
        served = select(managed_by).select_from(Estate)
        if facts is not None:
            served = served.join(facts.period, facts.onclause, isouter=True)
        companies = companies.where(Company.id.in_(served.where(
            managed_by.is_not(None), Estate.street_id == street_id, Estate.archived_at.is_(None))))
    enrolments = (select(func.count(Enrolment.id)).join(Campaign, Campaign.id == Enrolment.campaign_id)
                  .where(Enrolment.status == EnrolmentStatus.ACTIVE, Campaign.status == CampaignStatus.ACTIVE))
    if street_id is not None:
        enrolments = enrolments.where(Enrolment.street_id == street_id)
    # From the committees' side (one per estate): a look-up per formed committee, not per estate.
    committees = (select(func.count(OwnersCommittee.id)).join(Estate, Estate.id == OwnersCommittee.estate_id)
                  .where(committee_status_clause(CommitteeStatus.FORMED, day), Estate.archived_at.is_(None)))
    if street_id is not None:
        committees = committees.where(Estate.street_id == street_id)
    open_items = RectificationItem.state != ItemState.ACCEPTED
    return select(
        estates().label("estates"),
        estates(managed_mode == ManagementMode.NONE).label("unmanaged"),
        committees.scalar_subquery().label("committees"),
        companies.scalar_subquery().label("companies"),
        items(open_items).label("open_items"),
        items(and_(open_items, RectificationItem.deadline < day)).label("overdue_items"),
        enrolments.scalar_subquery().label("enrolments"),
    )


# Today's key figures of the district and of each active street, stored by the transaction that changed their
# tables (``core.figures``): a commit that wrote none of a scope's tables carries its figures over.
KEY_FIGURES = "dashboard_key_figures"


def figures_key(street_id: int | None, day: date) -> str:
    return f"{'district' if street_id is None else street_id}|{day.isoformat()}"


def _key_figures_scopes() -> dict[str, int | None]:
    day = local_today()
    streets = db.session.scalars(select(Street.id).where(Street.active.is_(True)).order_by(Street.id))
    return {figures_key(street_id, day): street_id for street_id in (None, *streets)}


def key_figures_by_street(day: date) -> tuple[dict[int | None, dict], frozenset[str]]:
    """Today's key figures of the district (key None) and of every street at once — what ``key_figures_statement``
    gives for each scope, from one grouped statement per figure — and the tables they read."""
    open_items = RectificationItem.state != ItemState.ACCEPTED
    overdue = and_(open_items, RectificationItem.deadline < day)
    statements = {
        "estates": select(Estate.street_id, func.count(Estate.id),
                          func.coalesce(func.sum(case((Estate.management_mode == ManagementMode.NONE, 1), else_=0)), 0))
        .where(Estate.archived_at.is_(None)).group_by(Estate.street_id),
        "committees": select(Estate.street_id, func.count(OwnersCommittee.id))
        .join(Estate, Estate.id == OwnersCommittee.estate_id)
        .where(committee_status_clause(CommitteeStatus.FORMED, day), Estate.archived_at.is_(None))
        .group_by(Estate.street_id),
        # a street's companies: the active ones managing one of its estates (the district's: every active one)
        "companies": select(Estate.street_id, func.count(Estate.company_id.distinct()))
        .join(Company, Company.id == Estate.company_id)
        .where(Estate.archived_at.is_(None), Company.archived_at.is_(None)).group_by(Estate.street_id),
        "all_companies": select(func.count(Company.id)).where(Company.archived_at.is_(None)),
        "items": select(RectificationItem.street_id,
                        func.coalesce(func.sum(case((open_items, 1), else_=0)), 0),
                        func.coalesce(func.sum(case((overdue, 1), else_=0)), 0))
        .group_by(RectificationItem.street_id),
        "enrolments": select(Enrolment.street_id, func.count(Enrolment.id))
        .join(Campaign, Campaign.id == Enrolment.campaign_id)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE, Campaign.status == CampaignStatus.ACTIVE)
        .group_by(Enrolment.street_id),
    }
    names = ("estates", "unmanaged", "committees", "companies", "open_items", "overdue_items", "enrolments")
    scopes: dict[int | None, dict] = {}

    def add(street_id, **counts):
        for scope in {None, street_id}:
            entry = scopes.setdefault(scope, dict.fromkeys(names, 0))
            for name, value in counts.items():
                if scope is not None or name != "companies":
                    entry[name] += int(value or 0)

    for street_id, estates, unmanaged in db.session.execute(statements["estates"]):
        add(street_id, estates=estates, unmanaged=unmanaged)
    for street_id, committees in db.session.execute(statements["committees"]):
        add(street_id, committees=committees)
    for street_id, companies in db.session.execute(statements["companies"]):
        add(street_id, companies=companies)
    for street_id, open_count, overdue_count in db.session.execute(statements["items"]):
        add(street_id, open_items=open_count, overdue_items=overdue_count)
    for street_id, enrolments in db.session.execute(statements["enrolments"]):
        add(street_id, enrolments=enrolments)
    scopes.setdefault(None, dict.fromkeys(names, 0))["companies"] = db.session.scalar(statements["all_companies"])
    tables = frozenset().union(*(figures.statement_tables(statement) for statement in statements.values()))
    return scopes, tables


def _precompute_key_figures(keys: list[str]) -> dict[str, figures.Entry]:
    day = local_today()
    scopes = _key_figures_scopes()
    by_street, tables = key_figures_by_street(day)
    empty = dict.fromkeys(by_street[None], 0)
    inputs = tables | {Street.__tablename__}
    return {key: figures.Entry(by_street.get(scopes[key], empty), inputs) for key in keys if key in scopes}


figures.register(figures.Precomputed(DASHBOARD_TOPIC, KEY_FIGURES, lambda: list(_key_figures_scopes()),
                                     _precompute_key_figures))


def _chart_row(label: str, cell) -> dict:
    """One bar of a chart; the page's data table under the chart prints the same row."""
    return {"label": label, "value": cell.value, "threshold": cell.threshold.value, "status": cell.status.value,
            "threshold_text": cell.threshold_percent, "status_label": cell.status.label}


def street_chart_rows(card, indicator_code: str) -> list[dict]:
    return [_chart_row(row.name, row.cells[indicator_code]) for row in card.streets]


def indicator_chart_rows(row) -> list[dict]:
    return [_chart_row(str(cell.indicator.name), cell) for cell in row.cells.values()]


def trend_svg(street_id: int | None, scope_name: str, *, until: date, indicator_code: str | None = None,
              weeks: int = 26, year: int | None = None) -> str:
    if indicator_code:
        indicator = get_indicator(indicator_code)
        chosen = [indicator]
        targets = target_services.year_targets(year or until.year)
        threshold = target_services.resolve_threshold(targets, indicator, street_id).value
        title = _("%(scope)s · %(indicator)s 周趋势", scope=scope_name, indicator=indicator.name)
    else:
        chosen = [get_indicator(code) for code in TREND_INDICATORS]
        threshold = None
        title = _("%(scope)s · 主要指标周趋势", scope=scope_name)
    series = target_services.trend(chosen, street_id, until=until, weeks=weeks)
    return charts.trend_chart(title, [(str(s.indicator.name), s.points) for s in series], threshold=threshold)


def streets_svg(card, indicator_code: str) -> str:
    indicator = get_indicator(indicator_code)
    return charts.bars_chart(_("各街道%(indicator)s", indicator=indicator.name),
                             street_chart_rows(card, indicator_code))


def indicators_chart(row, scope_name: str) -> str:
    """``indicators_svg``'s bars, written as SVG without matplotlib (the page's chart: on each request)."""
    return charts.horizontal_bars_svg(_("%(scope)s · 各项指标完成情况", scope=scope_name), indicator_chart_rows(row))


def indicators_svg(row, scope_name: str) -> str:
    return charts.bars_chart(_("%(scope)s · 各项指标完成情况", scope=scope_name), indicator_chart_rows(row),
                             horizontal=True)


# --- the company's own view -----------------------------------------------------------------

@dataclass
class CompanyCertification:
    managers: Counts
    staff: Counts
    missing: list  # rows of staff without a valid certificate (the first ``limit``)
    missing_total: int


def company_certification(company_id: int, day: date, limit: int = 50) -> CompanyCertification:
    """The company's two certification rates (the indicators ``staff_cert`` and ``manager_cert`` restricted to the
    company: ``companies.services.company_certification``'s totals, the same rows and conditions) and the first
    ``limit`` staff members the company's rate misses (``gap_rows``), from statements built once per process and
    day with the company bound: building them cost more than running them."""
    staff, managers, _estates = company_services.company_certification(company_id, on=day)
    missing = list(db.session.execute(_company_gap_statement(day, limit), {"gap_company_id": company_id}).all())
    return CompanyCertification(Counts(managers.numerator, managers.denominator),
                                Counts(staff.numerator, staff.denominator), missing, staff.missing)


@lru_cache(maxsize=4)
def _company_gap_statement(day: date, limit: int):
    company = bindparam("gap_company_id", type_=Integer)
    return gap_rows(get_indicator("staff_cert"), day, company_id=company).limit(limit)


# --- the monthly report ---------------------------------------------------------------------

def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def report_day(year: int, month: int) -> date:
    """The day a month's report is measured on: its last day, or today for the current month."""
    _first, last = month_bounds(year, month)
    return min(last, local_today())


# The report summarises: each gap lists its first rows and says how many there are; the drill-down
# page (目标考核 › 差额明细) has them all.
GAP_ROWS_IN_REPORT = 5
# The kinds of row monthly.html prints a table for; the others are counted and pointed to.
LISTED_SUBJECTS = ("staff", "estate", "item", "enrolment", "report")


def gap_samples(indicators, day: date, street_id: int | None = None,
                limit: int = GAP_ROWS_IN_REPORT) -> dict[str, list]:
    """indicator code → its first ``limit`` gap rows (as ``gap_rows`` gives them, in its order).

    One query per kind of row (staff, estates, items …), however many indicators list that kind:
    a UNION ALL picks each indicator's first ids (its own LIMIT and order), then the rows are
    loaded with what the tables print.
    """
    groups: dict[tuple, list] = {}
    for indicator in indicators:
        base = indicator.base(day)
        if base is not None:
            groups.setdefault((indicator.gap_columns, base.subject), []).append((indicator, base))
    samples: dict[str, list] = {}
    for (gap_columns, subject), members in groups.items():
        parts = []
        for index, (_indicator, base) in enumerate(members):
            columns, joins, _options, order_by = gap_columns(base)
            part = base.select_from(select(
                literal_column(str(index), Integer).label("part"), subject.id.label("id"),
                func.row_number().over(order_by=order_by).label("position")))
            for target, onclause, outer in joins:  # the order may name a joined column
                part = part.join(target, onclause, isouter=outer)
            part = part.where(base.achieved_flag == 0)
            if street_id is not None:
                part = part.where(base.street == street_id)
            parts.append(select(part.order_by(*order_by).limit(limit).subquery()))
        chosen = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
        columns, joins, options, _order_by = gap_columns(members[0][1])
        statement = select(*columns, chosen.c.part).select_from(subject).join(chosen, chosen.c.id == subject.id)
        for target, onclause, outer in joins:
            statement = statement.join(target, onclause, isouter=outer)
        if options:
            statement = statement.options(*options)
        for indicator, _base in members:
            samples[indicator.code] = []
        for row in db.session.execute(statement.order_by(chosen.c.part, chosen.c.position)):
            samples[members[row.part][0].code].append(row)
    return samples


def report_scorecard(year: int, month: int, street=None) -> tuple:
    """``(day, card, row)``: the month's scorecard (the district's with its streets, or the street's)."""
    day = report_day(year, month)
    if street is None:
        card = target_services.scorecard(day, year=year)
        return day, card, card.district
    card = target_services.scorecard(day, year=year, street_ids=[street.id], include_district=False)
    return day, card, card.streets[0]


def monthly_report(year: int, month: int, street=None, scorecard: tuple | None = None) -> dict:
    """Plain data for templates/pdf/dashboard/monthly.html, but its charts (``with_charts``)."""

    day, card, row = scorecard or report_scorecard(year, month, street)
    street_id = street.id if street is not None else None
    scope_name = street.name if street is not None else _("全区")
    district = db.session.scalar(select(District).order_by(District.id).limit(1))

    short = [indicator for indicator in all_indicators()
             if row.cells[indicator.code].counts is not None and row.cells[indicator.code].gap > 0]
    samples = gap_samples([i for i in short if i.subject in LISTED_SUBJECTS], day, street_id)
    gaps = []
    for indicator in short:
        cell = row.cells[indicator.code]
        rows = samples.get(indicator.code, [])
        gaps.append({"indicator": indicator, "cell": cell, "rows": rows, "total": cell.gap, "shown": len(rows),
                     "listed": indicator.code in samples})
    return {
        "year": year, "month": month, "day": day, "scope_name": scope_name, "street": street,
        "district_name": district.name if district else "",
        "bureau_name": bureau_name(district),
        "card": card, "row": row, "figures": key_figures(day, street_id),
        "gaps": gaps, "indicators": all_indicators(),
        "status_counts": {status: row.count(status) for status in target_services.Status},
        "generated_at": local_today(), "Status": target_services.Status,
    }


def with_charts(data: dict) -> dict:
    """The report's data with its charts (drawn only when the PDF is made, not to count its pages)."""
    street, row, card = data["street"], data["row"], data["card"]
    street_id = street.id if street is not None else None
    trend = trend_svg(street_id, data["scope_name"], until=data["day"], year=data["year"])
    street_charts = []
    if street is None and card.streets:
        for code in ("committee", "coverage", "manager_cert", "rectification"):
            street_charts.append(charts.inline(streets_svg(card, code)))
    return dict(data, trend_chart=charts.inline(trend),
                indicator_chart=charts.inline(indicators_svg(row, data["scope_name"])), street_charts=street_charts)


# What the report's parts take on landscape A4 pages (measured on the 100× district): the key figures and
# the targets, the charts, the complaint rates, the definitions; the street table and the gap lists by
# their lines.
FIXED_PAGES = {"district": 6, "street": 5}
STREET_ROWS_PER_PAGE = 8
GAP_LINES_PER_PAGE = 26


def expected_pages(street, card, row) -> int:
    """About how many pages the report takes, from its scorecard alone (jobs.pdfs makes it in a job above
    PDF_JOB_PAGES)."""
    pages = FIXED_PAGES["district" if street is None else "street"]
    if street is None:
        pages += -(-len(card.rows) // STREET_ROWS_PER_PAGE)
    lines = 0
    for indicator in all_indicators():
        cell = row.cells[indicator.code]
        if cell.counts is not None and cell.gap > 0:
            listed = indicator.subject in LISTED_SUBJECTS
            lines += 4 + min(cell.gap, GAP_ROWS_IN_REPORT) if listed else 2
    return pages + -(-lines // GAP_LINES_PER_PAGE)
