"""Site-relative links for the reports' notifications, also from the command line."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for

from ..models import WeeklyReport
from ..weeks import Week


def site_path(endpoint: str, **values) -> str:
    """A site-relative URL for a notification, also from the command line."""
    if has_request_context():
        return url_for(endpoint, _external=False, **values)
    with current_app.test_request_context():
        return url_for(endpoint, _external=False, **values)


def report_link(report: WeeklyReport) -> str:
    return site_path("reports.detail", report_id=report.id)


def cell_link(campaign_id: int, street_id: int, week: Week) -> str:
    return site_path("reports.cell", campaign_id=campaign_id, street_id=street_id, week=str(week))


def overview_link(campaign_id: int, week: Week) -> str:
    return site_path("reports.overview", campaign=campaign_id, start=str(week.prev(7)), to=str(week))
