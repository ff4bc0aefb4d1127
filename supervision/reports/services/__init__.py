"""The rules of weekly reports, one module per concern (the rules are summarised in
``supervision/reports/__init__.py``):

- ``periods``: the campaign's reporting weeks and the streets that must report;
- ``grid``: the bureau's streets × weeks grid and each cell's status (on time = 按时定稿);
- ``punctuality``: punctuality per street and for the district (the dashboard);
- ``workflow``: filing a report — start, save, submit, return, attachments;
- ``snapshot``: which system figures a report shows (saved or live), for every page;
- ``reminders``: due-day reminders and missing-report notices;
- ``bulletin``: the district bulletin, computed and as plain values and Excel;
- ``lists``: what a street has to do, and the report lists' queries;
- ``links``: site-relative links for notifications.

Everything is re-exported here, so ``from supervision.reports import services`` then
``services.submit_report(...)`` keeps working.
"""
from __future__ import annotations

from ..figures import figures_by_street, street_week_figures
from .bulletin import (
                       HIGHLIGHT_LENGTH,
                       Bulletin,
                       BulletinRow,
                       bulletin,
                       bulletin_columns,
                       bulletin_narratives,
                       bulletin_plain,
                       bulletin_rows,
                       bulletin_workbook,
                       chinese_number,
                       latest_closed_week,
                       paragraphs,
                       plain_filings,
                       trim,
)
from .grid import (
                       OVERVIEW_CAMPAIGN_CHOICES,
                       Cell,
                       CellStatus,
                       Grid,
                       GridRow,
                       cell_status,
                       overview_campaign,
                       overview_campaigns,
                       report_grid,
                       report_status_of,
)
from .links import cell_link, overview_link, report_link, site_path
from .lists import (
                       Duty,
                       overdue_cells_for_street,
                       reporting_campaigns,
                       reports_statement,
                       street_campaigns,
                       street_duties,
)
from .periods import StreetSpan, campaign_period, campaign_weeks, grid_street_spans, is_expected, street_spans
from .punctuality import Punctuality, PunctualitySummary, punctuality, recent_punctuality
from .reminders import MISSING_LOOKBACK, RemindResult, remind
from .snapshot import figures_shown, shows_saved_figures
from .workflow import (
                       ATTACHMENT_KINDS,
                       ATTACHMENT_PURPOSE,
                       EDIT_FIELDS,
                       add_attachments,
                       blank_entered,
                       ensure_editable,
                       find_report,
                       merged_entered,
                       missing_for_submission,
                       own_attachment,
                       remove_attachment,
                       report_attachments,
                       return_report,
                       save_report,
                       start_report,
                       submit_report,
)

__all__ = [
    "ATTACHMENT_KINDS", "ATTACHMENT_PURPOSE", "EDIT_FIELDS", "HIGHLIGHT_LENGTH", "MISSING_LOOKBACK",
    "OVERVIEW_CAMPAIGN_CHOICES",
    "Bulletin", "BulletinRow", "Cell", "CellStatus", "Duty", "Grid", "GridRow", "Punctuality", "PunctualitySummary",
    "RemindResult", "StreetSpan",
    "add_attachments", "blank_entered", "bulletin", "bulletin_columns", "bulletin_narratives",
    "bulletin_plain", "bulletin_rows", "bulletin_workbook",
    "campaign_period", "campaign_weeks", "cell_link", "cell_status", "chinese_number", "ensure_editable",
    "figures_by_street", "figures_shown", "find_report", "grid_street_spans", "is_expected", "latest_closed_week",
    "merged_entered",
    "missing_for_submission", "overdue_cells_for_street", "overview_campaign", "overview_campaigns",
    "overview_link", "own_attachment", "paragraphs", "plain_filings", "punctuality", "recent_punctuality", "remind",
    "remove_attachment",
    "report_attachments", "report_grid", "report_link", "report_status_of", "reporting_campaigns",
    "reports_statement", "return_report", "save_report", "shows_saved_figures", "site_path", "start_report",
    "street_campaigns", "street_duties", "street_spans", "street_week_figures", "submit_report", "trim",
]
