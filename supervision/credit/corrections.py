"""Corrections after publication (更正公告).

A publication is frozen; when a record behind it is later revoked or changed, ``stale_rows`` shows which
published rows would now come out differently (recomputed as of the publication's day, under its rule set,
with today's records). The bureau then issues a numbered correction notice whose rows supersede the
originals wherever the publication is shown; the originals stay stored and visible as 原发布.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, func, or_, select

from ..audit.services import record
from ..companies.models import Company
from ..core import figures, generations
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..extensions import db
from . import changes, scoring, standings
from .models import (
    SCORES_TOPIC,
    CreditCorrection,
    CreditCorrectionRow,
    CreditPublication,
    CreditPublicationRow,
)


@dataclass
class Figures:
    total: Decimal
    grade_code: str
    grade_label: str
    grade_rank: int
    red: bool
    black: bool

    def key(self) -> tuple:
        return (Decimal(self.total).quantize(Decimal("0.01")), self.grade_code, bool(self.red), bool(self.black))


@dataclass
class StaleRow:
    row: CreditPublicationRow
    before: Figures  # as now shown (the latest correction's figures, else the published ones)
    after: Figures  # recomputed with today's records


def original_figures(row: CreditPublicationRow) -> Figures:
    return Figures(row.total, row.grade_code, row.grade_label, row.grade_rank, row.red, row.black)


def corrected_figures(correction_row: CreditCorrectionRow) -> Figures:
    c = correction_row
    return Figures(c.new_total, c.new_grade_code, c.new_grade_label, c.new_grade_rank, c.new_red, c.new_black)


def latest_corrections(row_ids) -> dict[int, CreditCorrectionRow]:
    """Publication row id → its latest correction row (with its notice loaded)."""
    row_ids = list(row_ids)
    if not row_ids:
        return {}
    found = db.session.scalars(
        select(CreditCorrectionRow).join(CreditCorrectionRow.correction)
        .where(CreditCorrectionRow.publication_row_id.in_(row_ids))
        .order_by(CreditCorrection.issued_at, CreditCorrection.id))
    return {c.publication_row_id: c for c in found}  # later ones overwrite earlier ones


def latest_correction_id(row_id):
    """The id of the latest correction row of the publication row ``row_id`` (a column: a correlated
    subquery), the one ``latest_corrections`` picks."""
    return (select(CreditCorrectionRow.id)
            .join(CreditCorrection, CreditCorrection.id == CreditCorrectionRow.correction_id)
            .where(CreditCorrectionRow.publication_row_id == row_id)
            .order_by(CreditCorrection.issued_at.desc(), CreditCorrection.id.desc())
            .limit(1).scalar_subquery())


def shown_figures(rows) -> dict[int, tuple[Figures, CreditCorrectionRow | None]]:
    """Row id → (the figures to show, the correction behind them or None)."""
    latest = latest_corrections(r.id for r in rows)
    return {r.id: ((corrected_figures(latest[r.id]), latest[r.id]) if r.id in latest else (original_figures(r), None))
            for r in rows}


def corrections_of(publication: CreditPublication) -> list[CreditCorrection]:
    return list(db.session.scalars(select(CreditCorrection).where(CreditCorrection.publication_id == publication.id)
                                   .order_by(CreditCorrection.issued_at, CreditCorrection.id)))


def all_rows(publication: CreditPublication) -> list[CreditPublicationRow]:
    return list(db.session.scalars(select(CreditPublicationRow)
                                   .where(CreditPublicationRow.publication_id == publication.id)
                                   .order_by(CreditPublicationRow.position, CreditPublicationRow.company_name)))


_UNCHANGED = object()
_STATEMENTS: dict = {}  # (rule set's definition, day) → the statement of _rescored; see _rescored_statement
_STATEMENTS_SIZE = 16


def _rescored_statement(rule_set, as_of: date):
    """The publication's rows (a bound parameter) beside their score of ``as_of``, built once per process: building
    the score expressions costs a third of running them, and depends on the rule set's definition and the day
    only (no data cache: a change of the credit data reuses it)."""
    key = (standings.rule_set_definition(rule_set), as_of)
    statement = _STATEMENTS.get(key)
    if statement is None:
        table = scoring.score_table(rule_set, as_of)
        row = CreditPublicationRow
        statement = (select(row.company_id, row.total, row.grade_code, row.red, row.black,
                            table.c.total, table.c.grade, table.c.grade_rank, table.c.red, table.c.black)
                     .outerjoin(table, table.c.company_id == row.company_id)
                     .where(row.publication_id == bindparam("rescored_publication_id", type_=Integer)))
        if len(_STATEMENTS) >= _STATEMENTS_SIZE:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    return statement


def _rescored(publication_id: int, rule_set, as_of: date):
    """Company id → its figures as now scored on ``as_of`` (``(total, grade code, grade rank, red, black)``), for
    the publication's companies whose score now differs from the one published, or None for those no longer
    scored (e.g. archived). One query: the score table of the day joined to the publication's rows, compared
    here; the companies whose score is unchanged (nearly all) are left out, so what is kept is small."""
    found = db.session.execute(_rescored_statement(rule_set, as_of), {"rescored_publication_id": publication_id})
    cents: dict = {}  # the same few totals recur

    def cent(value):
        found = cents.get(value)
        if found is None:
            found = cents[value] = Decimal(value).quantize(Decimal("0.01"))
        return found

    out = {}
    for company_id, was_total, was_grade, was_red, was_black, total, grade, rank, red, black in found:
        if grade is None:
            out[company_id] = None
            continue
        now = (cent(total), grade, bool(red), bool(black))
        if now != (cent(was_total), was_grade, bool(was_red), bool(was_black)):
            out[company_id] = (now[0], grade, int(rank), now[2], now[3])
    return out


RESCORED_CACHE = "credit_rescored_publications"


def _rescored_key(publication_id: int, rule_set_id: int, as_of: date) -> str:
    return f"{publication_id}|{rule_set_id}|{as_of.isoformat()}"


def _rescored_payload(rescored: dict) -> dict:
    return {str(company_id): None if now is None else [str(now[0]), *now[1:]] for company_id, now in rescored.items()}


def _rescored_from_payload(payload: dict):
    cents: dict[str, Decimal] = {}
    out = {}
    for company_id, now in payload.items():
        if now is not None:
            total = cents.get(now[0])
            if total is None:
                total = cents[now[0]] = Decimal(now[0])
            now = (total, now[1], int(now[2]), bool(now[3]), bool(now[4]))
        out[int(company_id)] = now
    return MappingProxyType(out)


def _stored_rescored(publication_id: int, rule_set_id: int, as_of: date):
    """What the committing transaction stored for this publication (``core.figures``), or None."""
    key = _rescored_key(publication_id, rule_set_id, as_of)
    stored = figures.load(RESCORED_CACHE, generations.current(SCORES_TOPIC), [key])
    return _rescored_from_payload(stored[key]) if key in stored else None


def _latest_publication():
    return db.session.execute(select(CreditPublication.id, CreditPublication.rule_set_id, CreditPublication.as_of)
                              .order_by(CreditPublication.published_at.desc(), CreditPublication.id.desc())
                              .limit(1)).first()


def _precompute_keys() -> list[str]:
    latest = _latest_publication()
    return [_rescored_key(*latest)] if latest else []


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    """The latest publication's rescoring (the one a correction is issued for), computed by the transaction that
    changed the credit data: the correction check's first request after a change reads it instead of rescoring
    the district as of the publication's day (~100 ms at 100×, paid once by the writer)."""
    latest = _latest_publication()
    if latest is None or _rescored_key(*latest) not in keys:
        return {}
    publication_id, rule_set_id, as_of = latest
    key = _rescored_key(*latest)
    rule_set = scoring.load_rule_set(rule_set_id)
    payload = _changed_payload(publication_id, rule_set, as_of, key)
    if payload is None:
        payload = _rescored_payload(_rescored(publication_id, rule_set, as_of))
    return {key: figures.Entry(payload)}


def _changed_payload(publication_id: int, rule_set, as_of: date, key: str) -> dict | None:
    """The rescoring stored for the generation before, with the companies whose credit records this transaction
    changed (``changes``) rescored alone and compared again (as ``_rescored``); None when the change is not only such
    records, or nothing was stored before."""
    traced = changes.traced_change(RESCORED_CACHE, key)
    if traced is None:
        return None
    companies, previous = traced
    row = CreditPublicationRow
    found = db.session.execute(
        select(row.company_id, row.total, row.grade_code, row.red, row.black, Company.archived_at)
        .join(Company, Company.id == row.company_id)
        .where(row.publication_id == publication_id, row.company_id.in_(sorted(companies)))).all()
    quantum = Decimal("0.01")
    rescored = {}
    for company_id, was_total, was_grade, was_red, was_black, archived_at in found:
        previous.pop(str(company_id), None)
        if archived_at is not None:  # not scored by the district's table
            rescored[company_id] = None
            continue
        now = standings.company_row(rule_set, as_of, company_id)
        if now is None:
            rescored[company_id] = None
            continue
        figures_now = (now.total.quantize(quantum), now.grade_code, now.red, now.black)
        if figures_now != (Decimal(was_total).quantize(quantum), was_grade, bool(was_red), bool(was_black)):
            rescored[company_id] = (figures_now[0], now.grade_code, int(now.grade_rank), now.red, now.black)
    return {**previous, **_rescored_payload(rescored)}


figures.register(figures.Precomputed(SCORES_TOPIC, RESCORED_CACHE, _precompute_keys, _precompute))


def stale_rows(publication: CreditPublication) -> list[StaleRow]:
    """Rows whose score, grade or red/black listing would now differ from what is shown for them.

    The companies whose score as of the publication's day (its rule set, today's records) differs from the
    published one, kept per process until the credit data change (``_rescored``; the same scores as
    ``scoring.scores``); then only those rows and the corrected ones are read, with their latest corrections
    (a corrected row is stale when its correction's figures differ from the score now)."""
    rule_set = publication.rule_set
    size = current_app.config.get("CREDIT_SCORE_CACHE_SIZE", 8)
    rescored = generations.cached(SCORES_TOPIC, RESCORED_CACHE, size, (publication.id, rule_set.id, publication.as_of),
                                  lambda: _rescored(publication.id, rule_set, publication.as_of),
                                  stored=lambda: _stored_rescored(publication.id, rule_set.id, publication.as_of))
    latest = {c.publication_row_id: c for c in db.session.scalars(
        select(CreditCorrectionRow).join(CreditCorrectionRow.correction)
        .where(CreditCorrection.publication_id == publication.id)
        .order_by(CreditCorrection.issued_at, CreditCorrection.id))}  # later ones overwrite earlier ones
    if not rescored and not latest:
        return []
    statement = (
        select(CreditPublicationRow.id, CreditPublicationRow.company_id, CreditPublicationRow.company_name,
               CreditPublicationRow.total, CreditPublicationRow.grade_code, CreditPublicationRow.grade_label,
               CreditPublicationRow.grade_rank, CreditPublicationRow.red, CreditPublicationRow.black)
        .where(CreditPublicationRow.publication_id == publication.id)
        .order_by(CreditPublicationRow.position, CreditPublicationRow.company_name))
    if len(rescored) + len(latest) <= 500:  # else (a rule change moved most scores) all the rows
        statement = statement.where(or_(CreditPublicationRow.company_id.in_(list(rescored)),
                                        CreditPublicationRow.id.in_(list(latest))))
    labels = {grade.code: grade.label for grade in rule_set.grades}
    quantum = Decimal("0.01")
    out = []
    for row in db.session.execute(statement):
        now = rescored.get(row[1], _UNCHANGED)
        if now is None:  # company no longer scored (e.g. archived): nothing to compare with
            continue
        if now is _UNCHANGED:
            now = (Decimal(row[3]).quantize(quantum), row[4], int(row[6]), bool(row[7]), bool(row[8]))
        shown = latest.get(row[0])
        before_key = ((Decimal(shown.new_total).quantize(quantum), shown.new_grade_code, bool(shown.new_red),
                       bool(shown.new_black))
                      if shown is not None else (Decimal(row[3]).quantize(quantum), row[4], bool(row[7]), bool(row[8])))
        total, grade_code, grade_rank, red, black = now
        if (total, grade_code, red, black) == before_key:
            continue
        after = Figures(total, grade_code, labels.get(grade_code, grade_code), grade_rank, red, black)
        out.append(StaleRow(row, corrected_figures(shown) if shown is not None else original_figures(row), after))
    return out


def next_number(year: int) -> tuple[int, str]:
    seq = (db.session.scalar(select(func.max(CreditCorrection.seq)).where(CreditCorrection.year == year)) or 0) + 1
    return seq, f"更正〔{year}〕{seq}号"


def issue_correction(publication: CreditPublication, *, reason: str, actor=None,
                     on: date | None = None) -> CreditCorrection:
    """Issue a correction notice for every stale row of ``publication``."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写更正理由。"), field="reason")
    stale = stale_rows(publication)
    if not stale:
        raise DomainError(_("该发布的结果与现有记录一致，无需更正。"))
    year = (on or local_today()).year
    seq, number = next_number(year)
    correction = CreditCorrection(publication_id=publication.id, year=year, seq=seq, number=number, reason=reason,
                                  issued_by_id=getattr(actor, "id", None))
    db.session.add(correction)
    db.session.flush()
    for s in stale:
        db.session.add(CreditCorrectionRow(
            correction_id=correction.id, publication_row_id=s.row.id, company_id=s.row.company_id,
            company_name=s.row.company_name, old_total=s.before.total, new_total=s.after.total,
            old_grade_label=s.before.grade_label, new_grade_code=s.after.grade_code,
            new_grade_label=s.after.grade_label, new_grade_rank=s.after.grade_rank, old_red=s.before.red,
            new_red=s.after.red, old_black=s.before.black, new_black=s.after.black))
    db.session.flush()
    record("credit.correction", correction, after={
        "publication": publication.name, "number": number, "reason": reason,
        "rows": [{"company": s.row.company_name, "before": f"{s.before.total} {s.before.grade_label}",
                  "after": f"{s.after.total} {s.after.grade_label}", "red": [s.before.red, s.after.red],
                  "black": [s.before.black, s.after.black]} for s in stale]}, actor=actor)
    return correction


def listed(publication: CreditPublication) -> tuple[list, list]:
    """The red and black lists as now in force (corrections applied): (row, figures, correction) triples."""
    rows = all_rows(publication)
    shown = shown_figures(rows)
    triples = [(r, *shown[r.id]) for r in rows]
    return [t for t in triples if t[1].red], [t for t in triples if t[1].black]
