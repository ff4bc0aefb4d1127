"""Clues: a street office reports bad conduct of the company managing an estate in its street; the
bureau turns it into a credit event (``services.create_event(clue=…)``) or rejects it."""
from __future__ import annotations

from datetime import date

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..audit.services import record, record_change, snapshot
from ..companies.models import Company
from ..core.errors import DomainError, TransitionError
from ..core.timeutil import local_today, utcnow
from ..estates.models import Estate
from ..extensions import db
from ..notifications.services import bureau_users, notify
from ..regions.models import Street
from . import services
from .models import ClueStatus, CreditClue, CreditRuleItem, PartKind


def clue_list(statement, *, q: str | None = None, status: str | None = None):
    """The clue list: ``statement`` (the user's visible clues) with the filters, unhandled first, as plain rows
    (the clue's columns and its street, estate, company and clause names: 50 clues with five related ORM objects
    each cost more to build than to select), and the statement that counts them (their ids)."""
    statement = (statement.join(Company, Company.id == CreditClue.company_id)
                 .join(Estate, Estate.id == CreditClue.estate_id))
    if q and q.strip():
        like = f"%{q.strip()}%"
        statement = statement.where(or_(Company.name.ilike(like), Estate.name.ilike(like)))
    if status:
        statement = statement.where(CreditClue.status == ClueStatus(status))
    counted = statement.with_only_columns(CreditClue.id)
    rows = (statement.with_only_columns(
        CreditClue.id, CreditClue.created_at, CreditClue.status, CreditClue.description,
        Street.name.label("street_name"), Estate.name.label("estate_name"), Company.name.label("company_name"),
        CreditRuleItem.code.label("item_code"))
        .join(Street, Street.id == CreditClue.street_id)
        .outerjoin(CreditRuleItem, CreditRuleItem.id == CreditClue.item_id)
        .order_by((CreditClue.status != ClueStatus.SUBMITTED), CreditClue.created_at.desc(), CreditClue.id.desc()))
    return rows, counted


def has_estates(street_id: int) -> bool:
    """Whether the street has an estate a clue may name (one with a company)."""
    first = db.session.scalar(select(Estate.id).where(
        Estate.street_id == street_id, Estate.company_id.is_not(None), Estate.archived_at.is_(None)).limit(1))
    return first is not None


def item_choices(on: date | None = None) -> list[tuple]:
    """The bad-conduct items a clue may name, under the rule set in force."""
    rule_set = services.rule_set_for(on or local_today())
    return [(i.id, f"{i.code} {i.description}")
            for i in services.items_of(rule_set, include_automatic=False, kinds={PartKind.BAD})]


def submit_clue(*, estate: Estate, occurred_on: date, description: str, item: CreditRuleItem | None = None,
                actor, on: date | None = None) -> CreditClue:
    """A street office reports bad conduct of the company managing an estate in its street."""
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


def reject_clue(clue: CreditClue, *, reason: str, actor=None) -> CreditClue:
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
    services.notify_street(clue, _("线索不予采纳：%(company)s", company=clue.company.name))
    return clue
