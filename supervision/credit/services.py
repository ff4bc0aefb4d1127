"""The rules of credit evaluation: recording, notices, objections, clues, publication.

Services never commit: they add, flush and call ``audit.record``; the view or
command commits once. Every function that depends on the date takes ``on``
(default: today in Shanghai) so that tests and the demo can run on any day.

Reusable entry points for other features:

- ``rule_set_for(day)``: the rule set in force on a day;
- ``scoring.scores(rule_set, as_of)`` / ``current_scores(as_of)``, ``company_score``,
  ``scoring.grade_counts``: scores computed in SQL;
- ``credit.automatic.record_automatic_event(...)`` and ``register_detector``.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..attachments.models import Attachment
from ..attachments.services import attachments_of, path_for, store, store_bytes
from ..audit.services import record, record_change, snapshot
from ..companies.models import Company, Staff
from ..core.errors import DomainError, TransitionError
from ..core.timeutil import local_today
from ..core.workdays import add_workdays
from ..estates.models import Estate
from ..extensions import db
from . import scoring
from .models import (ClueStatus, CreditClue, CreditEvent, CreditObjection, CreditPublication,
                     CreditPublicationRow, CreditRuleItem, CreditRulePart, CreditRuleSet, CreditRuleSetYear, EventOrigin,
                     EventStatus, ObjectionStatus, PartKind, RecordingLevel)

NOTICE_WORD = "信记"


def add_months(day: date, months: int) -> date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def effective_until_for(effective_from: date, months: int) -> date:
    """The last day of a validity of ``months`` starting on ``effective_from``."""
    return add_months(effective_from, months) - timedelta(days=1)


def notice_number(year: int, seq: int) -> str:
    return f"〔{year}〕{NOTICE_WORD}第{seq:04d}号"


# --- rule sets ---------------------------------------------------------------

def default_rule_set() -> CreditRuleSet:
    rule_set = db.session.scalar(select(CreditRuleSet).where(CreditRuleSet.is_default.is_(True)))
    if rule_set is None:
        rule_set = db.session.scalar(select(CreditRuleSet).order_by(CreditRuleSet.id))
    if rule_set is None:
        raise DomainError(_("尚未加载信用评价规则，请先运行 flask seed reference。"))
    return rule_set


def rule_set_for(day: date | None = None) -> CreditRuleSet:
    """The rule set in force on ``day``: the one chosen for its year, else the default."""
    day = day or local_today()
    chosen = db.session.scalar(select(CreditRuleSetYear).where(CreditRuleSetYear.year == day.year))
    return scoring.load_rule_set(chosen.rule_set_id if chosen else default_rule_set().id)


def set_rule_set_for_year(year: int, rule_set: CreditRuleSet, *, actor=None) -> CreditRuleSetYear:
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度应在 2000 至 2100 之间。"), field="year")
    chosen = db.session.scalar(select(CreditRuleSetYear).where(CreditRuleSetYear.year == year))
    if chosen is None:
        chosen = CreditRuleSetYear(year=year, rule_set_id=rule_set.id, chosen_by_id=getattr(actor, "id", None))
        db.session.add(chosen)
        record("credit_rules.choose", chosen, after={"year": year, "rule_set": f"{rule_set.code} v{rule_set.version}"},
               actor=actor)
        return chosen
    before = snapshot(chosen, ["rule_set_id"])
    chosen.rule_set_id = rule_set.id
    chosen.chosen_by_id = getattr(actor, "id", None)
    record_change("credit_rules.choose", chosen, before, actor=actor)
    return chosen


def items_of(rule_set: CreditRuleSet, *, include_automatic: bool = True, kinds=None) -> list[CreditRuleItem]:
    statement = (select(CreditRuleItem).where(CreditRuleItem.rule_set_id == rule_set.id,
                                              CreditRuleItem.active.is_(True))
                 .options(selectinload(CreditRuleItem.part)).order_by(CreditRuleItem.sort_order))
    items = list(db.session.scalars(statement))
    if not include_automatic:
        items = [i for i in items if not i.automatic]
    if kinds is not None:
        items = [i for i in items if i.part.kind in kinds]
    return items


def item_by_code(rule_set: CreditRuleSet, code: str) -> CreditRuleItem:
    item = db.session.scalar(select(CreditRuleItem).where(CreditRuleItem.rule_set_id == rule_set.id,
                                                         CreditRuleItem.code == code))
    if item is None:
        raise DomainError(_("现行规则集中没有条款 %(code)s。", code=code), field="item_id")
    return item


# --- events ------------------------------------------------------------------

def _check_links(company: Company, estate: Estate | None, staff: Staff | None) -> None:
    if estate is not None and estate.company_id != company.id:
        raise DomainError(_("所选小区不由该企业管理。"), field="estate_id")
    if staff is not None:
        if staff.company_id != company.id:
            raise DomainError(_("所选项目经理不属于该企业。"), field="staff_id")
        if not staff.position.is_manager:
            raise DomainError(_("所选人员不是项目经理。"), field="staff_id")


def create_event(*, company: Company, item: CreditRuleItem, occurred_on: date, description: str,
                 estate: Estate | None = None, staff: Staff | None = None,
                 recording_level: RecordingLevel = RecordingLevel.DISTRICT, recording_body: str | None = None,
                 effective_from: date | None = None, effective_until: date | None = None,
                 rectify_by: date | None = None, origin: EventOrigin = EventOrigin.MANUAL,
                 source_key: str | None = None, clue: CreditClue | None = None, actor=None,
                 on: date | None = None) -> CreditEvent:
    """A draft event. ``notify_event`` (deductions) or ``confirm_event`` (additions) makes it final."""
    on = on or local_today()
    if occurred_on > on:
        raise DomainError(_("发生日期不能晚于今天。"), field="occurred_on")
    if not item.active:
        raise DomainError(_("该条款已停用。"), field="item_id")
    if staff is not None and estate is None:
        estate = staff.estate
    if origin is not EventOrigin.AUTOMATIC:
        # Automatic facts keep the estate they were found at, even after a change of company.
        _check_links(company, estate, staff)
    effective_from = effective_from or occurred_on
    effective_until = effective_until or effective_until_for(effective_from, item.validity_months)
    if effective_until < effective_from:
        raise DomainError(_("有效期截止日不能早于起始日。"), field="effective_until")
    if rectify_by is not None and rectify_by < occurred_on:
        raise DomainError(_("整改期限不能早于发生日期。"), field="rectify_by")
    event = CreditEvent(
        company_id=company.id, estate_id=estate.id if estate else None, staff_id=staff.id if staff else None,
        item_id=item.id, rule_set_id=item.rule_set_id, points=item.points, occurred_on=occurred_on,
        description=description.strip(), recording_level=recording_level,
        recording_body=(recording_body or default_recording_body(recording_level)).strip(),
        origin=origin, source_key=source_key, clue_id=clue.id if clue else None, status=EventStatus.DRAFT,
        effective_from=effective_from, effective_until=effective_until, rectify_by=rectify_by,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(event)
    db.session.flush()
    record("credit_event.create", event, after=snapshot(event, [
        "company_id", "estate_id", "staff_id", "item_id", "points", "occurred_on", "description",
        "recording_level", "recording_body", "origin", "source_key", "clue_id", "effective_from",
        "effective_until", "rectify_by"]), actor=actor)
    if clue is not None:
        _accept_clue(clue, event, actor=actor)
    return event


def default_recording_body(level: RecordingLevel) -> str:
    from ..regions.models import District

    if level is RecordingLevel.DISTRICT:
        name = db.session.scalar(select(District.bureau_name).order_by(District.id).limit(1))
        return name or _("区住房和城乡建设局")
    if level is RecordingLevel.CITY:
        return _("市住房和城乡建设局")
    return _("街道办事处")


EDITABLE_FIELDS = ["estate_id", "staff_id", "item_id", "rule_set_id", "points", "occurred_on", "description",
                   "recording_level", "recording_body", "effective_from", "effective_until", "rectify_by"]


def update_event(event: CreditEvent, *, item: CreditRuleItem, occurred_on: date, description: str,
                 estate: Estate | None, staff: Staff | None, recording_level: RecordingLevel,
                 recording_body: str | None, effective_from: date | None, effective_until: date | None,
                 rectify_by: date | None, actor=None, on: date | None = None) -> CreditEvent:
    on = on or local_today()
    if event.status is not EventStatus.DRAFT:
        raise TransitionError(_("只有草稿可以修改；已告知或已确认的记录只能撤销后重新录入。"))
    if occurred_on > on:
        raise DomainError(_("发生日期不能晚于今天。"), field="occurred_on")
    if staff is not None and estate is None:
        estate = staff.estate
    _check_links(event.company, estate, staff)
    effective_from = effective_from or occurred_on
    effective_until = effective_until or effective_until_for(effective_from, item.validity_months)
    if effective_until < effective_from:
        raise DomainError(_("有效期截止日不能早于起始日。"), field="effective_until")
    before = snapshot(event, EDITABLE_FIELDS)
    event.item_id, event.rule_set_id, event.points = item.id, item.rule_set_id, item.points
    event.occurred_on, event.description = occurred_on, description.strip()
    event.estate_id = estate.id if estate else None
    event.staff_id = staff.id if staff else None
    event.recording_level = recording_level
    event.recording_body = (recording_body or default_recording_body(recording_level)).strip()
    event.effective_from, event.effective_until, event.rectify_by = effective_from, effective_until, rectify_by
    db.session.flush()
    db.session.expire(event, ["item", "estate", "staff"])
    record_change("credit_event.update", event, before, actor=actor)
    return event


def _next_notice_seq(year: int) -> int:
    current = db.session.scalar(select(func.max(CreditEvent.notice_seq)).where(CreditEvent.notice_year == year))
    return (current or 0) + 1


def notify_event(event: CreditEvent, *, actor=None, on: date | None = None) -> CreditEvent:
    """Issue the deduction notice (记分告知单): number it and open the objection window."""
    on = on or local_today()
    if event.status is not EventStatus.DRAFT:
        raise TransitionError(_("只有草稿可以发出告知。"))
    if not event.is_deduction:
        raise TransitionError(_("加分和基本信息记录无需告知，请直接确认。"))
    rule_set = event.rule_set
    item = event.item
    before = snapshot(event, ["status", "notice_number", "notified_on", "objection_deadline", "rectify_by"])
    event.status = EventStatus.NOTIFIED
    event.notified_on = on
    event.notified_by_id = getattr(actor, "id", None)
    event.objection_deadline = add_workdays(on, rule_set.objection_workdays)
    if event.rectify_by is None:
        event.rectify_by = add_workdays(on, item.rectify_workdays or rule_set.rectify_workdays)
    event.notice_year = on.year
    event.notice_seq = _next_notice_seq(on.year)
    event.notice_number = notice_number(on.year, event.notice_seq)
    event.notice_clause = f"{item.code} {item.description}"[:255]
    db.session.flush()
    record_change("credit_event.notify", event, before, actor=actor)
    _notify_company(event, kind="credit_notice",
                    title=_("信用记分告知：%(number)s，%(clause)s，记 %(points)s 分", number=event.notice_number,
                            clause=item.description[:40], points=scoring.q(event.points)))
    return event


def confirm_event(event: CreditEvent, *, actor=None, on: date | None = None, notify: bool = True) -> CreditEvent:
    """Confirm an addition (no notice needed) or, once its window has closed, a notified deduction."""
    on = on or local_today()
    if event.status is EventStatus.DRAFT and event.is_deduction:
        raise TransitionError(_("扣分记录须先发出告知，异议期满或异议处理后方可确认。"))
    if event.status is EventStatus.NOTIFIED and on <= event.objection_deadline:
        raise TransitionError(_("异议期至 %(day)s 届满，届满前不能确认。", day=event.objection_deadline.isoformat()))
    if event.status not in (EventStatus.DRAFT, EventStatus.NOTIFIED):
        raise TransitionError(_("当前状态（%(state)s）不能确认。", state=event.status.label))
    before = snapshot(event, ["status", "confirmed_on"])
    event.status = EventStatus.CONFIRMED
    # A lapsed window confirms the day after it closed, whenever the confirmation is made,
    # so that scores "as of" any day do not depend on when the job ran.
    if before["status"] == EventStatus.NOTIFIED.value:
        event.confirmed_on = event.objection_deadline + timedelta(days=1)
    else:
        event.confirmed_on = on
    event.confirmed_by_id = getattr(actor, "id", None)
    db.session.flush()
    record_change("credit_event.confirm", event, before, actor=actor)
    if notify and not event.is_deduction:
        _notify_company(event, kind="credit_record",
                        title=_("信用记录：%(clause)s，%(points)s 分", clause=event.item.description[:40],
                                points=scoring.q(event.points)))
    return event


def confirm_lapsed(*, on: date | None = None, actor=None) -> int:
    """Confirm every notified deduction whose objection window closed without an objection."""
    on = on or local_today()
    events = list(db.session.scalars(select(CreditEvent).where(
        CreditEvent.status == EventStatus.NOTIFIED, CreditEvent.objection_deadline < on)))
    for event in events:
        confirm_event(event, actor=actor, on=on)
    return len(events)


def revoke_event(event: CreditEvent, *, reason: str, actor=None, on: date | None = None) -> CreditEvent:
    on = on or local_today()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写撤销原因。"), field="reason")
    if event.status is EventStatus.REVOKED:
        raise TransitionError(_("该记录已撤销。"))
    if event.objection is not None and event.objection.status is ObjectionStatus.PENDING:
        raise TransitionError(_("该记录有待处理的异议，请通过处理异议作出决定。"))
    before = snapshot(event, ["status", "revoked_on", "revoke_reason"])
    event.status = EventStatus.REVOKED
    event.revoked_on = on
    event.revoke_reason = reason
    event.revoked_by_id = getattr(actor, "id", None)
    db.session.flush()
    record_change("credit_event.revoke", event, before, actor=actor)
    if before["status"] != EventStatus.DRAFT.value:
        _notify_company(event, kind="credit_revoked",
                        title=_("信用记录已撤销：%(name)s", name=str(event)))
    return event


def add_evidence(owner, files, *, fact_date: date | None = None, actor=None) -> list[Attachment]:
    stored = []
    for file_storage in files or []:
        if file_storage and getattr(file_storage, "filename", None):
            stored.append(store(file_storage, owner=owner, purpose="evidence", fact_date=fact_date, user=actor))
    return stored


def _notify_company(event: CreditEvent, *, kind: str, title: str) -> None:
    from flask import has_request_context, url_for

    from ..notifications.services import company_users, notify

    link = None
    if has_request_context():
        link = url_for("credit.event", event_id=event.id)
    notify(company_users(event.company_id), kind=kind, title=title,
           dedup_key=f"{kind}:{event.id}", link=link)


# --- objections --------------------------------------------------------------

def submit_objection(event: CreditEvent, *, reasons: str, actor, on: date | None = None) -> CreditObjection:
    """A company objects to a notified deduction within its window."""
    from flask import has_request_context, url_for

    from ..notifications.services import bureau_users, notify

    on = on or local_today()
    reasons = (reasons or "").strip()
    if actor is None or actor.company_id != event.company_id:
        raise DomainError(_("只能对本企业的记录提出异议。"))
    if event.objection is not None:
        raise TransitionError(_("该记录已提出过异议，不能重复提出。"))
    if event.status is not EventStatus.NOTIFIED:
        raise TransitionError(_("只能对已告知、尚未确认的记录提出异议。"))
    if on > event.objection_deadline:
        raise TransitionError(_("异议期已于 %(day)s 届满，不能再提出异议。", day=event.objection_deadline.isoformat()))
    if len(reasons) < 10:
        raise DomainError(_("请具体说明异议理由（不少于10个字）。"), field="reasons")
    objection = CreditObjection(event_id=event.id, company_id=event.company_id, reasons=reasons,
                                submitted_on=on, submitted_by_id=actor.id, status=ObjectionStatus.PENDING)
    db.session.add(objection)
    before = snapshot(event, ["status"])
    event.status = EventStatus.OBJECTED
    db.session.flush()
    record("credit_objection.submit", objection, after={"event_id": event.id, "reasons": reasons}, actor=actor)
    record_change("credit_event.object", event, before, actor=actor)
    notify(bureau_users(), kind="credit_objection",
           title=_("%(company)s 对 %(number)s 提出异议", company=event.company.name, number=str(event)),
           dedup_key=f"credit_objection:{objection.id}",
           link=url_for("credit.event", event_id=event.id) if has_request_context() else None)
    return objection


def decide_objection(objection: CreditObjection, *, uphold: bool, reason: str, actor=None,
                     on: date | None = None) -> CreditObjection:
    """Uphold the record (it counts from today) or revoke it (it never counts)."""
    on = on or local_today()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写处理理由。"), field="reason")
    if objection.status is not ObjectionStatus.PENDING:
        raise TransitionError(_("该异议已处理。"))
    event = objection.event
    before_objection = snapshot(objection, ["status", "decided_on", "decision_reason"])
    before_event = snapshot(event, ["status", "confirmed_on", "revoked_on", "revoke_reason"])
    objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.REVOKED
    objection.decided_on = on
    objection.decided_by_id = getattr(actor, "id", None)
    objection.decision_reason = reason
    if uphold:
        event.status = EventStatus.CONFIRMED
        event.confirmed_on = on
        event.confirmed_by_id = getattr(actor, "id", None)
    else:
        event.status = EventStatus.REVOKED
        event.revoked_on = on
        event.revoke_reason = _("异议成立：%(reason)s", reason=reason)
        event.revoked_by_id = getattr(actor, "id", None)
    db.session.flush()
    record_change("credit_objection.decide", objection, before_objection, actor=actor)
    record_change("credit_event.confirm" if uphold else "credit_event.revoke", event, before_event, actor=actor)
    title = (_("异议未被采纳，记录 %(number)s 维持", number=str(event)) if uphold
             else _("异议成立，记录 %(number)s 已撤销", number=str(event)))
    _notify_company(event, kind="credit_objection_decided", title=title)
    return objection


# --- clues -------------------------------------------------------------------

def submit_clue(*, estate: Estate, occurred_on: date, description: str, item: CreditRuleItem | None = None,
                actor, on: date | None = None) -> CreditClue:
    """A street office reports bad conduct of the company managing an estate in its street."""
    from flask import has_request_context, url_for

    from ..notifications.services import bureau_users, notify

    on = on or local_today()
    if actor is None or actor.street_id is None or estate.street_id != actor.street_id:
        raise DomainError(_("只能报送本街道辖区内小区的线索。"), field="estate_id")
    if estate.company_id is None:
        raise DomainError(_("该小区没有物业服务企业。"), field="estate_id")
    if occurred_on > on:
        raise DomainError(_("发生日期不能晚于今天。"), field="occurred_on")
    if item is not None and not item.is_deduction:
        raise DomainError(_("线索只能对应不良行为条款。"), field="item_id")
    description = (description or "").strip()
    if len(description) < 10:
        raise DomainError(_("请具体描述不良行为（不少于10个字）。"), field="description")
    clue = CreditClue(street_id=actor.street_id, estate_id=estate.id, company_id=estate.company_id,
                      item_id=item.id if item else None, occurred_on=occurred_on, description=description,
                      submitted_by_id=actor.id, status=ClueStatus.SUBMITTED)
    db.session.add(clue)
    db.session.flush()
    record("credit_clue.submit", clue, after=snapshot(clue, ["street_id", "estate_id", "company_id", "item_id",
                                                             "occurred_on", "description"]), actor=actor)
    notify(bureau_users(), kind="credit_clue", title=_("%(street)s 报送不良行为线索：%(company)s",
                                                       street=clue.street.name if clue.street else "",
                                                       company=estate.company.name if estate.company else ""),
           dedup_key=f"credit_clue:{clue.id}",
           link=url_for("credit.clue", clue_id=clue.id) if has_request_context() else None)
    return clue


def _accept_clue(clue: CreditClue, event: CreditEvent, *, actor=None) -> None:
    if clue.status is not ClueStatus.SUBMITTED:
        raise TransitionError(_("该线索已处理。"))
    if clue.company_id != event.company_id:
        raise DomainError(_("信用事件的企业须与线索一致。"), field="company_id")
    before = snapshot(clue, ["status", "decided_at", "decision_reason"])
    from ..core.timeutil import utcnow

    clue.status = ClueStatus.ACCEPTED
    clue.decided_by_id = getattr(actor, "id", None)
    clue.decided_at = utcnow()
    clue.decision_reason = _("已转为信用事件 #%(id)s", id=event.id)
    # The clue's evidence becomes the event's, so the company sees it with the record.
    for attachment in attachments_of(clue):
        data = path_for(attachment.stored_name).read_bytes()
        store_bytes(data, attachment.original_name, owner=event, purpose="evidence",
                    fact_date=attachment.fact_date, description=_("街道线索证据"), user=actor)
    db.session.flush()
    record_change("credit_clue.accept", clue, before, actor=actor)
    _notify_street(clue, _("线索已转为信用事件：%(company)s", company=clue.company.name))


def reject_clue(clue: CreditClue, *, reason: str, actor=None) -> CreditClue:
    from ..core.timeutil import utcnow

    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写不予采纳的原因。"), field="reason")
    if clue.status is not ClueStatus.SUBMITTED:
        raise TransitionError(_("该线索已处理。"))
    before = snapshot(clue, ["status", "decided_at", "decision_reason"])
    clue.status = ClueStatus.REJECTED
    clue.decided_by_id = getattr(actor, "id", None)
    clue.decided_at = utcnow()
    clue.decision_reason = reason
    db.session.flush()
    record_change("credit_clue.reject", clue, before, actor=actor)
    _notify_street(clue, _("线索不予采纳：%(company)s", company=clue.company.name))
    return clue


def _notify_street(clue: CreditClue, title: str) -> None:
    from flask import has_request_context, url_for

    from ..notifications.services import notify, street_users

    notify(street_users(clue.street_id), kind="credit_clue_decided", title=title,
           dedup_key=f"credit_clue_decided:{clue.id}",
           link=url_for("credit.clue", clue_id=clue.id) if has_request_context() else None)


# --- basic information -------------------------------------------------------

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
    from ..companies.models import Position

    on = on or local_today()
    estates = db.session.execute(select(func.count(Estate.id), func.sum(Estate.floor_area),
                                        func.count(Estate.id) - func.count(Estate.floor_area))
                                 .where(Estate.company_id == company.id, Estate.archived_at.is_(None))).one()
    staff = list(db.session.scalars(
        select(Staff).where(Staff.company_id == company.id, Staff.left_on.is_(None))
        .options(selectinload(Staff.position).selectinload(Position.required_certificates),
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
        .options(selectinload(CreditEvent.item)))
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
        event = create_event(company=company, item=item, occurred_on=min(effective_from, on),
                             description=description, effective_from=effective_from,
                             origin=EventOrigin.ASSESSMENT, actor=actor, on=on)
        confirm_event(event, actor=actor, on=on, notify=False)
        events.append(event)
    _notify_company(events[0], kind="credit_assessment",
                    title=_("基本信息评定：%(n)s 项符合，合计 %(points)s 分，有效期自 %(day)s 起",
                            n=len(events), points=scoring.q(sum(e.points for e in events)),
                            day=effective_from.isoformat()))
    return events


# --- scores ------------------------------------------------------------------

def current_scores(as_of: date | None = None, rule_set: CreditRuleSet | None = None) -> list[scoring.ScoreRow]:
    """Every company's score on a day under the rule set in force (for the dashboard)."""
    as_of = as_of or local_today()
    return scoring.scores(rule_set or rule_set_for(as_of), as_of)


def company_score(company: Company, as_of: date | None = None,
                  rule_set: CreditRuleSet | None = None) -> scoring.ScoreRow | None:
    as_of = as_of or local_today()
    return scoring.company_score(company, rule_set or rule_set_for(as_of), as_of)


def dashboard_summary(company: Company, as_of: date | None = None) -> dict | None:
    """The company's score and grade for its landing page (None without a rule set)."""
    from flask import url_for

    as_of = as_of or local_today()
    try:
        row = company_score(company, as_of)
    except DomainError:  # no rule set loaded yet
        return None
    if row is None:
        return None
    return {"score": row.total, "grade": row.grade.label, "grade_badge": row.grade.badge,
            "period": _("截至 %(day)s", day=as_of.isoformat()), "events": row.event_count,
            "url": url_for("credit.company", company_id=company.id)}


def estate_events(estate: Estate, user, *, limit: int = 10) -> list[CreditEvent]:
    """The credit records tied to an estate that ``user`` may see, newest first."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(CreditEvent).where(CreditEvent.estate_id == estate.id, CreditEvent.scope_clause(user),
                                  CreditEvent.status != EventStatus.DRAFT)
        .options(joinedload(CreditEvent.item), joinedload(CreditEvent.company))
        .order_by(CreditEvent.occurred_on.desc(), CreditEvent.id.desc()).limit(limit)))


def count_at_or_above(grade_code: str, as_of: date | None = None) -> int:
    """How many companies hold ``grade_code`` or better (e.g. the "3 companies at AA" target)."""
    as_of = as_of or local_today()
    rule_set = rule_set_for(as_of)
    grade = rule_set.grade(grade_code)
    if grade is None:
        raise DomainError(_("现行规则集中没有等级 %(code)s。", code=grade_code))
    counts = scoring.grade_counts(rule_set, as_of)
    return sum(counts[g.code]["count"] for g in rule_set.grades if g.banded and g.rank <= grade.rank)


def score_history(company: Company, *, months: int = 12, on: date | None = None,
                  include_drafts: bool = False) -> list[tuple[date, scoring.Explanation]]:
    """The company's score at the end of each of the last ``months`` months, and on ``on``.

    The company's records are loaded once and each day is explained in Python (the
    twin of the SQL score, which the tests hold equal), under the rule set in force
    on that day.
    """
    on = on or local_today()
    first_of_month = on.replace(day=1)
    days = [add_months(first_of_month, -back + 1) - timedelta(days=1) for back in range(months, 0, -1)] + [on]
    records = scoring.company_records(company, include_drafts=include_drafts)
    rule_sets: dict[int, CreditRuleSet] = {}
    history = []
    for day in days:
        rule_set = rule_set_for(day)
        rule_set = rule_sets.setdefault(rule_set.id, rule_set)
        history.append((day, scoring.explain(company, rule_set, day, records=records)))
    return history


# --- publication -------------------------------------------------------------

def competition_positions(totals: list[Decimal]) -> list[int]:
    """1, 2, 2, 4 …: equal scores share a position."""
    positions, previous = [], None
    for index, total in enumerate(totals, start=1):
        positions.append(positions[-1] if previous is not None and total == previous else index)
        previous = total
    return positions


def preview_publication(as_of: date) -> tuple[CreditRuleSet, list[scoring.ScoreRow]]:
    rule_set = rule_set_for(as_of)
    return rule_set, scoring.scores(rule_set, as_of)


def publish(*, name: str, as_of: date, notes: str | None = None, actor=None,
            on: date | None = None) -> CreditPublication:
    """Freeze every company's result on ``as_of`` under the rule set in force then."""
    from ..regions.models import District

    on = on or local_today()
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写发布名称。"), field="name")
    if as_of > on:
        raise DomainError(_("评价截止日不能晚于今天。"), field="as_of")
    if db.session.scalar(select(CreditPublication.id).where(CreditPublication.name == name)):
        raise DomainError(_("已有名为“%(name)s”的发布，请换一个名称。", name=name), field="name")
    rule_set, rows = preview_publication(as_of)
    if not rows:
        raise DomainError(_("没有可评价的企业。"))
    black_notes = _black_list_notes(rule_set, as_of, [r.company_id for r in rows if r.black])
    publication = CreditPublication(
        name=name, as_of=as_of, rule_set_id=rule_set.id, rule_set_name=str(rule_set),
        bureau_name=db.session.scalar(select(District.bureau_name).order_by(District.id).limit(1)),
        notes=(notes or "").strip() or None, published_by_id=getattr(actor, "id", None),
        company_count=len(rows), red_count=sum(r.red for r in rows), black_count=sum(r.black for r in rows))
    db.session.add(publication)
    db.session.flush()
    for row, position in zip(rows, competition_positions([r.total for r in rows])):
        note = black_notes.get(row.company_id)
        if row.override and not note:
            note = scoring.override_note(rule_set, row.override)
        db.session.add(CreditPublicationRow(
            publication_id=publication.id, company_id=row.company_id, company_name=row.name,
            credit_code=row.credit_code, position=position, base=row.base,
            parts={code: str(value) for code, value in row.parts.items()}, total=row.total,
            grade_code=row.grade.code, grade_label=row.grade.label, grade_rank=row.grade.rank,
            override=row.override, red=row.red, black=row.black, note=note))
    db.session.flush()
    record("credit.publish", publication, after={
        "name": name, "as_of": as_of, "rule_set": f"{rule_set.code} v{rule_set.version}",
        "companies": len(rows), "red": publication.red_count, "black": publication.black_count}, actor=actor)
    return publication


def _black_list_notes(rule_set: CreditRuleSet, as_of: date, company_ids: list[int]) -> dict[int, str]:
    """For black-listed companies: the serious records behind the listing (one query)."""
    if not company_ids:
        return {}
    from sqlalchemy.orm import aliased

    recorded = aliased(CreditRuleItem)
    item = aliased(CreditRuleItem)
    rows = db.session.execute(
        select(CreditEvent.company_id, item.code, item.description, CreditEvent.occurred_on)
        .join(recorded, recorded.id == CreditEvent.item_id)
        .join(item, (item.code == recorded.code) & (item.rule_set_id == rule_set.id))
        .where(CreditEvent.company_id.in_(company_ids), item.blacklist.is_(True),
               scoring.counting_clause(as_of))
        .order_by(CreditEvent.company_id, CreditEvent.occurred_on)).all()
    notes: dict[int, list[str]] = {}
    for company_id, code, description, occurred_on in rows:
        notes.setdefault(company_id, []).append(f"{occurred_on.isoformat()} {code} {description}")
    return {k: "；".join(v) for k, v in notes.items()}
