"""The committee page's summary (成立率, 逾期未成立, 任期将满, 届满未换届) and the counts of the committee page's and
the estate list's committee filters, kept per street and day.

Counting them means joining every estate of the scope to its committee (24,000 estates at 100× the
district). The committing transaction that changes an estate's committee-relevant columns or a committee
bumps ``COMMITTEES_TOPIC`` and stores the day's estates in use counted in groups (street, 具备条件, the
committee's status on the day or none, 逾期未成立, 任期将满) in ``stored_figures`` (``core.figures``); a page
reads them with one query (and keeps them per process under the generation) and sums the groups it asks for.
A day without a change yet (the counts depend on today) and a database before its first change are counted
by the reader, once per process and generation.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, not_, or_, select

from ..core import figures, generations
from ..core.timeutil import local_today
from ..extensions import db
from .models import CommitteeStatus, Estate, OwnersCommittee
from .services import ALERTS, COMMITTEE_FILTERS, committee_status_expression, term_ending_soon_clause

COMMITTEES_TOPIC = "committees"
# A payload of groups (not the summary's five numbers of the figure's first form, "committee_summary").
SUMMARY_FIGURE = "committee_counts"
NAMES = ("eligible", "formed", "term_soon", "term_over", "overdue")

generations.watch(COMMITTEES_TOPIC, OwnersCommittee)
generations.watch(COMMITTEES_TOPIC, Estate, attributes={"street_id", "committee_eligible", "committee_due_on",
                                                         "archived_at"})

# A group: (street id, eligible 0/1, status on the day or None, overdue 0/1, term ending soon 0/1, estates).
STREET, ELIGIBLE, STATE, OVERDUE, SOON, COUNT = range(6)


def _statement(today: date):
    """The estates in use grouped as the filters ask (the same clauses as ``services.filter_estates``): the status
    on ``today`` (None: no committee); 届满未换届 is that status being 届满 (``term_over_clause``)."""
    formed_or_expired = OwnersCommittee.status.in_((CommitteeStatus.FORMED, CommitteeStatus.EXPIRED))
    overdue = and_(Estate.committee_due_on.is_not(None), Estate.committee_due_on < today,
                   or_(OwnersCommittee.id.is_(None), not_(formed_or_expired)))
    rows = (select(Estate.street_id.label("street_id"), Estate.committee_eligible.label("eligible"),
                   committee_status_expression(today).label("state"),
                   case((overdue, 1), else_=0).label("overdue"),
                   case((term_ending_soon_clause(today), 1), else_=0).label("soon"))
            .outerjoin(OwnersCommittee, OwnersCommittee.estate_id == Estate.id)
            .where(Estate.archived_at.is_(None)).subquery())
    keys = (rows.c.street_id, rows.c.eligible, rows.c.state, rows.c.overdue, rows.c.soon)
    return select(*keys, func.count()).group_by(*keys)


def counts_by_street(today: date) -> list[list]:
    """The groups on ``today``: ``[street_id, eligible, status value or None, overdue, soon, count]`` (JSON)."""
    return [[street_id, int(bool(eligible)), None if state is None else str(state), int(overdue or 0),
             int(soon or 0), int(count)]
            for street_id, eligible, state, overdue, soon, count in db.session.execute(_statement(today))]


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    inputs = figures.statement_tables(_statement(local_today()))
    return {key: figures.Entry(counts_by_street(date.fromisoformat(key)), inputs) for key in keys}


figures.register(figures.Precomputed(COMMITTEES_TOPIC, SUMMARY_FIGURE, lambda: [local_today().isoformat()],
                                     _precompute))


def _groups(street_id: int | None, today: date) -> list:
    """The day's groups of one street (None: the district's)."""
    key = today.isoformat()

    groups = generations.cached(COMMITTEES_TOPIC, SUMMARY_FIGURE, 8, (key,), lambda: counts_by_street(today),
                                stored=lambda: figures.stored_frozen(SUMMARY_FIGURE, COMMITTEES_TOPIC, key))
    return [group for group in groups if street_id is None or group[STREET] == street_id]


def summary(street_id: int | None, today: date | None = None) -> dict:
    """The committee page's counts for one street (None: the district), as ``services.committee_summary``."""
    groups = _groups(street_id, today or local_today())
    formed = CommitteeStatus.FORMED.value
    result = {"eligible": sum(g[COUNT] for g in groups if g[ELIGIBLE]),
              "formed": sum(g[COUNT] for g in groups if g[ELIGIBLE] and g[STATE] == formed),
              "term_soon": sum(g[COUNT] for g in groups if g[SOON]),
              "term_over": sum(g[COUNT] for g in groups if g[STATE] == CommitteeStatus.EXPIRED.value),
              "overdue": sum(g[COUNT] for g in groups if g[OVERDUE])}
    result["rate"] = (result["formed"] / result["eligible"]) if result["eligible"] else None
    return result


def answers(filters) -> bool:
    """Whether ``list_count`` answers the count of a list of estates in use with these ``services.EstateFilters``:
    a street, 具备条件, the committee's status and an alert, nothing else (a search, a community, a company …)."""
    return not (filters.q or filters.community_id or filters.company_id or filters.company or filters.management_mode
                or filters.is_old in ("1", "0") or filters.archived in ("1", "all")
                or (filters.committee and filters.committee not in COMMITTEE_FILTERS)
                or (filters.alert and filters.alert not in ALERTS))


def list_count(street_id: int | None, filters, today: date | None = None) -> int:
    """The number of estates in use of one street (None: the district) that ``filters`` (``answers``) select."""
    groups = _groups(street_id, today or local_today())
    if filters.street_id:
        groups = [group for group in groups if group[STREET] == filters.street_id]
    if filters.eligible in ("1", "0"):
        groups = [group for group in groups if group[ELIGIBLE] == int(filters.eligible == "1")]
    if filters.committee in COMMITTEE_FILTERS:
        state = None if filters.committee == "none" else filters.committee
        groups = [group for group in groups if group[STATE] == state]
    if filters.alert == "overdue":
        groups = [group for group in groups if group[OVERDUE]]
    elif filters.alert == "term_soon":
        groups = [group for group in groups if group[SOON]]
    elif filters.alert == "term_over":
        groups = [group for group in groups if group[STATE] == CommitteeStatus.EXPIRED.value]
    return sum(group[COUNT] for group in groups)


def list_counter(user, filters, today: date | None = None):
    """A function counting the list of ``filters`` within the user's scope off the stored groups, or None when they
    cannot answer it (a company's scope, or a filter they do not hold)."""
    if not answers(filters) or not (user.sees_district or user.is_street):
        return None
    if generations.current(COMMITTEES_TOPIC) is None:
        return None  # nothing changed since the figure exists: grouping every estate per request costs more
    street_id = user.street_id if user.is_street else None
    return lambda: list_count(street_id, filters, today)
