"""The complaint register's rules: intake, matching, repeats, the state machine, verification.

Every change of state goes through ``transition`` (the only legal moves are ``MOVES``): it checks
the actor, stamps the time, adds a ``ComplaintTransition`` and writes the audit log. Services never
commit.

    received ──(estate known)──▶ assigned ──respond──▶ responded ──resolve──▶ resolved
                                    │  ▲──────────────resolve───────────────────▲ │
                                    │  └──reopen (不满意)── called_back ◀─callback─┘ │
                                                              └──close──▶ closed ◀──┘
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import record, snapshot
from ..auth.roles import BUREAU
from ..campaigns.models import ItemSource, RectificationItem, ResponsibleParty
from ..campaigns.services.items import create_item
from ..core.errors import DomainError, TransitionError
from ..core.timeutil import local_today, to_local, utcnow
from ..credit.models import EventOrigin
from ..credit.services import create_event, item_by_code, rule_set_for
from ..estates.models import Estate
from ..extensions import db
from ..notifications.services import company_users, notify, street_users
from .clock import deadlines
from .matching import SUGGESTIONS, Matcher, stored
from .models import (
    CATEGORIES,
    Channel,
    Complaint,
    ComplaintTransition,
    Kind,
    MatchStatus,
    RoutineSupervision,
    Satisfaction,
    State,
    Urgency,
    Verdict,
)

S = State
REPEAT_WINDOW = timedelta(days=30)
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
VALID_COMPLAINT_RULE = "BL-02"  # the rule a verified complaint proposes (业主有效投诉)


@dataclass(frozen=True)
class Move:
    verb: str
    label: object
    who: str  # "handler" (the company, or the street where the estate has none) or "supervisor" (bureau, street)


MOVES: dict[tuple[State, State], Move] = {
    (S.ASSIGNED, S.RESPONDED): Move("respond", _l("响应"), "handler"),
    (S.ASSIGNED, S.RESOLVED): Move("resolve", _l("办结回复"), "handler"),
    (S.RESPONDED, S.RESOLVED): Move("resolve", _l("办结回复"), "handler"),
    (S.RESOLVED, S.CALLED_BACK): Move("callback", _l("回访"), "supervisor"),
    (S.CALLED_BACK, S.ASSIGNED): Move("reopen", _l("重新办理"), "supervisor"),
    (S.CALLED_BACK, S.CLOSED): Move("close", _l("关闭"), "supervisor"),
    (S.RESOLVED, S.CLOSED): Move("close", _l("关闭"), "supervisor"),
}
AUDITED = ["state", "estate_id", "company_id", "response", "reply", "satisfaction", "callback_words",
           "reopened_count", "verdict", "resolution_due_at"]


def new_tracking_no() -> str:
    """``TS`` and 8 random characters of a 32-letter alphabet (40 bits; 256 is a multiple of 32, so
    each byte maps to a letter without bias)."""
    return "TS" + "".join(TRACKING_ALPHABET[b % 32] for b in secrets.token_bytes(8))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- who may do what -------------------------------------------------------------

def is_supervisor(user, complaint: Complaint) -> bool:
    if user is None:
        return False
    if user.role in BUREAU:
        return True
    return bool(user.is_street and complaint.street_id is not None and user.street_id == complaint.street_id)


def is_handler(user, complaint: Complaint) -> bool:
    """The managing company; the street for an estate without one; the bureau may act for either."""
    if user is None:
        return False
    if user.role in BUREAU:
        return True
    if complaint.company_id is not None:
        return bool(user.is_company and user.company_id == complaint.company_id)
    return is_supervisor(user, complaint)


def may_make(user, complaint: Complaint, move: Move) -> bool:
    return is_handler(user, complaint) if move.who == "handler" else is_supervisor(user, complaint)


def available_moves(complaint: Complaint, user) -> list[tuple[State, Move]]:
    return [(to, m) for (frm, to), m in MOVES.items() if frm is complaint.state and may_make(user, complaint, m)]


# --- intake ----------------------------------------------------------------------

def find_repeat_of(estate_id: int | None, category: str, kind: Kind, received_at: datetime,
                   exclude_id: int | None = None) -> int | None:
    """The earlier original complaint about the same estate and category within 30 days, if any.
    Repair requests are never repeats: two households' leaks are two repairs."""
    if estate_id is None or kind is not Kind.COMPLAINT:
        return None
    statement = (select(Complaint.id).where(
        Complaint.estate_id == estate_id, Complaint.category == category, Complaint.kind == kind,
        Complaint.repeat_of_id.is_(None), Complaint.received_at >= received_at - REPEAT_WINDOW,
        Complaint.received_at <= received_at).order_by(Complaint.received_at.desc()).limit(1))
    if exclude_id is not None:
        statement = statement.where(Complaint.id != exclude_id)
    return db.session.scalar(statement)


def _place(complaint: Complaint, estate: Estate | None, now: datetime) -> None:
    complaint.estate_id = estate.id if estate else None
    complaint.street_id = estate.street_id if estate else None
    complaint.company_id = estate.company_id if estate else None
    if estate is not None:
        complaint.state = S.ASSIGNED
        complaint.assigned_at = now
        complaint.state_since = now


def receive(*, channel: Channel, category: str, description: str, estate: Estate | None = None,
            kind: Kind = Kind.COMPLAINT, urgency: Urgency = Urgency.ORDINARY, received_at: datetime | None = None,
            ticket_no: str | None = None, name: str | None = None, phone: str | None = None,
            address: str | None = None, match_confidence: int | None = None, hotline_due_at: datetime | None = None,
            actor=None, owner_token: str | None = None, source_hash: str | None = None,
            match_suggestions: list | None = None) -> Complaint:
    """Register one complaint or repair request; assigned at once when its estate is known. Without an estate
    it waits in the clerk's queue with the matcher's best estates (``match_suggestions``, worked out here
    unless the caller matched already)."""
    description = (description or "").strip()
    if not description:
        raise DomainError(_("请填写诉求内容。"), field="description")
    if category not in CATEGORIES:
        raise DomainError(_("请选择问题类别。"), field="category")
    ticket_no = (ticket_no or "").strip() or None
    if ticket_no and db.session.scalar(select(Complaint.id).where(Complaint.channel == channel,
                                                                  Complaint.ticket_no == ticket_no)):
        raise DomainError(_("该渠道的工单编号 %(no)s 已登记。", no=ticket_no), field="ticket_no")
    now = utcnow()
    received_at = received_at or now
    response_due, resolution_due = deadlines(kind, urgency, category, received_at)
    complaint = Complaint(
        kind=kind, channel=channel, ticket_no=ticket_no, tracking_no=new_tracking_no(), received_at=received_at,
        complainant_name=(name or "").strip() or None, complainant_phone=(phone or "").strip() or None,
        address=(address or "").strip() or None, category=category, description=description, urgency=urgency,
        state=S.RECEIVED, state_since=now, response_due_at=response_due, resolution_due_at=resolution_due,
        hotline_due_at=hotline_due_at, match_status=MatchStatus.MATCHED if estate else MatchStatus.PENDING,
        match_confidence=match_confidence, created_by_id=getattr(actor, "id", None),
        match_suggestions=None if estate else (match_suggestions if match_suggestions is not None else stored(
            Matcher().candidates(address or description, limit=SUGGESTIONS))),
        owner_token_hash=token_hash(owner_token) if owner_token else None, source_hash=source_hash)
    _place(complaint, estate, now)
    complaint.repeat_of_id = find_repeat_of(complaint.estate_id, category, kind, received_at)
    db.session.add(complaint)
    db.session.flush()
    db.session.add(ComplaintTransition(complaint_id=complaint.id, from_state=None, to_state=complaint.state,
                                       verb="receive", at=now, by_id=getattr(actor, "id", None),
                                       comment=channel.label))
    record("complaint.receive", complaint, after=snapshot(complaint, [
        "kind", "channel", "ticket_no", "estate_id", "category", "urgency", "state", "response_due_at",
        "resolution_due_at", "repeat_of_id"]), actor=actor)
    if estate is not None:
        _notify_assigned(complaint)
    return complaint


def _notify_assigned(complaint: Complaint) -> None:
    users = company_users(complaint.company_id) if complaint.company_id else street_users(complaint.street_id)
    notify(users, kind="complaint_assigned", title=_("新的%(kind)s：%(no)s", kind=complaint.kind.label,
                                                      no=complaint.tracking_no),
           dedup_key=f"complaint-assigned:{complaint.id}:{complaint.reopened_count}",
           link=f"/complaints/{complaint.id}")


def assign_estate(complaint: Complaint, estate: Estate, *, actor) -> Complaint:
    """The clerk picks the estate of a complaint the address matching could not place."""
    if actor is None or actor.role not in BUREAU:
        raise TransitionError(_("只有住建局可以为待匹配的诉求指定小区。"))
    if complaint.state is not S.RECEIVED:
        raise TransitionError(_("该诉求已指定小区。"))
    before = snapshot(complaint, AUDITED)
    now = utcnow()
    _place(complaint, estate, now)
    complaint.match_status = MatchStatus.CLERK
    complaint.repeat_of_id = find_repeat_of(estate.id, complaint.category, complaint.kind, complaint.received_at,
                                            exclude_id=complaint.id)
    db.session.add(ComplaintTransition(complaint=complaint, from_state=S.RECEIVED, to_state=S.ASSIGNED,
                                       verb="assign", at=now, by_id=actor.id, comment=estate.name))
    record("complaint.assign", complaint, before=before, after=snapshot(complaint, AUDITED), actor=actor)
    _notify_assigned(complaint)
    return complaint


# --- the state machine -------------------------------------------------------------

def transition(complaint: Complaint, to_state: State, *, actor, text: str | None = None,
               satisfaction: Satisfaction | None = None, owner: bool = False) -> ComplaintTransition:
    """Move ``complaint`` to ``to_state`` or raise ``TransitionError`` saying why not.

    ``text``: the response (respond), the reply (resolve), the owner's words (callback), the reason
    (reopen). ``owner``: the owner rates the reply through the private link (a callback)."""
    move = MOVES.get((complaint.state, to_state))
    if move is None:
        raise TransitionError(_("诉求当前为“%(current)s”，不能变为“%(target)s”。", current=complaint.state.label,
                                target=to_state.label))
    if not owner and not may_make(actor, complaint, move):
        raise TransitionError(_("您不能对该诉求“%(verb)s”。", verb=move.label))
    text = (text or "").strip() or None
    if move.verb in ("respond", "resolve") and not text:
        raise TransitionError(_("请填写%(verb)s内容。", verb=move.label))
    if move.verb == "callback" and satisfaction is None:
        raise TransitionError(_("请选择回访结果（满意、基本满意或不满意）。"))
    if move.verb == "reopen" and not text:
        raise TransitionError(_("请填写重新办理的原因。"))
    before = snapshot(complaint, AUDITED)
    now = utcnow()
    from_state = complaint.state
    complaint.state = to_state
    complaint.state_since = now
    if move.verb == "respond":
        complaint.response = text
        complaint.responded_at = now
    elif move.verb == "resolve":
        complaint.reply = text
        complaint.resolved_at = now
        if complaint.responded_at is None:
            complaint.responded_at = now
    elif move.verb == "callback":
        complaint.satisfaction = satisfaction
        complaint.callback_words = text
        complaint.called_back_at = now
    elif move.verb == "reopen":
        complaint.reopened_count = (complaint.reopened_count or 0) + 1
        complaint.resolved_at = None
        _response_due, complaint.resolution_due_at = deadlines(complaint.kind, complaint.urgency,
                                                               complaint.category, now)
    elif move.verb == "close":
        complaint.closed_at = now
    row = ComplaintTransition(complaint=complaint, from_state=from_state, to_state=to_state, verb=move.verb, at=now,
                              by_id=None if owner else getattr(actor, "id", None),
                              comment=text if not owner else _("业主通过查询链接评价：%(text)s", text=text or ""))
    db.session.add(row)
    record(f"complaint.{move.verb}", complaint, before=before, after=snapshot(complaint, AUDITED),
           actor=None if owner else actor, channel="public" if owner else None)
    if move.verb == "reopen":
        _notify_assigned(complaint)
    return row


def owner_rate(complaint: Complaint, satisfaction: Satisfaction, words: str | None) -> None:
    """The owner rates the reply through the private link; 不满意 re-opens it for the company."""
    if complaint.state is not S.RESOLVED:
        raise TransitionError(_("诉求办结后才能评价。"))
    transition(complaint, S.CALLED_BACK, actor=None, text=words, satisfaction=satisfaction, owner=True)


# --- verification: item and credit proposal ----------------------------------------

def routine_container(estate: Estate) -> RoutineSupervision:
    container = db.session.scalar(select(RoutineSupervision).where(RoutineSupervision.estate_id == estate.id))
    if container is None:
        container = RoutineSupervision(estate_id=estate.id)
        db.session.add(container)
        db.session.flush()
        record("routine_supervision.open", container)
    return container


def verify(complaint: Complaint, *, valid: bool, actor, note: str | None = None,
           deadline_workdays: int = 10) -> Complaint:
    """The bureau or street records whether the complaint was true. A true one becomes a rectification
    item in the estate's 日常监管 and (not for repeats, not for repairs) proposes the credit event of
    the rule set in force for a valid complaint: a draft the bureau issues as a notice (objection window)."""
    if not is_supervisor(actor, complaint):
        raise TransitionError(_("只有住建局或所属街道可以核查诉求。"))
    if complaint.estate_id is None:
        raise TransitionError(_("请先为该诉求指定小区。"))
    if complaint.verdict is not None:
        raise TransitionError(_("该诉求已核查。"))
    if complaint.state in (S.RECEIVED, S.ASSIGNED):
        raise TransitionError(_("企业响应后才能核查。"))
    before = snapshot(complaint, AUDITED)
    complaint.verdict = Verdict.VALID if valid else Verdict.UNFOUNDED
    complaint.verified_at = utcnow()
    complaint.verified_by_id = actor.id
    if valid:
        estate = complaint.estate
        routine_container(estate)
        party = ResponsibleParty.COMPANY if complaint.company_id else ResponsibleParty.STREET
        item = create_item(estate=estate, source=ItemSource.COMPLAINT, category=complaint.category,
                           description=_("%(kind)s %(no)s：%(text)s", kind=complaint.kind.label,
                                         no=complaint.tracking_no, text=complaint.description),
                           actor=actor, source_id=complaint.id, responsible_party=party,
                           deadline_workdays=deadline_workdays)
        complaint.item_id = item.id
        if complaint.kind is Kind.COMPLAINT and complaint.repeat_of_id is None and complaint.company is not None:
            complaint.credit_event_id = propose_credit(complaint, actor=actor).id
    db.session.flush()
    after = snapshot(complaint, AUDITED)
    after["note"] = (note or "").strip() or None
    record("complaint.verify", complaint, before=before, after=after, actor=actor)
    return complaint


def propose_credit(complaint: Complaint, *, actor):
    """A draft credit event (the proposal) for the rule the rule set in force defines for a valid
    complaint; the bureau issues it on the credit pages (notice, objection window) or discards it."""
    on = local_today()
    item = item_by_code(rule_set_for(on), VALID_COMPLAINT_RULE)
    occurred_on = min(to_local(complaint.received_at).date(), on)
    return create_event(company=complaint.company, item=item, occurred_on=occurred_on,
                        description=_("业主有效投诉 %(no)s：%(text)s", no=complaint.tracking_no,
                                      text=complaint.description[:200]),
                        estate=complaint.estate, origin=EventOrigin.AUTOMATIC,
                        source_key=f"complaint:{complaint.id}", actor=actor, on=on)


def item_of(complaint: Complaint) -> RectificationItem | None:
    return db.session.get(RectificationItem, complaint.item_id) if complaint.item_id else None
