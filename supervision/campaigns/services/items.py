"""Rectification items (整改事项): creation and the one state machine.

Every change of state goes through ``transition``, which looks the move up in
``MOVES`` (the only legal moves), checks that the actor may make it, stamps
the state's timestamp and ``state_since``, adds an ``ItemTransition`` row and
writes the audit log. Overdue is never stored: it is ``deadline < today`` for
an item not yet accepted (``RectificationItem.overdue_clause``).

    open ──start──▶ in_progress ──submit──▶ submitted ──accept──▶ accepted
                        ▲                       │                    │
                        └──resume── rejected ◀──┘ reject             │
                                       ▲─────────── reopen ──────────┘

``reopen`` (accepted → rejected) is the one move the issue does not name: a
failed acceptance (验收不通过) sends an item the bureau had already accepted
back to rectification. Re-opening needs a reason and a new deadline, is refused
while the item's campaign is finished (the bureau re-opens the campaign first),
and re-opens what depended on the acceptance: the enrolment's closure (销号) and
the passed acceptance that closed it (``reopen_dependants``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ...attachments.services import EVIDENCE, attachments_of, store
from ...audit.services import record, record_change, snapshot
from ...auth.roles import BUREAU, Role
from ...core.errors import DomainError, TransitionError
from ...core.forms import MAX_INT
from ...core.search import contains
from ...core.timeutil import local_today, to_local, utcnow
from ...core.workdays import add_workdays
from ...estates.models import Estate
from ...extensions import db
from ...notifications.services import company_users, notify, street_users
from ..models import (
    Acceptance,
    AcceptanceVerdict,
    CampaignStatus,
    Enrolment,
    EnrolmentStatus,
    ItemSource,
    ItemState,
    ItemTransition,
    RectificationItem,
    ResponsibleParty,
    Severity,
)

S = ItemState


@dataclass(frozen=True)
class Move:
    verb: str
    label: object
    bureau_only: bool
    needs_reason: bool = False


# The only legal moves: (from, to) → verb.
MOVES: dict[tuple[ItemState, ItemState], Move] = {
    (S.OPEN, S.IN_PROGRESS): Move("start", _l("开始整改"), False),
    (S.IN_PROGRESS, S.SUBMITTED): Move("submit", _l("提交整改结果"), False),
    (S.SUBMITTED, S.ACCEPTED): Move("accept", _l("验收销项"), True),
    (S.SUBMITTED, S.REJECTED): Move("reject", _l("驳回"), True, needs_reason=True),
    (S.REJECTED, S.IN_PROGRESS): Move("resume", _l("重新整改"), False),
    (S.ACCEPTED, S.REJECTED): Move("reopen", _l("重新打开"), True, needs_reason=True),
}

# The timestamp each target state stamps (started_at keeps the first start).
STAMPS = {S.IN_PROGRESS: "started_at", S.SUBMITTED: "submitted_at", S.REJECTED: "rejected_at",
          S.ACCEPTED: "accepted_at"}

# Categories offered for items found by surveys and spot checks (the checklist's nine, plus two).
CATEGORIES = ("安全防范", "环境卫生", "绿化养护", "设施设备", "消防安全", "电梯管理", "客户服务", "停车秩序",
              "档案资料", "房屋本体", "其他")

AUDITED = ["state", "deadline", "deadline_workdays", "response", "reject_reason", "reopened_count"]


def may_answer(user, item: RectificationItem) -> bool:
    """The responsible party: the item's company for company items, the street
    office for items of the street, community, developer or another unit. The
    bureau may act for either."""
    if user is None:
        return False
    if user.role in BUREAU:
        return True
    if item.responsible_party is ResponsibleParty.COMPANY:
        return user.role is Role.COMPANY_USER and item.company_id is not None and user.company_id == item.company_id
    return user.role is Role.STREET_OFFICER and user.street_id == item.street_id


def may_make(user, item: RectificationItem, move: Move) -> bool:
    if move.bureau_only:
        return user is not None and user.role in BUREAU
    return may_answer(user, item)


def moves_from(state: ItemState) -> list[tuple[ItemState, Move]]:
    return [(to, move) for (frm, to), move in MOVES.items() if frm is state]


def available_moves(item: RectificationItem, user) -> list[tuple[ItemState, Move]]:
    """The moves this user may make on this item now (for the buttons)."""
    return [(to, move) for to, move in moves_from(item.state) if may_make(user, item, move)]


def _refuse_illegal(item: RectificationItem, to_state: ItemState):
    options = "、".join(f"“{move.label}”" for _to, move in moves_from(item.state))
    message = _("事项当前为“%(current)s”，不能变为“%(target)s”。", current=item.state.label, target=to_state.label)
    if options:
        message += _("当前可以：%(options)s。", options=options)
    else:
        message += _("当前没有可执行的操作。")
    raise TransitionError(message)


def transition(item: RectificationItem, to_state: ItemState, *, actor, comment: str | None = None,
               deadline_workdays: int | None = None) -> ItemTransition:
    """Move ``item`` to ``to_state`` or raise ``TransitionError`` saying why not.

    ``comment`` is the reason for reject/reopen (required) and a remark
    otherwise. ``deadline_workdays`` (reject/reopen) sets a new deadline
    counted in working days from today.
    """
    move = MOVES.get((item.state, to_state))
    if move is None:
        _refuse_illegal(item, to_state)
    if not may_make(actor, item, move):
        if move.bureau_only:
            raise TransitionError(_("只有住建局可以对整改事项“%(verb)s”。", verb=move.label))
        raise TransitionError(_("您不是该事项的责任单位，不能“%(verb)s”。", verb=move.label))
    comment = (comment or "").strip() or None
    if move.needs_reason and not comment:
        raise TransitionError(_("请填写%(verb)s的原因。", verb=move.label))
    if move.verb == "reopen":
        _check_reopen(item, deadline_workdays)
    if move.verb == "submit":
        if not (item.response or "").strip():
            raise TransitionError(_("请填写整改情况说明。"))
        if not attachments_of(item, "evidence"):
            raise TransitionError(_("请至少上传一份整改佐证材料（照片或PDF）。"))

    before = snapshot(item, AUDITED)
    now = utcnow()
    from_state = item.state
    item.state = to_state
    item.state_since = now
    stamp = STAMPS.get(to_state)
    if stamp and not (stamp == "started_at" and item.started_at is not None):
        setattr(item, stamp, now)
    if to_state is S.SUBMITTED:
        item.submitted_on = to_local(now).date()
    if to_state is S.REJECTED:
        item.reject_reason = comment
    if move.verb == "reopen":
        item.reopened_count = (item.reopened_count or 0) + 1
        item.accepted_at = None
    if deadline_workdays is not None and to_state is S.REJECTED:
        item.deadline_workdays = deadline_workdays
        item.deadline = add_workdays(local_today(), deadline_workdays)
    row = ItemTransition(item=item, from_state=from_state, to_state=to_state, at=now,
                         by_id=getattr(actor, "id", None), comment=comment)
    db.session.add(row)
    after = snapshot(item, AUDITED)
    after["comment"] = comment
    record(f"item.{move.verb}", item, before=before, after=after, actor=actor)
    if move.verb == "reopen":
        reopen_dependants(item, actor=actor, reason=comment)
    if to_state is S.REJECTED:
        _notify_responsible(item, kind="item_rejected",
                            title=_("整改事项被驳回：%(estate)s #%(id)s", estate=item.estate.name, id=item.id),
                            body=comment, key=f"item-rejected:{item.id}:{now.isoformat()}")
    return row


def _check_reopen(item: RectificationItem, deadline_workdays: int | None) -> None:
    campaign = item.campaign
    if campaign is not None and campaign.status is CampaignStatus.CLOSED:
        raise TransitionError(_("专项行动“%(name)s”已结束，不能重新打开其中的事项。请住建局先重新开启该专项行动。",
                                name=campaign.name))
    if deadline_workdays is None:
        raise TransitionError(_("重新打开事项须设定新的整改期限（工作日）。"))
    if not 0 < deadline_workdays <= 250:
        raise TransitionError(_("整改期限应在1至250个工作日之间。"))


def reopen_dependants(item: RectificationItem, *, actor, reason: str | None) -> None:
    """An accepted item re-opened: its enrolment is no longer closed (销号) and the passed acceptance
    that closed it no longer counts (kept, marked revoked), so the rates and the campaign page change
    with this transaction (the enrolment is watched by the campaign progress generation)."""
    enrolment = item.enrolment
    if enrolment is None:
        return
    now = utcnow()
    passed = db.session.scalars(select(Acceptance).where(
        Acceptance.enrolment_id == enrolment.id, Acceptance.verdict == AcceptanceVerdict.PASSED,
        Acceptance.revoked_at.is_(None))).all()
    for acceptance in passed:
        before = snapshot(acceptance, ["revoked_at", "revoked_reason"])
        acceptance.revoked_at = now
        acceptance.revoked_reason = _("事项 #%(id)s 重新打开：%(reason)s", id=item.id, reason=reason or "")
        record_change("acceptance.revoke", acceptance, before, actor=actor)
    if enrolment.status is EnrolmentStatus.CLOSED:
        before = snapshot(enrolment, ["status", "closed_at"])
        enrolment.status = EnrolmentStatus.ACTIVE
        enrolment.closed_at = None
        record_change("enrolment.reopen", enrolment, before, actor=actor)
        users = (company_users(enrolment.company_id) if enrolment.company_id else []) + \
            street_users(enrolment.street_id)
        notify(users, kind="enrolment_reopened",
               title=_("已销号的小区重新整改：%(estate)s", estate=enrolment.estate.name), body=reason,
               dedup_key=f"enrolment-reopened:{enrolment.id}:{now.isoformat()}"[:128],
               link=f"/campaigns/enrolments/{enrolment.id}")


def responsible_users(item: RectificationItem):
    if item.responsible_party is ResponsibleParty.COMPANY and item.company_id:
        return company_users(item.company_id)
    return street_users(item.street_id)


def _notify_responsible(item: RectificationItem, *, kind: str, title: str, key: str, body=None) -> None:

    link = url_for("campaigns.item_detail", item_id=item.id) if has_request_context() else \
        f"/campaigns/items/{item.id}"
    notify(responsible_users(item), kind=kind, title=title, body=body, dedup_key=key[:128], link=link)


# --- creation -------------------------------------------------------------------

def create_item(*, estate, source: ItemSource, category: str, description: str, actor,
                enrolment: Enrolment | None = None, campaign=None, source_id: int | None = None,
                severity: Severity = Severity.GENERAL,
                responsible_party: ResponsibleParty = ResponsibleParty.COMPANY,
                responsible_note: str | None = None, deadline_workdays: int | None = None,
                checklist_item_id: int | None = None, opened_on: date | None = None) -> RectificationItem:
    """A new open item; its deadline is ``deadline_workdays`` working days after it was opened."""
    description = (description or "").strip()
    if not description:
        raise DomainError(_("请填写问题描述。"), field="description")
    if enrolment is not None:
        campaign = campaign or enrolment.campaign
        street_id, company_id = enrolment.street_id, enrolment.company_id
    else:
        street_id, company_id = estate.street_id, estate.company_id
    if responsible_party is ResponsibleParty.COMPANY and company_id is None:
        raise DomainError(_("小区“%(estate)s”没有物业服务企业，责任单位不能选“物业企业”。", estate=estate.name),
                          field="responsible_party")
    if deadline_workdays is None:
        deadline_workdays = campaign.default_deadline_workdays if campaign is not None else 15
    if not 0 < deadline_workdays <= 250:
        raise DomainError(_("整改期限应在1至250个工作日之间。"), field="deadline_workdays")
    opened_on = opened_on or local_today()
    now = utcnow()
    item = RectificationItem(
        estate_id=estate.id, enrolment_id=enrolment.id if enrolment else None,
        campaign_id=campaign.id if campaign is not None else None, street_id=street_id, company_id=company_id,
        source=source, source_id=source_id, checklist_item_id=checklist_item_id, category=category,
        description=description, severity=severity, responsible_party=responsible_party,
        responsible_note=(responsible_note or "").strip() or None, deadline_workdays=deadline_workdays,
        deadline=add_workdays(opened_on, deadline_workdays), state=S.OPEN, opened_by_id=getattr(actor, "id", None),
        opened_at=now, state_since=now,
    )
    db.session.add(item)
    db.session.flush()
    db.session.add(ItemTransition(item=item, from_state=None, to_state=S.OPEN, at=now,
                                  by_id=getattr(actor, "id", None), comment=_("%(source)s发现", source=source.label)))
    record("item.create", item, after=snapshot(item, ["estate_id", "campaign_id", "source", "category",
                                                      "description", "severity", "responsible_party",
                                                      "deadline", "company_id", "street_id"]), actor=actor)
    return item


# --- answering ------------------------------------------------------------------

def add_evidence(item: RectificationItem, files, *, actor, fact_date: date | None, description: str | None = None):
    """Attach evidence files (photos, PDFs) with the date the fact happened."""
    if item.state not in (S.OPEN, S.IN_PROGRESS, S.REJECTED):
        raise DomainError(_("事项“%(state)s”时不能再添加佐证材料。", state=item.state.label))
    if not may_answer(actor, item):
        raise DomainError(_("您不是该事项的责任单位。"))
    if fact_date is not None and fact_date > local_today():
        raise DomainError(_("事实日期不能晚于今天。"), field="fact_date")
    stored = []
    for file in files:
        if file is None or not getattr(file, "filename", None):
            continue
        stored.append(store(file, kinds=EVIDENCE, owner=item, purpose="evidence", fact_date=fact_date,
                            fact_date_default=local_today(), description=description, user=actor))
    return stored


def submit_answer(item: RectificationItem, *, actor, response: str, files=(), fact_date: date | None = None):
    """The responsible party's answer: a description and evidence, then submitted.

    An open item is started first (two recorded moves, open → in_progress →
    submitted), and a rejected one resumed, so one form does what the party means.
    """
    if item.state not in (S.OPEN, S.IN_PROGRESS, S.REJECTED):
        _refuse_illegal(item, S.SUBMITTED)
    if not may_answer(actor, item):
        raise TransitionError(_("您不是该事项的责任单位，不能提交整改结果。"))
    if not (response or "").strip():
        raise TransitionError(_("请填写整改情况说明。"))
    add_evidence(item, files, actor=actor, fact_date=fact_date)
    if item.state in (S.OPEN, S.REJECTED):
        transition(item, S.IN_PROGRESS, actor=actor)
    item.response = response.strip()
    return transition(item, S.SUBMITTED, actor=actor)


def time_in_state_days(item: RectificationItem, now=None) -> int:
    now = now or utcnow()
    return max(0, (now - item.state_since).days) if item.state_since else 0


# --- the item list --------------------------------------------------------------

@dataclass
class ItemFilter:
    """The item list's filters (web list, export and API); ``None`` leaves a filter out."""
    q: str | None = None  # words of the description or the estate's name, or "#id"
    campaign_id: int | None = None
    street_id: int | None = None
    company_id: int | None = None
    state: ItemState | None = None
    open: bool | None = None  # True: not accepted yet; False: accepted
    overdue: bool = False
    due: str | None = None  # "week": not accepted, due from today to the end of this week (Sunday)
    source: ItemSource | None = None
    severity: Severity | None = None
    responsible_party: ResponsibleParty | None = None
    estate_id: int | None = None
    notice_id: int | None = None
    enrolment_id: int | None = None


def week_end(today: date) -> date:
    """The last day (Sunday) of ``today``'s week: "due this week" runs from today to it."""
    return today + timedelta(days=6 - today.weekday())


def filter_items(statement, f: ItemFilter, today: date):
    """Add the list filters to a ``select(RectificationItem)`` already scoped by the caller."""
    I = RectificationItem  # noqa: E741
    if f.q and f.q.strip():
        like = f"%{f.q.strip()}%"
        term = f.q.strip().lstrip("#")
        # The estates named like it once (IN), not a look-up per item (EXISTS): one pass over each table.
        conditions = [contains(I.description, like),
                      I.estate_id.in_(select(Estate.id).where(contains(Estate.name, like)))]
        if term.isdigit() and int(term) <= MAX_INT:
            conditions.append(I.id == int(term))
        statement = statement.where(or_(*conditions))
    for column, value in ((I.campaign_id, f.campaign_id), (I.street_id, f.street_id), (I.company_id, f.company_id),
                          (I.estate_id, f.estate_id), (I.notice_id, f.notice_id),
                          (I.enrolment_id, f.enrolment_id)):
        if value:
            statement = statement.where(column == value)
    if f.state:
        statement = statement.where(I.state == f.state)
    if f.open is True:
        statement = statement.where(I.state != ItemState.ACCEPTED)
    elif f.open is False:
        statement = statement.where(I.state == ItemState.ACCEPTED)
    if f.overdue:
        statement = statement.where(I.overdue_clause(today))
    if f.due == "week":
        statement = statement.where(I.state != ItemState.ACCEPTED, I.deadline >= today,
                                    I.deadline <= week_end(today))
    if f.source:
        statement = statement.where(I.source == f.source)
    if f.severity:
        statement = statement.where(I.severity == f.severity)
    if f.responsible_party:
        statement = statement.where(I.responsible_party == f.responsible_party)
    return statement
