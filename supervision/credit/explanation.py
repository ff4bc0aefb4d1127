"""One company's score event by event (``explain``), for the credit page and the report.

The Python twin of ``scoring.score_table``; the tests check that both agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from ..core.timeutil import local_today
from ..estates.handover import company_area_days
from ..extensions import db
from .models import CreditEvent, CreditGrade, CreditRuleItem, CreditRuleSet, EventStatus, PartKind
from .scoring import band_for, counts_on, grade_for, override_note, q


@dataclass
class EventLine:
    event: CreditEvent
    item: CreditRuleItem | None  # the item in the scoring rule set (None: not listed there)
    counts: bool
    points: Decimal  # what the event adds to the company on the day, after any weighting
    weight: Decimal | None = None  # the floor-area weight, when one applies
    reason: str = ""


@dataclass
class PartLine:
    code: str
    name: str
    kind: PartKind
    cap: Decimal | None
    raw: Decimal
    value: Decimal
    lines: list[EventLine] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return self.raw != self.value


@dataclass
class Explanation:
    rule_set: CreditRuleSet
    as_of: date
    base: Decimal
    parts: list[PartLine]
    total_before_limits: Decimal
    total: Decimal
    grade: CreditGrade
    band_grade: CreditGrade
    override: str | None
    override_note: str | None
    not_counting: list[EventLine]


def _reason_not_counting(event: CreditEvent, item, as_of: date) -> str:
    if item is None:
        return _("本规则集未列此条款")
    if event.status is EventStatus.DRAFT:
        return _("草稿，未告知")
    if event.status is EventStatus.REVOKED:
        return _("已撤销，不计分")
    if event.status is EventStatus.OBJECTED:
        return _("异议处理中")
    if as_of < event.effective_from:
        return _("尚未生效")
    if as_of > event.effective_until:
        return _("已过有效期（%(day)s 止）", day=event.effective_until.isoformat())
    if event.status is EventStatus.NOTIFIED:
        return _("异议期内（%(day)s 届满）", day=event.objection_deadline.isoformat())
    return _("确认日期晚于评价日")


@dataclass
class CompanyRecords:
    """One company's events and managed area, loaded once for several explanations."""

    company_id: int
    events: list[CreditEvent]
    items: dict[int, dict[str, CreditRuleItem]] = field(default_factory=dict)  # rule set id → code → item
    areas: dict[date, Decimal | None] = field(default_factory=dict)  # day → floor area managed that day

    def total_area_on(self, day: date) -> Decimal | None:
        """The floor area the company managed on ``day`` (the management history decides)."""
        if day not in self.areas:
            self.load_areas([day])
        return self.areas[day]

    def without_drafts(self) -> CompanyRecords:
        """The same records less the drafts, sharing what is already loaded."""
        return CompanyRecords(self.company_id, [e for e in self.events if e.status is not EventStatus.DRAFT],
                              self.items, self.areas)

    def load_areas(self, days) -> None:
        """``total_area_on`` for many days in one query (the company's own estates only)."""
        missing = sorted({day for day in days if day not in self.areas})
        if not missing:
            return
        found = dict(db.session.execute(_area_days_statement(tuple(missing)), {"area_company_id": self.company_id})
                     .all())
        for index, day in enumerate(missing):
            total = found.get(index)
            self.areas[day] = Decimal(str(total)) if total else None

    def items_of(self, rule_set: CreditRuleSet) -> dict[str, CreditRuleItem]:
        if rule_set.id not in self.items:
            self.load_items([rule_set])
        return self.items[rule_set.id]

    def load_items(self, rule_sets) -> None:
        """``items_of`` for several rule sets in one query (a history that crosses into another year's)."""
        missing = sorted({rule_set.id for rule_set in rule_sets} - self.items.keys())
        if not missing:
            return
        found: dict[int, dict[str, CreditRuleItem]] = {rule_set_id: {} for rule_set_id in missing}
        for item in db.session.scalars(select(CreditRuleItem).where(CreditRuleItem.rule_set_id.in_(missing))):
            found[item.rule_set_id][item.code] = item
        self.items.update(found)


_AREA_STATEMENTS: dict[tuple[date, ...], object] = {}  # days → ``company_area_days`` with the company bound
_AREA_STATEMENTS_SIZE = 32


def _area_days_statement(days: tuple[date, ...]):
    """``company_area_days`` for ``days`` with the company a bound parameter (``area_company_id``), built once per
    process for each set of days (the credit page's 13 month ends change once a day): building it cost more than
    running it. A statement, not data: no cache of the data's generation is needed."""
    statement = _AREA_STATEMENTS.get(days)
    if statement is None:
        statement = company_area_days(bindparam("area_company_id", type_=Integer), list(days))
        if len(_AREA_STATEMENTS) >= _AREA_STATEMENTS_SIZE:
            _AREA_STATEMENTS.clear()
        _AREA_STATEMENTS[days] = statement
    return statement


def company_records(company, *, include_drafts: bool = True) -> CompanyRecords:
    statement = (select(CreditEvent).where(CreditEvent.company_id == company.id)
                 .options(joinedload(CreditEvent.item), joinedload(CreditEvent.estate),  # each one row an event:
                          joinedload(CreditEvent.staff), joinedload(CreditEvent.objection))  # one query, not five
                 .order_by(CreditEvent.occurred_on.desc(), CreditEvent.id.desc()))
    if not include_drafts:
        statement = statement.where(CreditEvent.status != EventStatus.DRAFT)
    return CompanyRecords(company.id, list(db.session.scalars(statement)))


def explain(company, rule_set: CreditRuleSet, as_of: date | None = None, *, include_drafts: bool = True,
            records: CompanyRecords | None = None, reasons: bool = True) -> Explanation:
    """One company's score, event by event (the Python twin of ``score_table``, tested equal to it);
    without ``reasons`` the events that do not count are left out of ``not_counting`` (a score history shows
    each month's total and grade only: the reasons were most of its cost)."""
    as_of = as_of or local_today()
    records = records or company_records(company, include_drafts=include_drafts)
    events = records.events
    total_area = records.total_area_on(as_of) if rule_set.pm_weighting == "area" else None
    items = records.items_of(rule_set)
    part_lines = {p.id: PartLine(p.code, p.name, p.kind, p.cap, Decimal("0"), Decimal("0")) for p in rule_set.parts}
    not_counting: list[EventLine] = []
    has_blacklist = has_veto = has_bad = False
    for event in events:
        item = items.get(event.item.code)
        if item is None or not counts_on(event, as_of):
            if reasons:
                not_counting.append(EventLine(event, item, False, Decimal("0"),
                                              reason=_reason_not_counting(event, item, as_of)))
            continue
        points, weight = Decimal(item.points), None
        area = event.estate.floor_area if event.estate is not None else None
        if (rule_set.pm_weighting == "area" and event.staff_id is not None and points < 0 and area
                and area > 0 and total_area and total_area > area):
            weight = Decimal(area) / total_area
            points = points * Decimal(area) / total_area
        line = EventLine(event, item, True, points, weight)
        part_lines[item.part_id].lines.append(line)
        part_lines[item.part_id].raw += points
        has_blacklist |= item.blacklist
        has_veto |= item.veto
        has_bad |= item.points < 0
    exact_sum = Decimal("0")
    for part in part_lines.values():
        value = part.raw
        if part.cap is not None:
            value = min(value, part.cap) if part.kind is not PartKind.BAD else max(value, -part.cap)
        exact_sum += value
        part.value = q(value)
        part.raw = q(part.raw)
    base = q(rule_set.base_score)
    unclamped = base + exact_sum
    total = unclamped
    if rule_set.min_total is not None:
        total = max(total, rule_set.min_total)
    if rule_set.max_total is not None:
        total = min(total, rule_set.max_total)
    total = q(total)
    has_part = {p.code: bool(p.lines) for p in part_lines.values()}
    grade, override = grade_for(rule_set, total, has_blacklist=has_blacklist, has_veto=has_veto,
                                has_bad=has_bad, has_part=has_part)
    note = override_note(rule_set, override) if override else None
    return Explanation(rule_set=rule_set, as_of=as_of, base=base, parts=list(part_lines.values()),
                       total_before_limits=q(unclamped), total=total, grade=grade,
                       band_grade=band_for(rule_set, total), override=override, override_note=note,
                       not_counting=not_counting)
