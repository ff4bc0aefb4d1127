"""摸底: a street or bureau officer confirms or corrects an enrolled estate's facts
and records the problems found, each becoming a rectification item."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ...attachments.services import EVIDENCE, store
from ...audit.services import record, record_change, snapshot
from ...core.errors import DomainError
from ...core.timeutil import local_today
from ...estates.models import ManagementMode
from ...extensions import db
from ..models import Enrolment, ItemSource, ItemState, RectificationItem, ResponsibleParty, Severity, SurveyRecord
from .common import may_survey, require_active_campaign, require_open_enrolment
from .items import create_item

NO_COMMITTEE = "none"  # 未成立: the committee status "found" when there is none


@dataclass
class ProblemInput:
    category: str
    description: str
    severity: Severity = Severity.GENERAL
    responsible_party: ResponsibleParty = ResponsibleParty.COMPANY
    deadline_workdays: int | None = None
    responsible_note: str | None = None


def committee_status_of(estate) -> str:
    committee = estate.committee
    return committee.current_status.value if committee is not None else NO_COMMITTEE


def record_survey(enrolment: Enrolment, *, actor, surveyed_on: date, management_mode: ManagementMode,
                  company_id: int | None, committee_status: str | None, notes: str | None,
                  problems: list[ProblemInput], photos=(), photo_date: date | None = None) -> SurveyRecord:
    if not may_survey(actor, enrolment):
        raise DomainError(_("只有住建局或本街道办可以录入摸底情况。"))
    require_active_campaign(enrolment.campaign)
    require_open_enrolment(enrolment)
    if enrolment.survey is not None:
        raise DomainError(_("该小区已录入摸底情况；如有新问题，请在小区页面“补录问题”。"))
    if surveyed_on > local_today():
        raise DomainError(_("摸底日期不能晚于今天。"), field="surveyed_on")
    if management_mode is ManagementMode.PROFESSIONAL and not company_id:
        raise DomainError(_("管理方式为物业企业时，请选择物业服务企业。"), field="company_id")
    if management_mode is ManagementMode.NONE and company_id:
        raise DomainError(_("管理方式为无物业时，不应选择物业服务企业。"), field="company_id")
    estate = enrolment.estate
    committee_status = committee_status or committee_status_of(estate)
    confirmed = (management_mode is estate.management_mode and (company_id or None) == estate.company_id
                 and committee_status == committee_status_of(estate))
    survey = SurveyRecord(enrolment=enrolment, surveyed_on=surveyed_on, surveyed_by_id=actor.id,
                          facts_confirmed=confirmed, management_mode_found=management_mode.value,
                          company_found_id=company_id or None, committee_status_found=committee_status,
                          notes=(notes or "").strip() or None)
    db.session.add(survey)
    db.session.flush()
    if management_mode is not estate.management_mode or (company_id or None) != estate.company_id:
        _correct_estate(enrolment, management_mode=management_mode, company_id=company_id or None, actor=actor)
    record("survey.record", survey, after=snapshot(survey, ["enrolment_id", "surveyed_on", "facts_confirmed",
                                                            "management_mode_found", "company_found_id",
                                                            "committee_status_found", "notes"]), actor=actor)
    # Deadlines run from the day the problems are recorded, when the responsible party learns of them.
    for problem in problems:
        add_survey_problem(survey, problem, actor=actor)
    for photo in photos:
        if photo is not None and getattr(photo, "filename", None):
            store(photo, kinds=EVIDENCE, owner=survey, purpose="photo", fact_date=photo_date or surveyed_on,
                  user=actor)
    return survey


def _correct_estate(enrolment: Enrolment, *, management_mode: ManagementMode, company_id: int | None, actor):
    """The survey found other facts: the estate row, the enrolment and its open
    items follow the real managing company (so does scoping)."""
    estate = enrolment.estate
    before = snapshot(estate, ["management_mode", "company_id"])
    estate.management_mode = management_mode
    estate.company_id = company_id
    record_change("estate.update", estate, before, actor=actor,
                  summary=_("%(name)s（摸底更正）", name=estate.name))
    if enrolment.company_id != company_id:
        before = snapshot(enrolment, ["company_id"])
        enrolment.company_id = company_id
        record_change("enrolment.update", enrolment, before, actor=actor)
        items = db.session.scalars(select(RectificationItem).where(
            RectificationItem.enrolment_id == enrolment.id, RectificationItem.state != ItemState.ACCEPTED))
        for item in items:
            before = snapshot(item, ["company_id", "responsible_party"])
            item.company_id = company_id
            if company_id is None and item.responsible_party is ResponsibleParty.COMPANY:
                item.responsible_party = ResponsibleParty.STREET
            record_change("item.update", item, before, actor=actor)


def add_survey_problem(survey: SurveyRecord, problem: ProblemInput, *, actor):
    enrolment = survey.enrolment
    if not may_survey(actor, enrolment):
        raise DomainError(_("只有住建局或本街道办可以补录摸底问题。"))
    require_open_enrolment(enrolment)
    return create_item(estate=enrolment.estate, enrolment=enrolment, source=ItemSource.SURVEY, source_id=survey.id,
                       category=problem.category, description=problem.description, severity=problem.severity,
                       responsible_party=problem.responsible_party, responsible_note=problem.responsible_note,
                       deadline_workdays=problem.deadline_workdays, actor=actor)
