"""The rules of weekly reports: filing, submitting, returning; the bureau's grid
of streets × weeks; punctuality; reminders and missing-report notices.

Rules chosen where the issue is silent (summarised in ``supervision/reports/__init__.py``):

- Which streets must report for a campaign: those with an enrolment in it that
  is not withdrawn. A street is expected for a week when its first enrolment
  was made before that week's due time, and until its last enrolment is
  withdrawn (a street whose estates are all closed, 销号, still reports).
- Which weeks: from the week of the campaign's first phase start to the week of
  its last phase end, or to the current week.
- Late: first submitted after the due time. A report returned by the bureau and
  resubmitted keeps the punctuality of its first submission; the bureau's
  return is about content, and the grid shows the return separately.
- Missing: an expected cell with no submission once its due time has passed (a
  draft that was never sent counts as missing).
- The system figures are snapshotted at every submission; a resubmission
  refreshes the snapshot (the corrected report is sent again), the audit log
  keeps each snapshot as sent.
- ``remind`` (``flask reports remind``) does two things, both idempotent:
  on the due day, before the due time, it reminds the streets that have not yet
  submitted; after a due time (looking back two weeks) it tells each street
  whose report is missing, and the bureau once per campaign and week.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from ..attachments.models import Attachment
from ..attachments.services import IMAGE, PDF, XLSX, store_bytes
from ..attachments.services import validate as validate_upload
from ..audit.services import record, record_change, snapshot
from ..campaigns.models import Campaign, CampaignStatus, Enrolment, EnrolmentStatus
from ..core.enums import LabelledEnum
from ..core.errors import DomainError, TransitionError
from ..core.timeutil import local_today, to_local, utcnow
from ..extensions import db
from ..notifications.services import bureau_users, notify, street_users
from ..regions.models import District, Street
from .figures import MAX_FIGURE_VALUE, figure_definitions, figures_by_street, street_week_figures
from .models import EDITABLE, SENT, ReportStatus, ReportTransition, WeeklyReport
from .weeks import Week, due_at_for, weeks_between

ATTACHMENT_KINDS = (IMAGE, PDF, XLSX)
ATTACHMENT_PURPOSE = "report"
EDIT_FIELDS = ("entered_figures", "progress", "problems", "next_week_plan", "contact_person", "contact_phone")


# --- the campaign's reporting period and the streets that must report ---------

def campaign_period(campaign: Campaign):
    """(first day, last day or None) of the campaign's reporting period."""
    phases = list(campaign.phases)
    if phases:
        return min(p.starts_on for p in phases), max(p.ends_on for p in phases)
    created = campaign.created_at or utcnow()
    return to_local(created).date(), None


def campaign_weeks(campaign: Campaign, today=None) -> list[Week]:
    """Every week of the campaign up to the current one."""
    today = today or local_today()
    first_day, last_day = campaign_period(campaign)
    last = min(last_day, today) if last_day else today
    if last < first_day:
        return []
    return weeks_between(Week.of(first_day), Week.of(last))


@dataclass(frozen=True)
class StreetSpan:
    """When a street has to report for a campaign."""

    street_id: int
    first_enrolled_at: datetime
    all_withdrawn_at: datetime | None  # None while an enrolment remains

    def expects(self, week: Week, due: datetime) -> bool:
        if self.first_enrolled_at >= due:
            return False
        return self.all_withdrawn_at is None or self.all_withdrawn_at > week.start_utc


def street_spans(campaign_id: int, street_ids=None) -> dict[int, StreetSpan]:
    """One query: for each street of the campaign, when it must report."""
    remaining = func.sum(case((Enrolment.status != EnrolmentStatus.WITHDRAWN, 1), else_=0))
    statement = (
        select(Enrolment.street_id, func.min(Enrolment.enrolled_at).label("first"),
               remaining.label("remaining"), func.max(Enrolment.withdrawn_at).label("last_withdrawn"))
        .where(Enrolment.campaign_id == campaign_id).group_by(Enrolment.street_id)
    )
    if street_ids is not None:
        statement = statement.where(Enrolment.street_id.in_(list(street_ids)))
    spans = {}
    for row in db.session.execute(statement):
        withdrawn = None
        if not row.remaining:
            withdrawn = row.last_withdrawn or row.first
        spans[row.street_id] = StreetSpan(row.street_id, row.first, withdrawn)
    return spans


def grid_street_spans(campaign_id: int, street_ids=None) -> dict[int, StreetSpan]:
    """``street_spans`` reused until the campaign data changes, for the grid.

    A campaign of thousands of enrolments is added up once per change, not per view: kept per
    process under (campaign, streets, the ``campaign_progress`` data generation, which changes in
    the same transaction as any enrolment — ``supervision/core/generations.py``).
    ``REPORT_SPANS_CACHE_SIZE`` (0 = always live) sets how many a process keeps.
    """
    from ..campaigns.services.progress import PROGRESS_TOPIC
    from ..core import generations

    streets = None if street_ids is None else tuple(sorted(set(street_ids)))
    return generations.cached(PROGRESS_TOPIC, "report_street_spans",
                              current_app.config.get("REPORT_SPANS_CACHE_SIZE", 16),
                              (campaign_id, streets), lambda: street_spans(campaign_id, street_ids))


def is_expected(campaign: Campaign, street_id: int, week: Week) -> bool:
    span = street_spans(campaign.id, [street_id]).get(street_id)
    return span is not None and span.expects(week, due_at_for(campaign, week))


# --- statuses of the grid ------------------------------------------------------

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
    late: bool = False  # first submission after the due time (kept when returned)

    @property
    def counted(self) -> bool:
        """Counts for punctuality: expected and past its due time, or already sent."""
        return self.expected and self.status is not CellStatus.PENDING and self.status is not CellStatus.DRAFT


def cell_status(report: WeeklyReport | None, due: datetime, now: datetime) -> CellStatus:
    """The status of one street-week as the bureau sees it."""
    if report is not None and report.first_submitted_at is not None:
        if report.status is ReportStatus.RETURNED:
            return CellStatus.RETURNED
        return CellStatus.LATE if report.first_submitted_at > due else CellStatus.ON_TIME
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
        return sum(1 for c in self.cells if c.counted and c.first_submitted_at is not None and not c.late)


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
        return sum(1 for c in cells if c.first_submitted_at is not None and not c.late), len(cells)

    @property
    def totals(self) -> dict[CellStatus, int]:
        counts: dict[CellStatus, int] = defaultdict(int)
        for row in self.rows:
            for cell in row.cells:
                if cell.expected:
                    counts[cell.status] += 1
        return counts


def _reports_for(campaign_id: int, weeks: list[Week], street_ids=None) -> list:
    """The weeks' reports as rows of only what a cell needs (not the narratives and figures)."""
    if not weeks:
        return []
    statement = select(
        WeeklyReport.id, WeeklyReport.street_id, WeeklyReport.iso_year, WeeklyReport.iso_week,
        WeeklyReport.due_at, WeeklyReport.status, WeeklyReport.first_submitted_at,
    ).where(
        WeeklyReport.campaign_id == campaign_id,
        WeeklyReport.week_start.between(weeks[0].monday, weeks[-1].monday),
    )
    if street_ids is not None:
        statement = statement.where(WeeklyReport.street_id.in_(list(street_ids)))
    return list(db.session.execute(statement))


def report_grid(campaign: Campaign, weeks: list[Week], *, street_ids=None, now: datetime | None = None) -> Grid:
    """Streets × weeks with the status of each cell, in a fixed number of queries."""
    now = now or utcnow()
    weeks = sorted(weeks)
    due = {week: due_at_for(campaign, week) for week in weeks}
    spans = grid_street_spans(campaign.id, street_ids)
    reports = _reports_for(campaign.id, weeks, street_ids)
    by_cell = {(r.street_id, Week(r.iso_year, r.iso_week)): r for r in reports}
    ids = set(spans) | {r.street_id for r in reports}
    streets = list(db.session.scalars(select(Street).where(Street.id.in_(ids)).order_by(Street.code, Street.name))) \
        if ids else []
    rows = []
    for street in streets:
        span = spans.get(street.id)
        cells = []
        for week in weeks:
            report = by_cell.get((street.id, week))
            if report is None:
                expected = span is not None and span.expects(week, due[week])
                cells.append(Cell(street_id=street.id, week=week, due_at=due[week],
                                  status=cell_status(None, due[week], now), expected=expected))
                continue
            first = report.first_submitted_at
            cells.append(Cell(
                street_id=street.id, week=week, due_at=report.due_at,
                status=cell_status(report, report.due_at, now), expected=True, report_id=report.id,
                first_submitted_at=first, late=first is not None and first > report.due_at,
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
    statement = select(Campaign.id, Campaign.name, Campaign.year, Campaign.status).where(
        Campaign.status != CampaignStatus.DRAFT)
    if user is not None:
        statement = statement.where(Campaign.scope_clause(user))
    order = [case((Campaign.status == CampaignStatus.ACTIVE, 0), else_=1), Campaign.year.desc(), Campaign.id.desc()]
    if chosen_id is not None:
        order.insert(0, case((Campaign.id == chosen_id, 0), else_=1))

    def key(c):
        return c.status is not CampaignStatus.ACTIVE, -c.year, -c.id

    campaigns = sorted(db.session.execute(statement.order_by(*order).limit(limit + 1)), key=key)
    others = [c for c in campaigns if c.id != chosen_id][:limit]
    return sorted(others + [c for c in campaigns if c.id == chosen_id], key=key)


def overview_campaign(campaign_id: int) -> Campaign | None:
    """The campaign the overview shows, with its phases (its weeks), in one query."""
    return db.session.get(Campaign, campaign_id, options=[joinedload(Campaign.phases)])


# --- punctuality (for the dashboard) -------------------------------------------

@dataclass
class Punctuality:
    """How a street (or the district) reported over some weeks."""

    street_id: int | None
    street_name: str
    due: int = 0  # cells expected whose due time has passed (or that were sent early)
    on_time: int = 0
    late: int = 0
    missing: int = 0
    returned: int = 0  # of those sent, currently returned for correction

    @property
    def rate(self) -> float | None:
        """On-time ÷ due; None when nothing was due yet."""
        return self.on_time / self.due if self.due else None

    def add(self, cell: Cell) -> None:
        if not cell.counted:
            return
        self.due += 1
        if cell.status is CellStatus.MISSING:
            self.missing += 1
        elif cell.late:
            self.late += 1
        else:
            self.on_time += 1
        if cell.status is CellStatus.RETURNED:
            self.returned += 1


@dataclass
class PunctualitySummary:
    streets: list[Punctuality]
    total: Punctuality


def punctuality(campaign: Campaign, weeks: list[Week] | None = None, *, now: datetime | None = None
                ) -> PunctualitySummary:
    """Weekly-report punctuality per street and for the district.

    ``weeks`` defaults to every week of the campaign so far. A week counts once
    its due time has passed (or once the street has sent its report).
    """
    now = now or utcnow()
    if weeks is None:
        weeks = campaign_weeks(campaign, to_local(now).date())
    grid = report_grid(campaign, weeks, now=now)
    total = Punctuality(None, _("全区"))
    streets = []
    for row in grid.rows:
        entry = Punctuality(row.street.id, row.street.name)
        for cell in row.cells:
            entry.add(cell)
            total.add(cell)
        streets.append(entry)
    return PunctualitySummary(streets=streets, total=total)


def recent_punctuality(weeks: int = 8, *, now: datetime | None = None) -> PunctualitySummary:
    """Punctuality over the last ``weeks`` weeks, across every active campaign."""
    now = now or utcnow()
    today = to_local(now).date()
    total = Punctuality(None, _("全区"))
    per_street: dict[int, Punctuality] = {}
    campaigns = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE)
                                   .order_by(Campaign.id)).all()
    earliest = Week.of(today).prev(weeks - 1)
    for campaign in campaigns:
        span = [w for w in campaign_weeks(campaign, today) if w >= earliest]
        summary = punctuality(campaign, span, now=now)
        for entry in summary.streets:
            mine = per_street.setdefault(entry.street_id, Punctuality(entry.street_id, entry.street_name))
            for name in ("due", "on_time", "late", "missing", "returned"):
                setattr(mine, name, getattr(mine, name) + getattr(entry, name))
                setattr(total, name, getattr(total, name) + getattr(entry, name))
    return PunctualitySummary(streets=sorted(per_street.values(), key=lambda p: p.street_name), total=total)


# --- filing a report -----------------------------------------------------------

def _transition(report: WeeklyReport, to_status: ReportStatus, user, comment: str | None = None,
                at: datetime | None = None) -> None:
    report.transitions.append(ReportTransition(
        from_status=report.status, to_status=to_status, at=at or utcnow(), by_id=getattr(user, "id", None), comment=comment,
    ))


def find_report(campaign_id: int, street_id: int, week: Week) -> WeeklyReport | None:
    return db.session.scalar(select(WeeklyReport).where(
        WeeklyReport.campaign_id == campaign_id, WeeklyReport.street_id == street_id,
        WeeklyReport.iso_year == week.iso_year, WeeklyReport.iso_week == week.iso_week,
    ))


def blank_entered(campaign: Campaign) -> list[dict]:
    return [dict(d, value=None) for d in figure_definitions(campaign)]


def start_report(campaign: Campaign, street_id: int, week: Week, *, user=None,
                 now: datetime | None = None) -> tuple[WeeklyReport, bool]:
    """The street's report for the week, created as a draft when missing.

    Refused for a campaign not running, a week outside the campaign or in the
    future, and a street that has nothing enrolled in the campaign that week.
    """
    existing = find_report(campaign.id, street_id, week)
    if existing is not None:
        return existing, False
    now = now or utcnow()
    if campaign.status is not CampaignStatus.ACTIVE:
        raise DomainError(_("该专项行动不在进行中，不能填报周报。"))
    if week > Week.of(to_local(now).date()):
        raise DomainError(_("不能提前填报以后各周的周报。"))
    if week not in campaign_weeks(campaign, to_local(now).date()):
        raise DomainError(_("%(week)s 不在该专项行动的报送期内。", week=week.label))
    if not is_expected(campaign, street_id, week):
        raise DomainError(_("本街道在 %(week)s 没有纳入该专项行动的小区，无需报送。", week=week.label))
    report = WeeklyReport(
        campaign_id=campaign.id, street_id=street_id, iso_year=week.iso_year, iso_week=week.iso_week,
        week_start=week.monday, due_at=due_at_for(campaign, week), status=ReportStatus.DRAFT,
        entered_figures=blank_entered(campaign), created_by_id=getattr(user, "id", None),
        contact_person=getattr(user, "display_name", None), contact_phone=getattr(user, "phone", None),
        submission_count=0, return_count=0,
    )
    report.transitions.append(ReportTransition(from_status=None, to_status=ReportStatus.DRAFT, at=now,
                                               by_id=getattr(user, "id", None)))
    db.session.add(report)
    db.session.flush()
    record("report.create", report, after=snapshot(report, ["campaign_id", "street_id", "iso_year", "iso_week",
                                                            "due_at"]), actor=user)
    return report, True


def _locked_message(report: WeeklyReport) -> str:
    return _("该周报已于 %(at)s 报送，已锁定，不能修改。如需更正，请联系区住建局退回。",
             at=to_local(report.submitted_at).strftime("%Y-%m-%d %H:%M") if report.submitted_at else "")


def ensure_editable(report: WeeklyReport) -> None:
    if report.status not in EDITABLE:
        raise TransitionError(_locked_message(report))


def merged_entered(report: WeeklyReport, campaign: Campaign | None = None) -> list[dict]:
    """The report's entered figures in the campaign's current order and labels.

    A sent report keeps exactly what it was sent with; an editable one follows
    the campaign's list, keeping values already typed in.
    """
    current = list(report.entered_figures or [])
    if report.status not in EDITABLE:
        return current
    values = {e.get("code"): e.get("value") for e in current}
    return [dict(d, value=values.get(d["code"])) for d in figure_definitions(campaign or report.campaign)]


def save_report(report: WeeklyReport, *, entered: dict, progress=None, problems=None, next_week_plan=None,
                contact_person=None, contact_phone=None, user=None) -> WeeklyReport:
    """Save the street's part of a draft (or returned) report."""
    ensure_editable(report)
    before = snapshot(report, list(EDIT_FIELDS))
    figures = []
    for definition in merged_entered(report):
        value = entered.get(definition["code"])
        if value is not None:
            value = int(value)
            if value < 0 or value > MAX_FIGURE_VALUE:
                raise DomainError(_("“%(label)s”应为 0 至 %(max)s 之间的整数。", label=definition["label"],
                                    max=MAX_FIGURE_VALUE), field=f"fig_{definition['code']}")
        figures.append(dict(definition, value=value))
    report.entered_figures = figures
    report.progress = _clean(progress)
    report.problems = _clean(problems)
    report.next_week_plan = _clean(next_week_plan)
    report.contact_person = _clean(contact_person)
    report.contact_phone = _clean(contact_phone)
    if snapshot(report, list(EDIT_FIELDS)) != before:
        record_change("report.update", report, before, actor=user)
    return report


def _clean(text):
    if text is None:
        return None
    text = str(text).replace("\r\n", "\n").strip()
    return text or None


def missing_for_submission(report: WeeklyReport) -> list[tuple[str, str]]:
    """What must still be filled in before submitting: [(field, message)]."""
    problems = []
    for entry in merged_entered(report):
        if entry.get("value") is None:
            problems.append((f"fig_{entry['code']}", _("请填写“%(label)s”（没有请填 0）。", label=entry["label"])))
    if not report.progress:
        problems.append(("progress", _("请填写本周工作进展。")))
    if not report.next_week_plan:
        problems.append(("next_week_plan", _("请填写下周工作计划。")))
    if not report.contact_person:
        problems.append(("contact_person", _("请填写填报人。")))
    return problems


def submit_report(report: WeeklyReport, *, user=None, now: datetime | None = None) -> WeeklyReport:
    """Send the report: lock it, stamp the time, snapshot the system figures."""
    ensure_editable(report)
    missing = missing_for_submission(report)
    if missing:
        field_name, message = missing[0]
        raise DomainError(message, field=field_name)
    now = now or utcnow()
    resubmission = report.first_submitted_at is not None
    before = snapshot(report, ["status", "submitted_at", "first_submitted_at"])
    to_status = ReportStatus.RESUBMITTED if resubmission else ReportStatus.SUBMITTED
    _transition(report, to_status, user, at=now)
    figures = street_week_figures(report.campaign_id, report.street_id, report.iso_year, report.iso_week, now=now)
    report.entered_figures = merged_entered(report)
    report.system_figures = figures
    report.figures_at = now
    report.status = to_status
    report.submitted_at = now
    report.submitted_by_id = getattr(user, "id", None)
    report.submission_count = (report.submission_count or 0) + 1
    if not resubmission:
        report.first_submitted_at = now
    after = snapshot(report, ["status", "submitted_at", "first_submitted_at"])
    after.update(late=report.is_late, system_figures=figures, entered_figures=report.entered_figures)
    record("report.resubmit" if resubmission else "report.submit", report, before=before, after=after, actor=user)
    if resubmission and report.returned_by_id:
        from ..auth.models import User

        returner = db.session.get(User, report.returned_by_id)
        notify([returner], kind="report", title=_("%(street)s 已重新报送《%(campaign)s》%(week)s 周报",
                                                  street=report.street.name, campaign=report.campaign.name,
                                                  week=report.week.label),
               dedup_key=f"report-resubmitted:{report.id}:{report.submission_count}",
               link=_report_link(report))
    return report


def return_report(report: WeeklyReport, *, comment: str, user=None, now: datetime | None = None) -> WeeklyReport:
    """The bureau sends a report back to the street with its comments."""
    if report.status not in SENT:
        raise TransitionError(_("只能退回已报送的周报。"))
    comment = _clean(comment)
    if not comment:
        raise DomainError(_("请填写退回意见。"), field="comment")
    now = now or utcnow()
    before = snapshot(report, ["status", "returned_at", "return_comment"])
    _transition(report, ReportStatus.RETURNED, user, comment=comment, at=now)
    report.status = ReportStatus.RETURNED
    report.returned_at = now
    report.returned_by_id = getattr(user, "id", None)
    report.return_comment = comment
    report.return_count = (report.return_count or 0) + 1
    record_change("report.return", report, before, actor=user)
    notify(street_users(report.street_id), kind="report",
           title=_("《%(campaign)s》%(week)s 周报被区住建局退回，请修改后重新报送",
                   campaign=report.campaign.name, week=report.week.label),
           body=comment, dedup_key=f"report-returned:{report.id}:{report.return_count}", link=_report_link(report))
    return report


def add_attachments(report: WeeklyReport, files, *, user=None) -> list[Attachment]:
    """Store uploaded files for a report that can still be edited.

    Every file is checked before any is stored: one bad file stores none.
    """
    ensure_editable(report)
    checked = []
    for file_storage in files or ():
        if file_storage is None or not getattr(file_storage, "filename", None):
            continue
        data = file_storage.read()
        validate_upload(data, file_storage.filename, ATTACHMENT_KINDS)
        checked.append((data, file_storage.filename))
    return [store_bytes(data, name, kinds=ATTACHMENT_KINDS, owner=report, purpose=ATTACHMENT_PURPOSE, user=user)
            for data, name in checked]


def report_attachments(report: WeeklyReport) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(
        Attachment.owner_type == WeeklyReport.attachment_owner_type, Attachment.owner_id == report.id,
    ).order_by(Attachment.id)))


def remove_attachment(report: WeeklyReport, attachment: Attachment, *, user=None) -> None:
    """Take a file off a report still being edited (the file itself is kept)."""
    ensure_editable(report)
    if attachment.owner_type != WeeklyReport.attachment_owner_type or attachment.owner_id != report.id:
        raise DomainError(_("该附件不属于本周报。"))
    record("report.attachment_remove", report, before={"attachment_id": attachment.id,
                                                       "name": attachment.original_name}, actor=user)
    attachment.owner_type = None
    attachment.owner_id = None


def _path(endpoint: str, **values) -> str:
    """A site-relative URL for a notification, also from the command line."""
    if has_request_context():
        return url_for(endpoint, _external=False, **values)
    with current_app.test_request_context():
        return url_for(endpoint, _external=False, **values)


def _report_link(report: WeeklyReport) -> str:
    return _path("reports.detail", report_id=report.id)


def _cell_link(campaign_id: int, street_id: int, week: Week) -> str:
    return _path("reports.cell", campaign_id=campaign_id, street_id=street_id, week=str(week))


# --- reminders and missing-report notices ----------------------------------------

@dataclass
class RemindResult:
    reminded: int = 0  # notifications created for the due day
    missing: int = 0  # notifications created for missing reports
    details: list[str] = field(default_factory=list)


MISSING_LOOKBACK = timedelta(days=14)


def remind(now: datetime | None = None) -> RemindResult:
    """Due-day reminders and missing-report notices; safe to run at any time, any number of times."""
    now = now or utcnow()
    today = to_local(now).date()
    result = RemindResult()
    campaigns = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE)
                                   .order_by(Campaign.id)).all()
    bureau = None
    for campaign in campaigns:
        weeks = [w for w in campaign_weeks(campaign, today) if w >= Week.of(today).prev(2)]
        if not weeks:
            continue
        grid = report_grid(campaign, weeks, now=now)
        for index, week in enumerate(grid.weeks):
            due = grid.due[week]
            if to_local(due).date() == today and now <= due:
                for row in grid.rows:
                    cell = row.cells[index]
                    if cell.expected and cell.first_submitted_at is None:
                        created = notify(
                            street_users(row.street.id), kind="report-remind",
                            title=_("请于今天 %(time)s 前报送《%(campaign)s》%(week)s 周报",
                                    time=to_local(due).strftime("%H:%M"), campaign=campaign.name, week=week.label),
                            dedup_key=f"report-remind:{campaign.id}:{row.street.id}:{week}",
                            link=_cell_link(campaign.id, row.street.id, week))
                        result.reminded += created
                        if created:
                            result.details.append(f"remind {campaign.id} {row.street.name} {week}")
            elif due < now <= due + MISSING_LOOKBACK:
                late_streets = []
                for row in grid.rows:
                    cell = row.cells[index]
                    if not (cell.expected and cell.status is CellStatus.MISSING):
                        continue
                    late_streets.append(row.street.name)
                    created = notify(
                        street_users(row.street.id), kind="report-missing",
                        title=_("《%(campaign)s》%(week)s 周报已逾期未报送，请尽快补报",
                                campaign=campaign.name, week=week.label),
                        dedup_key=f"report-missing:{campaign.id}:{row.street.id}:{week}",
                        link=_cell_link(campaign.id, row.street.id, week))
                    result.missing += created
                    if created:
                        result.details.append(f"missing {campaign.id} {row.street.name} {week}")
                if late_streets:
                    if bureau is None:
                        bureau = bureau_users()
                    names = "、".join(late_streets)
                    result.missing += notify(
                        bureau, kind="report-missing",
                        title=_("《%(campaign)s》%(week)s：%(n)s 个街道逾期未报送周报（%(names)s）",
                                campaign=campaign.name, week=week.label, n=len(late_streets), names=names),
                        dedup_key=f"report-missing:{campaign.id}:{week}",
                        link=_overview_link(campaign.id, week))
    return result


def _overview_link(campaign_id: int, week: Week) -> str:
    return _path("reports.overview", campaign=campaign_id, start=str(week.prev(7)), to=str(week))


# --- the district bulletin (工作简报) -----------------------------------------------

HIGHLIGHT_LENGTH = 150


def trim(text: str | None, length: int = HIGHLIGHT_LENGTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip("，。；、,.; ") + "…"


def _says_nothing(text: str | None) -> bool:
    return not text or text.strip().strip("。.") in {"无", "暂无", "没有", "无。", "-", "—"}


@dataclass
class BulletinRow:
    street: Street
    cell: Cell
    report: WeeklyReport | None
    figures: dict  # system figures: the snapshot as sent, else computed now
    figures_live: bool
    entered: dict  # {code: value} from a sent report, else empty
    attachments: list[str] = field(default_factory=list)  # names of a sent report's files

    @property
    def sent(self) -> bool:
        return self.report is not None and self.report.status in SENT


@dataclass
class Bulletin:
    campaign: Campaign
    week: Week
    issue: int  # 第 N 期: the week's number within the campaign
    bureau_name: str
    district_name: str
    due_at: datetime
    definitions: list[dict]
    rows: list[BulletinRow]
    totals: dict
    entered_totals: dict
    generated_at: datetime

    @property
    def on_time(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.cell.status is CellStatus.ON_TIME]

    @property
    def late(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.cell.late]

    @property
    def missing(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.cell.status is CellStatus.MISSING]

    @property
    def pending(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.cell.status in (CellStatus.PENDING, CellStatus.DRAFT)]

    @property
    def returned(self) -> list[BulletinRow]:
        return [r for r in self.rows if r.cell.status is CellStatus.RETURNED]

    @property
    def highlights(self) -> list[tuple[str, str]]:
        return [(r.street.name, trim(r.report.progress)) for r in self.rows
                if r.sent and not _says_nothing(r.report.progress)]

    @property
    def requests(self) -> list[tuple[str, str]]:
        return [(r.street.name, trim(r.report.problems)) for r in self.rows
                if r.sent and not _says_nothing(r.report.problems)]


def _attachment_names(report_ids: list[int]) -> dict[int, list[str]]:
    """{report id: [file names]} of the given reports, in one query."""
    names: dict[int, list[str]] = defaultdict(list)
    if report_ids:
        for owner_id, name in db.session.execute(
            select(Attachment.owner_id, Attachment.original_name).where(
                Attachment.owner_type == WeeklyReport.attachment_owner_type, Attachment.owner_id.in_(report_ids))
            .order_by(Attachment.owner_id, Attachment.id)
        ):
            names[owner_id].append(name)
    return names


def bulletin(campaign: Campaign, week: Week, *, now: datetime | None = None) -> Bulletin:
    """Everything the week's bulletin shows, in a fixed number of queries.

    Per street: the system figures as sent (the snapshot) when the report was
    sent, else as computed now; the entered figures and narratives only from
    sent reports (a returned report is being corrected and is listed apart).
    """
    now = now or utcnow()
    grid = report_grid(campaign, [week], now=now)
    rows_by_street = {row.street.id: row for row in grid.rows if row.cells[0].expected}
    reports = {r.id: r for r in db.session.scalars(
        select(WeeklyReport).options(joinedload(WeeklyReport.submitted_by))
        .where(WeeklyReport.campaign_id == campaign.id,
               WeeklyReport.iso_year == week.iso_year, WeeklyReport.iso_week == week.iso_week)
    )}
    files = _attachment_names([r.id for r in reports.values() if r.status in SENT])

    def snapshot_of(street_id):
        cell = rows_by_street[street_id].cells[0]
        report = reports.get(cell.report_id) if cell.report_id else None
        if report is not None and report.system_figures and report.first_submitted_at is not None:
            return report.system_figures
        return None

    # Live figures only for the streets without a snapshot (none once every street has sent).
    unsent = [street_id for street_id in rows_by_street if snapshot_of(street_id) is None]
    live = figures_by_street(campaign, week, unsent, now=now) if unsent else {}
    definitions = figure_definitions(campaign)
    rows = []
    for street_id, grid_row in rows_by_street.items():
        cell = grid_row.cells[0]
        report = reports.get(cell.report_id) if cell.report_id else None
        sent = report is not None and report.status in SENT
        if snapshot_of(street_id) is not None:
            figures, figures_live = dict(report.system_figures), False
        else:
            figures, figures_live = live.get(street_id, {}), True
        entered = {e["code"]: e.get("value") for e in (report.entered_figures or [])} if sent else {}
        rows.append(BulletinRow(grid_row.street, cell, report, figures, figures_live, entered,
                                files.get(report.id, []) if sent else []))
    totals: dict[str, int] = defaultdict(int)
    entered_totals: dict[str, int] = defaultdict(int)
    for row in rows:
        for code, value in row.figures.items():
            totals[code] += int(value or 0)
        for code, value in row.entered.items():
            entered_totals[code] += int(value or 0)
    district = db.session.scalar(
        select(District).join(Street, Street.district_id == District.id)
        .where(Street.id.in_(list(rows_by_street) or [0])).order_by(District.id).limit(1)
    ) or db.session.scalar(select(District).order_by(District.id).limit(1))
    all_weeks = campaign_weeks(campaign, max(week.sunday, to_local(now).date()))
    issue = all_weeks.index(week) + 1 if week in all_weeks else week.iso_week
    return Bulletin(
        campaign=campaign, week=week, issue=issue,
        bureau_name=district.bureau_name if district else _("区住房和城乡建设局"),
        district_name=district.name if district else "",
        due_at=grid.due[week], definitions=definitions, rows=rows, totals=dict(totals),
        entered_totals=dict(entered_totals), generated_at=now,
    )


def latest_closed_week(campaign: Campaign, now: datetime | None = None) -> Week | None:
    """The latest week whose due time has passed (the default of the bulletin), else the first."""
    now = now or utcnow()
    weeks = campaign_weeks(campaign, to_local(now).date())
    past = [w for w in weeks if due_at_for(campaign, w) < now]
    return past[-1] if past else (weeks[0] if weeks else None)


# --- what a street has to do this week ------------------------------------------------

@dataclass
class Duty:
    campaign: Campaign
    week: Week
    due_at: datetime
    report: WeeklyReport | None
    status: CellStatus


def street_duties(street_id: int, *, now: datetime | None = None) -> list[Duty]:
    """The running campaigns the street reports to this week, with this week's report."""
    now = now or utcnow()
    week = Week.of(to_local(now).date())
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE,
                               Campaign.id.in_(select(Enrolment.campaign_id).where(Enrolment.street_id == street_id)))
        .order_by(Campaign.year.desc(), Campaign.id)
    ).all()
    reports = {r.campaign_id: r for r in db.session.scalars(select(WeeklyReport).where(
        WeeklyReport.street_id == street_id, WeeklyReport.iso_year == week.iso_year,
        WeeklyReport.iso_week == week.iso_week))}
    duties = []
    for campaign in campaigns:
        if week not in campaign_weeks(campaign, to_local(now).date()):
            continue
        report = reports.get(campaign.id)
        due = report.due_at if report else due_at_for(campaign, week)
        if report is None and not is_expected(campaign, street_id, week):
            continue
        duties.append(Duty(campaign, week, due, report, cell_status(report, due, now)))
    return duties


def overdue_cells_for_street(street_id: int, *, now: datetime | None = None, weeks: int = 8) -> list[Cell]:
    """This street's missing reports of the previous weeks (this week's is a duty), to offer filing them late."""
    now = now or utcnow()
    today = to_local(now).date()
    cells = []
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE,
                               Campaign.id.in_(select(Enrolment.campaign_id).where(Enrolment.street_id == street_id)))
        .order_by(Campaign.id)
    ).all()
    earliest = Week.of(today).prev(weeks)
    for campaign in campaigns:
        span = [w for w in campaign_weeks(campaign, today) if earliest <= w < Week.of(today)]
        grid = report_grid(campaign, span, street_ids=[street_id], now=now)
        for row in grid.rows:
            for cell in row.cells:
                if cell.expected and cell.status is CellStatus.MISSING:
                    cell.campaign = campaign  # type: ignore[attr-defined]
                    cells.append(cell)
    return cells


def reports_statement(*, campaign_id=None, street_id=None, week: Week | None = None, status=None):
    """The report list with its filters (the view adds the user's scope)."""
    statement = select(WeeklyReport).options(joinedload(WeeklyReport.street), joinedload(WeeklyReport.campaign))
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


__all__ = [
    "CellStatus", "Cell", "Grid", "Punctuality", "PunctualitySummary", "Bulletin",
    "campaign_weeks", "report_grid", "punctuality", "recent_punctuality", "street_week_figures",
    "figures_by_street", "start_report", "save_report", "submit_report", "return_report", "remind", "bulletin",
]
