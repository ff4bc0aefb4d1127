"""Filing a weekly report: start, save, submit, return; its attachments.

- A report is created as a draft for a running campaign, a week of its period up
  to the current one, and a street expected to report that week.
- The street edits a draft or a returned report; a sent report is locked.
- Punctuality (``models``: 按时首报 / 按时定稿): the first submission stamps
  ``first_submitted_at`` once; every submission stamps ``submitted_at``. A report
  returned and resubmitted after the due time is late (按时定稿 not met), whatever
  its first submission was.
- The system figures are snapshotted at every submission; a resubmission
  refreshes the snapshot (the corrected report is sent again), the audit log
  keeps each snapshot as sent. Which figures a page shows: ``snapshot``.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ...attachments.models import Attachment
from ...attachments.services import IMAGE, PDF, XLSX, store_bytes
from ...attachments.services import validate as validate_upload
from ...audit.services import record, record_change, snapshot
from ...auth.models import User
from ...campaigns.models import Campaign, CampaignStatus
from ...core.errors import DomainError, TransitionError
from ...core.timeutil import to_local, utcnow
from ...extensions import db
from ...notifications.services import notify, street_users
from ..figures import MAX_FIGURE_VALUE, figure_definitions, street_week_figures
from ..models import EDITABLE, SENT, ReportStatus, ReportTransition, WeeklyReport
from ..weeks import Week, due_at_for
from .links import report_link
from .periods import campaign_weeks, is_expected

ATTACHMENT_KINDS = (IMAGE, PDF, XLSX)
ATTACHMENT_PURPOSE = "report"
EDIT_FIELDS = ("entered_figures", "progress", "problems", "next_week_plan", "contact_person", "contact_phone")


def _transition(report: WeeklyReport, to_status: ReportStatus, user, comment: str | None = None,
                at: datetime | None = None) -> None:
    report.transitions.append(ReportTransition(
        from_status=report.status, to_status=to_status, at=at or utcnow(), by_id=getattr(user, "id", None),
        comment=comment,
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
    after.update(late=report.is_late, first_late=report.first_late, system_figures=figures,
                 entered_figures=report.entered_figures)
    record("report.resubmit" if resubmission else "report.submit", report, before=before, after=after, actor=user)
    if resubmission and report.returned_by_id:
        returner = db.session.get(User, report.returned_by_id)
        notify([returner], kind="report", title=_("%(street)s 已重新报送《%(campaign)s》%(week)s 周报",
                                                  street=report.street.name, campaign=report.campaign.name,
                                                  week=report.week.label),
               dedup_key=f"report-resubmitted:{report.id}:{report.submission_count}",
               link=report_link(report))
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
           body=comment, dedup_key=f"report-returned:{report.id}:{report.return_count}", link=report_link(report))
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


def own_attachment(report: WeeklyReport, attachment_id: int) -> Attachment | None:
    """One of ``report``'s files by id, else None: whoever may see the report may see its files, so this needs
    no attachment scope (whose clause, an OR over every owner type, costs more than the page)."""
    return db.session.scalar(select(Attachment).where(
        Attachment.id == attachment_id, Attachment.owner_type == WeeklyReport.attachment_owner_type,
        Attachment.owner_id == report.id))


def remove_attachment(report: WeeklyReport, attachment: Attachment, *, user=None) -> None:
    """Take a file off a report still being edited (the file itself is kept)."""
    ensure_editable(report)
    if attachment.owner_type != WeeklyReport.attachment_owner_type or attachment.owner_id != report.id:
        raise DomainError(_("该附件不属于本周报。"))
    record("report.attachment_remove", report, before={"attachment_id": attachment.id,
                                                       "name": attachment.original_name}, actor=user)
    attachment.owner_type = None
    attachment.owner_id = None
