"""The committee page's summary (成立率, 逾期未成立, 任期将满, 届满未换届), kept per street and day.

Counting them means joining every estate of the scope to its committee (24,000 estates at 100× the
district). The committing transaction that changes an estate's committee-relevant columns or a committee
bumps ``COMMITTEES_TOPIC`` and stores the day's counts of every street in ``stored_figures``
(``core.figures``); a page reads them with one query (and keeps them per process under the generation).
A day without a change yet (the counts depend on today) and a database before its first change are counted
by the reader, once per process and generation.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..core import figures, generations
from ..core.timeutil import local_today
from ..extensions import db
from .models import Estate, OwnersCommittee
from .services import committee_count_columns

COMMITTEES_TOPIC = "committees"
SUMMARY_FIGURE = "committee_summary"
NAMES = ("eligible", "formed", "term_soon", "term_over", "overdue")

generations.watch(COMMITTEES_TOPIC, OwnersCommittee)
generations.watch(COMMITTEES_TOPIC, Estate, attributes={"street_id", "committee_eligible", "committee_due_on",
                                                         "archived_at"})


def _statement(today: date):
    return (select(Estate.street_id, *committee_count_columns(today))
            .outerjoin(OwnersCommittee, OwnersCommittee.estate_id == Estate.id)
            .where(Estate.archived_at.is_(None)).group_by(Estate.street_id))


def counts_by_street(today: date) -> dict[str, list[int]]:
    """``{str(street_id): [eligible, formed, term_soon, term_over, overdue]}`` on ``today`` (JSON keys)."""
    return {str(row[0]): [int(value or 0) for value in row[1:]] for row in db.session.execute(_statement(today))}


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    inputs = figures.statement_tables(_statement(local_today()))
    return {key: figures.Entry(counts_by_street(date.fromisoformat(key)), inputs) for key in keys}


figures.register(figures.Precomputed(COMMITTEES_TOPIC, SUMMARY_FIGURE, lambda: [local_today().isoformat()],
                                     _precompute))


def summary(street_id: int | None, today: date | None = None) -> dict:
    """The committee page's counts for one street (None: the district), as ``services.committee_summary``."""
    today = today or local_today()
    key = today.isoformat()

    def stored():
        value = figures.load(SUMMARY_FIGURE, generations.current(COMMITTEES_TOPIC), [key]).get(key)
        return None if value is None else generations.freeze(value)

    by_street = generations.cached(COMMITTEES_TOPIC, SUMMARY_FIGURE, 8, (key,), lambda: counts_by_street(today),
                                   stored=stored)
    if street_id is not None:
        counts = list(by_street.get(str(street_id)) or [0] * len(NAMES))
    else:
        counts = [sum(values) for values in zip(*by_street.values(), strict=True)] or [0] * len(NAMES)
    result = dict(zip(NAMES, counts, strict=True))
    result["rate"] = (result["formed"] / result["eligible"]) if result["eligible"] else None
    return result
