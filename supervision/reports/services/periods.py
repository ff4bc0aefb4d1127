"""The campaign's reporting period and the streets that must report.

- Which streets must report for a campaign: those with an enrolment in it that
  is not withdrawn. A street is expected for a week when its first enrolment
  was made before that week's due time, and until its last enrolment is
  withdrawn (a street whose estates are all closed, 销号, still reports).
- Which weeks: from the week of the campaign's first phase start to the week of
  its last phase end, or to the current week.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import case, func, select

from ...campaigns.models import Campaign, Enrolment, EnrolmentStatus
from ...campaigns.services.progress import PROGRESS_TOPIC
from ...core import generations
from ...core.timeutil import local_today, to_local, utcnow
from ...extensions import db
from ..weeks import Week, due_at_for, expects_no_report, weeks_between


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
        if expects_no_report(week):  # e.g. the Spring Festival week, unless the bureau asked for a report
            return False
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
    streets = None if street_ids is None else tuple(sorted(set(street_ids)))
    return generations.cached(PROGRESS_TOPIC, "report_street_spans",
                              current_app.config.get("REPORT_SPANS_CACHE_SIZE", 16),
                              (campaign_id, streets), lambda: street_spans(campaign_id, street_ids))


def is_expected(campaign: Campaign, street_id: int, week: Week) -> bool:
    span = street_spans(campaign.id, [street_id]).get(street_id)
    return span is not None and span.expects(week, due_at_for(campaign, week))

