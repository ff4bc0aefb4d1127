"""What follows a change of the holiday arrangement: stored due dates and deadlines not yet past are
computed again, audited, and the people affected are told, in words that follow the direction of the
move (提前 / 顺延).

- A rectification item stores its deadline and the working days it was given (``deadline_workdays``),
  counted from the day it was opened or, after a rejection or re-opening with a new deadline, from
  that day. ``plan`` finds, before the change, which of these days the stored deadline was counted
  from; ``apply`` counts again from it after the change. A deadline that matches neither (set by
  hand) is left alone.
- A weekly report stores its due instant (``due_at``) when it is first drafted; it is computed again
  with ``reports.weeks.due_at_for``.
- An open complaint (or repair request) stores its response and resolution deadlines; those on or
  after the earliest changed day are counted again from the received time
  (``complaints.deadlines``; in a job when there are many).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...audit.services import record
from ...campaigns.models import ItemState, RectificationItem
from ...campaigns.models import RectificationItem as I
from ...campaigns.services.items import responsible_users
from ...complaints import deadlines as complaint_deadlines
from ...extensions import db
from ...notifications.services import notify, street_users
from ...reports.models import WeeklyReport
from ...reports.weeks import due_at_for
from ..timeutil import local_today, to_local, utcnow
from ..workdays import add_workdays


@dataclass
class Moved:
    kind: str  # "item" or "report"
    id: int
    old: date | datetime
    new: date | datetime

    @property
    def direction(self) -> str:
        return direction_word(self.old, self.new)


def direction_word(old, new) -> str:
    """提前 when the new date is earlier, 顺延 when later."""
    return _("提前") if new < old else _("顺延")


@dataclass
class Plan:
    years: list[int]
    items: list[tuple[int, date, date]]  # (item id, counted from, deadline before)
    reports: list[tuple[int, datetime]]  # (report id, due before)


def plan(years: list[int]) -> Plan:
    """Before the change: the items and reports whose dates the change may move."""

    today = local_today()
    first, last = min(years), max(years)
    items = []
    rows = db.session.execute(select(I.id, I.opened_at, I.rejected_at, I.deadline, I.deadline_workdays).where(
        I.state != ItemState.ACCEPTED, I.deadline >= today, I.deadline >= date(first, 1, 1)))
    for item_id, opened_at, rejected_at, deadline, workdays in rows:
        for start in [to_local(x).date() for x in (rejected_at, opened_at) if x is not None]:
            if start.year <= last and add_workdays(start, workdays) == deadline:
                items.append((item_id, start, deadline))
                break
    reports = [(r.id, r.due_at) for r in db.session.execute(
        select(WeeklyReport.id, WeeklyReport.due_at).where(WeeklyReport.due_at > utcnow(),
                                                           WeeklyReport.iso_year.between(first - 1, last + 1)))]
    return Plan(years, items, reports)


def apply(plan: Plan, *, actor) -> list[Moved]:
    """After the change (flushed): move what the new arrangement moves; audit and notify each."""

    moved = []
    for item_id, start, old in plan.items:
        item = db.session.get(RectificationItem, item_id)
        new = add_workdays(start, item.deadline_workdays)
        if new != old:
            item.deadline = new
            moved.append(Moved("item", item_id, old, new))
            record("item.deadline_recompute", item, before={"deadline": old}, after={"deadline": new},
                   actor=actor)
            _notify_item(item, old, new)
    if plan.reports:
        reports = db.session.scalars(select(WeeklyReport).options(joinedload(WeeklyReport.campaign))
                                     .where(WeeklyReport.id.in_([r for r, _due in plan.reports]))).all()
        before = dict(plan.reports)
        for report in reports:
            new = due_at_for(report.campaign, report.week)
            old = before[report.id]
            if new != old:
                report.due_at = new
                moved.append(Moved("report", report.id, old, new))
                record("report.due_recompute", report, before={"due_at": old}, after={"due_at": new},
                       actor=actor)
                _notify_report(report, old, new)
    db.session.flush()
    return moved


def complaints_after(day: date, *, actor) -> complaint_deadlines.Outcome:
    """After the change (flushed): the open complaints' deadlines on or after ``day``, counted again."""
    return complaint_deadlines.schedule(complaint_deadlines.Scope(since=day.isoformat()), actor=actor,
                                        reason=_("节假日安排调整"))


def _notify_item(item, old: date, new: date) -> None:

    notify(responsible_users(item), kind="deadline_moved",
           title=_("节假日安排调整：整改事项 #%(id)s 的整改期限%(dir)s至 %(new)s", id=item.id,
                   dir=direction_word(old, new), new=new.isoformat()),
           body=_("原整改期限 %(old)s，按新的节假日安排%(dir)s至 %(new)s（%(n)s 个工作日）。", old=old.isoformat(),
                  dir=direction_word(old, new), new=new.isoformat(), n=item.deadline_workdays),
           dedup_key=f"deadline-moved:{item.id}:{new.isoformat()}", link=f"/campaigns/items/{item.id}")


def _notify_report(report, old: datetime, new: datetime) -> None:

    fmt = "%Y-%m-%d %H:%M"
    notify(street_users(report.street_id), kind="report_due_moved",
           title=_("节假日安排调整：%(week)s周报截止时间%(dir)s至 %(new)s", week=report.week.label,
                   dir=direction_word(old, new), new=to_local(new).strftime(fmt)),
           body=_("原截止时间 %(old)s。", old=to_local(old).strftime(fmt)),
           dedup_key=f"report-due-moved:{report.id}:{new.isoformat()}", link=f"/reports/{report.id}")
