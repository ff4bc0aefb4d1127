"""Campaigns: created from a scheme, phases with editable date windows, start and end."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ...audit.services import record, record_change, snapshot
from ...core.errors import DomainError
from ...core.timeutil import local_today, utcnow
from ...extensions import db
from ..models import (
    Campaign,
    CampaignPhase,
    CampaignScheme,
    CampaignStatus,
    ChecklistTemplate,
    Enrolment,
    EnrolmentStatus,
    PhaseKind,
    SelfInspection,
)
from . import schemes as scheme_service
from .common import require_bureau

CAMPAIGN_FIELDS = ["name", "year", "checklist_template_id", "description", "requires_signed_scan",
                   "default_deadline_workdays", "status"]


def _check_common(*, name: str, year: int, default_deadline_workdays: int) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写专项行动名称。"), field="name")
    if not 2000 <= int(year) <= 2100:
        raise DomainError(_("年度应在2000至2100之间。"), field="year")
    if not 1 <= int(default_deadline_workdays) <= 250:
        raise DomainError(_("整改期限应在1至250个工作日之间。"), field="default_deadline_workdays")
    return name


def create_campaign(*, name: str, year: int, scheme: CampaignScheme, starts_on: date, actor,
                    checklist_template: ChecklistTemplate | None = None, description: str | None = None,
                    requires_signed_scan: bool = False, default_deadline_workdays: int = 15) -> Campaign:
    """A draft campaign whose phases are copied from ``scheme``, back to back from ``starts_on``."""
    require_bureau(actor, _("创建专项行动"))
    name = _check_common(name=name, year=year, default_deadline_workdays=default_deadline_workdays)
    if not scheme.active:
        raise DomainError(_("该方案已被新版本取代，请选择最新版本。"), field="scheme_id")
    if checklist_template is None:
        # The scheme's own form, in its newest version (retired items are not asked).
        checklist_template = scheme_service.scheme_template(scheme)
    kinds = {p.kind for p in scheme.phases}
    if PhaseKind.SELF_INSPECTION in kinds and checklist_template is None:
        raise DomainError(_("该方案包含自查自纠阶段，请选择自查检查表。"), field="checklist_template_id")
    campaign = Campaign(
        name=name, year=int(year), scheme_id=scheme.id, status=CampaignStatus.DRAFT,
        checklist_template_id=checklist_template.id if checklist_template else None,
        description=(description or "").strip() or None, requires_signed_scan=bool(requires_signed_scan),
        default_deadline_workdays=int(default_deadline_workdays),
        report_figures=list(scheme.report_figures or []), created_by_id=getattr(actor, "id", None),
    )
    # Back to back from ``starts_on``, or from the phase's own first day when the scheme sets one.
    for phase, first, last in scheme_service.phase_days(scheme):
        campaign.phases.append(CampaignPhase(position=phase.position, kind=phase.kind, name=phase.name,
                                             starts_on=starts_on + timedelta(days=first - 1),
                                             ends_on=starts_on + timedelta(days=last - 1)))
    db.session.add(campaign)
    db.session.flush()
    after = snapshot(campaign, CAMPAIGN_FIELDS)
    after["scheme"] = scheme.code
    after["scheme_version"] = scheme.version
    after["phases"] = [[p.name, p.starts_on, p.ends_on] for p in campaign.phases]
    record("campaign.create", campaign, after=after, actor=actor)
    return campaign


@dataclass
class PhaseInput:
    id: int
    name: str
    starts_on: date
    ends_on: date


def phase_warnings(phases) -> list[str]:
    """Overlapping windows and gaps: reported, never refused (the sources overlap phases)."""
    ordered = sorted(phases, key=lambda p: p.position if hasattr(p, "position") else 0)
    warnings = []
    for a, b in pairwise(ordered):
        if b.starts_on <= a.ends_on:
            warnings.append(_("“%(a)s”与“%(b)s”的时间重叠（%(start)s 至 %(end)s）。", a=a.name, b=b.name,
                              start=b.starts_on.isoformat(), end=min(a.ends_on, b.ends_on).isoformat()))
    return warnings


def update_campaign(campaign: Campaign, *, actor, name: str, year: int, description: str | None,
                    requires_signed_scan: bool, default_deadline_workdays: int,
                    checklist_template: ChecklistTemplate | None, phases: list[PhaseInput]) -> list[str]:
    """Save the campaign's settings and phase windows; returns overlap warnings."""
    require_bureau(actor, _("修改专项行动"))
    name = _check_common(name=name, year=year, default_deadline_workdays=default_deadline_workdays)
    by_id = {p.id: p for p in campaign.phases}
    for row in phases:
        if row.id not in by_id:
            raise DomainError(_("阶段不存在，请刷新页面。"))
        if not (row.name or "").strip():
            raise DomainError(_("阶段名称不能为空。"))
        if row.ends_on < row.starts_on:
            raise DomainError(_("“%(name)s”的结束日期早于开始日期。", name=row.name))
    template_id = checklist_template.id if checklist_template else None
    if template_id != campaign.checklist_template_id:

        used = db.session.scalar(select(func.count(SelfInspection.id)).join(Enrolment).where(
            Enrolment.campaign_id == campaign.id))
        if used:
            raise DomainError(_("已有企业开始填报自查表，不能更换自查检查表。"), field="checklist_template_id")
    if campaign.phase_of_kind(PhaseKind.SELF_INSPECTION) and template_id is None:
        raise DomainError(_("该专项行动包含自查自纠阶段，请选择自查检查表。"), field="checklist_template_id")
    before = snapshot(campaign, CAMPAIGN_FIELDS)
    before["phases"] = [[p.name, p.starts_on, p.ends_on] for p in campaign.phases]
    campaign.name, campaign.year = name, int(year)
    campaign.description = (description or "").strip() or None
    campaign.requires_signed_scan = bool(requires_signed_scan)
    campaign.default_deadline_workdays = int(default_deadline_workdays)
    campaign.checklist_template_id = template_id
    for row in phases:
        phase = by_id[row.id]
        phase.name, phase.starts_on, phase.ends_on = row.name.strip(), row.starts_on, row.ends_on
    campaign.updated_at = utcnow()  # a phase-only edit still bumps the campaign's version
    before_phases = before["phases"]
    record_change("campaign.update", campaign, {k: v for k, v in before.items() if k != "phases"}, actor=actor)
    after_phases = [[p.name, p.starts_on.isoformat(), p.ends_on.isoformat()] for p in campaign.phases]
    before_phases = [[n, s.isoformat(), e.isoformat()] for n, s, e in before_phases]
    if after_phases != before_phases:
        record("campaign.phases", campaign, before={"phases": before_phases}, after={"phases": after_phases},
               actor=actor)
    return phase_warnings(campaign.phases)


def activate(campaign: Campaign, *, actor) -> None:
    """筹备中 → 进行中: streets and companies now see it and can act."""
    require_bureau(actor, _("启动专项行动"))
    if campaign.status is not CampaignStatus.DRAFT:
        raise DomainError(_("只有筹备中的专项行动可以启动。"))
    before = snapshot(campaign, ["status"])
    campaign.status = CampaignStatus.ACTIVE
    record_change("campaign.activate", campaign, before, actor=actor)


def close(campaign: Campaign, *, actor) -> int:
    """进行中 → 已结束. Returns how many enrolments were not closed (销号)."""
    require_bureau(actor, _("结束专项行动"))
    if campaign.status is not CampaignStatus.ACTIVE:
        raise DomainError(_("只有进行中的专项行动可以结束。"))
    remaining = open_enrolment_count(campaign)
    before = snapshot(campaign, ["status"])
    campaign.status = CampaignStatus.CLOSED
    record_change("campaign.close", campaign, before, actor=actor)
    return remaining


def reopen(campaign: Campaign, *, actor, reason: str | None) -> None:
    """已结束 → 进行中: needed before an item of a finished campaign can be re-opened."""
    require_bureau(actor, _("重新开启专项行动"))
    if campaign.status is not CampaignStatus.CLOSED:
        raise DomainError(_("只有已结束的专项行动可以重新开启。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写重新开启的原因。"), field="reason")
    before = snapshot(campaign, ["status"])
    campaign.status = CampaignStatus.ACTIVE
    after = snapshot(campaign, ["status"])
    after["reason"] = reason
    record("campaign.reopen", campaign, before=before, after=after, actor=actor)


def open_enrolment_count(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.campaign_id == campaign.id, Enrolment.status == EnrolmentStatus.ACTIVE)) or 0


def current_phases(campaign: Campaign, today: date | None = None) -> list[CampaignPhase]:
    today = today or local_today()
    return [p for p in campaign.phases if p.starts_on <= today <= p.ends_on]


# --- the campaign list -------------------------------------------------------------

def campaign_list_keys(user, *, q: str | None = None, year: int | None = None,
                       status: CampaignStatus | None = None):
    """The ids of ``campaign_list_statement``'s campaigns in its order (a list's page of ids)."""
    return _filtered_and_ordered(select(Campaign.id).where(Campaign.scope_clause(user)), q, year, status)


def _filtered_and_ordered(statement, q: str | None, year: int | None, status: CampaignStatus | None):
    """The campaign list's filters and order (running ones first), on its statement or on its ids."""
    if q and q.strip():
        statement = statement.where(Campaign.name.ilike(f"%{q.strip()}%"))
    if year:
        statement = statement.where(Campaign.year == year)
    if status:
        statement = statement.where(Campaign.status == status)
    order = case((Campaign.status == CampaignStatus.ACTIVE, 0), (Campaign.status == CampaignStatus.DRAFT, 1), else_=2)
    return statement.order_by(order, Campaign.year.desc(), Campaign.id.desc())


def campaign_list_rows_for(user, ids) -> dict:
    """``{campaign id: row}`` of the web list's columns for these campaigns: the scheme's name, the first
    phase's start and the last one's end, and the counts of ``campaign_list_statement`` (plain columns)."""
    def phase(column, order):
        return (select(column).where(CampaignPhase.campaign_id == Campaign.id).order_by(order).limit(1)
                .correlate(Campaign).scalar_subquery())

    enrolled, closed = _enrolment_counts(user)
    statement = (select(Campaign.id, Campaign.year, Campaign.name, Campaign.status,
                        CampaignScheme.name.label("scheme"),
                        phase(CampaignPhase.starts_on, CampaignPhase.position.asc()).label("starts_on"),
                        phase(CampaignPhase.ends_on, CampaignPhase.position.desc()).label("ends_on"),
                        enrolled.label("enrolled"), closed.label("closed"))
                 .outerjoin(CampaignScheme, CampaignScheme.id == Campaign.scheme_id).where(Campaign.id.in_(ids)))
    return {row.id: row for row in db.session.execute(statement)}


def _enrolment_counts(user):
    enrolled = (select(func.count(Enrolment.id)).where(Enrolment.campaign_id == Campaign.id,
                                                       Enrolment.status != EnrolmentStatus.WITHDRAWN,
                                                       Enrolment.scope_clause(user))
                .correlate(Campaign).scalar_subquery())
    closed = (select(func.count(Enrolment.id)).where(Enrolment.campaign_id == Campaign.id,
                                                     Enrolment.status == EnrolmentStatus.CLOSED,
                                                     Enrolment.scope_clause(user))
              .correlate(Campaign).scalar_subquery())
    return enrolled, closed


def campaign_list_statement(user, *, q: str | None = None, year: int | None = None,
                            status: CampaignStatus | None = None):
    """Campaigns the user sees, each with the counts of its enrolments the user sees
    (``enrolled``: not withdrawn, ``closed``: 销号); running ones first."""
    enrolled, closed = _enrolment_counts(user)
    statement = (select(Campaign, enrolled.label("enrolled"), closed.label("closed"))
                 .where(Campaign.scope_clause(user))
                 .options(selectinload(Campaign.scheme), selectinload(Campaign.phases)))
    return _filtered_and_ordered(statement, q, year, status)
