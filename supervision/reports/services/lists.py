"""What a street has to do (this week's duties, earlier weeks missing) and the report lists' queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, and_, bindparam, case, exists, or_, select
from sqlalchemy.orm import joinedload

from ...campaigns.models import Campaign, CampaignStatus, Enrolment
from ...core.timeutil import to_local, utcnow
from ...extensions import db
from ..models import ReportStatus, WeeklyReport
from ..weeks import Week, due_at_for
from .grid import GRID_COLUMNS, Cell, CellStatus, cell_status, report_grid
from .periods import campaign_weeks, grid_street_spans


@dataclass
class Duty:
    campaign: Campaign
    week: Week
    due_at: datetime
    report: WeeklyReport | None
    status: CellStatus


@cache
def _street_campaigns_statement():
    # Built once (the street a parameter): the landing page and the report list ask on every view.
    return (select(Campaign).options(joinedload(Campaign.phases))
            # Probed per running campaign on the enrolments' (campaign, street) index, not the street's enrolments
            # read into a list first.
            .where(Campaign.status == CampaignStatus.ACTIVE,
                   exists(select(Enrolment.id).where(Enrolment.campaign_id == Campaign.id,
                                                     Enrolment.street_id == bindparam("street_id", type_=Integer))))
            .order_by(Campaign.year.desc(), Campaign.id))


def street_campaigns(street_id: int) -> list[Campaign]:
    """The running campaigns with an estate of the street, with their phases (their weeks), in one query."""
    return list(db.session.scalars(_street_campaigns_statement(), {"street_id": street_id}).unique())


def street_duties(street_id: int, *, now: datetime | None = None, campaigns: list[Campaign] | None = None
                  ) -> list[Duty]:
    """The running campaigns the street reports to this week, with this week's report (``campaigns``:
    ``street_campaigns``, when the caller has them)."""
    now = now or utcnow()
    week = Week.of(to_local(now).date())
    if campaigns is None:
        campaigns = street_campaigns(street_id)
    if not campaigns:
        return []
    # The running campaigns' reports only: the street has a report of this week in every campaign it ever
    # reported to that covered it (100 at 100×, where past campaigns repeat the weeks), narratives and all.
    reports = {r.campaign_id: r for r in db.session.scalars(select(WeeklyReport).where(
        WeeklyReport.street_id == street_id, WeeklyReport.iso_year == week.iso_year,
        WeeklyReport.iso_week == week.iso_week, WeeklyReport.campaign_id.in_([c.id for c in campaigns])))}
    duties = []
    for campaign in campaigns:
        if week not in campaign_weeks(campaign, to_local(now).date()):
            continue
        report = reports.get(campaign.id)
        due = report.due_at if report else due_at_for(campaign, week)
        # ``is_expected`` with the spans the grid keeps per data generation: counted live, they read the street's
        # every enrolment of the campaign (~1,500 at 100×) on each view of the landing page and the report list.
        if report is None and not _expected(campaign, street_id, week, due):
            continue
        duties.append(Duty(campaign, week, due, report, cell_status(report, due, now)))
    return duties


def _expected(campaign: Campaign, street_id: int, week: Week, due: datetime) -> bool:
    span = grid_street_spans(campaign.id, [street_id]).get(street_id)
    return span is not None and span.expects(week, due)


def overdue_cells_for_street(street_id: int, *, now: datetime | None = None, weeks: int = 8,
                             campaigns: list[Campaign] | None = None) -> list[Cell]:
    """This street's missing reports of the previous weeks (this week's is a duty), to offer filing them late
    (``campaigns``: ``street_campaigns``, when the caller has them)."""
    now = now or utcnow()
    today = to_local(now).date()
    cells = []
    campaigns = sorted(street_campaigns(street_id) if campaigns is None else campaigns, key=lambda c: c.id)
    earliest = Week.of(today).prev(weeks)
    spans = {campaign.id: [w for w in campaign_weeks(campaign, today) if earliest <= w < Week.of(today)]
             for campaign in campaigns}
    # Every campaign's reports of those weeks in one query (the grid would read them a campaign at a time).
    reports: dict[int, list] = {campaign_id: [] for campaign_id in spans}
    ranges = [and_(WeeklyReport.campaign_id == campaign_id, WeeklyReport.week_start.between(span[0].monday,
                                                                                           span[-1].monday))
              for campaign_id, span in spans.items() if span]
    if ranges:
        for row in db.session.execute(select(WeeklyReport.campaign_id, *GRID_COLUMNS).where(
                WeeklyReport.street_id == street_id, or_(*ranges))):
            reports[row.campaign_id].append(row)
    for campaign in campaigns:
        span = spans[campaign.id]
        grid = report_grid(campaign, span, street_ids=[street_id], now=now, reports=reports[campaign.id])
        for row in grid.rows:
            for cell in row.cells:
                if cell.expected and cell.status is CellStatus.MISSING:
                    cell.campaign = campaign  # type: ignore[attr-defined]
                    cells.append(cell)
    return cells


def reports_statement(*, campaign_id=None, street_id=None, week: Week | None = None, status=None, keys=False):
    """The report list with its filters (the view adds the user's scope); with ``keys`` the reports' ids alone,
    in the list's order (``paginate_keys``: sorting whole rows, narratives and all, was most of the list)."""
    statement = select(WeeklyReport.id) if keys else \
        select(WeeklyReport).options(joinedload(WeeklyReport.street), joinedload(WeeklyReport.campaign))
    if campaign_id:
        statement = statement.where(WeeklyReport.campaign_id == campaign_id)
    if street_id:
        statement = statement.where(WeeklyReport.street_id == street_id)
    if week is not None:
        statement = statement.where(WeeklyReport.iso_year == week.iso_year, WeeklyReport.iso_week == week.iso_week)
    if status == "late":
        statement = statement.where(WeeklyReport.late_clause())
    elif status:
        statement = statement.where(WeeklyReport.status == ReportStatus(status))
    return statement.order_by(WeeklyReport.week_start.desc(), WeeklyReport.street_id, WeeklyReport.id.desc())


def reporting_campaigns(user=None):
    """Campaigns with reports or enrolments: active first, then closed; for filters."""
    statement = select(Campaign).where(Campaign.status != CampaignStatus.DRAFT)
    if user is not None:
        statement = statement.where(Campaign.scope_clause(user))
    order = case((Campaign.status == CampaignStatus.ACTIVE, 0), else_=1)
    return list(db.session.scalars(statement.order_by(order, Campaign.year.desc(), Campaign.id.desc())))
