"""The figures of a weekly report.

Two kinds:

- **system figures**, computed in SQL from the campaign's records for a street and
  ISO week and shown read-only (``street_week_figures`` for one street,
  ``figures_by_street`` for many in one query). They are snapshotted into the
  report at each submission.
- **entered figures**, typed in by the street office; the list comes from the
  campaign (copied from its scheme in ``seeds/``), ``DEFAULT_REPORT_FIGURES``
  when the campaign has none.

Definitions, for a week W (Monday–Sunday, Asia/Shanghai), "counted enrolments"
being the street's enrolments enrolled before W ends and not withdrawn by then:

=======================  ====================================================
enrolled_total / _week   counted enrolments / of them enrolled during W
surveyed_total / _week   counted enrolments with a survey dated ≤ Sunday / in W
self_inspected_…         counted enrolments whose self-inspection was submitted
                         before W ends / during W
items_opened_…           the street's rectification items opened before W
                         ends / during W
items_closed_…           items accepted (销项) before W ends / during W
items_overdue            items opened and not accepted as of the end of W (or
                         now, for the running week) whose deadline has passed
accepted_total / _week   counted enrolments with a passed acceptance dated
                         ≤ Sunday / in W
=======================  ====================================================
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, or_, select

from ..campaigns.models import (
    Acceptance,
    AcceptanceVerdict,
    Enrolment,
    EnrolmentStatus,
    RectificationItem,
    SelfInspection,
    SurveyRecord,
)
from ..core.timeutil import to_local, utcnow
from ..extensions import db
from ..regions.models import Street
from .weeks import Week

SYSTEM_CODES = (
    "enrolled_total", "enrolled_week",
    "surveyed_total", "surveyed_week",
    "self_inspected_total", "self_inspected_week",
    "items_opened_total", "items_opened_week",
    "items_closed_total", "items_closed_week",
    "items_overdue",
    "accepted_total", "accepted_week",
)


@dataclass(frozen=True)
class FigureRow:
    """One line of the read-only table: this week and cumulative."""

    label: object
    week_code: str | None
    total_code: str
    unit: object


SYSTEM_ROWS = (
    FigureRow(_l("纳入行动的小区"), "enrolled_week", "enrolled_total", _l("个")),
    FigureRow(_l("完成摸底排查"), "surveyed_week", "surveyed_total", _l("个")),
    FigureRow(_l("企业提交自查"), "self_inspected_week", "self_inspected_total", _l("个")),
    FigureRow(_l("新增整改事项"), "items_opened_week", "items_opened_total", _l("项")),
    FigureRow(_l("整改销项"), "items_closed_week", "items_closed_total", _l("项")),
    FigureRow(_l("逾期未销项"), None, "items_overdue", _l("项")),
    FigureRow(_l("验收通过"), "accepted_week", "accepted_total", _l("个")),
)

# Used when a campaign (and its scheme) lists no figures of its own.
DEFAULT_REPORT_FIGURES = (
    {"code": "meetings", "label": "召开推进会、协调会", "unit": "次"},
    {"code": "households_visited", "label": "入户走访居民", "unit": "户"},
    {"code": "publicity_events", "label": "开展宣传活动", "unit": "场"},
    {"code": "issues_resolved", "label": "协调解决问题", "unit": "个"},
)
MAX_FIGURE_VALUE = 1_000_000


def empty_figures() -> dict[str, int]:
    return {code: 0 for code in SYSTEM_CODES}


def rectification_rate(figures: dict | None) -> float | None:
    """Items closed ÷ items opened, cumulative; None when nothing was opened."""
    if not figures or not figures.get("items_opened_total"):
        return None
    return figures.get("items_closed_total", 0) / figures["items_opened_total"]


def figure_definitions(campaign) -> list[dict]:
    """The campaign's entered-figure list, [{"code", "label", "unit"}], cleaned."""
    raw = getattr(campaign, "report_figures", None) or []
    cleaned, seen = [], set()
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        code = str(entry.get("code") or "").strip()
        label = str(entry.get("label") or "").strip()
        if not code or not label or code in seen or not code.replace("_", "").isalnum():
            continue
        seen.add(code)
        cleaned.append({"code": code, "label": label, "unit": str(entry.get("unit") or "").strip()})
    return cleaned or [dict(d) for d in DEFAULT_REPORT_FIGURES]


def _counted_at(end: datetime):
    """Enrolments enrolled before ``end`` and not withdrawn by then."""
    withdrawn = or_(
        and_(Enrolment.withdrawn_at.is_not(None), Enrolment.withdrawn_at < end),
        and_(Enrolment.withdrawn_at.is_(None), Enrolment.status == EnrolmentStatus.WITHDRAWN),
    )
    return and_(Enrolment.enrolled_at < end, ~withdrawn)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def figures_by_street(campaign, week: Week, street_ids=None, *, now: datetime | None = None
                      ) -> dict[int, dict[str, int]]:
    """System figures of ``week`` for many streets, in one SQL statement.

    ``street_ids`` None means every street with an enrolment or an item in the
    campaign. Streets without records get zeros.
    """
    campaign_id = campaign.id if hasattr(campaign, "id") else int(campaign)
    start, end = week.start_utc, week.end_utc
    now = now or utcnow()
    as_of = min(now, end)  # overdue: as of the week's end, or now for the running week
    ids = None if street_ids is None else sorted({int(i) for i in street_ids})
    if ids == []:
        return {}
    parameters = {"campaign_id": campaign_id, "start": start, "end": end, "monday": week.monday,
                  "sunday": week.sunday, "as_of": as_of, "as_of_day": to_local(as_of).date()}
    if ids is not None:
        parameters["street_ids"] = ids
    rows = db.session.execute(_figures_statement(ids is not None), parameters).all()
    return {row.street_id: {code: int(getattr(row, code)) for code in SYSTEM_CODES} for row in rows}


@cache
def _figures_statement(given_streets: bool):
    """``figures_by_street``'s statement, built once per process with bound parameters: building the
    expression (five grouped sub-selects) cost more than a street's counting itself."""
    campaign_id, start, end = bindparam("campaign_id"), bindparam("start"), bindparam("end")
    monday, sunday = bindparam("monday"), bindparam("sunday")
    as_of, as_of_day = bindparam("as_of"), bindparam("as_of_day")
    counted = _counted_at(end)
    # With streets given, each part counts only their rows (an index range, not the whole campaign).
    on_enrolment = Enrolment.campaign_id == campaign_id
    on_item = RectificationItem.campaign_id == campaign_id
    if given_streets:
        on_enrolment = on_enrolment & Enrolment.street_id.in_(bindparam("street_ids", expanding=True))
        on_item = on_item & RectificationItem.street_id.in_(bindparam("street_ids", expanding=True))

    enrolled = (
        select(Enrolment.street_id.label("street_id"),
               _count_if(counted).label("enrolled_total"),
               _count_if(and_(counted, Enrolment.enrolled_at >= start)).label("enrolled_week"))
        .where(on_enrolment).group_by(Enrolment.street_id).subquery()
    )
    surveyed = (
        select(Enrolment.street_id.label("street_id"),
               _count_if(SurveyRecord.surveyed_on <= sunday).label("surveyed_total"),
               _count_if(SurveyRecord.surveyed_on.between(monday, sunday)).label("surveyed_week"))
        .join(SurveyRecord, SurveyRecord.enrolment_id == Enrolment.id)
        .where(on_enrolment, counted).group_by(Enrolment.street_id).subquery()
    )
    inspected = (
        select(Enrolment.street_id.label("street_id"),
               _count_if(SelfInspection.submitted_at < end).label("self_inspected_total"),
               _count_if(and_(SelfInspection.submitted_at >= start, SelfInspection.submitted_at < end))
               .label("self_inspected_week"))
        .join(SelfInspection, SelfInspection.enrolment_id == Enrolment.id)
        .where(on_enrolment, counted, SelfInspection.submitted_at.is_not(None))
        .group_by(Enrolment.street_id).subquery()
    )
    item = RectificationItem
    not_accepted_at_as_of = or_(item.accepted_at.is_(None), item.accepted_at >= as_of)
    items = (
        select(item.street_id.label("street_id"),
               _count_if(item.opened_at < end).label("items_opened_total"),
               _count_if(and_(item.opened_at >= start, item.opened_at < end)).label("items_opened_week"),
               _count_if(item.accepted_at < end).label("items_closed_total"),
               _count_if(and_(item.accepted_at >= start, item.accepted_at < end)).label("items_closed_week"),
               _count_if(and_(item.opened_at < as_of, not_accepted_at_as_of, item.deadline < as_of_day))
               .label("items_overdue"))
        .where(on_item).group_by(item.street_id).subquery()
    )
    # A passed acceptance revoked (an item re-opened) before the week's end no longer counts.
    passed = and_(Acceptance.verdict == AcceptanceVerdict.PASSED,
                  Acceptance.revoked_at.is_(None) | (Acceptance.revoked_at >= end))
    accepted = (
        select(Enrolment.street_id.label("street_id"),
               func.count(func.distinct(case((and_(passed, Acceptance.inspected_on <= sunday),
                                              Acceptance.enrolment_id))))
               .label("accepted_total"),
               func.count(func.distinct(case((and_(passed, Acceptance.inspected_on.between(monday, sunday)),
                                              Acceptance.enrolment_id))))
               .label("accepted_week"))
        .join(Acceptance, Acceptance.enrolment_id == Enrolment.id)
        .where(on_enrolment, counted).group_by(Enrolment.street_id).subquery()
    )

    if not given_streets:
        wanted = or_(Street.id.in_(select(Enrolment.street_id).where(Enrolment.campaign_id == campaign_id)),
                     Street.id.in_(select(item.street_id).where(item.campaign_id == campaign_id)))
    else:
        wanted = Street.id.in_(bindparam("street_ids", expanding=True))
    streets = select(Street.id.label("street_id")).where(wanted).subquery()

    columns = [streets.c.street_id]
    sources = ((enrolled, ("enrolled_total", "enrolled_week")),
               (surveyed, ("surveyed_total", "surveyed_week")),
               (inspected, ("self_inspected_total", "self_inspected_week")),
               (items, ("items_opened_total", "items_opened_week", "items_closed_total", "items_closed_week",
                        "items_overdue")),
               (accepted, ("accepted_total", "accepted_week")))
    statement_from = streets
    for sub, names in sources:
        columns.extend(func.coalesce(sub.c[name], 0).label(name) for name in names)
        statement_from = statement_from.outerjoin(sub, sub.c.street_id == streets.c.street_id)
    return select(*columns).select_from(statement_from)


def street_week_figures(campaign, street_id: int, iso_year: int, iso_week: int, *,
                        now: datetime | None = None) -> dict[str, int]:
    """The system figures of one street for one ISO week (see the module docstring)."""
    result = figures_by_street(campaign, Week(iso_year, iso_week), [street_id], now=now)
    return result.get(street_id) or empty_figures()
