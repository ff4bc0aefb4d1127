"""抽查: an officer checks any estate at any time; findings become items."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ...attachments.services import EVIDENCE, earliest_taken_on, store
from ...audit.services import record, snapshot
from ...core.errors import DomainError
from ...core.timeutil import local_today
from ...extensions import db
from ..models import Campaign, CampaignStatus, Enrolment, EnrolmentStatus, ItemSource, SpotCheck, SpotCheckSample
from .common import require_bureau
from .items import create_item
from .sampling import require_in_sample
from .survey import ProblemInput


def campaigns_for_estate(estate_id: int) -> list[Campaign]:
    """Running campaigns the estate takes part in (a spot check may count towards one)."""
    return list(db.session.scalars(
        select(Campaign).join(Enrolment, Enrolment.campaign_id == Campaign.id)
        .where(Enrolment.estate_id == estate_id, Enrolment.status == EnrolmentStatus.ACTIVE,
               Campaign.status == CampaignStatus.ACTIVE).order_by(Campaign.year.desc(), Campaign.id.desc())))


def record_spot_check(*, estate, actor, checked_on: date | None, summary: str | None, findings: list[ProblemInput],
                      campaign: Campaign | None = None, photos=(), photo_date: date | None = None,
                      sample: SpotCheckSample | None = None) -> SpotCheck:
    require_bureau(actor, _("录入抽查"))
    if estate.archived_at is not None:
        raise DomainError(_("小区已归档。"), field="estate_id")
    if sample is not None:
        require_in_sample(sample, estate)
    photos = [p for p in photos if p is not None and getattr(p, "filename", None)]
    if checked_on is None:  # left empty: the day the photos were taken
        checked_on = earliest_taken_on(photos) or local_today()
    if checked_on > local_today():
        raise DomainError(_("抽查日期不能晚于今天。"), field="checked_on")
    if not (summary or "").strip() and not findings:
        raise DomainError(_("请填写抽查情况或发现的问题。"), field="summary")
    enrolment = None
    if campaign is not None:
        enrolment = db.session.scalar(select(Enrolment).where(
            Enrolment.campaign_id == campaign.id, Enrolment.estate_id == estate.id,
            Enrolment.status == EnrolmentStatus.ACTIVE))
        if enrolment is None or campaign.status is not CampaignStatus.ACTIVE:
            raise DomainError(_("该小区未参加所选的进行中专项行动。"), field="campaign_id")
    check = SpotCheck(estate_id=estate.id, campaign_id=campaign.id if campaign else None,
                      street_id=estate.street_id, company_id=enrolment.company_id if enrolment else estate.company_id,
                      checked_on=checked_on, checked_by_id=actor.id, summary=(summary or "").strip() or None,
                      sample_id=sample.id if sample is not None else None)
    db.session.add(check)
    db.session.flush()
    fields = ["estate_id", "campaign_id", "checked_on", "summary", "sample_id"]
    record("spot_check.record", check, after=snapshot(check, fields) | {"findings": len(findings)}, actor=actor)
    for finding in findings:
        create_item(estate=estate, enrolment=enrolment, campaign=campaign, source=ItemSource.SPOT_CHECK,
                    source_id=check.id, category=finding.category, description=finding.description,
                    severity=finding.severity, responsible_party=finding.responsible_party,
                    responsible_note=finding.responsible_note, deadline_workdays=finding.deadline_workdays,
                    actor=actor)
    for photo in photos:
        store(photo, kinds=EVIDENCE, owner=check, purpose="photo", fact_date=photo_date, fact_date_default=checked_on,
              user=actor)
    return check
