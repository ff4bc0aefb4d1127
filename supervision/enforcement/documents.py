"""The documents the rungs produce, as plain data for the PDF template (``templates/pdf/enforcement/step.html``)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..companies.models import Company
from ..documents.pdf import render_pdf
from ..extensions import db
from ..regions.services import bureau_name
from .models import EnforcementStep

# What each rung's document is called on paper.
HEADINGS = {"interview": "约谈通知书", "circular": "通报", "exposure": "曝光公告", "penalty": "行政处罚决定书",
            "credit_sanction": "信用惩戒决定书", "removal": "清出市场建议书"}


def addressee(step: EnforcementStep) -> str:
    """A 通报 is addressed to every company of the district; the other documents to the company concerned."""
    if step.rung.code == "circular":
        return "全区各物业服务企业"
    return step.case.company.name


def step_document(step: EnforcementStep) -> dict:
    case = step.case
    article = step.article
    companies = 0
    if step.rung.code == "circular":
        companies = db.session.scalar(select(func.count(Company.id)).where(Company.archived_at.is_(None)))
    return {
        "kind": step.rung.code, "heading": HEADINGS.get(step.rung.code, step.rung.document),
        "number": step.number or "（待编号）", "title": step.title, "content": step.content,
        "addressee": addressee(step), "company": case.company.name, "credit_code": case.company.credit_code,
        "estate": case.estate.name if case.estate else None, "issued_on": step.issued_on,
        "interview_at": step.interview_at, "interview_place": step.interview_place,
        "interviewed_on": step.interviewed_on, "attendees": step.attendees, "commitments": step.commitments,
        "follow_up_on": step.follow_up_on,
        "article": f"{article.regulation}{article.article}" if article else None,
        "article_penalty": article.penalty if article else None,
        "amount": step.amount, "measure": step.measure, "approving_office": step.approving_office,
        "bureau": bureau_name(), "district_companies": companies, "draft": step.number is None,
    }


def render_step_pdf(step: EnforcementStep) -> bytes:
    return render_pdf("pdf/enforcement/step.html", doc=step_document(step))


def filename(step: EnforcementStep) -> str:
    return f"{HEADINGS.get(step.rung.code, step.rung.name)}-{step.number or step.id}.pdf"
