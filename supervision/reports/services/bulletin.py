"""The district bulletin (工作简报): what it shows, computed in a fixed number of queries
(``bulletin``), and the same as plain values for the page and the PDF (``bulletin_plain``)
and as an Excel workbook (``bulletin_workbook``).

Per street: the system figures by the one rule of ``snapshot.shows_saved_figures`` (saved
while the report stands sent, else live, starred); the entered figures and narratives
only from sent reports (a returned report is being corrected and is listed apart).
On time is 按时定稿 (``grid``): a report returned and sent again after the due time is
listed as late, with how late its latest submission was; the count of 按时首报 is given
beside it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...attachments.models import Attachment
from ...campaigns.models import Campaign
from ...core.timeutil import local_today, to_local, utcnow
from ...documents.excel import Column, write_workbook
from ...extensions import db
from ...filings.services import bulletin_filings
from ...regions.models import District, Street
from ...regions.services import bureau_name
from ...templating import provisional_text
from ..figures import SYSTEM_ROWS, figure_definitions, figures_by_street, rectification_rate
from ..models import SENT, WeeklyReport
from ..weeks import WEEKDAY_NAMES, Week, due_at_for, due_wording
from .grid import Cell, CellStatus, report_grid
from .periods import campaign_weeks
from .snapshot import shows_saved_figures

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
    figures: dict  # system figures: saved or live, by ``shows_saved_figures``
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
        """Sent, and the latest submission after the due time (按时定稿 not met)."""
        return [r for r in self.rows if r.cell.status is CellStatus.LATE]

    @property
    def first_on_time(self) -> list[BulletinRow]:
        """按时首报: first submitted by the due time, whatever happened since."""
        return [r for r in self.rows if r.cell.first_on_time]

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
    """Everything the week's bulletin shows, in a fixed number of queries (see the module docstring)."""
    now = now or utcnow()
    reports = {r.id: r for r in db.session.scalars(
        select(WeeklyReport).options(joinedload(WeeklyReport.submitted_by))
        .where(WeeklyReport.campaign_id == campaign.id,
               WeeklyReport.iso_year == week.iso_year, WeeklyReport.iso_week == week.iso_week)
    )}
    grid = report_grid(campaign, [week], now=now, reports=list(reports.values()))  # the week's reports, read once
    rows_by_street = {row.street.id: row for row in grid.rows if row.cells[0].expected}
    files = _attachment_names([r.id for r in reports.values() if r.status in SENT])
    report_of = {street_id: reports.get(row.cells[0].report_id) for street_id, row in rows_by_street.items()}
    # Live figures only for the streets whose report does not show its saved ones, in one query.
    unsaved = [street_id for street_id, report in report_of.items() if not shows_saved_figures(report)]
    live = figures_by_street(campaign, week, unsaved, now=now) if unsaved else {}
    definitions = figure_definitions(campaign)
    rows = []
    for street_id, grid_row in rows_by_street.items():
        cell = grid_row.cells[0]
        report = report_of[street_id]
        sent = report is not None and report.status in SENT
        if shows_saved_figures(report):
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
    # The expected streets' first district (loaded with the grid's streets), else the first district.
    districts = sorted((row.street.district for row in rows_by_street.values() if row.street.district is not None),
                       key=lambda d: d.id)
    district = districts[0] if districts else db.session.scalar(select(District).order_by(District.id).limit(1))
    all_weeks = campaign_weeks(campaign, max(week.sunday, to_local(now).date()))
    issue = all_weeks.index(week) + 1 if week in all_weeks else week.iso_week
    return Bulletin(
        campaign=campaign, week=week, issue=issue,
        bureau_name=bureau_name(district),
        district_name=district.name if district else "",
        due_at=grid.due[week], definitions=definitions, rows=rows, totals=dict(totals),
        entered_totals=dict(entered_totals), generated_at=now,
    )


def latest_closed_week(campaign: Campaign, now: datetime | None = None) -> Week | None:
    """The latest week whose due time has passed (the default of the bulletin), else the first."""
    now = now or utcnow()
    weeks = campaign_weeks(campaign, to_local(now).date())
    # The last week in order whose due time has passed: looked for from the end (the latest weeks are the ones
    # to check; the due time of each of a year's weeks was worked out before).
    latest = next((w for w in reversed(weeks) if due_at_for(campaign, w) < now), None)
    return latest or (weeks[0] if weeks else None)


# --- as plain values (page, PDF) and as Excel ------------------------------------------


def _when(value) -> str:
    if value is None:
        return ""
    local = to_local(value)
    return f"{local:%Y-%m-%d %H:%M}（{WEEKDAY_NAMES[local.weekday()]}）"


def _hours_late(row) -> float | None:
    """How late the standing version (the latest submission) arrived, for a late report."""
    report = row.report
    if report is None or not report.is_late:
        return None
    return round((report.submitted_at - report.due_at).total_seconds() / 3600, 1)


def paragraphs(text: str | None) -> list[str]:
    """A narrative as the street typed it, one entry per non-blank line (nothing cut)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (headings of the annex; beyond 99 in digits)."""
    if not 0 < n < 100:
        return str(n)
    tens, units = divmod(n, 10)
    return ((NUMERALS[tens] if tens > 1 else "") + "十" if tens else "") + (NUMERALS[units] if units else "")


def _entered_list(row, definitions: list[dict]) -> list[dict]:
    """A sent report's entered figures under the bulletin's labels, then any the report was sent
    with that the campaign's list no longer has (under the label they were sent with)."""
    if not row.sent:
        return []
    known = {d["code"] for d in definitions}
    items = [{"label": d["label"], "unit": d.get("unit") or "", "value": row.entered.get(d["code"])}
             for d in definitions]
    for entry in row.report.entered_figures or []:
        if isinstance(entry, dict) and entry.get("code") not in known and entry.get("label"):
            items.append({"label": entry["label"], "unit": entry.get("unit") or "", "value": entry.get("value")})
    return items


def plain_filings(campaign: Campaign, week: Week) -> list[dict]:
    """The companies' filings the campaign asks for (supervision/filings): who is missing, who was late."""
    return bulletin_filings(campaign, today=min(week.sunday, local_today()))


def bulletin_plain(b: Bulletin, filings: bool = True) -> dict:
    """Everything the bulletin shows, as plain values (no ORM objects); without ``filings`` the companies'
    filings are left out (``plain_filings`` adds them: the workbook and the PDF's page count need none)."""
    rows = []
    for row in b.rows:
        report = row.report
        sent = row.sent
        rows.append({
            "street": row.street.name,
            "status": row.cell.status.label,
            "status_code": row.cell.status.value,
            "badge": row.cell.status.badge,
            "late": row.cell.status is CellStatus.LATE,
            "first_late": row.cell.first_late,
            "first_on_time": row.cell.first_on_time,
            "report_id": report.id if report else None,
            "first_submitted": _when(report.first_submitted_at) if report else "",
            "last_submitted": _when(report.submitted_at) if report else "",
            "returned_at": _when(report.returned_at) if report else "",
            "return_count": report.return_count if report else 0,
            "hours_late": _hours_late(row),
            "figures": dict(row.figures),
            "figures_live": row.figures_live,
            "entered": dict(row.entered),
            "sent": row.sent,
            "progress": (report.progress or "") if row.sent else "",
            "problems": (report.problems or "") if row.sent else "",
            "next_week_plan": (report.next_week_plan or "") if row.sent else "",
            "contact": " ".join(filter(None, [report.contact_person, report.contact_phone])) if row.sent else "",
            # For the annex (the full reports): who sent what, when, and all of it.
            "sender": (report.submitted_by.display_name if report.submitted_by else "") if sent else "",
            "submission_count": report.submission_count if sent else 0,
            "figures_at": _when(report.figures_at) if sent else "",
            "rectification_rate": rectification_rate(row.figures),
            "entered_list": _entered_list(row, b.definitions),
            "paragraphs": {"progress": paragraphs(report.progress), "problems": paragraphs(report.problems),
                           "next_week_plan": paragraphs(report.next_week_plan)} if sent else {},
            "attachments": list(row.attachments),
        })
    counts = {status.value: 0 for status in CellStatus}
    for row in b.rows:
        counts[row.cell.status.value] += 1
    system_rows = [{
        "label": str(r.label), "unit": str(r.unit), "week_code": r.week_code, "total_code": r.total_code,
        "week": b.totals.get(r.week_code, 0) if r.week_code else None, "total": b.totals.get(r.total_code, 0),
    } for r in SYSTEM_ROWS]
    weekday = b.campaign.report_weekday if b.campaign.report_weekday is not None else 4
    return {
        "bureau_name": b.bureau_name,
        "district_name": b.district_name,
        "campaign": b.campaign.name,
        "campaign_id": b.campaign.id,
        "week": str(b.week),
        "week_label": b.week.label,
        "week_span": f"{b.week.monday:%Y年}{b.week.span}",
        "issue": b.issue,
        "due": _when(b.due_at),
        "holiday_note": due_wording(b.week, weekday),
        "provisional": provisional_text(b.due_at),
        "generated": _when(b.generated_at),
        "expected": len(b.rows),
        "sent": sum(1 for r in b.rows if r.sent),
        "counts": counts,
        "late_count": len(b.late),
        "first_on_time_count": len(b.first_on_time),
        "rows": rows,
        "system_rows": system_rows,
        "totals": dict(b.totals),
        "rectification_rate": rectification_rate(b.totals),
        "definitions": [dict(d, total=b.entered_totals.get(d["code"], 0)) for d in b.definitions],
        # The annex's order: every street in the bulletin's order, numbered 一、二、… among those sent.
        "sent_rows": [dict(r, annex_no=chinese_number(i)) for i, r in enumerate((r for r in rows if r["sent"]), 1)],
        "unsent_rows": [r for r in rows if not r["sent"]],
        "late": [{"street": r.street.name, "submitted": _when(r.report.submitted_at),
                  "hours_late": _hours_late(r), "first_on_time": r.cell.first_on_time} for r in b.late],
        "missing": [r.street.name for r in b.missing],
        "returned": [r.street.name for r in b.returned],
        "pending": [r.street.name for r in b.pending],
        "highlights": [{"street": s, "text": t} for s, t in b.highlights],
        "requests": [{"street": s, "text": t} for s, t in b.requests],
    } | ({"company_filings": plain_filings(b.campaign, b.week)} if filings else {})


def bulletin_columns(plain: dict) -> list[Column]:
    columns = [
        Column("street", _("街道"), export=lambda r: r["street"], width=14),
        Column("status", _("报送情况"), export=lambda r: r["status"], width=10),
        Column("first_submitted", _("首次报送时间"), export=lambda r: r["first_submitted"], width=22),
        Column("last_submitted", _("最近报送时间"), export=lambda r: r["last_submitted"], width=22),
        Column("hours_late", _("迟报时长（小时）"), export=lambda r: r["hours_late"], width=10),
        Column("returned_at", _("最近退回时间"), export=lambda r: r["returned_at"], width=22),
        Column("return_count", _("退回次数"), export=lambda r: r["return_count"], width=8),
        Column("source", _("系统数据来源"), export=lambda r: r["source"], width=12),
    ]
    for row in SYSTEM_ROWS:
        label = str(row.label)
        if row.week_code:
            columns.append(Column(row.week_code, _("%(label)s·本周", label=label),
                                  export=lambda r, c=row.week_code: r["figures"].get(c, 0), width=10))
        columns.append(Column(row.total_code, _("%(label)s·累计", label=label) if row.week_code else label,
                              export=lambda r, c=row.total_code: r["figures"].get(c, 0), width=10))
    for definition in plain["definitions"]:
        header = definition["label"] + (f"（{definition['unit']}）" if definition.get("unit") else "")
        columns.append(Column(f"entered_{definition['code']}", header,
                              export=lambda r, c=definition["code"]: r["entered"].get(c), width=12))
    return columns


def bulletin_rows(plain: dict) -> list[dict]:
    """Per-street figures of the week and a total row."""
    rows = []
    for row in plain["rows"]:
        rows.append(dict(row, source=_("系统实时统计") if row["figures_live"] else _("报送时快照")))
    rows.append({
        "street": _("合计"), "status": _("应报 %(n)s，已报 %(m)s", n=plain["expected"], m=plain["sent"]),
        "first_submitted": "", "last_submitted": "", "hours_late": None, "returned_at": "",
        "return_count": sum(r["return_count"] for r in plain["rows"]), "source": "",
        "figures": plain["totals"], "entered": {d["code"]: d["total"] for d in plain["definitions"]},
    })
    return rows


def bulletin_narratives(plain: dict) -> dict[str, list[list]]:
    """The second sheet: each street's narratives."""
    narratives = [[_("街道"), _("报送情况"), _("填报人"), _("本周工作进展"), _("存在问题及需协调事项"),
                   _("下周工作计划")]]
    for row in plain["rows"]:
        narratives.append([row["street"], row["status"], row["contact"], row["progress"], row["problems"],
                           row["next_week_plan"]])
    return {_("工作进展"): narratives}


def bulletin_workbook(plain: dict) -> bytes:
    """Per-street figures of the week, a total row, and the narratives on a second sheet."""
    return write_workbook(bulletin_columns(plain), bulletin_rows(plain), title=f"{plain['week']}",
                          extra_sheets=bulletin_narratives(plain))
