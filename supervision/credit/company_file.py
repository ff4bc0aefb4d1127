"""One company's credit file: its score, records, evidence, published results and project managers,
for the credit page, the report and the dashboards; and the district-wide score look-ups."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import aliased, joinedload

from ..attachments.models import Attachment
from ..companies.models import Company
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..estates.models import Estate
from ..estates.sections import PerScope
from ..extensions import db
from . import corrections, scoring, services, standings
from .explanation import CompanyRecords, Explanation, company_records, explain
from .models import (
    CreditCorrection,
    CreditCorrectionRow,
    CreditEvent,
    CreditPublication,
    CreditPublicationRow,
    CreditRuleSet,
    EventStatus,
)


def evidence_by_event(event_ids) -> dict[int, list[Attachment]]:
    """The evidence files of each event, in one query."""
    if not event_ids:
        return {}
    found: dict[int, list[Attachment]] = {}
    for attachment in db.session.scalars(select(Attachment).where(
            Attachment.owner_type == CreditEvent.attachment_owner_type,
            Attachment.owner_id.in_(list(event_ids))).order_by(Attachment.id)):
        found.setdefault(attachment.owner_id, []).append(attachment)
    return found


def manager_totals(lines) -> list[dict]:
    """Per project manager named by a final event: how many events, the items' points and what they
    added to the company (after any floor-area weighting); drafts and revoked events do not count."""
    managers: dict[int, dict] = {}
    for line in lines:
        staff = line.event.staff
        if staff is None or line.event.status in (EventStatus.REVOKED, EventStatus.DRAFT):
            continue
        entry = managers.setdefault(staff.id, {"staff": staff, "events": 0, "points": 0, "company_points": 0})
        entry["events"] += 1
        if line.counts:
            entry["points"] += line.item.points if line.item else 0
            entry["company_points"] += line.points
    return list(managers.values())


def objectable(event: CreditEvent, today: date) -> bool:
    """A deduction still open to the company's objection on ``today`` (``objectable_clause`` in SQL)."""
    return event.is_deduction and event.objection_open(today)


def objectable_clause(today: date):
    """Deductions notified, with no objection yet, whose objection window has not closed on ``today``."""
    return and_(CreditEvent.status == EventStatus.NOTIFIED, CreditEvent.points < 0,
                CreditEvent.objection_deadline.is_not(None), CreditEvent.objection_deadline >= today,
                ~CreditEvent.objection.has())


def credit_file(company: Company, as_of: date, *, include_drafts: bool, records: CompanyRecords | None = None,
                rule_set: CreditRuleSet | None = None) -> dict:
    """Everything the credit page and the report show about one company on ``as_of`` (``rule_set``: the one in
    force on ``as_of`` when the caller already has it)."""
    rule_set = rule_set or services.rule_set_for(as_of)
    explanation = explain(company, rule_set, as_of, include_drafts=include_drafts, records=records)
    row = standings.company_score(company, rule_set, as_of, position=False)  # its place is not shown
    lines = [line for part in explanation.parts for line in part.lines] + explanation.not_counting
    lines.sort(key=lambda line: (line.event.occurred_on, line.event.id), reverse=True)
    published, published_figures = published_results(company.id)
    return {"company": company, "rule_set": rule_set, "explanation": explanation, "row": row, "lines": lines,
            "evidence": evidence_by_event([line.event.id for line in lines]), "published": published,
            "published_figures": published_figures, "managers": manager_totals(lines), "as_of": as_of}


@dataclass(frozen=True)
class ShownCorrection:
    """The correction notice behind a published row's shown figures, as the page names it."""

    number: str


@cache
def _published_statement():
    """``published_results``' statement, the company a bound parameter: built once per process."""
    row = CreditPublicationRow
    fix = aliased(CreditCorrectionRow, name="latest_fix")
    return (select(row, CreditPublication, fix, CreditCorrection.number).select_from(row)
            .join(CreditPublication, CreditPublication.id == row.publication_id)
            .outerjoin(fix, fix.id == corrections.latest_correction_id(row.id).correlate(row))
            .outerjoin(CreditCorrection, CreditCorrection.id == fix.correction_id)
            .where(row.company_id == bindparam("published_company_id")).order_by(CreditPublication.as_of.desc()))


def published_results(company_id: int) -> tuple[list, dict]:
    """The company's published rows with their publications, latest first, and row id → (the figures shown, the
    correction notice behind them or None), as ``corrections.shown_figures``: one query, each row's latest
    correction joined."""
    found = db.session.execute(_published_statement(), {"published_company_id": company_id}).all()
    published = [(prow, publication) for prow, publication, _fix, _number in found]
    shown = {prow.id: ((corrections.corrected_figures(latest), ShownCorrection(number)) if latest is not None
                       else (corrections.original_figures(prow), None)) for prow, _pub, latest, number in found}
    return published, shown


def current_scores(as_of: date | None = None, rule_set: CreditRuleSet | None = None) -> list[scoring.ScoreRow]:
    """Every company's score on a day under the rule set in force (for the dashboard)."""
    as_of = as_of or local_today()
    return scoring.scores(rule_set or services.rule_set_for(as_of), as_of)


def company_score(company: Company, as_of: date | None = None, rule_set: CreditRuleSet | None = None, *,
                  position: bool = True) -> scoring.ScoreRow | None:
    as_of = as_of or local_today()
    return standings.company_score(company, rule_set or services.rule_set_for(as_of), as_of, position=position)


def dashboard_summary(company: Company, as_of: date | None = None) -> dict | None:
    """The company's score and grade for its landing page (None without a rule set)."""
    as_of = as_of or local_today()
    try:
        row = company_score(company, as_of, position=False)
    except DomainError:  # no rule set loaded yet
        return None
    if row is None:
        return None
    return {"score": row.total, "grade": row.grade.label, "grade_badge": row.grade.badge,
            "period": _("截至 %(day)s", day=as_of.isoformat()), "events": row.event_count,
            "url": url_for("credit.company", company_id=company.id)}


def estate_events(estate: Estate, user, *, limit: int = 10) -> list[CreditEvent]:
    """The credit records tied to an estate that ``user`` may see, newest first."""
    return list(db.session.scalars(_ESTATE_EVENTS(user), PerScope.params(user, estate_id=estate.id, limit=limit)))


# The estate page's section: built once per process for each shape of user, run with bound parameters.
_ESTATE_EVENTS = PerScope(lambda user: (
    select(CreditEvent).where(CreditEvent.estate_id == bindparam("estate_id"), CreditEvent.scope_clause(user),
                              CreditEvent.status != EventStatus.DRAFT)
    .options(joinedload(CreditEvent.item), joinedload(CreditEvent.company))
    .order_by(CreditEvent.occurred_on.desc(), CreditEvent.id.desc()).limit(bindparam("limit"))))


def count_at_or_above(grade_code: str, as_of: date | None = None) -> int:
    """How many companies hold ``grade_code`` or better (e.g. the "3 companies at AA" target)."""
    as_of = as_of or local_today()
    rule_set = services.rule_set_for(as_of)
    grade = rule_set.grade(grade_code)
    if grade is None:
        raise DomainError(_("现行规则集中没有等级 %(code)s。", code=grade_code))
    counts = standings.grade_counts(rule_set, as_of)
    return sum(counts[g.code]["count"] for g in rule_set.grades if g.banded and g.rank <= grade.rank)


def score_history(company: Company, *, months: int = 12, on: date | None = None, include_drafts: bool = False,
                  records: CompanyRecords | None = None) -> list[tuple[date, Explanation]]:
    """The company's score at the end of each of the last ``months`` months, and on ``on``.

    The company's records are loaded once and each day is explained in Python (the
    twin of the SQL score, which the tests hold equal), under the rule set in force
    on that day.
    """
    on = on or local_today()
    first_of_month = on.replace(day=1)
    days = [services.add_months(first_of_month, -back + 1) - timedelta(days=1) for back in range(months, 0, -1)] + [on]
    if records is None:
        records = company_records(company, include_drafts=include_drafts)
    elif not include_drafts:  # the page's records, loaded once, may hold drafts the history leaves out
        records = records.without_drafts()
    rule_sets = services.rule_sets_for(days)
    records.load_items(rule_sets.values())
    if any(rule_set.pm_weighting == "area" for rule_set in rule_sets.values()):
        records.load_areas(days)
    # Each month's total and grade (the chart), not why the other records do not count: ``not_counting`` is empty.
    return [(day, explain(company, rule_sets[day], day, records=records, reasons=False)) for day in days]
