"""What the credit feature adds to a company user's landing page."""
from __future__ import annotations

from ..credit.company_file import dashboard_summary


def company_credit(company):
    """The company's current score and grade (``credit.company_file.dashboard_summary``)."""

    return dashboard_summary(company)
