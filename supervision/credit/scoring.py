"""Scores and grades, computed in SQL from the events that count on a day.

``score_table(rule_set, as_of)`` is one SQL statement (a subquery) with a row per
company: each part of the formula after its cap, the total, the grade after the
overrides, and red/black-list membership. The ranking, the dashboard, the
publication and the report all read it, so they agree by construction.

``standings`` keeps the table per process for the ranking; ``explanation.explain(company, ...)``
itemises one company's score event by event, for the credit page and the report; the tests check
that it agrees with the SQL.

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

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, literal_column, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import BindParameter

from ..companies.models import Company
from ..estates.handover import company_area_days, company_areas_on
from ..estates.models import Estate
from ..extensions import db
from .models import POINTS, CreditEvent, CreditGrade, CreditRuleItem, CreditRuleSet, EventStatus, ListKind, PartKind

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


def managed_areas(as_of: date, company_id: int | None = None):
    """Per company: the floor area of the estates it managed on ``as_of`` (from the management history,
    so a score as of a past date weighs a project manager's estate against that day's portfolio)."""
    if company_id is not None:
        days = company_area_days(company_id, [as_of]).subquery()
        # ``company_id`` may be a bound parameter (``standings``' one-company statement, built once per rule set)
        key = company_id if isinstance(company_id, BindParameter) else literal(company_id)
        return select(key.label("company_id"), days.c.total_area).subquery("credit_areas")
    return company_areas_on(as_of).subquery("credit_areas")


def _flag_parts(rule_set) -> list[str]:
    return [o["part"] for o in rule_set.overrides or [] if o["kind"] == "missing_record"]


def event_aggregate(rule_set: CreditRuleSet, as_of: date, company_id: int | None = None):
    """Per company: each part's raw sum and the flags the overrides need (``company_id``: that company's
    row alone)."""
    # Core aliases (``.c``), not ORM ``aliased()``: cheaper to build, the same SQL.
    recorded_table = CreditRuleItem.__table__.alias("recorded_item")
    item_table = CreditRuleItem.__table__.alias("scoring_item")
    estate_table = Estate.__table__.alias("event_estate")
    recorded, item, estate = recorded_table.c, item_table.c, estate_table.c
    areas = managed_areas(as_of, company_id) if rule_set.pm_weighting == "area" else None
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
    statement = (select(*columns)
                 .join(recorded_table, recorded.id == CreditEvent.item_id)
                 .join(item_table, and_(item.code == recorded.code, item.rule_set_id == rule_set.id))
                 .outerjoin(estate_table, estate.id == CreditEvent.estate_id))
    if areas is not None:
        statement = statement.outerjoin(areas, areas.c.company_id == CreditEvent.company_id)
    if company_id is not None:
        statement = statement.where(CreditEvent.company_id == company_id)
    return statement.where(counting_clause(as_of)).group_by(CreditEvent.company_id).subquery("credit_event_sums")


def score_table(rule_set: CreditRuleSet, as_of: date, *, include_archived: bool = False,
                company_id: int | None = None):
    """A subquery with one row per company (see ``ScoreRow`` for the columns); ``company_id``: that
    company's row alone, from its own events (its ``position`` is then 1, not its place in the ranking)."""
    sums = event_aggregate(rule_set, as_of, company_id)
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
        select(Company.id.label("company_id"), Company.name.label("name"), Company.name_sort.label("name_sort"),
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
    if company_id is not None:
        inner = inner.where(Company.id == company_id)
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
    statement = select(table).order_by(table.c.total.desc(), table.c.name_sort)
    if company_ids is not None:
        statement = statement.where(table.c.company_id.in_(list(company_ids)))
    return [row_to_score(rule_set, row) for row in db.session.execute(statement)]


# --- grades ----------------------------------------------------------------

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


def override_notes(rule_set: CreditRuleSet) -> dict[str, str]:
    """Each override of the rule set, in words (the rule set page)."""
    return {o["kind"]: override_note(rule_set, o["kind"]) for o in rule_set.overrides or []}
