"""Builders for campaign tests: a running campaign, enrolments, items with evidence."""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select

from supervision.attachments.services import store_bytes
from supervision.campaigns import reference
from supervision.campaigns.models import (
    Campaign,
    CampaignScheme,
    CampaignStatus,
    ChecklistTemplate,
    Enrolment,
    ItemSource,
    ItemState,
    ResponsibleParty,
    Severity,
)
from supervision.campaigns.services import campaigns, enrolment, items
from supervision.core.timeutil import local_today
from supervision.extensions import db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg_bytes(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def load_reference():
    reference.load_reference()
    db.session.flush()


def scheme(code="four_phase") -> CampaignScheme:
    if db.session.scalar(select(CampaignScheme.id).limit(1)) is None:
        load_reference()
    return db.session.scalar(select(CampaignScheme).where(CampaignScheme.code == code))


def template() -> ChecklistTemplate:
    scheme()
    return db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.code == "pm_self_inspection"))


def gen_campaign(world, *, code="four_phase", status=CampaignStatus.ACTIVE, starts_on: date | None = None,
                 name="测试专项行动", **kw) -> Campaign:
    chosen = scheme(code)
    needs_template = any(p.kind.value == "self_inspection" for p in chosen.phases)
    campaign = campaigns.create_campaign(
        name=name, year=(starts_on or local_today()).year, scheme=chosen,
        starts_on=starts_on or local_today() - timedelta(days=10), actor=world.officer,
        checklist_template=template() if needs_template else None, **kw)
    if status is not CampaignStatus.DRAFT:
        campaigns.activate(campaign, actor=world.officer)
    if status is CampaignStatus.CLOSED:
        campaigns.close(campaign, actor=world.officer)
    db.session.flush()
    return campaign


def enrol(campaign, *estates, actor) -> list[Enrolment]:
    enrolment.enrol(campaign, estates, actor=actor)
    db.session.flush()
    return [db.session.scalar(select(Enrolment).where(Enrolment.campaign_id == campaign.id,
                                                      Enrolment.estate_id == e.id)) for e in estates]


def gen_item(enrolment_or_estate, *, actor, source=ItemSource.COMPLAINT, party=ResponsibleParty.COMPANY,
             workdays=10, description="消防通道堆放杂物", **kw):
    if isinstance(enrolment_or_estate, Enrolment):
        e = enrolment_or_estate
        return items.create_item(estate=e.estate, enrolment=e, source=source, category="消防安全",
                                 description=description, responsible_party=party, deadline_workdays=workdays,
                                 severity=kw.pop("severity", Severity.GENERAL), actor=actor, **kw)
    return items.create_item(estate=enrolment_or_estate, source=source, category="消防安全",
                             description=description, responsible_party=party, deadline_workdays=workdays,
                             actor=actor, **kw)


def add_evidence(item, user, name="整改后.jpg"):
    return store_bytes(jpeg_bytes(), name, owner=item, purpose="evidence", fact_date=local_today(), user=user)


def move(item, state_path, *, answerer, officer):
    """Drive ``item`` along the legal moves to reach each state in ``state_path``."""
    for state in state_path:
        actor = officer if state in (ItemState.ACCEPTED, ItemState.REJECTED) else answerer
        if state is ItemState.SUBMITTED:
            if not item.response:
                item.response = "已整改"
            add_evidence(item, answerer)
        items.transition(item, state, actor=actor, comment="原因" if state is ItemState.REJECTED else None)
    db.session.flush()
    return item


PATH_TO = {
    ItemState.OPEN: [],
    ItemState.IN_PROGRESS: [ItemState.IN_PROGRESS],
    ItemState.SUBMITTED: [ItemState.IN_PROGRESS, ItemState.SUBMITTED],
    ItemState.REJECTED: [ItemState.IN_PROGRESS, ItemState.SUBMITTED, ItemState.REJECTED],
    ItemState.ACCEPTED: [ItemState.IN_PROGRESS, ItemState.SUBMITTED, ItemState.ACCEPTED],
}
