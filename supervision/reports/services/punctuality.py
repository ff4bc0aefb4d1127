"""Weekly-report punctuality per street and for the district (for the dashboard).

On time is 按时定稿 (see ``grid``): a cell counts once it is sent or its due time has passed;
it is on time when it stands sent with its latest submission by the due time, missing when
nothing was sent, and late otherwise (sent late, or returned and not sent again in time).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ...campaigns.models import Campaign, CampaignStatus
from ...core.timeutil import to_local, utcnow
from ...extensions import db
from ..weeks import Week
from .grid import Cell, CellStatus, report_grid
from .periods import campaign_weeks


@dataclass
class Punctuality:
    """How a street (or the district) reported over some weeks."""

    street_id: int | None
    street_name: str
    due: int = 0  # cells expected whose due time has passed (or that were sent early)
    on_time: int = 0
    late: int = 0  # sent late, or returned and not sent again by the due time
    missing: int = 0
    returned: int = 0  # of those counted, currently returned for correction

    @property
    def rate(self) -> float | None:
        """On-time ÷ due; None when nothing was due yet."""
        return self.on_time / self.due if self.due else None

    def add(self, cell: Cell) -> None:
        if not cell.counted:
            return
        self.due += 1
        if cell.status is CellStatus.MISSING:
            self.missing += 1
        elif cell.on_time:
            self.on_time += 1
        else:
            self.late += 1
        if cell.status is CellStatus.RETURNED:
            self.returned += 1


@dataclass
class PunctualitySummary:
    streets: list[Punctuality]
    total: Punctuality


def punctuality(campaign: Campaign, weeks: list[Week] | None = None, *, now: datetime | None = None
                ) -> PunctualitySummary:
    """Weekly-report punctuality per street and for the district.

    ``weeks`` defaults to every week of the campaign so far. A week counts once
    its due time has passed (or once the street has sent its report).
    """
    now = now or utcnow()
    if weeks is None:
        weeks = campaign_weeks(campaign, to_local(now).date())
    grid = report_grid(campaign, weeks, now=now)
    total = Punctuality(None, _("全区"))
    streets = []
    for row in grid.rows:
        entry = Punctuality(row.street.id, row.street.name)
        for cell in row.cells:
            entry.add(cell)
            total.add(cell)
        streets.append(entry)
    return PunctualitySummary(streets=streets, total=total)


def recent_punctuality(weeks: int = 8, *, now: datetime | None = None) -> PunctualitySummary:
    """Punctuality over the last ``weeks`` weeks, across every active campaign."""
    now = now or utcnow()
    today = to_local(now).date()
    total = Punctuality(None, _("全区"))
    per_street: dict[int, Punctuality] = {}
    campaigns = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE)
                                   .order_by(Campaign.id)).all()
    earliest = Week.of(today).prev(weeks - 1)
    for campaign in campaigns:
        span = [w for w in campaign_weeks(campaign, today) if w >= earliest]
        summary = punctuality(campaign, span, now=now)
        for entry in summary.streets:
            mine = per_street.setdefault(entry.street_id, Punctuality(entry.street_id, entry.street_name))
            for name in ("due", "on_time", "late", "missing", "returned"):
                setattr(mine, name, getattr(mine, name) + getattr(entry, name))
                setattr(total, name, getattr(total, name) + getattr(entry, name))
    return PunctualitySummary(streets=sorted(per_street.values(), key=lambda p: p.street_name), total=total)

