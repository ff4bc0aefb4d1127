"""Due-day reminders and missing-report notices (``flask reports remind``).

``remind`` does two things, both idempotent: on the due day, before the due time, it
reminds the streets that have not yet submitted; after a due time (looking back two
weeks) it tells each street whose report is missing, and the bureau once per campaign
and week.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...campaigns.models import Campaign, CampaignStatus
from ...core.timeutil import to_local, utcnow
from ...extensions import db
from ...notifications.services import bureau_users, notify, street_users
from ..weeks import Week
from .grid import CellStatus, report_grid
from .links import cell_link, overview_link
from .periods import campaign_weeks


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
                            link=cell_link(campaign.id, row.street.id, week))
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
                        link=cell_link(campaign.id, row.street.id, week))
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
                        link=overview_link(campaign.id, week))
    return result
