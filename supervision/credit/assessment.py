"""The yearly basic-information assessment: the registry's facts suggest which basic items hold, the
bureau records one confirmed event per item."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..companies.models import Company, Position, Staff
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..estates.models import Estate
from ..extensions import db
from . import scoring, services
from .models import CreditEvent, CreditRuleItem, CreditRulePart, EventOrigin, EventStatus, PartKind


@dataclass
class RegistryFacts:
    estates: int
    floor_area: Decimal
    estates_without_area: int
    managers: int
    managers_certified: int
    certified_posts: int
    certified_posts_holding: int
    has_contact: bool

    def suggests(self, code: str) -> bool | None:
        """Whether the registry supports a basic item (None: the registry cannot tell)."""
        if code == "JC-01":
            return self.has_contact
        if code == "JC-02":
            return self.estates > 0 and self.estates_without_area == 0
        if code == "JC-04":
            return self.managers > 0 and self.managers_certified == self.managers
        if code == "JC-05":
            return self.certified_posts > 0 and self.certified_posts_holding == self.certified_posts
        return None

    def describe(self) -> str:
        return _("登记信息：在管小区 %(estates)s 个，建筑面积 %(area)s ㎡；项目经理等管理岗位 %(managers)s 人，"
                 "持证 %(mc)s 人；持证岗位人员 %(posts)s 人，持证 %(ph)s 人。",
                 estates=self.estates, area=f"{self.floor_area:,.0f}", managers=self.managers,
                 mc=self.managers_certified, posts=self.certified_posts, ph=self.certified_posts_holding)


def registry_facts(company: Company, on: date | None = None) -> RegistryFacts:
    on = on or local_today()
    estates = db.session.execute(select(func.count(Estate.id), func.sum(Estate.floor_area),
                                        func.count(Estate.id) - func.count(Estate.floor_area))
                                 .where(Estate.company_id == company.id, Estate.archived_at.is_(None))).one()
    staff = list(db.session.scalars(
        select(Staff).where(Staff.company_id == company.id, Staff.left_on.is_(None))
        .options(joinedload(Staff.position).selectinload(Position.required_certificates),
                 selectinload(Staff.certificates)).execution_options(populate_existing=True)))
    managers = certified_managers = posts = holding = 0
    for person in staff:
        required = {c.id for c in person.position.required_certificates}
        if not required:
            continue
        valid = any(c.certificate_type_id in required and c.is_valid_on(on) for c in person.certificates)
        if person.position.is_manager:
            managers += 1
            certified_managers += valid
        else:
            posts += 1
            holding += valid
    return RegistryFacts(
        estates=estates[0] or 0, floor_area=Decimal(str(estates[1] or 0)), estates_without_area=estates[2] or 0,
        managers=managers, managers_certified=certified_managers, certified_posts=posts,
        certified_posts_holding=holding,
        has_contact=bool(company.legal_representative and company.phone and company.address),
    )


def basic_items_in_force(company: Company, day: date) -> dict[str, CreditEvent]:
    """Basic-information events of the company in force (or awaiting) on ``day``, by item code."""
    events = db.session.scalars(
        select(CreditEvent).join(CreditRuleItem, CreditRuleItem.id == CreditEvent.item_id)
        .join(CreditRulePart, CreditRulePart.id == CreditRuleItem.part_id)
        .where(CreditEvent.company_id == company.id, CreditEvent.status != EventStatus.REVOKED,
               CreditEvent.effective_from <= day, CreditEvent.effective_until >= day,
               CreditRulePart.kind == PartKind.BASIC)
        .options(joinedload(CreditEvent.item)))
    return {event.item.code: event for event in events}


def record_basic_assessment(company: Company, items: list[CreditRuleItem], *, effective_from: date,
                            note: str | None = None, actor=None, on: date | None = None) -> list[CreditEvent]:
    """The yearly basic-information assessment: one confirmed event per item that holds."""
    on = on or local_today()
    if not items:
        raise DomainError(_("请至少选择一项符合的基本信息条款。"), field="items")
    if any(item.part.kind is not PartKind.BASIC for item in items):
        raise DomainError(_("只能选择基本信息条款。"), field="items")
    in_force = basic_items_in_force(company, effective_from)
    duplicates = [item.code for item in items if item.code in in_force]
    if duplicates:
        raise DomainError(_("以下条款在 %(day)s 已有有效记录，不能重复记录：%(codes)s",
                            day=effective_from.isoformat(), codes="、".join(duplicates)), field="items")
    facts = registry_facts(company, on)
    description = facts.describe() + (f" {note.strip()}" if note and note.strip() else "")
    events = []
    for item in items:
        event = services.create_event(company=company, item=item, occurred_on=min(effective_from, on),
                             description=description, effective_from=effective_from,
                             origin=EventOrigin.ASSESSMENT, actor=actor, on=on)
        services.confirm_event(event, actor=actor, on=on, notify=False)
        events.append(event)
    services.notify_company(events[0], kind="credit_assessment",
                    title=_("基本信息评定：%(n)s 项符合，合计 %(points)s 分，有效期自 %(day)s 起",
                            n=len(events), points=scoring.q(sum(e.points for e in events)),
                            day=effective_from.isoformat()))
    return events


def suggested_items(company: Company, items: list[CreditRuleItem], day: date, *, on: date | None = None,
                    facts: RegistryFacts | None = None, in_force: dict[str, CreditEvent] | None = None) -> list[int]:
    """The basic items the registry supports and that have no record in force on ``day`` (``facts`` and
    ``in_force``: the caller's, when it already has them for ``on`` and ``day``)."""
    facts = facts or registry_facts(company, on)
    in_force = basic_items_in_force(company, day) if in_force is None else in_force
    return [i.id for i in items if facts.suggests(i.code) and i.code not in in_force]
