"""Scores and grades, computed in SQL from the events that count on a day.

``score_table(rule_set, as_of)`` is one SQL statement (a subquery) with a row per
company: each part of the formula after its cap, the total, the grade after the
overrides, and red/black-list membership. The ranking, the dashboard, the
publication and the report all read it, so they agree by construction.

``explain(company, ...)`` itemises one company's score event by event, for the
credit page and the report; the tests check that it agrees with the SQL.

When an event counts on day D (the rule everything here follows):

- it is neither a draft nor revoked (revocation is retroactive: a revoked
  record was wrong, so it never counts, also in scores recomputed for earlier
  days; a published period keeps what it published);
- ``effective_from <= D <= effective_until``;
- it was final on D: confirmed on or before D, or notified with its objection
  window closed before D (``objection_deadline < D``). An event under objection
  does not count until an officer upholds it; it then counts from that day.

Points come from the item with the same code in the rule set used for scoring,
so the same events can be scored under another rule set; an event whose code
the rule set does not list does not count under it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, literal, literal_column, or_, select
from sqlalchemy.orm import aliased, selectinload
from flask_sqlalchemy.pagination import Pagination

from ..companies.models import Company
from ..core.timeutil import local_today
from ..estates.models import Estate
from ..extensions import db
from .models import (POINTS, SCORES_TOPIC, CreditEvent, CreditGrade, CreditRuleItem, CreditRuleSet, EventStatus,
                     ListKind, PartKind)

CENT = Decimal("0.01")
FINAL_STATUSES = (EventStatus.NOTIFIED, EventStatus.OBJECTED, EventStatus.CONFIRMED)


def q(value) -> Decimal:
    """A number from the database (SQLite gives floats) as a Decimal of cents."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def counting_clause(as_of: date, event=CreditEvent):
    """SQL: the event counts on ``as_of`` (see the module docstring)."""
    return and_(
        event.status.in_(FINAL_STATUSES),
        event.effective_from <= as_of,
        event.effective_until >= as_of,
        or_(
            and_(event.confirmed_on.is_not(None), event.confirmed_on <= as_of),
            and_(event.status == EventStatus.NOTIFIED, event.objection_deadline < as_of),
        ),
    )


def counts_on(event: CreditEvent, as_of: date) -> bool:
    """Python twin of ``counting_clause``."""
    if event.status not in FINAL_STATUSES:
        return False
    if not (event.effective_from <= as_of <= event.effective_until):
        return False
    if event.confirmed_on is not None and event.confirmed_on <= as_of:
        return True
    return (event.status is EventStatus.NOTIFIED and event.objection_deadline is not None
            and event.objection_deadline < as_of)


def load_rule_set(rule_set_id: int) -> CreditRuleSet:
    return db.session.scalar(select(CreditRuleSet).where(CreditRuleSet.id == rule_set_id).options(
        selectinload(CreditRuleSet.parts), selectinload(CreditRuleSet.grades)))


def _num(value) -> object:
    return literal(value, POINTS)


def _clamp_part(expression, part):
    if part.cap is None:
        return expression
    if part.kind is PartKind.BAD:
        return case((expression < _num(-part.cap), _num(-part.cap)), else_=expression)
    return case((expression > _num(part.cap), _num(part.cap)), else_=expression)


def _banded(rule_set: CreditRuleSet) -> tuple[list[CreditGrade], CreditGrade]:
    bands = sorted((g for g in rule_set.grades if g.banded and g.min_score is not None),
                   key=lambda g: g.min_score, reverse=True)
    lowest = next(g for g in rule_set.grades if g.banded and g.min_score is None)
    return bands, lowest


def _band_case(rule_set, total):
    bands, lowest = _banded(rule_set)
    if not bands:
        return literal(lowest.code)
    return case(*[(total >= _num(g.min_score), literal(g.code)) for g in bands], else_=literal(lowest.code))


def _grade_cases(rule_set, t):
    """(grade code, override kind) CASE expressions over the inner subquery ``t``."""
    whens_grade, whens_override = [], []
    total = t.c.total
    for override in rule_set.overrides or []:
        kind, code = override["kind"], override["grade"]
        if kind == "blacklist":
            condition = t.c.has_blacklist == 1
            grade_value = literal(code)
        elif kind == "missing_record":
            condition = t.c[f"has_{override['part']}"] == 0
            grade_value = literal(code)
        elif kind == "veto":
            condition = t.c.has_veto == 1
            veto_grade = rule_set.grade(code)
            if veto_grade.min_score is None:
                grade_value = literal(code)
            else:  # the veto grade or, when the score is already worse, the score's band
                grade_value = case((total >= _num(veto_grade.min_score), literal(code)),
                                   else_=_band_case(rule_set, total))
        elif kind == "no_bad_record_floor":
            condition = and_(total < _num(Decimal(str(override["below"]))), t.c.has_bad == 0)
            grade_value = literal(code)
        else:  # validated when loading
            continue
        whens_grade.append((condition, grade_value))
        whens_override.append((condition, literal(kind)))
    band = _band_case(rule_set, total)
    grade = case(*whens_grade, else_=band) if whens_grade else band
    override = case(*whens_override, else_=literal(None)) if whens_override else literal(None)
    return grade, override


def _points_expression(rule_set, item, estate, areas):
    """An event's points for its company: a project manager's deduction weighted by floor area."""
    points = item.points
    if rule_set.pm_weighting != "area":
        return points
    weighted = points * estate.floor_area * literal_column("1.0") / areas.c.total_area
    return case(
        (and_(CreditEvent.staff_id.is_not(None), points < 0, estate.floor_area > 0,
              areas.c.total_area > estate.floor_area), weighted),
        else_=points,
    )


def managed_areas():
    """Per company: the floor area of the estates it manages now."""
    return (select(Estate.company_id.label("company_id"), func.sum(Estate.floor_area).label("total_area"))
            .where(Estate.company_id.is_not(None), Estate.archived_at.is_(None))
            .group_by(Estate.company_id).subquery("credit_areas"))


def _flag_parts(rule_set) -> list[str]:
    return [o["part"] for o in rule_set.overrides or [] if o["kind"] == "missing_record"]


def event_aggregate(rule_set: CreditRuleSet, as_of: date):
    """Per company: each part's raw sum and the flags the overrides need."""
    recorded = aliased(CreditRuleItem, name="recorded_item")
    item = aliased(CreditRuleItem, name="scoring_item")
    estate = aliased(Estate, name="event_estate")
    areas = managed_areas()
    points = _points_expression(rule_set, item, estate, areas)
    columns = [CreditEvent.company_id.label("company_id")]
    for part in rule_set.parts:
        columns.append(func.sum(case((item.part_id == part.id, points), else_=0)).label(f"part_{part.code}"))
    for code in _flag_parts(rule_set):
        part = next(p for p in rule_set.parts if p.code == code)
        columns.append(func.max(case((item.part_id == part.id, 1), else_=0)).label(f"has_{code}"))
    columns += [
        func.max(case((item.blacklist.is_(True), 1), else_=0)).label("has_blacklist"),
        func.max(case((item.veto.is_(True), 1), else_=0)).label("has_veto"),
        func.max(case((item.points < 0, 1), else_=0)).label("has_bad"),
        func.count(CreditEvent.id).label("event_count"),
    ]
    return (select(*columns)
            .join(recorded, recorded.id == CreditEvent.item_id)
            .join(item, and_(item.code == recorded.code, item.rule_set_id == rule_set.id))
            .outerjoin(estate, estate.id == CreditEvent.estate_id)
            .outerjoin(areas, areas.c.company_id == CreditEvent.company_id)
            .where(counting_clause(as_of))
            .group_by(CreditEvent.company_id)
            .subquery("credit_event_sums"))


def score_table(rule_set: CreditRuleSet, as_of: date, *, include_archived: bool = False):
    """A subquery with one row per company (see ``ScoreRow`` for the columns)."""
    sums = event_aggregate(rule_set, as_of)
    parts = []
    for part in rule_set.parts:
        raw = func.coalesce(sums.c[f"part_{part.code}"], 0)
        parts.append(_clamp_part(raw, part).label(f"part_{part.code}"))
    total = _num(rule_set.base_score)
    for column in parts:
        total = total + column
    if rule_set.min_total is not None:
        total = case((total < _num(rule_set.min_total), _num(rule_set.min_total)), else_=total)
    if rule_set.max_total is not None:
        total = case((total > _num(rule_set.max_total), _num(rule_set.max_total)), else_=total)
    flags = [func.coalesce(sums.c[f"has_{code}"], 0).label(f"has_{code}") for code in _flag_parts(rule_set)]
    inner = (
        select(Company.id.label("company_id"), Company.name.label("name"),
               Company.credit_code.label("credit_code"), *parts,
               func.round(total, 2).label("total"), *flags,
               func.coalesce(sums.c.has_blacklist, 0).label("has_blacklist"),
               func.coalesce(sums.c.has_veto, 0).label("has_veto"),
               func.coalesce(sums.c.has_bad, 0).label("has_bad"),
               func.coalesce(sums.c.event_count, 0).label("event_count"))
        .select_from(Company)
        .outerjoin(sums, sums.c.company_id == Company.id)
    )
    if not include_archived:
        inner = inner.where(Company.archived_at.is_(None))
    inner = inner.subquery("credit_scores_inner")
    grade, override = _grade_cases(rule_set, inner)
    red = [g.code for g in rule_set.grades if g.list_kind is ListKind.RED]
    black = [g.code for g in rule_set.grades if g.list_kind is ListKind.BLACK]
    rank = case(*[(grade == g.code, g.rank) for g in rule_set.grades], else_=99)
    outer = select(
        *inner.c,
        # Competition rank among all the companies scored (1, 2, 2, 4 …), whatever the page's filters.
        func.rank().over(order_by=inner.c.total.desc()).label("position"),
        grade.label("grade"),
        override.label("override"),
        rank.label("grade_rank"),
        (case((grade.in_(red), 1), else_=0) if red else literal(0)).label("red"),
        (case((grade.in_(black), 1), else_=0) if black else literal(0)).label("black"),
    )
    return outer.subquery("credit_scores")


@dataclass
class ScoreRow:
    company_id: int
    name: str
    credit_code: str
    base: Decimal
    parts: dict[str, Decimal]
    total: Decimal
    grade: CreditGrade
    override: str | None
    red: bool
    black: bool
    has_bad: bool
    event_count: int
    position: int | None = None

    @property
    def grade_code(self) -> str:
        return self.grade.code


def row_to_score(rule_set: CreditRuleSet, row) -> ScoreRow:
    mapping = row._mapping
    return ScoreRow(
        company_id=mapping["company_id"], name=mapping["name"], credit_code=mapping["credit_code"],
        base=q(rule_set.base_score),
        parts={p.code: q(mapping[f"part_{p.code}"]) for p in rule_set.parts},
        total=q(mapping["total"]), grade=rule_set.grade(mapping["grade"]), override=mapping["override"],
        red=bool(mapping["red"]), black=bool(mapping["black"]), has_bad=bool(mapping["has_bad"]),
        event_count=int(mapping["event_count"] or 0), position=mapping.get("position"),
    )


def scores(rule_set: CreditRuleSet, as_of: date, company_ids=None) -> list[ScoreRow]:
    """Every company's score in one query, best first (live: no cache; the publication uses it)."""
    table = score_table(rule_set, as_of)
    statement = select(table).order_by(table.c.total.desc(), table.c.name)
    if company_ids is not None:
        statement = statement.where(table.c.company_id.in_(list(company_ids)))
    return [row_to_score(rule_set, row) for row in db.session.execute(statement)]


# --- the cached score table ----------------------------------------------------
#
# The ranking, its export and the API's ranking, the grade counts and one company's score read the
# whole score table of (rule set, day), computed once per generation of the credit data (see
# ``supervision/core/generations.py``: any change to what scores depend on changes it) and kept per
# process. The rows hold no ORM objects, so they outlive the request that computed them.


@dataclass(frozen=True, slots=True)
class TableRow:
    """One company's row of the score table (``ScoreRow`` without the ORM grade)."""

    company_id: int
    name: str
    credit_code: str
    parts: tuple[tuple[str, Decimal], ...]
    total: Decimal
    grade_code: str
    grade_rank: int
    override: str | None
    red: bool
    black: bool
    has_bad: bool
    event_count: int
    position: int

    def score(self, rule_set: CreditRuleSet) -> ScoreRow:
        return ScoreRow(company_id=self.company_id, name=self.name, credit_code=self.credit_code,
                        base=q(rule_set.base_score), parts=dict(self.parts), total=self.total,
                        grade=rule_set.grade(self.grade_code), override=self.override, red=self.red,
                        black=self.black, has_bad=self.has_bad, event_count=self.event_count,
                        position=self.position)


@dataclass(frozen=True)
class Table:
    rows: list[TableRow]  # best total first, then by name
    by_company: dict[int, TableRow]
    counts: dict[str, dict]  # grade code → count, min and max total
    orders: dict[str, list[TableRow]] = field(default_factory=dict)  # sort → rows, sorted on first use

    def sorted(self, sort: str | None) -> list[TableRow]:
        """The rows in a ``RANKING_SORTS`` order (kept: filters keep it, so requests never sort)."""
        sort = sort if sort in RANKING_SORTS else "-total"
        rows = self.orders.get(sort)
        if rows is None:
            rows = list(self.rows)
            for key, descending in reversed(RANKING_SORTS[sort]):
                rows.sort(key=key, reverse=descending)  # stable: the later (more significant) sorts keep ties
            self.orders[sort] = rows
        return rows


def _compute_table(rule_set: CreditRuleSet, as_of: date) -> Table:
    table = score_table(rule_set, as_of)
    rows = [TableRow(
        company_id=row.company_id, name=row.name, credit_code=row.credit_code,
        parts=tuple((p.code, q(row._mapping[f"part_{p.code}"])) for p in rule_set.parts), total=q(row.total),
        grade_code=row.grade, grade_rank=int(row.grade_rank), override=row.override, red=bool(row.red),
        black=bool(row.black), has_bad=bool(row.has_bad), event_count=int(row.event_count or 0),
        position=int(row.position)) for row in db.session.execute(select(table))]
    # Sorted here, not by the database, so that names order alike (by code point) on every backend.
    rows.sort(key=lambda r: (-r.total, r.name, r.company_id))
    counts: dict[str, dict] = {}
    for row in rows:  # best first: the first of a grade is its highest total, the last its lowest
        entry = counts.setdefault(row.grade_code, {"count": 0, "min": row.total, "max": row.total})
        entry["count"] += 1
        entry["min"] = row.total
    return Table(rows, {r.company_id: r for r in rows}, counts)


def cached_table(rule_set: CreditRuleSet, as_of: date) -> Table:
    """The score table of every active company, from the cache when the credit data has not changed."""
    from flask import current_app

    from ..core import generations

    size = current_app.config.get("CREDIT_SCORE_CACHE_SIZE", 8)
    return generations.cached(SCORES_TOPIC, "credit_score_tables", size, (rule_set.id, as_of),
                              lambda: _compute_table(rule_set, as_of))


def company_score(company, rule_set: CreditRuleSet, as_of: date) -> ScoreRow | None:
    """One company's score; its position is its place in the ranking (an archived company: among all)."""
    if company.archived_at is None:
        row = cached_table(rule_set, as_of).by_company.get(company.id)
        if row is not None:
            return row.score(rule_set)
    table = score_table(rule_set, as_of, include_archived=True)
    row = db.session.execute(select(table).where(table.c.company_id == company.id)).first()
    return row_to_score(rule_set, row) if row else None


def _by_name(r: TableRow):
    return r.name


def _by_total(r: TableRow):
    return r.total


def _by_grade(r: TableRow):
    return r.grade_rank


def _by_events(r: TableRow):
    return r.event_count


# Each sort: (key, descending) pairs, the first the most significant.
RANKING_SORTS = {
    "total": ((_by_total, False), (_by_name, False)),
    "-total": ((_by_total, True), (_by_name, False)),
    "name": ((_by_name, False),),
    "-name": ((_by_name, True),),
    "grade": ((_by_grade, False), (_by_total, True), (_by_name, False)),
    "-grade": ((_by_grade, True), (_by_total, False), (_by_name, False)),
    "events": ((_by_events, False), (_by_name, False)),
    "-events": ((_by_events, True), (_by_name, False)),
}


def _like(text: str):
    """SQL ``ILIKE '%text%'`` as a regular expression search (``%`` and ``_`` stay wildcards)."""
    pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in text)
    return re.compile(pattern, re.IGNORECASE | re.DOTALL).search


def ranking(rule_set: CreditRuleSet, as_of: date, *, q: str | None = None, grade: str | None = None,
            street_id: int | None = None, sort: str | None = None) -> list[TableRow]:
    """The ranking's rows (page, export and API): the score table with the list's filters.

    ``street_id`` keeps the companies managing an estate of that street; ``sort`` is a
    key of ``RANKING_SORTS`` (best total first by default). ``position`` is the place among
    all the companies scored, whatever the filters. The list may be the cache's own: read it only.
    """
    rows = cached_table(rule_set, as_of).sorted(sort)
    if q and q.strip():
        search = _like(q.strip())
        rows = [r for r in rows if search(r.name) or search(r.credit_code)]
    if grade:
        rows = [r for r in rows if r.grade_code == grade]
    if street_id:
        managing = set(db.session.scalars(select(Estate.company_id).distinct().where(
            Estate.street_id == street_id, Estate.archived_at.is_(None), Estate.company_id.is_not(None))))
        rows = [r for r in rows if r.company_id in managing]
    return rows


def grade_counts(rule_set: CreditRuleSet, as_of: date) -> dict[str, dict]:
    """Per grade: how many companies, and the lowest and highest score among them."""
    counts = cached_table(rule_set, as_of).counts
    return {g.code: dict(counts.get(g.code, {"count": 0, "min": None, "max": None})) for g in rule_set.grades}


class ListPagination(Pagination):
    """Paginates a list already in memory (``rows=``), for the templates' ``pagination`` macro."""

    def _query_items(self):
        return self._query_args["rows"][self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


# --- explanation -------------------------------------------------------------

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
    from flask_babel import gettext as _

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


def band_for(rule_set: CreditRuleSet, total: Decimal) -> CreditGrade:
    bands, lowest = _banded(rule_set)
    return next((g for g in bands if total >= g.min_score), lowest)


def grade_for(rule_set: CreditRuleSet, total: Decimal, *, has_blacklist: bool, has_veto: bool, has_bad: bool,
              has_part: dict[str, bool]) -> tuple[CreditGrade, str | None]:
    """Python twin of the SQL grade: the first override that applies, else the band."""
    for override in rule_set.overrides or []:
        kind, grade = override["kind"], rule_set.grade(override["grade"])
        if kind == "blacklist" and has_blacklist:
            return grade, kind
        if kind == "missing_record" and not has_part.get(override["part"]):
            return grade, kind
        if kind == "veto" and has_veto:
            if grade.min_score is None or total >= grade.min_score:
                return grade, kind
            return band_for(rule_set, total), kind
        if kind == "no_bad_record_floor" and total < Decimal(str(override["below"])) and not has_bad:
            return grade, kind
    return band_for(rule_set, total), None


def override_note(rule_set: CreditRuleSet, kind: str) -> str:
    """What an override did, in words, for pages and the report."""
    from flask_babel import gettext as _

    override = rule_set.override(kind) or {}
    grade = rule_set.grade(override.get("grade"))
    label = grade.label if grade else override.get("grade", "")
    if kind == "blacklist":
        return _("存在有效的严重失信记录：评为“%(grade)s”并列入黑名单，不论得分。", grade=label)
    if kind == "missing_record":
        return _("无有效的基本信息记录（未登记信用信息）：评为“%(grade)s”。", grade=label)
    if kind == "veto":
        return _("存在有效的一票否决记录：等级不高于“%(grade)s”。", grade=label)
    if kind == "no_bad_record_floor":
        return _("得分低于 %(below)s 分但无有效不良记录：评为“%(grade)s”。", below=override.get("below"),
                 grade=label)
    return kind


@dataclass
class CompanyRecords:
    """One company's events and managed area, loaded once for several explanations."""

    events: list[CreditEvent]
    total_area: Decimal | None
    items: dict[int, dict[str, CreditRuleItem]] = field(default_factory=dict)  # rule set id → code → item

    def items_of(self, rule_set: CreditRuleSet) -> dict[str, CreditRuleItem]:
        if rule_set.id not in self.items:
            self.items[rule_set.id] = {i.code: i for i in db.session.scalars(
                select(CreditRuleItem).where(CreditRuleItem.rule_set_id == rule_set.id))}
        return self.items[rule_set.id]


def company_records(company, *, include_drafts: bool = True) -> CompanyRecords:
    statement = (select(CreditEvent).where(CreditEvent.company_id == company.id)
                 .options(selectinload(CreditEvent.item), selectinload(CreditEvent.estate),
                          selectinload(CreditEvent.staff), selectinload(CreditEvent.objection))
                 .order_by(CreditEvent.occurred_on.desc(), CreditEvent.id.desc()))
    if not include_drafts:
        statement = statement.where(CreditEvent.status != EventStatus.DRAFT)
    total_area = db.session.scalar(
        select(func.sum(Estate.floor_area)).where(Estate.company_id == company.id, Estate.archived_at.is_(None)))
    return CompanyRecords(list(db.session.scalars(statement)), Decimal(str(total_area)) if total_area else None)


def explain(company, rule_set: CreditRuleSet, as_of: date | None = None, *, include_drafts: bool = True,
            records: CompanyRecords | None = None) -> Explanation:
    """One company's score, event by event (the Python twin of ``score_table``, tested equal to it)."""
    as_of = as_of or local_today()
    records = records or company_records(company, include_drafts=include_drafts)
    events, total_area = records.events, records.total_area
    items = records.items_of(rule_set)
    part_lines = {p.id: PartLine(p.code, p.name, p.kind, p.cap, Decimal("0"), Decimal("0")) for p in rule_set.parts}
    not_counting: list[EventLine] = []
    has_blacklist = has_veto = has_bad = False
    for event in events:
        item = items.get(event.item.code)
        if item is None or not counts_on(event, as_of):
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
