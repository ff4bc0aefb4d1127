"""What the estate page shows about campaigns: the estate's enrolments with their
stage, and its open rectification items (``templates/campaigns/_estate_section.html``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from ...core.timeutil import local_today
from ...extensions import db
from ..models import Campaign, Enrolment, EnrolmentStage, ItemState, RectificationItem
from .progress import stage_expression

Item = RectificationItem


@dataclass
class EstateEnrolmentRow:
    enrolment: Enrolment
    campaign: Campaign
    stage: EnrolmentStage


@dataclass
class EstateCampaignSection:
    estate_id: int
    enrolments: list[EstateEnrolmentRow] = field(default_factory=list)
    open_items: list[RectificationItem] = field(default_factory=list)
    open_count: int = 0
    overdue_count: int = 0
    today: object = None


def estate_section(estate, user, *, limit: int = 20) -> EstateCampaignSection:
    """The estate's campaigns and open items that ``user`` may see. Two queries."""
    today = local_today()
    section = EstateCampaignSection(estate_id=estate.id, today=today)
    rows = db.session.execute(
        select(Enrolment, stage_expression().label("stage"))
        .where(Enrolment.estate_id == estate.id, Enrolment.scope_clause(user),
               Campaign.scope_clause(user))
        .join(Campaign, Campaign.id == Enrolment.campaign_id)
        .options(joinedload(Enrolment.campaign))
        .order_by(Campaign.year.desc(), Campaign.id.desc()))
    for enrolment, stage in rows:
        section.enrolments.append(EstateEnrolmentRow(enrolment, enrolment.campaign, EnrolmentStage(stage)))
    open_clause = [Item.estate_id == estate.id, Item.state != ItemState.ACCEPTED, Item.scope_clause(user)]
    # The first ``limit`` open items and, on each row, the counts over all of them (window functions).
    overdue = func.sum(case((Item.overdue_clause(today), 1), else_=0)).over()
    found = db.session.execute(
        select(Item, func.count(Item.id).over(), overdue).where(*open_clause)
        .options(joinedload(Item.campaign), joinedload(Item.notice))
        .order_by(Item.deadline, Item.id).limit(limit)).all()
    section.open_items = [row[0] for row in found]
    if found:
        section.open_count, section.overdue_count = int(found[0][1]), int(found[0][2] or 0)
    return section
