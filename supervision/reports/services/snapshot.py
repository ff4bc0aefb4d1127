"""Which system figures a weekly report shows: the ones saved with it, or the live ones.

One rule for every page, document and API that shows a report's system figures (the
report page and its forms, the bulletin on screen, in PDF and in Excel, the API):

- **saved** (the snapshot taken at its latest submission) while the report *stands sent*
  (submitted or resubmitted, not returned since) and has a snapshot;
- **live** (computed now for the street and week) otherwise: no report, a draft, or a
  report returned for correction — it is being corrected, and what it will be sent
  with is what the system counts now (its resubmission takes a fresh snapshot). The
  old snapshot stays in the audit log.
"""
from __future__ import annotations

from datetime import datetime

from .. import live_figures
from ..figures import street_week_figures
from ..models import WeeklyReport


def shows_saved_figures(report: WeeklyReport | None) -> bool:
    """True when ``report`` shows the figures saved with it (see the module docstring)."""
    return report is not None and report.is_sent and report.system_figures is not None


def figures_shown(report: WeeklyReport, *, now: datetime | None = None) -> tuple[dict, bool]:
    """(figures, live) of one report, by ``shows_saved_figures``."""
    if shows_saved_figures(report):
        return dict(report.system_figures), False
    if now is None:  # a report being written: the figures its street's latest change stored (live_figures)
        kept = live_figures.stored(report)
        if kept is not None:
            return kept, True
    return street_week_figures(report.campaign_id, report.street_id, report.iso_year, report.iso_week, now=now), True
