"""The bureau's grid of streets × weeks (报送总览) and the status of each cell.

Statuses (``CellStatus``), the rule of 按时 being 按时定稿 (``models.stands_on_time``):

- 按时报送: the report stands sent and its latest submission arrived by the due time;
- 迟报: it stands sent and its latest submission arrived after the due time — also when
  its first submission was on time and it was returned and sent again after the due time
  (the cell still says 首报按时 through ``Cell.first_on_time``);
- 已退回: returned for correction and not yet sent again; once its due time has passed it
  can no longer be on time and counts as not on time;
- 未报: expected, due time passed, never submitted (a draft never sent counts as missing);
- 草稿 / 待报: before the due time.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, case, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from ...campaigns.models import Campaign, CampaignStatus
from ...core.enums import LabelledEnum
from ...core.timeutil import utcnow
from ...estates.sections import PerScope
from ...extensions import db
from ...regions.models import Street
from ..models import SENT, ReportStatus, WeeklyReport, stands_on_time
from ..weeks import Week, due_at_for
from .periods import grid_street_spans


class CellStatus(LabelledEnum):
    ON_TIME = ("on_time", _l("按时报送"), "success")
    LATE = ("late", _l("迟报"), "warning")
    MISSING = ("missing", _l("未报"), "danger")
    RETURNED = ("returned", _l("已退回"), "info")
    DRAFT = ("draft", _l("草稿"), "secondary")
    PENDING = ("pending", _l("待报"), "light")


@dataclass
class Cell:
    street_id: int
    week: Week
    due_at: datetime
    status: CellStatus
    expected: bool = True
    report_id: int | None = None
    first_submitted_at: datetime | None = None
    submitted_at: datetime | None = None  # the latest submission
    first_late: bool = False  # first submission after the due time (the 迟 mark on a returned cell)
    due_passed: bool = False

    @property
    def on_time(self) -> bool:
        """按时定稿 (see the module docstring)."""
        return self.status is CellStatus.ON_TIME

    @property
    def first_on_time(self) -> bool:
        """按时首报: the first submission arrived by the due time."""
        return self.first_submitted_at is not None and not self.first_late

    @property
    def counted(self) -> bool:
        """Counts for punctuality: expected, and sent or past its due time (a returned report
        counts once its due time has passed: before, it can still be sent on time)."""
        if not self.expected or self.status in (CellStatus.PENDING, CellStatus.DRAFT):
            return False
        return self.status is not CellStatus.RETURNED or self.due_passed


def cell_status(report, due: datetime, now: datetime) -> CellStatus:
    """The status of one street-week as the bureau sees it (``report``: a ``WeeklyReport`` or a row
    with its ``status``, ``first_submitted_at`` and ``submitted_at``)."""
    if report is not None and report.first_submitted_at is not None:
        if report.status is ReportStatus.RETURNED:
            return CellStatus.RETURNED
        return CellStatus.ON_TIME if stands_on_time(report.status, report.submitted_at, due) else CellStatus.LATE
    if now > due:
        return CellStatus.MISSING
    if report is not None:
        return CellStatus.DRAFT
    return CellStatus.PENDING


def report_status_of(report: WeeklyReport, now: datetime | None = None) -> CellStatus:
    return cell_status(report, report.due_at, now or utcnow())


@dataclass
class GridRow:
    street: Street
    cells: list[Cell]

    @property
    def expected_count(self) -> int:
        return sum(1 for c in self.cells if c.counted)

    @property
    def on_time_count(self) -> int:
        return sum(1 for c in self.cells if c.counted and c.on_time)


@dataclass
class Grid:
    campaign: Campaign
    weeks: list[Week]
    rows: list[GridRow]
    due: dict[Week, datetime]
    now: datetime

    def column(self, index: int) -> dict[CellStatus, int]:
        counts: dict[CellStatus, int] = defaultdict(int)
        for row in self.rows:
            cell = row.cells[index]
            if cell.expected:
                counts[cell.status] += 1
        return counts

    def punctual(self, index: int) -> tuple[int, int]:
        """(on time, due) in one week's column, by the punctuality rule."""
        cells = [row.cells[index] for row in self.rows if row.cells[index].counted]
        return sum(1 for c in cells if c.on_time), len(cells)

    @property
    def totals(self) -> dict[CellStatus, int]:
        counts: dict[CellStatus, int] = defaultdict(int)
        for row in self.rows:
            for cell in row.cells:
                if cell.expected:
                    counts[cell.status] += 1
        return counts


# What a cell needs of a report (not the narratives and figures).
GRID_COLUMNS = (WeeklyReport.id, WeeklyReport.street_id, WeeklyReport.iso_year, WeeklyReport.iso_week,
                WeeklyReport.due_at, WeeklyReport.status, WeeklyReport.first_submitted_at, WeeklyReport.submitted_at)


def _reports_for(campaign_id: int, weeks: list[Week], street_ids=None) -> list:
    """The weeks' reports as rows of only what a cell needs (not the narratives and figures)."""
    if not weeks:
        return []
    statement = select(*GRID_COLUMNS).where(
        WeeklyReport.campaign_id == campaign_id,
        WeeklyReport.week_start.between(weeks[0].monday, weeks[-1].monday),
    )
    if street_ids is not None:
        statement = statement.where(WeeklyReport.street_id.in_(list(street_ids)))
    return list(db.session.execute(statement))


def report_grid(campaign: Campaign, weeks: list[Week], *, street_ids=None, now: datetime | None = None,
                reports=None) -> Grid:
    """Streets × weeks with the status of each cell, in a fixed number of queries (``reports``: the weeks'
    reports when the caller has read them already, e.g. the bulletin's)."""
    now = now or utcnow()
    weeks = sorted(weeks)
    due = {week: due_at_for(campaign, week) for week in weeks}
    spans = grid_street_spans(campaign.id, street_ids)
    if reports is None:
        reports = _reports_for(campaign.id, weeks, street_ids)
    by_cell = {(r.street_id, Week(r.iso_year, r.iso_week)): r for r in reports}
    ids = set(spans) | {r.street_id for r in reports}
    # A street office's own street is mostly in the session already (its report list): no query then.
    known = [db.session.identity_map.get(identity_key(Street, i)) for i in ids] if street_ids is not None else [None]
    if all(street is not None and not sa_inspect(street).expired_attributes for street in known):
        streets = sorted(known, key=lambda street: (street.code or "", street.name_sort or ""))
    else:
        streets = list(db.session.scalars(
            select(Street).options(joinedload(Street.district))  # the bulletin's bureau name, without a query
            .where(Street.id.in_(ids)).order_by(Street.code, Street.name_sort))) if ids else []
    rows = []
    for street in streets:
        span = spans.get(street.id)
        cells = []
        for week in weeks:
            report = by_cell.get((street.id, week))
            if report is None:
                expected = span is not None and span.expects(week, due[week])
                cells.append(Cell(street_id=street.id, week=week, due_at=due[week],
                                  status=cell_status(None, due[week], now), expected=expected,
                                  due_passed=now > due[week]))
                continue
            first = report.first_submitted_at
            cells.append(Cell(
                street_id=street.id, week=week, due_at=report.due_at,
                status=cell_status(report, report.due_at, now), expected=True, report_id=report.id,
                first_submitted_at=first, submitted_at=report.submitted_at if report.status in SENT else None,
                first_late=first is not None and first > report.due_at, due_passed=now > report.due_at,
            ))
        rows.append(GridRow(street, cells))
    return Grid(campaign=campaign, weeks=weeks, rows=rows, due=due, now=now)


OVERVIEW_CAMPAIGN_CHOICES = 30

def overview_campaigns(user=None, chosen_id: int | None = None, limit: int = OVERVIEW_CAMPAIGN_CHOICES):
    """The overview's campaigns to choose from: as ``reporting_campaigns`` (active first, then the
    most recent closed ones) but at most ``limit`` of them, plus ``chosen_id`` when visible.

    A district adds campaigns every year; the overview lists a bounded number (an older one is
    reached through its reports, whose pages link to its overview). Rows of what the chooser shows
    (``id``, ``name``, ``year``, ``status``); ``overview_campaign`` loads the one shown.
    """
    if user is None:
        statement, params = _overview_campaigns_statement(None, limit), {}
    else:
        statement, params = _OVERVIEW_CAMPAIGNS(user, limit), PerScope.params(user)

    def key(c):
        return c.status is not CampaignStatus.ACTIVE, -c.year, -c.id

    campaigns = sorted(db.session.execute(statement, {**params, "chosen_id": chosen_id}), key=key)
    others = [c for c in campaigns if c.id != chosen_id][:limit]
    return sorted(others + [c for c in campaigns if c.id == chosen_id], key=key)


def _overview_campaigns_statement(user, limit: int):
    """``overview_campaigns``' statement (``user``: a ``PerScope`` stand-in, or None for no scope); the chosen
    campaign first (``chosen_id``, a parameter: NULL chooses none)."""
    statement = select(Campaign.id, Campaign.name, Campaign.year, Campaign.status).where(
        Campaign.status != CampaignStatus.DRAFT)
    if user is not None:
        statement = statement.where(Campaign.scope_clause(user))
    return statement.order_by(
        case((Campaign.id == bindparam("chosen_id", type_=Integer), 0), else_=1),
        case((Campaign.status == CampaignStatus.ACTIVE, 0), else_=1), Campaign.year.desc(), Campaign.id.desc(),
    ).limit(limit + 1)


# Built once per process for each shape of user (the scope's EXISTS over the enrolments cost more to build than run).
_OVERVIEW_CAMPAIGNS = PerScope(_overview_campaigns_statement)


def overview_campaign(campaign_id: int) -> Campaign | None:
    """The campaign the overview shows, with its phases (its weeks), in one query."""
    return db.session.get(Campaign, campaign_id, options=[joinedload(Campaign.phases)])

