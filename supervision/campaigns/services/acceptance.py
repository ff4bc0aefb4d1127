"""验收: an officer inspects an enrolment, gives a verdict per item and overall.

- A pass verdict accepts a submitted item (submitted → accepted) or confirms an
  already accepted one; an item not yet submitted cannot pass.
- A fail verdict rejects a submitted item and reopens an accepted one (both to
  ``rejected`` with the comment as reason, and a new deadline — for a re-opened item
  the campaign's default when none is given); an item still
  in rectification keeps its state.
- The overall verdict can be “passed” only when every item passes and the
  campaign's survey and self-inspection steps are done; the enrolment is then
  closed (销号). A failed acceptance closes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...attachments.services import EVIDENCE, attachments_of, earliest_taken_on, store
from ...audit.services import record, record_change, snapshot
from ...core.errors import DomainError
from ...core.timeutil import local_today, utcnow
from ...documents.pdf import render_pdf
from ...extensions import db
from ...notifications.services import company_users, notify, street_users
from ...regions.services import bureau_name
from ..models import (
    Acceptance,
    AcceptanceItemVerdict,
    AcceptanceVerdict,
    Enrolment,
    EnrolmentStatus,
    ItemState,
    PhaseKind,
    RectificationItem,
    SelfInspectionStatus,
)
from .common import require_active_campaign, require_bureau, require_open_enrolment
from .items import transition


@dataclass
class ItemVerdictInput:
    passed: bool
    comment: str | None = None


def enrolment_items(enrolment: Enrolment) -> list[RectificationItem]:
    return list(db.session.scalars(select(RectificationItem).where(RectificationItem.enrolment_id == enrolment.id)
                                   .order_by(RectificationItem.id)))


def steps_missing(enrolment: Enrolment) -> list[str]:
    """The campaign's steps this enrolment has not done (survey, self-inspection)."""
    campaign = enrolment.campaign
    missing = []
    if campaign.phase_of_kind(PhaseKind.SURVEY) and enrolment.survey is None:
        missing.append(_("尚未摸底"))
    if campaign.phase_of_kind(PhaseKind.SELF_INSPECTION) and enrolment.company_id is not None:
        si = enrolment.self_inspection
        if si is None or si.status not in (SelfInspectionStatus.SUBMITTED, SelfInspectionStatus.ACCEPTED):
            missing.append(_("企业尚未提交自查表"))
    return missing


def record_acceptance(enrolment: Enrolment, *, actor, inspected_on: date | None, verdict: AcceptanceVerdict,
                      remarks: str | None, item_verdicts: dict[int, ItemVerdictInput],
                      reopen_deadline_workdays: int | None = None, photos=(),
                      photo_date: date | None = None) -> Acceptance:
    require_bureau(actor, _("验收"))
    require_active_campaign(enrolment.campaign)
    require_open_enrolment(enrolment)
    photos = [p for p in photos if p is not None and getattr(p, "filename", None)]
    if inspected_on is None:  # left empty: the day the photos were taken
        inspected_on = earliest_taken_on(photos) or local_today()
    if inspected_on > local_today():
        raise DomainError(_("验收日期不能晚于今天。"), field="inspected_on")
    items = enrolment_items(enrolment)
    missing = [item for item in items if item.id not in item_verdicts]
    if missing:
        raise DomainError(_("请对每一项整改事项给出验收意见（缺 #%(ids)s）。",
                            ids="、#".join(str(i.id) for i in missing)))
    for item in items:
        given = item_verdicts[item.id]
        if given.passed and item.state not in (ItemState.SUBMITTED, ItemState.ACCEPTED):
            raise DomainError(_("事项 #%(id)s 为“%(state)s”，尚未提交整改结果，不能验收通过。", id=item.id,
                                state=item.state.label))
    if verdict is AcceptanceVerdict.PASSED:
        failed = [item for item in items if not item_verdicts[item.id].passed]
        if failed:
            raise DomainError(_("有 %(n)s 项整改事项不通过，整体验收结论不能为“通过”。", n=len(failed)),
                              field="verdict")
        missing_steps = steps_missing(enrolment)
        if missing_steps:
            raise DomainError(_("该小区%(steps)s，不能验收通过。", steps="、".join(missing_steps)), field="verdict")
    acceptance = Acceptance(enrolment_id=enrolment.id, inspected_on=inspected_on, inspected_by_id=actor.id,
                            verdict=verdict, remarks=(remarks or "").strip() or None)
    db.session.add(acceptance)
    db.session.flush()
    reopened = []
    for item in items:
        given = item_verdicts[item.id]
        comment = (given.comment or "").strip() or None
        acceptance.verdicts.append(AcceptanceItemVerdict(item_id=item.id, passed=given.passed, comment=comment))
        reason = comment or _("验收不通过")
        if given.passed and item.state is ItemState.SUBMITTED:
            transition(item, ItemState.ACCEPTED, actor=actor, comment=comment or _("验收通过"))
        elif not given.passed and item.state in (ItemState.SUBMITTED, ItemState.ACCEPTED):
            workdays = reopen_deadline_workdays
            if workdays is None and item.state is ItemState.ACCEPTED:  # re-opening always sets a new deadline
                workdays = enrolment.campaign.default_deadline_workdays
            transition(item, ItemState.REJECTED, actor=actor, comment=reason, deadline_workdays=workdays)
            reopened.append(item)
    record("acceptance.record", acceptance, after={
        "enrolment_id": enrolment.id, "verdict": verdict, "inspected_on": inspected_on,
        "passed_items": [i.id for i in items if item_verdicts[i.id].passed],
        "failed_items": [i.id for i in items if not item_verdicts[i.id].passed],
        "reopened_items": [i.id for i in reopened],
    }, actor=actor)
    for photo in photos:
        if photo is not None and getattr(photo, "filename", None):
            store(photo, kinds=EVIDENCE, owner=acceptance, purpose="photo", fact_date=photo_date,
                  fact_date_default=inspected_on, user=actor)
    if verdict is AcceptanceVerdict.PASSED:
        close_enrolment(enrolment, actor=actor)
    else:
        users = (company_users(enrolment.company_id) if enrolment.company_id else []) + \
            street_users(enrolment.street_id)
        notify(users, kind="acceptance_failed",
               title=_("验收不通过：%(estate)s", estate=enrolment.estate.name), body=acceptance.remarks,
               dedup_key=f"acceptance-failed:{acceptance.id}", link=_link(enrolment))
    return acceptance


def _link(enrolment):

    return url_for("campaigns.enrolment_detail", enrolment_id=enrolment.id) if has_request_context() else None


def close_enrolment(enrolment: Enrolment, *, actor) -> None:
    """销号: only when every item is accepted and the latest acceptance passed."""
    open_items = [i for i in enrolment_items(enrolment) if i.state is not ItemState.ACCEPTED]
    if open_items:
        raise DomainError(_("还有 %(n)s 项整改事项未销项，不能销号。", n=len(open_items)))
    latest = db.session.scalar(select(Acceptance).where(Acceptance.enrolment_id == enrolment.id)
                               .order_by(Acceptance.id.desc()).limit(1))
    if latest is None or latest.verdict is not AcceptanceVerdict.PASSED or latest.revoked_at is not None:
        raise DomainError(_("验收通过后才能销号。"))
    before = snapshot(enrolment, ["status", "closed_at"])
    enrolment.status = EnrolmentStatus.CLOSED
    enrolment.closed_at = utcnow()
    record_change("enrolment.close", enrolment, before, actor=actor)


def acceptance_document(acceptance: Acceptance) -> dict:
    enrolment = acceptance.enrolment
    estate = enrolment.estate
    photos = [a.id for a in attachments_of(acceptance) if a.is_image][:4]
    return {
        "number": f"YS{acceptance.inspected_on.year}-{acceptance.id:05d}",
        "bureau": bureau_name(), "campaign": enrolment.campaign.name,
        "estate": estate.name, "address": estate.address, "street": enrolment.street.name,
        "company": enrolment.company.name if enrolment.company else "—",
        "inspected_on": acceptance.inspected_on,
        "inspector": acceptance.inspected_by.display_name if acceptance.inspected_by else "",
        "verdict": acceptance.verdict.label, "passed": acceptance.verdict is AcceptanceVerdict.PASSED,
        "remarks": acceptance.remarks,
        "closed": enrolment.closed_at is not None and acceptance.verdict is AcceptanceVerdict.PASSED,
        "items": [{"id": v.item.id, "category": v.item.category, "description": v.item.description,
                   "passed": v.passed, "comment": v.comment} for v in sorted(acceptance.verdicts,
                                                                             key=lambda v: v.item_id)],
        "photos": photos,
    }


def render_acceptance_pdf(acceptance: Acceptance) -> bytes:

    return render_pdf("pdf/campaigns/acceptance.html", doc=acceptance_document(acceptance))
