"""The three rates (三率) and repair timeliness (维修及时率), from one function each, in SQL.

Over the complaints received in a period (repeats excluded: they are linked, not counted):
- 响应率 responded (or resolved) by the response deadline ÷ received;
- 按期办结率 resolved by the resolution deadline ÷ received;
- 满意率 满意 or 基本满意 ÷ called back (the latest callback counts).
维修及时率: repair requests resolved by their deadline ÷ repair requests received.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, case, func, select

from ..companies.models import Company
from ..core import generations
from ..core.timeutil import LOCAL_TZ
from ..extensions import db
from ..regions.models import Street
from .models import Complaint, Kind, Satisfaction, Verdict

C = Complaint


@dataclass(frozen=True)
class Rates:
    key: int | None
    received: int = 0
    responded: int = 0
    resolved: int = 0
    called_back: int = 0
    satisfied: int = 0

    @staticmethod
    def _rate(num, den):
        return None if not den else num / den

    @property
    def response_rate(self):
        return self._rate(self.responded, self.received)

    @property
    def resolution_rate(self):
        return self._rate(self.resolved, self.received)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.called_back)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, month, 1), time.min, tzinfo=LOCAL_TZ)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return start, datetime.combine(nxt, time.min, tzinfo=LOCAL_TZ)


def _on_time_response():
    done = func.coalesce(C.responded_at, C.resolved_at)
    return func.sum(case((done.is_not(None) & (done <= C.response_due_at), 1), else_=0))


def _on_time_resolution():
    return func.sum(case((C.resolved_at.is_not(None) & (C.resolved_at <= C.resolution_due_at), 1), else_=0))


def period_clause(start: datetime, end: datetime, kind: Kind = Kind.COMPLAINT):
    return (C.kind == kind) & C.repeat_of_id.is_(None) & (C.received_at >= start) & (C.received_at < end)


def grouped(by, start: datetime, end: datetime, *, kind: Kind = Kind.COMPLAINT, where=None) -> list[Rates]:
    """One ``Rates`` per value of ``by`` (C.street_id, C.company_id, C.estate_id), in one query."""
    statement = (select(by, func.count(C.id), _on_time_response(), _on_time_resolution(),
                        func.sum(case((C.satisfaction.is_not(None), 1), else_=0)),
                        func.sum(case((C.satisfaction.in_([Satisfaction.SATISFIED, Satisfaction.BASIC]), 1),
                                      else_=0)))
                 .where(period_clause(start, end, kind), by.is_not(None)).group_by(by))
    if where is not None:
        statement = statement.where(where)
    return [Rates(key, n, int(r or 0), int(s or 0), int(cb or 0), int(sat or 0))
            for key, n, r, s, cb, sat in db.session.execute(statement)]


def _total_columns():
    return (func.count(C.id), _on_time_response(), _on_time_resolution(),
            func.sum(case((C.satisfaction.is_not(None), 1), else_=0)),
            func.sum(case((C.satisfaction.in_([Satisfaction.SATISFIED, Satisfaction.BASIC]), 1), else_=0)))


def _rates_of(row) -> Rates:
    n, r, s, cb, sat = row
    return Rates(None, n or 0, int(r or 0), int(s or 0), int(cb or 0), int(sat or 0))


def total(start: datetime, end: datetime, *, kind: Kind = Kind.COMPLAINT, where=None) -> Rates:
    statement = select(*_total_columns()).where(period_clause(start, end, kind))
    if where is not None:
        statement = statement.where(where)
    return _rates_of(db.session.execute(statement).one())


@cache
def _estate_total_statement():
    # Built once: the public estate sheet asks for it on every fresh render.
    moment = C.received_at.type
    return select(*_total_columns()).where(
        period_clause(bindparam("start", type_=moment), bindparam("end", type_=moment)),
        C.estate_id == bindparam("estate_id"))


def estate_total(start: datetime, end: datetime, estate_id: int) -> Rates:
    """``total`` of one estate's complaints (not repairs)."""
    statement = _estate_total_statement()
    return _rates_of(db.session.execute(statement, {"start": start, "end": end, "estate_id": estate_id}).one())


def drill_clause(measure: str, start: datetime, end: datetime, kind: Kind = Kind.COMPLAINT):
    """The complaints behind a figure: ``measure`` 'received', 'late_response', 'late_resolution',
    'unsatisfied'."""
    clause = period_clause(start, end, kind)
    done = func.coalesce(C.responded_at, C.resolved_at)
    if measure == "late_response":
        clause &= done.is_(None) | (done > C.response_due_at)
    elif measure == "late_resolution":
        clause &= C.resolved_at.is_(None) | (C.resolved_at > C.resolution_due_at)
    elif measure == "unsatisfied":
        clause &= C.satisfaction == Satisfaction.UNSATISFIED
    return clause


def verified_counts(since: date) -> dict[int, int]:
    """Complaints verified as true per company since ``since`` (repeats excluded)."""
    start = datetime.combine(since, time.min, tzinfo=LOCAL_TZ)
    rows = db.session.execute(select(C.company_id, func.count(C.id)).where(
        C.verdict == Verdict.VALID, C.verified_at >= start, C.company_id.is_not(None), C.repeat_of_id.is_(None))
        .group_by(C.company_id))
    return {company_id: n for company_id, n in rows}


MEASURES = ("received", "late_response", "late_resolution", "unsatisfied")


@dataclass(frozen=True)
class Row:
    key: int
    name: str
    complaints: Rates
    repairs: Rates
    rank: int | None = None


RATES_TOPIC = "complaint_rates"
generations.watch(RATES_TOPIC, Complaint)
generations.watch(RATES_TOPIC, Street, attributes={"name"})
generations.watch(RATES_TOPIC, Company, attributes={"name"})


def monthly_table(by: str, start: datetime, end: datetime, user) -> tuple[list[Row], Rates, Rates]:
    """The rates page: one row per street (or company) the user may see, ranked by on-time resolution
    then response then satisfaction; the district's (or the street's) totals; repair timeliness.
    Kept per process until the register changes (the "complaint_rates" data generation)."""
    street_id = user.street_id if user.is_street else None
    config = current_app.config
    # Its own setting, else the dashboard's (the rates are part of the dashboard's figures); 0: no cache.
    size = config.get("COMPLAINT_RATES_CACHE_SIZE", config.get("DASHBOARD_CACHE_SIZE", 16))
    if size <= 0:
        return _monthly_table(by, start, end, street_id)
    return generations.cached(RATES_TOPIC, "complaint_rates", size, (by, start, end, street_id),
                              lambda: _monthly_table(by, start, end, street_id))


def _monthly_table(by: str, start: datetime, end: datetime, street_id: int | None):
    column = C.street_id if by == "street" else C.company_id
    model = Street if by == "street" else Company
    # One GROUP BY for both kinds, the groups and the totals (``grouped`` and ``total`` of each kind: the
    # totals also count the complaints of no street or company yet); the covering ix_complaints_kind_received
    # answers it without reading the table.
    statement = (select(column, C.kind, *_total_columns())
                 .where(C.kind.in_((Kind.COMPLAINT, Kind.REPAIR)), C.repeat_of_id.is_(None),
                        C.received_at >= start, C.received_at < end)
                 .group_by(column, C.kind))
    if street_id is not None:
        statement = statement.where(C.street_id == street_id)
    groups = {Kind.COMPLAINT: {}, Kind.REPAIR: {}}
    totals = {Kind.COMPLAINT: Rates(None), Kind.REPAIR: Rates(None)}
    for key, kind, *figures in db.session.execute(statement):
        rates = _rates_of(figures)
        totals[kind] = _sum(totals[kind], rates)
        if key is not None:
            groups[kind][key] = replace(rates, key=key)
    complaints, repairs = groups[Kind.COMPLAINT], groups[Kind.REPAIR]
    keys = set(complaints) | set(repairs)
    names = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(keys))).all()) if keys else {}
    rows = [Row(k, names.get(k, "-"), complaints.get(k, Rates(k)), repairs.get(k, Rates(k))) for k in keys]

    def order(row: Row):
        r = row.complaints
        return (-(r.resolution_rate or 0), -(r.response_rate or 0), -(r.satisfaction_rate or 0), row.name)

    rows.sort(key=order)
    rows = [replace(row, rank=position if row.complaints.received else None) for position, row in enumerate(rows, 1)]
    return rows, totals[Kind.COMPLAINT], totals[Kind.REPAIR]


def _sum(a: Rates, b: Rates) -> Rates:
    return Rates(a.key, a.received + b.received, a.responded + b.responded, a.resolved + b.resolved,
                 a.called_back + b.called_back, a.satisfied + b.satisfied)


def repair_timeliness(start: datetime, end: datetime, *, street_id: int | None = None) -> Rates:
    """维修及时率 over a period (for the targets indicator): ``resolution_rate`` of the repairs."""
    return total(start, end, kind=Kind.REPAIR, where=(C.street_id == street_id) if street_id else None)
