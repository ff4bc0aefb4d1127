"""The ranking's score table, computed once per generation of the credit data and kept per process.

The ranking, its export and the API's ranking, the grade counts and a company's place read the
whole score table of (rule set, day) (``scoring.score_table``), computed once per generation of the
credit data (see ``supervision/core/generations.py``: any change to what scores depend on changes it)
and kept per process. The rows hold no ORM objects, so they outlive the request that computed them,
and everything in the table is immutable (tuples, read-only mappings, frozen dataclasses): every
request of the process shares it. A company's score without its place (its credit page, the company page,
the landing page) is that company's row alone, kept the same way (``company_score(…, position=False)``),
so a change to the credit data does not make those pages recompute the district's table.

Today's table of the rule set in force is also computed by the transaction that changes the credit data and
stored for every worker (``core.figures``): a worker's first request after a change rebuilds it from that
stored copy (one query, no scoring) instead of scoring the district.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import Integer, bindparam, func, select

from ..companies.models import Company
from ..core import figures, generations
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..documents.excel import Column
from ..estates.models import Estate
from ..extensions import db
from . import changes, markup
from .models import SCORES_TOPIC, CreditRuleSet
from .scoring import ScoreRow, load_rule_set, override_note, q, row_to_score, score_table
from .services import rule_set_for


@dataclass(frozen=True, slots=True)
class TableRow:
    """One company's row of the score table (``ScoreRow`` without the ORM grade)."""

    company_id: int
    name: str
    name_sort: str  # the name's pinyin (core/sortkey.py)
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
    """The score table as the cache keeps it: shared by every request, so read-only throughout."""

    rows: Sequence[TableRow]  # best total first, then by name (a tuple, or the stored table's ``StoredRows``)
    by_company: Mapping[int, TableRow]
    counts: Mapping[str, Mapping]  # grade code → count, min and max total


def _sorted_indexes(rows: Sequence[TableRow], sort: str) -> tuple[int, ...]:
    ordered = list(range(len(rows)))
    for key, descending in reversed(RANKING_SORTS[sort]):  # stable: the later (more significant) sorts keep ties
        ordered.sort(key=lambda index, key=key: key(rows[index]), reverse=descending)
    return tuple(ordered)


def _table_select(rule_set: CreditRuleSet, table):
    codes = [p.code for p in rule_set.parts]
    return select(table.c.company_id, table.c.name, table.c.name_sort, table.c.credit_code,
                  *[table.c[f"part_{code}"] for code in codes], table.c.total, table.c.grade, table.c.grade_rank,
                  table.c.override, table.c.red, table.c.black, table.c.has_bad, table.c.event_count,
                  table.c.position)


def _table_rows(rule_set: CreditRuleSet, table, *, statement=None, params=None) -> list[TableRow]:
    """The rows of a ``score_table`` subquery as ``TableRow``s (``statement``: its ``_table_select``, built
    already; ``params``: its bound values)."""
    codes = [p.code for p in rule_set.parts]
    if statement is None:
        statement = _table_select(rule_set, table)
    cents: dict = {}  # the database's number → its Decimal of cents: the same few values recur across companies

    def cent(value):
        found = cents.get(value)
        if found is None:
            found = cents[value] = q(value)
        return found

    rows = []
    for (company_id, name, name_sort, credit_code, *values, total, grade, grade_rank, override, red, black, has_bad,
         event_count, position) in db.session.execute(statement, params or {}):
        rows.append(TableRow(
            company_id=company_id, name=name, name_sort=name_sort, credit_code=credit_code,
            parts=tuple(zip(codes, map(cent, values))), total=cent(total), grade_code=grade,
            grade_rank=int(grade_rank), override=override, red=bool(red), black=bool(black),
            has_bad=bool(has_bad), event_count=int(event_count or 0), position=int(position)))
    return rows


def _compute_table(rule_set: CreditRuleSet, as_of: date) -> Table:
    return _table_of(_table_rows(rule_set, score_table(rule_set, as_of)))


def _table_of(rows: list[TableRow]) -> Table:
    # Sorted here, not by the database, so that names order alike (by code point of their pinyin key) on every
    # backend.
    rows.sort(key=lambda r: (-r.total, r.name_sort, r.company_id))
    rows = tuple(rows)
    return Table(rows=rows, by_company=MappingProxyType({r.company_id: r for r in rows}), counts=_grade_counts(rows))


def _grade_counts(rows: tuple[TableRow, ...]) -> Mapping[str, Mapping]:
    counts: dict[str, dict] = {}
    for row in rows:  # best first: the first of a grade is its highest total, the last its lowest
        entry = counts.setdefault(row.grade_code, {"count": 0, "min": row.total, "max": row.total})
        entry["count"] += 1
        entry["min"] = row.total
    return MappingProxyType({code: MappingProxyType(entry) for code, entry in counts.items()})


TABLES_CACHE = "credit_score_tables"


def _stored_key(rule_set_id: int, as_of: date) -> str:
    return f"{rule_set_id}|{as_of.isoformat()}"


def _row_payload(row: TableRow) -> list:
    return [row.company_id, row.name, row.name_sort, row.credit_code, [str(value) for _code, value in row.parts],
            str(row.total), row.grade_code, row.grade_rank, row.override, row.red, row.black, row.has_bad,
            row.event_count, row.position]


class StoredRows(Sequence):
    """The stored table's rows (``_row_payload`` lists, best first), each made a ``TableRow`` when first read.

    A worker's first request after a change reads a page of 50 rows (or one company's): building all 3,000
    rows took longer than the rest of the request. A row once built is kept (the same object for every later
    reader); two requests building the same row at once each make an equal one, and either is kept."""

    def __init__(self, rule_set: CreditRuleSet, payload: list):
        self._payload = payload
        self._built: list[TableRow | None] = [None] * len(payload)
        self._codes = tuple(p.code for p in rule_set.parts)
        self._cents: dict[str, Decimal] = {}  # the same few numbers recur across companies
        self._parts: dict[tuple, tuple] = {}  # and so do whole rows of parts (a few dozen distinct ones at 100×)

    def __len__(self) -> int:
        return len(self._payload)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self._payload))))
        row = self._built[index]
        if row is None:
            row = self._built[index] = self._build(self._payload[index])
        return row

    def __iter__(self):
        return (self[i] for i in range(len(self._payload)))

    def _cent(self, text: str) -> Decimal:
        found = self._cents.get(text)
        if found is None:
            found = self._cents[text] = Decimal(text)
        return found

    def _build(self, values: list) -> TableRow:
        (company_id, name, name_sort, credit_code, parts, total, grade, grade_rank, override, red, black, has_bad,
         event_count, position) = values
        key = tuple(parts)
        shared = self._parts.get(key)
        if shared is None:
            shared = self._parts[key] = tuple(zip(self._codes, map(self._cent, parts), strict=True))
        return TableRow(company_id, name, name_sort, credit_code, shared, self._cent(total), grade, grade_rank,
                        override, red, black, has_bad, event_count, position)

    def company_index(self) -> dict[int, int]:
        return {values[0]: index for index, values in enumerate(self._payload)}

    def grade_counts(self) -> Mapping[str, Mapping]:
        """As ``_grade_counts``, from the stored numbers (no row built)."""
        counts: dict[str, dict] = {}
        for values in self._payload:  # best first: the first of a grade is its highest total, the last its lowest
            entry = counts.get(values[6])
            if entry is None:
                entry = counts[values[6]] = {"count": 0, "max": values[5]}
            entry["count"] += 1
            entry["min"] = values[5]
        return MappingProxyType({code: MappingProxyType({"count": entry["count"], "min": self._cent(entry["min"]),
                                                         "max": self._cent(entry["max"])})
                                 for code, entry in counts.items()})


class _RowsByCompany(Mapping):
    """Company id → its row of a ``StoredRows`` (only that row built)."""

    def __init__(self, rows: StoredRows):
        self._rows = rows
        self._index = rows.company_index()

    def __getitem__(self, company_id: int) -> TableRow:
        return self._rows[self._index[company_id]]

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self):
        return iter(self._index)


def _table_from_payload(rule_set: CreditRuleSet, payload: list) -> Table:
    """The table as stored (its rows in the table's order), its rows built as they are read (``StoredRows``)."""
    rows = StoredRows(rule_set, payload)
    return Table(rows=rows, by_company=_RowsByCompany(rows), counts=rows.grade_counts())


def _stored_table(rule_set: CreditRuleSet, as_of: date) -> Table | None:
    """The table the committing transaction stored for the current credit data (``core.figures``), or None."""
    key = _stored_key(rule_set.id, as_of)
    stored = figures.load(TABLES_CACHE, generations.current(SCORES_TOPIC), [key])
    return _table_from_payload(rule_set, stored[key]) if key in stored else None


def _precompute_keys() -> list[str]:
    try:
        rule_set = rule_set_for(local_today())
    except DomainError:  # no rules loaded yet: nothing to score
        return []
    return [_stored_key(rule_set.id, local_today())]


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    """Today's table of the rule set in force, computed in the transaction that changed the credit data: the rows of
    the companies it changed the records of, in the table stored for the generation before (``changes``), or the
    whole table."""
    today = local_today()
    rule_set = rule_set_for(today)
    key = _stored_key(rule_set.id, today)
    if key not in keys:
        return {}
    payload = _changed_payload(rule_set, today, key)
    if payload is None:
        payload = [_row_payload(row) for row in _compute_table(rule_set, today).rows]
    return {key: figures.Entry(payload)}


def _changed_payload(rule_set: CreditRuleSet, as_of: date, key: str) -> list | None:
    """The stored table of the generation before, with the rows of the companies this transaction changed the
    credit records of scored again (one statement each), sorted and placed as ``_table_of`` and ``rank()`` do; None
    when the change is not only such records, or nothing was stored before."""
    traced = changes.traced_change(TABLES_CACHE, key)
    if traced is None:
        return None
    companies, previous = traced
    rows = {values[0]: values for values in previous}
    for company_id in companies:
        if company_id in rows:  # else not scored (archived): archiving or adding a company writes the companies
            row = company_row(rule_set, as_of, company_id)
            rows[company_id] = _row_payload(row)
    totals = {company_id: Decimal(values[5]) for company_id, values in rows.items()}
    ordered = sorted(rows.values(), key=lambda values: (-totals[values[0]], values[2], values[0]))
    position, previous_total = 0, None
    for index, values in enumerate(ordered, start=1):
        total = totals[values[0]]
        if total != previous_total:  # competition rank: 1, 2, 2, 4 …
            position, previous_total = index, total
        values[13] = position
    return ordered


# Every change of the credit data stores today's table for every worker: a score depends on most of the
# credit data, so it is computed again (no inputs: never carried over), the changed companies' rows alone when the
# change was only some companies' records (``_changed_payload``).
figures.register(figures.Precomputed(SCORES_TOPIC, TABLES_CACHE, _precompute_keys, _precompute))


def cached_table(rule_set: CreditRuleSet, as_of: date) -> Table:
    """The score table of every active company, from the cache when the credit data has not changed."""
    size = current_app.config.get("CREDIT_SCORE_CACHE_SIZE", 8)
    return generations.cached(SCORES_TOPIC, TABLES_CACHE, size, (rule_set.id, as_of),
                              lambda: _compute_table(rule_set, as_of), stored=lambda: _stored_table(rule_set, as_of))


def sorted_rows(rule_set: CreditRuleSet, as_of: date, sort: str | None) -> Sequence[TableRow]:
    """The table's rows in a ``RANKING_SORTS`` order: each order sorted when first asked for and kept (as the
    rows' places) beside the table, under the same generation."""
    rows = cached_table(rule_set, as_of).rows  # best total first
    if sort not in RANKING_SORTS or sort == "-total":
        return rows
    size = current_app.config.get("CREDIT_SCORE_CACHE_SIZE", 8) * len(RANKING_SORTS)
    order = generations.cached(SCORES_TOPIC, "credit_score_orders", size, (rule_set.id, as_of, sort),
                               lambda: _sorted_indexes(rows, sort))
    return tuple(rows[index] for index in order)


_COMPANY_STATEMENTS: dict = {}  # (rule set's definition, day) → the one-company statement; see _company_statement
_COMPANY_STATEMENTS_SIZE = 64


def rule_set_definition(rule_set: CreditRuleSet) -> tuple:
    """What of a rule set the score SQL is built from (a rule set reloaded from the reference data in place keeps its
    id: its definition tells the statements apart)."""
    return (rule_set.id, rule_set.content_hash, str(rule_set.base_score), str(rule_set.min_total),
            str(rule_set.max_total), rule_set.pm_weighting, repr(rule_set.overrides),
            tuple((p.id, p.code, str(p.kind), str(p.cap)) for p in rule_set.parts),
            tuple((g.id, g.code, str(g.min_score), g.banded, g.rank, str(g.list_kind)) for g in rule_set.grades))


def _company_statement(rule_set: CreditRuleSet, as_of: date):
    """The one-company score statement of (rule set, day) with the company as a bound parameter, built once per
    process: building it (the grade and part expressions) costs more than running it, and it depends on the rule
    set's definition and the day only, never on the data (so it is no data cache: a change of the credit data
    reuses it)."""
    key = (rule_set_definition(rule_set), as_of)
    statement = _COMPANY_STATEMENTS.get(key)
    if statement is None:
        table = score_table(rule_set, as_of, include_archived=True,
                            company_id=bindparam("score_company_id", type_=Integer))
        statement = _table_select(rule_set, table)
        if len(_COMPANY_STATEMENTS) >= _COMPANY_STATEMENTS_SIZE:
            _COMPANY_STATEMENTS.clear()
        _COMPANY_STATEMENTS[key] = statement
    return statement


def company_row(rule_set: CreditRuleSet, as_of: date, company_id: int) -> TableRow | None:
    """One company's row from its own events (``position`` 0: its place needs the district's table)."""
    rows = _table_rows(rule_set, None, statement=_company_statement(rule_set, as_of),
                       params={"score_company_id": company_id})
    return dataclasses.replace(rows[0], position=0) if rows else None


def company_score(company, rule_set: CreditRuleSet, as_of: date, *, position: bool = True) -> ScoreRow | None:
    """One company's score; its position is its place in the ranking (an archived company: among all).

    Without ``position`` (the credit page, the company page, the landing page: ``position`` is then None) the
    district's table is read only when this process already holds it for the current data; otherwise this
    company's events alone are scored, and kept per process until the credit data changes: a change costs
    these pages one company's score, not the district's table."""
    if not position:
        table = generations.cached_if_present(SCORES_TOPIC, "credit_score_tables", (rule_set.id, as_of))
        row = table.by_company.get(company.id) if table is not None else None
        if row is None:
            size = current_app.config.get("CREDIT_SCORE_CACHE_SIZE", 8) * 64
            row = generations.cached(SCORES_TOPIC, "credit_company_scores", size, (rule_set.id, as_of, company.id),
                                     lambda: company_row(rule_set, as_of, company.id))
        if row is None:
            return None
        score = row.score(rule_set)
        score.position = None
        return score
    if company.archived_at is None:
        row = cached_table(rule_set, as_of).by_company.get(company.id)
        if row is not None:
            return row.score(rule_set)
    table = score_table(rule_set, as_of, include_archived=True)
    row = db.session.execute(select(table).where(table.c.company_id == company.id)).first()
    return row_to_score(rule_set, row) if row else None


def _by_name(r: TableRow):
    return r.name_sort


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
            street_id: int | None = None, sort: str | None = None) -> Sequence[TableRow]:
    """The ranking's rows (page, export and API): the score table with the list's filters.

    ``street_id`` keeps the companies managing an estate of that street; ``sort`` is a
    key of ``RANKING_SORTS`` (best total first by default). ``position`` is the place among
    all the companies scored, whatever the filters. The rows are the cache's own (immutable).
    """
    rows = sorted_rows(rule_set, as_of, sort)
    if q and q.strip():
        search = _like(q.strip())
        rows = tuple(r for r in rows if search(r.name) or search(r.credit_code))
    if grade:
        rows = tuple(r for r in rows if r.grade_code == grade)
    if street_id:
        managing = set(db.session.scalars(select(Estate.company_id).distinct().where(
            Estate.street_id == street_id, Estate.archived_at.is_(None), Estate.company_id.is_not(None))))
        rows = tuple(r for r in rows if r.company_id in managing)
    return rows


def ranked_count(*, street_id: int | None = None) -> int:
    """How many rows ``ranking`` holds without a search or grade filter (one count, no scores): the table scores
    every active company, whatever the rule set and day; ``street_id`` as in ``ranking``."""
    statement = select(func.count()).select_from(Company).where(Company.archived_at.is_(None))
    if street_id:
        statement = statement.where(Company.id.in_(select(Estate.company_id).where(
            Estate.street_id == street_id, Estate.archived_at.is_(None), Estate.company_id.is_not(None))))
    return db.session.scalar(statement)


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


@dataclass(frozen=True)
class Cells:
    """A ranking row's numbers as credit/_macros.html draws them (``credit.markup``)."""

    parts: tuple[Markup, ...]  # the points of each part of the rule set
    total: str
    bar: Markup  # the score bar
    lists: Markup  # the red / black list badges


def ranking_cells(row: ScoreRow, rule_set: CreditRuleSet, lists: dict | None = None) -> Cells:
    """Drawn here: Jinja macros and filters on every cell of 50 rows cost more than the rest of the row (``lists``:
    the list badges already drawn on the page, by (red, black): each translated once a page)."""
    flags = (bool(row.red), bool(row.black))
    badges = lists.get(flags) if lists is not None else None
    if badges is None:
        badges = markup.lists_badges(*flags)
        if lists is not None:
            lists[flags] = badges
    return Cells(parts=tuple(markup.points(row.parts[part.code]) for part in rule_set.parts),
                 total=f"{float(row.total):.2f}",
                 bar=markup.score_bar(row.total, 150 if rule_set.base_score > 0 else 120), lists=badges)


def ranking_columns(rule_set: CreditRuleSet) -> list[Column]:
    """The export's columns: as on the page, plus lists and overrides."""
    columns = [Column("position", _("名次"), width=8), Column("name", _("企业名称"), width=36),
               Column("credit_code", _("统一社会信用代码"), width=22)]
    columns += [Column(f"part_{p.code}", p.name, export=lambda r, code=p.code: r.parts[code], width=14)
                for p in rule_set.parts]
    columns += [Column("total", _("得分"), width=10),
                Column("grade", _("等级"), export=lambda r: r.grade.label, width=12),
                Column("lists", _("名单"), export=lambda r: _("红名单") if r.red else (_("黑名单") if r.black else ""),
                       width=10),
                Column("override", _("特别规定"), export=lambda r: override_note(rule_set, r.override)
                       if r.override else "", width=40),
                Column("event_count", _("有效记录数"), width=12)]
    return columns


def rule_set_for_ranking(rule_set_id: int | None, in_force: CreditRuleSet) -> CreditRuleSet | None:
    """The rule set a ranking is scored by: the one asked for (None if there is none), else the one in force."""
    return load_rule_set(rule_set_id) if rule_set_id else in_force
