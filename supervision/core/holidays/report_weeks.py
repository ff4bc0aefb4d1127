"""Weeks without a working day (e.g. Spring Festival): no weekly report is expected unless the bureau
decides otherwise. The admin records that decision here, with its reason; it can be withdrawn."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...audit.services import record
from ...auth.models import User
from ...extensions import db
from ...notifications.services import notify
from ..errors import DomainError
from ..timeutil import utcnow
from ..workdays import calendar
from .models import ReportWeekRequirement


@dataclass(frozen=True)
class QuietWeek:
    monday: date
    holiday: str
    requirement: ReportWeekRequirement | None

    @property
    def label(self) -> str:
        iso = self.monday.isocalendar()
        return _("%(y)s年第%(w)s周（%(m)s月%(d)s日起）", y=iso[0], w=iso[1], m=self.monday.month, d=self.monday.day)


def has_no_workday(monday: date, cal=None) -> bool:
    cal = cal or calendar()
    return not any(cal.is_workday(monday + timedelta(days=n)) for n in range(7))


def quiet_weeks(year: int) -> list[QuietWeek]:
    """The weeks starting in ``year`` with no working day, each with the bureau's decision if any."""
    decided = {r.monday: r for r in db.session.scalars(select(ReportWeekRequirement).where(
        ReportWeekRequirement.monday >= date(year, 1, 1), ReportWeekRequirement.monday <= date(year, 12, 31)))}
    monday = date(year, 1, 1) + timedelta(days=-date(year, 1, 1).weekday() % 7)
    weeks = []
    cal = calendar()  # once for the year's 365 days, not a generation look-up a day
    while monday.year == year:
        if has_no_workday(monday, cal):
            weeks.append(QuietWeek(monday, cal.holiday_name(monday + timedelta(days=4)) or _("休息日"),
                                   decided.get(monday)))
        monday += timedelta(days=7)
    return weeks


def _street_users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.street_id.is_not(None), User.active.is_(True))))


def require(monday: date, reason: str, *, actor) -> ReportWeekRequirement:
    """The bureau asks for the report of a week without a working day (due on the next working day)."""
    reason = (reason or "").strip()
    if monday.weekday() != 0:
        raise DomainError(_("请选择一周的周一。"), field="monday")
    if not has_no_workday(monday):
        raise DomainError(_("该周有工作日，周报按常规报送，无需另行要求。"), field="monday")
    if not reason:
        raise DomainError(_("请填写要求报送的原因。"), field="reason")
    if len(reason) > 200:
        raise DomainError(_("原因不能超过200字。"), field="reason")
    if db.session.scalar(select(ReportWeekRequirement).where(ReportWeekRequirement.monday == monday)):
        raise DomainError(_("该周已要求报送。"), field="monday")
    row = ReportWeekRequirement(monday=monday, reason=reason, decided_by_id=actor.id if actor else None,
                                decided_at=utcnow())
    db.session.add(row)
    db.session.flush()
    record("holiday.report_week_require", row, after={"monday": monday.isoformat(), "reason": reason}, actor=actor)
    iso = monday.isocalendar()
    notify(_street_users(), kind="report_week_required",
           title=_("住建局要求报送%(y)s年第%(w)s周周报（该周无工作日）", y=iso[0], w=iso[1]),
           body=reason, dedup_key=f"report-week-required:{monday.isoformat()}:{row.id}", link="/reports/")
    return row


def withdraw(monday: date, *, actor) -> None:
    row = db.session.scalar(select(ReportWeekRequirement).where(ReportWeekRequirement.monday == monday))
    if row is None:
        raise DomainError(_("该周没有报送要求。"), field="monday")
    record("holiday.report_week_withdraw", row, before={"monday": monday.isoformat(), "reason": row.reason},
           actor=actor)
    db.session.delete(row)
    db.session.flush()
