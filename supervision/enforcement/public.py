"""The public extension point for the portal: published 通报 and approved 曝光 only, never personal data.

``published_disclosures(company_id=None, limit=None)`` returns plain dataclasses the portal renders; the
login-free route ``enforcement_public.document_pdf`` (``/public/enforcement/<step_id>.pdf``) serves a
published document's PDF and answers 404 for anything unpublished.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..companies.models import Company
from ..core import generations
from ..documents.pdf import pdf_response
from ..extensions import db
from ..i18n import in_chinese
from ..portal.sources import DISCLOSURE_SOURCES
from .documents import filename, render_step_pdf
from .models import EnforcementCase, EnforcementRung, EnforcementStep, StepStatus

KINDS = {"circular": "通报", "exposure": "曝光"}

public_bp = Blueprint("enforcement_public", __name__, url_prefix="/public/enforcement")


@dataclass(frozen=True)
class Disclosure:
    kind: str  # '通报' or '曝光'
    number: str
    title: str
    company_id: int
    company_name: str
    published_on: date
    approving_office: str  # an office, never a person's name or contact data
    summary: str
    pdf_url: str


def _published():
    return (select(EnforcementStep).join(EnforcementRung, EnforcementRung.id == EnforcementStep.rung_id)
            .where(EnforcementStep.status == StepStatus.PUBLISHED, EnforcementStep.published_on.is_not(None),
                   EnforcementStep.number.is_not(None), EnforcementRung.public.is_(True),
                   EnforcementRung.code.in_(list(KINDS))))


def published_disclosures(company_id: int | None = None, limit: int | None = None) -> list[Disclosure]:
    statement = (_published().options(joinedload(EnforcementStep.rung),
                                      joinedload(EnforcementStep.case).joinedload(EnforcementCase.company))
                 .order_by(EnforcementStep.published_on.desc(), EnforcementStep.id.desc()))
    if company_id is not None:
        statement = statement.where(EnforcementStep.case_id.in_(
            select(EnforcementCase.id).where(EnforcementCase.company_id == company_id)))
    if limit is not None:
        statement = statement.limit(limit)
    return [Disclosure(kind=KINDS[step.rung.code], number=step.number, title=step.title,
                       company_id=step.case.company_id, company_name=step.case.company.name,
                       published_on=step.published_on, approving_office=step.approving_office or "",
                       summary=step.content, pdf_url=url_for("enforcement_public.document_pdf", step_id=step.id))
            for step in db.session.scalars(statement)]


@public_bp.get("/<int:step_id>.pdf")
@in_chinese
def document_pdf(step_id: int):
    """A published 通报 or 曝光, to anyone; anything else does not exist here."""
    step = db.session.scalar(_published().where(EnforcementStep.id == step_id))
    if step is None:
        abort(404)
    response = pdf_response(render_step_pdf(step), filename(step))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# What the portal shows changes with the published steps, their rung, their case and its company's name.
DISCLOSURE_TOPIC = "enforcement"
generations.watch(DISCLOSURE_TOPIC, EnforcementStep, EnforcementRung, EnforcementCase)
generations.watch(DISCLOSURE_TOPIC, Company, attributes={"name"})
DISCLOSURE_SOURCES.register("enforcement", published_disclosures, topics=(DISCLOSURE_TOPIC,))
