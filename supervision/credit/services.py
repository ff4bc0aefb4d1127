"""The rules of credit evaluation: rule sets, recording, notices, objections.

The other rules live beside this module: ``clues`` (street reports), ``assessment`` (the yearly
basic-information assessment), ``company_file`` (one company's scores, records and managers),
``publication`` (published results), ``scoring`` / ``standings`` / ``explanation`` (scores).

Services never commit: they add, flush and call ``audit.record``; the view or
command commits once. Every function that depends on the date takes ``on``
(default: today in Shanghai) so that tests and the demo can run on any day.

Reusable entry points for other features:

- ``rule_set_for(day)``: the rule set in force on a day;
- ``scoring.scores(rule_set, as_of)`` / ``company_file.current_scores(as_of)``,
  ``company_file.company_score``, ``standings.grade_counts``: scores computed in SQL;
- ``credit.automatic.record_automatic_event(...)`` and ``register_detector``.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..attachments.models import Attachment
from ..attachments.services import attachments_of, path_for, store, store_bytes
from ..audit.services import record, record_change, snapshot
from ..companies.models import Company, Staff
from ..core.errors import DomainError, TransitionError
from ..core.search import contains
from ..core.timeutil import local_today, utcnow
from ..core.workdays import add_workdays
from ..estates.models import Estate
from ..extensions import db
from ..notifications.services import bureau_users, company_users, notify, street_users
from ..regions.services import bureau_name
from . import scoring
from .models import (
    ClueStatus,
    CreditClue,
    CreditEvent,
    CreditObjection,
    CreditRuleItem,
    CreditRulePart,
    CreditRuleSet,
    CreditRuleSetYear,
    EventOrigin,
    EventStatus,
    ObjectionStatus,
    PartKind,
    RecordingLevel,
)

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
    """The rule set in force on ``day``: the one chosen for its year, else the default (as ``default_rule_set``),
    with its parts and grades: two queries on every page that shows a score."""
    day = day or local_today()
    chosen = select(CreditRuleSetYear.rule_set_id).where(CreditRuleSetYear.year == day.year).scalar_subquery()
    rule_set = db.session.scalars(  # the parts joined (a few rows), the grades selected: two queries
        select(CreditRuleSet).where(CreditRuleSet.id == func.coalesce(chosen, _fallback_id()))
        .options(joinedload(CreditRuleSet.parts), selectinload(CreditRuleSet.grades))).unique().first()
    if rule_set is None:
        raise DomainError(_("尚未加载信用评价规则，请先运行 flask seed reference。"))
    return rule_set


def _fallback_id():
    """SQL: the rule set of a year none was chosen for (``default_rule_set``'s)."""
    default = (select(CreditRuleSet.id).where(CreditRuleSet.is_default.is_(True)).order_by(CreditRuleSet.id)
               .limit(1).scalar_subquery())
    return func.coalesce(default, select(func.min(CreditRuleSet.id)).scalar_subquery())


@cache
def _rule_sets_statement():
    """``rule_sets_for``'s statement, the years a bound parameter: built once per process."""
    fallback = _fallback_id()
    year = CreditRuleSetYear.year
    return (select(CreditRuleSet, year, CreditRuleSet.id == fallback)
            .outerjoin(CreditRuleSetYear, and_(CreditRuleSetYear.rule_set_id == CreditRuleSet.id,
                                               year.in_(bindparam("rule_set_years", expanding=True))))
            .where(or_(year.is_not(None), CreditRuleSet.id == fallback))
            .options(joinedload(CreditRuleSet.parts), joinedload(CreditRuleSet.grades)))


def rule_sets_for(days) -> dict[date, CreditRuleSet]:
    """``rule_set_for`` for many days at once, in one query (a score history's months): each rule set with the
    years among the days it was chosen for, and whether it is the fallback, its parts and grades joined."""
    years = {day.year for day in days}
    chosen: dict[int, int] = {}
    loaded, default_id = {}, None
    for rule_set, chosen_year, is_fallback in db.session.execute(_rule_sets_statement(),
                                                                 {"rule_set_years": sorted(years)}).unique():
        loaded[rule_set.id] = rule_set
        if chosen_year is not None:
            chosen[chosen_year] = rule_set.id
        if is_fallback:
            default_id = rule_set.id
    if default_id is None and years - chosen.keys():
        raise DomainError(_("尚未加载信用评价规则，请先运行 flask seed reference。"))
    return {day: loaded[chosen.get(day.year, default_id)] for day in days}


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
                 .options(joinedload(CreditRuleItem.part)).order_by(CreditRuleItem.sort_order))
    items = list(db.session.scalars(statement))
    if not include_automatic:
        items = [i for i in items if not i.automatic]
    if kinds is not None:
        items = [i for i in items if i.part.kind in kinds]
    return items


def rule_sets() -> list[CreditRuleSet]:
    """Every rule set, by code and version (for choosers)."""
    return list(db.session.scalars(select(CreditRuleSet).order_by(CreditRuleSet.code, CreditRuleSet.version)))


def rule_set_years() -> list[CreditRuleSetYear]:
    """The rule set chosen for each year, latest year first."""
    return list(db.session.scalars(select(CreditRuleSetYear).options(joinedload(CreditRuleSetYear.rule_set))
                                   .order_by(CreditRuleSetYear.year.desc())))


def item_by_code(rule_set: CreditRuleSet, code: str) -> CreditRuleItem:
    item = db.session.scalar(select(CreditRuleItem).where(CreditRuleItem.rule_set_id == rule_set.id,
                                                         CreditRuleItem.code == code))
    if item is None:
        raise DomainError(_("现行规则集中没有条款 %(code)s。", code=code), field="item_id")
    return item


# --- events ------------------------------------------------------------------

EVENT_ROW_OPTIONS = (joinedload(CreditEvent.company), joinedload(CreditEvent.item).joinedload(CreditRuleItem.part),
                     joinedload(CreditEvent.estate), joinedload(CreditEvent.staff), joinedload(CreditEvent.objection))


def event_list(statement, *, q: str | None = None, status: str | None = None, part: str | None = None,
               origin: str | None = None, year: int | None = None):
    """The event list: ``statement`` (the user's visible events) with the list's filters, newest first."""
    statement = (statement.join(Company, Company.id == CreditEvent.company_id)
                 .join(CreditRuleItem, CreditRuleItem.id == CreditEvent.item_id).options(*EVENT_ROW_OPTIONS))
    return _event_filters(statement, q=q, status=status, part=part, origin=origin, year=year)


def event_keys(statement, *, q: str | None = None, status: str | None = None, part: str | None = None,
               origin: str | None = None, year: int | None = None):
    """``event_list``'s ids alone (pages first, then ``event_rows``): the item and its part are joined only to
    filter by part, so the page's ids and their count read the events' indexes."""
    statement = statement.with_only_columns(CreditEvent.id)
    if part:
        statement = statement.join(CreditRuleItem, CreditRuleItem.id == CreditEvent.item_id)
    return _event_filters(statement, q=q, status=status, part=part, origin=origin, year=year)


@cache
def _event_row_statement():
    """The event list's row: the event's shown columns and its company, estate, staff, item and part's names as
    plain columns (50 ORM events with five related objects each cost more to build than to select); built once."""
    e = CreditEvent
    return (select(e.id, e.company_id, e.occurred_on, e.points, e.origin, e.status, e.objection_deadline,
                   e.notice_number, e.effective_until, Company.name.label("company_name"),
                   Estate.name.label("estate_name"), Staff.name.label("staff_name"),
                   CreditRuleItem.code.label("item_code"), CreditRuleItem.description.label("item_description"),
                   CreditRulePart.name.label("part_name"))
            .join(Company, Company.id == e.company_id)
            .join(CreditRuleItem, CreditRuleItem.id == e.item_id)
            .join(CreditRulePart, CreditRulePart.id == CreditRuleItem.part_id)
            .outerjoin(Estate, Estate.id == e.estate_id)
            .outerjoin(Staff, Staff.id == e.staff_id))


def event_rows(ids) -> dict:
    """{id: row} with what the event list shows (``_event_row_statement``'s plain rows)."""
    return {row.id: row for row in db.session.execute(_event_row_statement().where(CreditEvent.id.in_(list(ids))))}


def _event_filters(statement, *, q, status, part, origin, year):
    if q and q.strip():
        like = f"%{q.strip()}%"
        # The matching companies once (IN), not each event's company joined and compared.
        statement = statement.where(or_(
            CreditEvent.company_id.in_(select(Company.id).where(contains(Company.name, like))),
            contains(CreditEvent.notice_number, like)))
    if status:
        statement = statement.where(CreditEvent.status == EventStatus(status))
    if part:
        # A join, not part_id IN (…): SQLite then walks the events newest first instead of sorting the part's.
        statement = (statement.join(CreditRulePart, CreditRulePart.id == CreditRuleItem.part_id)
                     .where(CreditRulePart.kind == PartKind(part)))
    if origin:
        statement = statement.where(CreditEvent.origin == EventOrigin(origin))
    if year:
        statement = statement.where(CreditEvent.occurred_on >= date(year, 1, 1),
                                    CreditEvent.occurred_on <= date(year, 12, 31))
    return statement.order_by(CreditEvent.occurred_on.desc(), CreditEvent.id.desc())


def waiting_counts() -> dict[str, int]:
    """What waits for the bureau: pending objections and draft events."""
    return {"pending": db.session.scalar(select(func.count(CreditObjection.id))
                                         .where(CreditObjection.status == ObjectionStatus.PENDING)),
            "drafts": db.session.scalar(select(func.count(CreditEvent.id))
                                        .where(CreditEvent.status == EventStatus.DRAFT))}


def event_inputs(*, item_id: int | None, estate_id: int | None, staff_id: int | None) -> dict:
    """The rows an event form names by id (``create_event``/``update_event`` check that they fit the
    company)."""
    item = db.session.get(CreditRuleItem, item_id) if item_id else None
    if item is None:
        raise DomainError(_("请选择评价条款。"), field="item_id")
    return {"item": item, "estate": db.session.get(Estate, estate_id) if estate_id else None,
            "staff": db.session.get(Staff, staff_id) if staff_id else None}


def in_force_with_item(day: date, item: CreditRuleItem) -> tuple[CreditRuleSet, CreditRuleItem | None]:
    """The rule set in force on ``day`` (as ``rule_set_for``, without its parts and grades) and its item with
    ``item``'s code (``item_matching``), in one query: what an event's page says of today's scoring."""
    chosen = select(CreditRuleSetYear.rule_set_id).where(CreditRuleSetYear.year == day.year).scalar_subquery()
    matching = aliased(CreditRuleItem)
    found = db.session.execute(
        select(CreditRuleSet, matching).where(CreditRuleSet.id == func.coalesce(chosen, _fallback_id()))
        .outerjoin(matching, and_(matching.rule_set_id == CreditRuleSet.id, matching.code == item.code))).first()
    if found is None:
        raise DomainError(_("尚未加载信用评价规则，请先运行 flask seed reference。"))
    return found[0], found[1]


def item_matching(rule_set: CreditRuleSet, item: CreditRuleItem | None) -> CreditRuleItem | None:
    """The item of ``rule_set`` with ``item``'s code (an event is scored by the rule set in force)."""
    if item is None:
        return None
    return db.session.scalar(select(CreditRuleItem).where(CreditRuleItem.rule_set_id == rule_set.id,
                                                          CreditRuleItem.code == item.code))


def issue_event(event: CreditEvent, *, actor=None) -> CreditEvent:
    """Make a draft final: a deduction is notified (the company may object), an addition confirmed."""
    if event.is_deduction:
        return notify_event(event, actor=actor)
    return confirm_event(event, actor=actor)


def objection_refusal(event: CreditEvent, today: date) -> str | None:
    """Why the company may not object to ``event`` today (None: it may)."""
    if event.objection_open(today):
        return None
    if event.objection is not None:
        return _("该记录已提出过异议。")
    if event.status is EventStatus.NOTIFIED and event.objection_deadline < today:
        return _("异议期已于 %(day)s 届满，不能再提出异议。", day=event.objection_deadline.isoformat())
    return _("该记录当前不能提出异议。")


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
        accept_clue(clue, event, actor=actor)
    return event


def default_recording_body(level: RecordingLevel) -> str:
    if level is RecordingLevel.DISTRICT:
        return bureau_name()
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
    notify_company(event, kind="credit_notice",
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
        notify_company(event, kind="credit_record",
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
        notify_company(event, kind="credit_revoked",
                        title=_("信用记录已撤销：%(name)s", name=str(event)))
    return event


def add_evidence(owner, files, *, fact_date: date | None = None, actor=None) -> list[Attachment]:
    stored = []
    for file_storage in files or []:
        if file_storage and getattr(file_storage, "filename", None):
            stored.append(store(file_storage, owner=owner, purpose="evidence", fact_date=fact_date, user=actor))
    return stored


def notify_company(event: CreditEvent, *, kind: str, title: str) -> None:
    link = None
    if has_request_context():
        link = url_for("credit.event", event_id=event.id)
    notify(company_users(event.company_id), kind=kind, title=title,
           dedup_key=f"{kind}:{event.id}", link=link)


# --- objections --------------------------------------------------------------

def submit_objection(event: CreditEvent, *, reasons: str, actor, on: date | None = None) -> CreditObjection:
    """A company objects to a notified deduction within its window."""
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
    notify_company(event, kind="credit_objection_decided", title=title)
    return objection


# --- clues turned into events -------------------------------------------------

def accept_clue(clue: CreditClue, event: CreditEvent, *, actor=None) -> None:
    """The clue an event was made from: accepted, its evidence copied to the event."""
    if clue.status is not ClueStatus.SUBMITTED:
        raise TransitionError(_("该线索已处理。"))
    if clue.company_id != event.company_id:
        raise DomainError(_("信用事件的企业须与线索一致。"), field="company_id")
    before = snapshot(clue, ["status", "decided_at", "decision_reason"])
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
    notify_street(clue, _("线索已转为信用事件：%(company)s", company=clue.company.name))


def notify_street(clue: CreditClue, title: str) -> None:
    """Tell the street office that reported a clue what became of it."""
    notify(street_users(clue.street_id), kind="credit_clue_decided", title=title,
           dedup_key=f"credit_clue_decided:{clue.id}",
           link=url_for("credit.clue", clue_id=clue.id) if has_request_context() else None)

