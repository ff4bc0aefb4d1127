"""整改通知书: groups the open items of one estate under a numbered notice with
one deadline, printed as a PDF with the bureau's name.

Numbers run per year (〔2026〕整改第0001号). The next number is the year's
highest plus one, written inside a savepoint; when two officers issue at the
same moment the unique constraint on (year, sequence) refuses the second and
it retries with the following number.
"""
from __future__ import annotations

from datetime import date

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from ...attachments.services import attachments_of
from ...audit.services import record, record_change, snapshot
from ...core.errors import DomainError
from ...core.timeutil import local_today
from ...core.workdays import add_workdays
from ...documents.pdf import render_pdf
from ...extensions import db
from ...notifications.services import company_users, notify, street_users
from ...regions.services import bureau_name
from ..models import Campaign, ItemState, RectificationItem, RectificationNotice, ResponsibleParty
from .common import require_bureau

NUMBER_FORMAT = "〔{year}〕整改第{sequence:04d}号"
RETRIES = 5


def eligible_items_statement(estate_id: int, campaign_id: int | None = None):
    statement = select(RectificationItem).where(
        RectificationItem.estate_id == estate_id, RectificationItem.state != ItemState.ACCEPTED,
        RectificationItem.notice_id.is_(None)).order_by(RectificationItem.id)
    if campaign_id:
        statement = statement.where(RectificationItem.campaign_id == campaign_id)
    return statement


def format_number(year: int, sequence: int) -> str:
    return NUMBER_FORMAT.format(year=year, sequence=sequence)


def _next_sequence(year: int) -> int:
    return (db.session.scalar(select(func.max(RectificationNotice.sequence))
                              .where(RectificationNotice.year == year)) or 0) + 1


def issue_notice(*, estate, items: list[RectificationItem], actor, deadline_workdays: int,
                 campaign: Campaign | None = None, remarks: str | None = None,
                 issued_on: date | None = None) -> RectificationNotice:
    require_bureau(actor, _("下达整改通知书"))
    if not items:
        raise DomainError(_("请至少选择一项整改事项。"), field="item_ids")
    for item in items:
        if item.estate_id != estate.id:
            raise DomainError(_("整改通知书只能包含同一小区的事项。"))
        if item.state is ItemState.ACCEPTED:
            raise DomainError(_("事项 #%(id)s 已销项，不能列入通知书。", id=item.id))
        if item.notice_id is not None:
            raise DomainError(_("事项 #%(id)s 已列入整改通知书 %(number)s。", id=item.id, number=item.notice.number))
    if not 1 <= int(deadline_workdays) <= 250:
        raise DomainError(_("整改期限应在1至250个工作日之间。"), field="deadline_workdays")
    issued_on = issued_on or local_today()
    if issued_on > local_today():
        raise DomainError(_("下达日期不能晚于今天。"), field="issued_on")
    deadline = add_workdays(issued_on, int(deadline_workdays))
    company_ids = {i.company_id for i in items if i.company_id}
    notice = None
    for _attempt in range(RETRIES):
        sequence = _next_sequence(issued_on.year)
        candidate = RectificationNotice(
            number=format_number(issued_on.year, sequence), year=issued_on.year, sequence=sequence,
            estate_id=estate.id, campaign_id=campaign.id if campaign is not None else None,
            street_id=estate.street_id, company_id=next(iter(company_ids)) if len(company_ids) == 1 else None,
            issued_on=issued_on, deadline=deadline, issued_by_id=actor.id, remarks=(remarks or "").strip() or None)
        try:
            with db.session.begin_nested():
                db.session.add(candidate)
                db.session.flush()
        except IntegrityError:
            continue
        notice = candidate
        break
    if notice is None:
        raise DomainError(_("编号冲突，请稍后重试。"))
    for item in items:
        before = snapshot(item, ["notice_id", "deadline", "deadline_workdays"])
        item.notice_id = notice.id
        item.deadline = deadline
        item.deadline_workdays = int(deadline_workdays)
        record_change("item.notice", item, before, actor=actor)
    record("notice.issue", notice, after={"number": notice.number, "estate_id": estate.id,
                                          "items": [i.id for i in items], "deadline": deadline}, actor=actor)
    _notify(notice, items)
    return notice


def _notify(notice: RectificationNotice, items) -> None:

    users = []
    if any(i.responsible_party is ResponsibleParty.COMPANY for i in items) and notice.company_id:
        users += company_users(notice.company_id)
    if any(i.responsible_party is not ResponsibleParty.COMPANY for i in items):
        users += street_users(notice.street_id)
    link = url_for("campaigns.notice_detail", notice_id=notice.id) if has_request_context() else None
    notify(users, kind="notice_issued", title=_("收到整改通知书 %(number)s", number=notice.number),
           body=_("%(estate)s，共 %(n)s 项，限 %(deadline)s 前完成整改。", estate=notice.estate.name, n=len(items),
                  deadline=notice.deadline.isoformat()),
           dedup_key=f"notice:{notice.id}", link=link)


def notice_document(notice: RectificationNotice) -> dict:
    """Plain data for the PDF."""
    estate = notice.estate
    items = []
    for item in notice.items:
        items.append({
            "id": item.id, "category": item.category, "description": item.description,
            "severity": item.severity.label, "responsible": item.responsible_party.label
            + (f"（{item.responsible_note}）" if item.responsible_note else ""),
            "deadline": item.deadline, "state": item.state.label,
            "photos": [a.id for a in attachments_of(item, "photo") if a.is_image][:2],
        })
    company = notice.company or estate.company
    return {
        "number": notice.number, "bureau": bureau_name(),
        "addressee": company.name if company else _("%(estate)s 管理单位", estate=estate.name),
        "estate": estate.name, "address": estate.address, "street": estate.street.name,
        "campaign": notice.campaign.name if notice.campaign else None,
        "issued_on": notice.issued_on, "deadline": notice.deadline, "remarks": notice.remarks,
        "items": items, "issued_by": notice.issued_by.display_name if notice.issued_by else "",
    }


def render_notice_pdf(notice: RectificationNotice) -> bytes:

    return render_pdf("pdf/campaigns/notice.html", doc=notice_document(notice))


# An item of a notice still waiting for its answer (not yet submitted, or sent back).
AWAITING_REPLY = (ItemState.OPEN, ItemState.IN_PROGRESS, ItemState.REJECTED)


def awaiting_reply_clause():
    """Notices with an item still waiting for its answer (待答复): open, in progress or sent back."""
    return exists(select(RectificationItem.id).where(RectificationItem.notice_id == RectificationNotice.id,
                                                     RectificationItem.state.in_(AWAITING_REPLY)))
