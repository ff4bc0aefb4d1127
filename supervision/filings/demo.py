"""Demo company filings: every running campaign asks its companies for a 整改提升方案, due two weeks
ago, so the campaign page and bulletin have accepted, late, returned and missing ones.

Deterministic (one draw per expected company, in the order of their ids) and idempotent (a campaign
that already has the filing type is left alone).
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..campaigns.models import Campaign, CampaignStatus
from ..core.timeutil import LOCAL_TZ, local_today
from ..extensions import db
from .models import CompanyFiling, CompanyFilingStatus, FilingRequirement
from .services import expected_company_ids

TITLE = "整改提升方案"
# fate → weight
FATES = ["accepted"] * 5 + ["late"] * 2 + ["returned"] * 1 + ["submitted"] * 1 + ["missing"] * 2


def seed_demo(rng: random.Random) -> None:
    today = local_today()
    due_on = today - timedelta(days=14)
    campaigns = list(db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE)
                                        .order_by(Campaign.id)))
    for campaign in campaigns:
        companies = sorted(expected_company_ids(campaign.id))
        fates = [rng.choice(FATES) for _ in companies]
        if db.session.scalar(select(FilingRequirement.id).where(FilingRequirement.campaign_id == campaign.id,
                                                                FilingRequirement.title == TITLE)):
            continue
        requirement = FilingRequirement(campaign_id=campaign.id, title=TITLE, due_on=due_on,
                                        notes="对照自查和摸底发现的问题，逐项明确整改措施、责任人和完成时限，加盖企业公章后上传。")
        db.session.add(requirement)
        db.session.flush()
        for company_id, fate in zip(companies, fates):
            if fate == "missing":
                continue
            days = 3 if fate == "late" else -rng.randint(1, 10)
            at = datetime.combine(due_on + timedelta(days=days), time(10, 30), tzinfo=LOCAL_TZ)
            status = {"accepted": CompanyFilingStatus.ACCEPTED, "returned": CompanyFilingStatus.RETURNED}.get(
                fate, CompanyFilingStatus.SUBMITTED)
            if fate == "late":
                status = CompanyFilingStatus.ACCEPTED
            db.session.add(CompanyFiling(
                requirement_id=requirement.id, company_id=company_id, status=status, first_submitted_at=at,
                submitted_at=at, reviewed_at=at + timedelta(days=1) if status is not CompanyFilingStatus.SUBMITTED
                else None, return_reason="整改措施未明确完成时限，请补充后重新报送。"
                if status is CompanyFilingStatus.RETURNED else None))
    db.session.flush()
