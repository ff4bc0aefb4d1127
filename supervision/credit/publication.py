"""Publication: every company's result on a day frozen under the rule set in force then, with its red
and black lists."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlalchemy.orm import aliased

from ..audit.services import record
from ..core.errors import DomainError
from ..core.pagination import paginate_rows
from ..core.timeutil import local_today
from ..extensions import db
from ..regions.services import bureau_name
from . import corrections, scoring, services
from .models import (
    CreditCorrection,
    CreditCorrectionRow,
    CreditEvent,
    CreditPublication,
    CreditPublicationRow,
    CreditRuleItem,
    CreditRulePart,
    CreditRuleSet,
)


def latest(limit: int = 5) -> list[CreditPublication]:
    return list(db.session.scalars(select(CreditPublication).order_by(CreditPublication.published_at.desc())
                                   .limit(limit)))


def rows_of(statement, publication: CreditPublication) -> list[CreditPublicationRow]:
    """The publication's rows among ``statement`` (the user's visible rows), by position."""
    return list(db.session.scalars(
        statement.where(CreditPublicationRow.publication_id == publication.id)
        .order_by(CreditPublicationRow.position, CreditPublicationRow.company_name)))


def listed_rows(publication: CreditPublication) -> list[CreditPublicationRow]:
    """The publication's red- and black-listed rows (published lists are public), by position."""
    return list(db.session.scalars(select(CreditPublicationRow).where(
        CreditPublicationRow.publication_id == publication.id,
        or_(CreditPublicationRow.red.is_(True), CreditPublicationRow.black.is_(True)))
        .order_by(CreditPublicationRow.position)))


def _shown(publication: CreditPublication, statement=None, corrected: bool = True):
    """``select`` of the publication's rows (``statement``: the user's visible rows; None: all), with each
    row's latest correction row (None) when ``corrected``, and the figures now shown as columns: the
    correction's where there is one. A publication without corrections needs no join."""
    if statement is None:
        return _all_shown(publication.id, corrected)
    return _shown_of(statement, publication.id, corrected)


@lru_cache(maxsize=32)
def _all_shown(publication_id: int, corrected: bool):
    """``_shown`` of every row, built once per process for each publication (a statement, not data: what it reads
    is read when it runs; building it cost more than running it)."""
    return _shown_of(select(CreditPublicationRow), publication_id, corrected)


def _shown_of(statement, publication_id: int, corrected: bool):
    row = CreditPublicationRow
    base = statement.where(row.publication_id == publication_id)
    if not corrected:
        return base, None, {name: getattr(row, name) for name in SHOWN}
    # The latest correction row of each corrected row (as ``corrections.latest_corrections`` picks it), ranked
    # among the publication's few correction rows once, not looked up for each of its rows.
    fix, shown = _shown_columns()
    base = base.add_columns(fix).join_from(row, fix, and_(
        fix.publication_row_id == row.id, fix.id.in_(_latest_fix_ids(publication_id))), isouter=True)
    return base, fix, shown


@lru_cache(maxsize=32)
def _latest_fix_ids(publication_id: int):
    """``select`` of the ids of the latest correction row of each corrected row of the publication (built once per
    process for each publication)."""
    ranked = (select(CreditCorrectionRow.id, func.row_number().over(
        partition_by=CreditCorrectionRow.publication_row_id,
        order_by=(CreditCorrection.issued_at.desc(), CreditCorrection.id.desc())).label("n"))
        .join(CreditCorrection, CreditCorrection.id == CreditCorrectionRow.correction_id)
        .where(CreditCorrection.publication_id == publication_id).subquery())
    return select(ranked.c.id).where(ranked.c.n == 1)


def _corrected_count(publication: CreditPublication, listed: str) -> int:
    """How many rows the red (black) list now holds: the count stored at publication, plus the rows the latest
    corrections put on it, less those they took off (one query over the few correction rows, not the rows)."""
    moved = db.session.scalar(_moved_statement(publication.id, listed))
    return getattr(publication, f"{listed}_count") + int(moved or 0)


@lru_cache(maxsize=64)
def _moved_statement(publication_id: int, listed: str):
    """``_corrected_count``'s statement, built once per process for each publication and list."""
    fix, row = CreditCorrectionRow, CreditPublicationRow
    new, old = getattr(fix, f"new_{listed}"), getattr(row, listed)
    return (select(func.coalesce(func.sum(case((and_(new.is_(True), old.is_not(True)), 1),
                                               (and_(new.is_not(True), old.is_(True)), -1), else_=0)), 0))
            .join_from(fix, row, row.id == fix.publication_row_id)
            .where(fix.id.in_(_latest_fix_ids(publication_id))))


@cache
def _shown_columns():
    """The correction row's alias and the shown figures' columns, built once (building them costs more
    than the queries)."""
    fix = aliased(CreditCorrectionRow, name="shown_fix")
    row = CreditPublicationRow
    return fix, {name: func.coalesce(getattr(fix, f"new_{name}"), getattr(row, name)) for name in SHOWN}


SHOWN = ("red", "black", "grade_code", "grade_rank", "grade_label")


def shown_page(publication: CreditPublication, *, corrected: bool, statement=None, listed: str | None = None,
               grade: str | None = None, q: str | None = None, company_id: int | None = None, page: int = 1):
    """A page (``PER_PAGE`` rows, by position) of the publication's rows as ``(row, figures, correction)``
    triples, the figures as now shown (``corrected``: the publication has corrections, applied): the red or
    black list (``listed``), or the results among ``statement`` (the user's visible rows; None: all) — of one
    grade, one company, or matching ``q``."""
    base, fix, shown = _shown(publication, statement, corrected)
    row = CreditPublicationRow
    if listed is not None:
        base = base.where(shown[listed].is_(True))
    if grade:
        base = base.where(shown["grade_code"] == grade)
    if company_id is not None:
        base = base.where(row.company_id == company_id)
    q = (q or "").strip()
    if q:
        base = base.where(row.company_name.ilike(f"%{q}%"))
    base = base.order_by(row.position, row.company_name, row.id)
    counter = None
    if not (statement is not None or grade or company_id is not None or q):
        # the counts stored at publication (published rows never change), with the corrections' moves on and off
        # the lists (a correction never adds or removes a row)
        if listed is None:
            counter = publication.company_count.__int__
        elif not corrected:
            counter = {"red": publication.red_count, "black": publication.black_count}[listed].__int__
        else:
            def counter():
                return _corrected_count(publication, listed)
    # Plain columns, not ORM rows (the page's 150 rows cost more to build than to select), the correction's
    # figures and its notice's number as columns of the same row; a total not known already counted with them.
    columns = _page_columns(fix is not None)
    if counter is None:
        columns = (*columns, func.count().over().label("counted"))
    base = base.with_only_columns(*columns, maintain_column_froms=True)
    count_statement = None
    if counter is None:  # a page beyond the last has no row to read the total from
        count_statement = base.with_only_columns(row.id, maintain_column_froms=True)
    result = paginate_rows(base, page=page, counter=counter, count_column="counted" if counter is None else None,
                           count_statement=count_statement)
    # the parts are shown in the results only (the red and black lists name the company and its grade)
    result.items = [SimpleNamespace(**r._mapping, parts=json.loads(r.parts_json) if r.parts_json and listed is None
                                    else {}) for r in result.items]
    if fix is None:
        result.items = [(r, corrections.original_figures(r), None) for r in result.items]
        return result
    result.items = [
        (r, corrections.Figures(r.fix_total, r.fix_grade_code, r.fix_grade_label, r.fix_grade_rank, r.fix_red,
                                r.fix_black), ShownCorrection(r.fix_number))
        if r.fix_id is not None else (r, corrections.original_figures(r), None) for r in result.items]
    return result


@dataclass(frozen=True)
class ShownCorrection:
    """The correction notice behind a row's shown figures, as the page names it."""

    number: str


_PAGE_ROW_COLUMNS = ("id", "company_id", "company_name", "credit_code", "position", "total", "grade_code",
                     "grade_label", "grade_rank", "red", "black", "note")


@cache
def _page_columns(corrected: bool) -> tuple:
    """The columns of ``shown_page``'s rows: the published row's, and with ``corrected`` its latest correction's
    figures and notice number (``fix_…``), built once."""
    row = CreditPublicationRow
    # The parts as their text (a JSON value is not hashable: the page's rows are made unique), read back per row.
    columns = (*(getattr(row, name) for name in _PAGE_ROW_COLUMNS), cast(row.parts, Text).label("parts_json"))
    if not corrected:
        return columns
    fix, _shown_names = _shown_columns()
    number = (select(CreditCorrection.number).where(CreditCorrection.id == fix.correction_id)
              .correlate_except(CreditCorrection).scalar_subquery())
    return columns + (fix.id.label("fix_id"), number.label("fix_number"), fix.new_total.label("fix_total"),
                      fix.new_grade_code.label("fix_grade_code"), fix.new_grade_label.label("fix_grade_label"),
                      fix.new_grade_rank.label("fix_grade_rank"), fix.new_red.label("fix_red"),
                      fix.new_black.label("fix_black"))


# The red and black list PDF (A4 portrait, pdf/credit/lists.html), measured on the 100× district: 27 lines a
# page; a red row is a line, a black row a line per 14 characters of its reason; the heading and the
# issuer take about 9 lines.
LIST_LINES_PER_PAGE, LIST_REASON_CHARS_PER_LINE, LIST_FIXED_LINES = 27, 14, 9


def list_pages(publication: CreditPublication, *, corrected: bool) -> int:
    """About how many pages the red and black list PDF takes (one query)."""
    base, _fix, shown = _shown(publication, corrected=corrected)
    row = CreditPublicationRow
    reason = func.length(func.coalesce(row.note, shown["grade_label"]))
    red, black_lines = db.session.execute(base.with_only_columns(
        func.count(case((shown["red"].is_(True), 1))),
        func.sum(case((shown["black"].is_(True), (reason + LIST_REASON_CHARS_PER_LINE - 1)
                       // LIST_REASON_CHARS_PER_LINE), else_=0)),
        maintain_column_froms=True)).one()
    lines = LIST_FIXED_LINES + (red or 0) + max(int(black_lines or 0), 0)
    return -(-lines // LIST_LINES_PER_PAGE)


def shown_grades(publication: CreditPublication, *, corrected: bool) -> list[tuple[int, str, str]]:
    """The grades the publication's rows now show, best first: ``(rank, code, label)``."""
    return sorted(db.session.execute(_grades_statement(publication.id, corrected)).all())


@lru_cache(maxsize=32)
def _grades_statement(publication_id: int, corrected: bool):
    base, _fix, shown = _all_shown(publication_id, corrected)
    return base.with_only_columns(shown["grade_rank"], shown["grade_code"], shown["grade_label"],
                                  maintain_column_froms=True).distinct()


def parts_of(publication: CreditPublication) -> list[CreditRulePart]:
    return list(db.session.scalars(select(CreditRulePart).where(CreditRulePart.rule_set_id == publication.rule_set_id)
                                   .order_by(CreditRulePart.sort_order)))


def competition_positions(totals: list[Decimal]) -> list[int]:
    """1, 2, 2, 4 …: equal scores share a position."""
    positions, previous = [], None
    for index, total in enumerate(totals, start=1):
        positions.append(positions[-1] if previous is not None and total == previous else index)
        previous = total
    return positions


def preview_publication(as_of: date) -> tuple[CreditRuleSet, list[scoring.ScoreRow]]:
    rule_set = services.rule_set_for(as_of)
    return rule_set, scoring.scores(rule_set, as_of)


def publish(*, name: str, as_of: date, notes: str | None = None, actor=None,
            on: date | None = None) -> CreditPublication:
    """Freeze every company's result on ``as_of`` under the rule set in force then."""
    on = on or local_today()
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写发布名称。"), field="name")
    if as_of > on:
        raise DomainError(_("评价截止日不能晚于今天。"), field="as_of")
    if db.session.scalar(select(CreditPublication.id).where(CreditPublication.name == name)):
        raise DomainError(_("已有名为“%(name)s”的发布，请换一个名称。", name=name), field="name")
    rule_set, rows = preview_publication(as_of)
    if not rows:
        raise DomainError(_("没有可评价的企业。"))
    black_notes = _black_list_notes(rule_set, as_of, [r.company_id for r in rows if r.black])
    publication = CreditPublication(
        name=name, as_of=as_of, rule_set_id=rule_set.id, rule_set_name=str(rule_set),
        bureau_name=bureau_name(),
        notes=(notes or "").strip() or None, published_by_id=getattr(actor, "id", None),
        company_count=len(rows), red_count=sum(r.red for r in rows), black_count=sum(r.black for r in rows))
    db.session.add(publication)
    db.session.flush()
    for row, position in zip(rows, competition_positions([r.total for r in rows])):
        note = black_notes.get(row.company_id)
        if row.override and not note:
            note = scoring.override_note(rule_set, row.override)
        db.session.add(CreditPublicationRow(
            publication_id=publication.id, company_id=row.company_id, company_name=row.name,
            credit_code=row.credit_code, position=position, base=row.base,
            parts={code: str(value) for code, value in row.parts.items()}, total=row.total,
            grade_code=row.grade.code, grade_label=row.grade.label, grade_rank=row.grade.rank,
            override=row.override, red=row.red, black=row.black, note=note))
    db.session.flush()
    record("credit.publish", publication, after={
        "name": name, "as_of": as_of, "rule_set": f"{rule_set.code} v{rule_set.version}",
        "companies": len(rows), "red": publication.red_count, "black": publication.black_count}, actor=actor)
    return publication


def _black_list_notes(rule_set: CreditRuleSet, as_of: date, company_ids: list[int]) -> dict[int, str]:
    """For black-listed companies: the serious records behind the listing (one query)."""
    if not company_ids:
        return {}
    recorded = aliased(CreditRuleItem)
    item = aliased(CreditRuleItem)
    rows = db.session.execute(
        select(CreditEvent.company_id, item.code, item.description, CreditEvent.occurred_on)
        .join(recorded, recorded.id == CreditEvent.item_id)
        .join(item, (item.code == recorded.code) & (item.rule_set_id == rule_set.id))
        .where(CreditEvent.company_id.in_(company_ids), item.blacklist.is_(True),
               scoring.counting_clause(as_of))
        .order_by(CreditEvent.company_id, CreditEvent.occurred_on)).all()
    notes: dict[int, list[str]] = {}
    for company_id, code, description, occurred_on in rows:
        notes.setdefault(company_id, []).append(f"{occurred_on.isoformat()} {code} {description}")
    return {k: "；".join(v) for k, v in notes.items()}
