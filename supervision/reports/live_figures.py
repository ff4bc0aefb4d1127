"""The live system figures of the reports being written (drafts and returned reports), stored at commit.

A report that does not show its saved snapshot counts its street's week live (``figures_by_street``: an index
range of the street's enrolments, surveys, self-inspections, items and acceptances, ~20 ms at 100× the district).
The committing transaction that changes any of those records (or a report) bumps ``TOPIC`` and stores, for
today, the figures of every report being written (``core.figures``: computed per campaign and week in one
statement); a report page reads its entry with one query. An entry whose inputs the commit did not write is
carried over. A day without a change yet, a database before its first change, or a transaction that changed the
figures' records itself count live, as before.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from ..campaigns.models import (
    Acceptance,
    Campaign,
    CampaignStatus,
    Enrolment,
    RectificationItem,
    SelfInspection,
    SurveyRecord,
)
from ..core import figures, generations
from ..core.timeutil import local_today, utcnow
from ..extensions import db
from ..regions.models import Street
from .figures import _figures_statement, figures_by_street
from .models import EDITABLE, WeeklyReport
from .weeks import Week

TOPIC = "report_figures"
FIGURE = "report_live_figures"
RECENT_WEEKS = 8

generations.watch(TOPIC, Enrolment, SurveyRecord, SelfInspection, RectificationItem, Acceptance, Street,
                  WeeklyReport)
generations.watch(TOPIC, Campaign, attributes={"status"})


def _key(report_id: int, day) -> str:
    return f"{report_id}:{day.isoformat()}"


def _keys() -> list[str]:
    """The reports being written of the running campaigns' latest ``RECENT_WEEKS`` weeks (an older draft, or one
    of a closed campaign, counts live when opened: a commit must not recount hundreds of forgotten drafts)."""
    today = local_today()
    return [_key(report_id, today) for report_id in db.session.scalars(
        select(WeeklyReport.id).join(Campaign, Campaign.id == WeeklyReport.campaign_id)
        .where(WeeklyReport.status.in_(EDITABLE), Campaign.status == CampaignStatus.ACTIVE,
               WeeklyReport.week_start >= today - timedelta(weeks=RECENT_WEEKS))
        .order_by(WeeklyReport.id))]


def _compute(keys: list[str]) -> dict[str, figures.Entry]:
    wanted = {int(key.partition(":")[0]): key for key in keys}
    groups: dict[tuple, list] = defaultdict(list)
    for row in db.session.execute(select(WeeklyReport.id, WeeklyReport.campaign_id, WeeklyReport.street_id,
                                         WeeklyReport.iso_year, WeeklyReport.iso_week)
                                  .where(WeeklyReport.id.in_(list(wanted)))):
        groups[(row.campaign_id, row.iso_year, row.iso_week)].append(row)
    inputs = figures.statement_tables(_figures_statement(True))
    now = utcnow()
    entries = {}
    for (campaign_id, iso_year, iso_week), rows in groups.items():
        counted = figures_by_street(campaign_id, Week(iso_year, iso_week), [row.street_id for row in rows], now=now)
        for row in rows:
            if row.street_id in counted:
                entries[wanted[row.id]] = figures.Entry(counted[row.street_id], inputs)
    return entries


figures.register(figures.Precomputed(TOPIC, FIGURE, _keys, _compute))


def stored(report: WeeklyReport) -> dict | None:
    """The figures the latest commit stored for ``report`` today, or None (then count them live)."""
    if report.status not in EDITABLE:
        return None
    key = _key(report.id, local_today())
    value = figures.load(FIGURE, generations.current(TOPIC), [key]).get(key)
    return dict(value) if value is not None else None
