"""What other packages may read of the complaint register: figures only, never personal data."""
from __future__ import annotations

from datetime import date, timedelta

from ..core.timeutil import local_now
from . import rates


def estate_rates(estate_id: int) -> dict | None:
    """The estate's response and on-time resolution rates over the last 12 months, or None when it
    had no complaint: ``{"received", "response_rate", "resolution_rate"}`` (rates 0–1)."""
    end = local_now()
    start = end - timedelta(days=365)
    figures = rates.estate_total(start, end, estate_id)
    if not figures.received:
        return None
    return {"received": figures.received, "response_rate": figures.response_rate,
            "resolution_rate": figures.resolution_rate}


def verified_counts_by_company(since: date) -> dict[int, int]:
    """company id → complaints verified as true since ``since`` (an enforcement trigger)."""
    return rates.verified_counts(since)
