"""The contract list's counts (a street, a filing status, in force or not on the day), kept per street and day.

The list's count read every contract of the scope (13,300 at 100× the district; a scan on PostgreSQL). The
committing transaction that changes a contract's street, status or dates bumps ``CONTRACT_COUNTS_TOPIC`` and
stores the day's contracts counted in groups (street, status, in force) in ``stored_figures`` (``core.figures``);
the list reads them with one query (then per process under the generation) and sums the groups it asks for. A day
without a change yet is counted by the reader, once per process and generation. A search or a company's list
counts its own rows.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, select

from ..core import figures, generations
from ..core.timeutil import local_today
from ..extensions import db
from .models import ServiceContract

CONTRACT_COUNTS_TOPIC = "contract_counts"
COUNTS_FIGURE = "contract_counts"
STREET, STATUS, IN_FORCE, COUNT = range(4)

generations.watch(CONTRACT_COUNTS_TOPIC, ServiceContract, attributes={"street_id", "status", "starts_on", "ends_on"})


def in_force_clause(day: date):
    """In force on ``day`` (the list's 在期 filter; both dates are required)."""
    return and_(ServiceContract.starts_on <= day, ServiceContract.ends_on >= day)


def _statement(today: date):
    C = ServiceContract
    rows = select(C.street_id.label("street_id"), C.status.label("status"),
                  case((in_force_clause(today), 1), else_=0).label("in_force")).subquery()
    keys = (rows.c.street_id, rows.c.status, rows.c.in_force)
    return select(*keys, func.count()).group_by(*keys)


def _groups_of(today: date) -> list[list]:
    """``[street_id, status value, in force 0/1, count]`` on ``today`` (JSON)."""
    return [[street_id, str(status), int(in_force), int(count)]
            for street_id, status, in_force, count in db.session.execute(_statement(today))]


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    inputs = figures.statement_tables(_statement(local_today()))
    return {key: figures.Entry(_groups_of(date.fromisoformat(key)), inputs) for key in keys}


figures.register(figures.Precomputed(CONTRACT_COUNTS_TOPIC, COUNTS_FIGURE, lambda: [local_today().isoformat()],
                                     _precompute))


def count(street_id: int | None, status: str | None, in_force: str | None, today: date | None = None) -> int:
    """The contracts of one street (None: the district) with the filing ``status`` (a value, None: any) and
    ``in_force`` ("yes", "no", None: either) on ``today``."""
    today = today or local_today()
    key = today.isoformat()

    groups = generations.cached(CONTRACT_COUNTS_TOPIC, COUNTS_FIGURE, 4, (key,), lambda: _groups_of(today),
                                stored=lambda: figures.stored_frozen(COUNTS_FIGURE, CONTRACT_COUNTS_TOPIC, key))
    return sum(group[COUNT] for group in groups
               if (street_id is None or group[STREET] == street_id) and (not status or group[STATUS] == status)
               and (in_force not in ("yes", "no") or group[IN_FORCE] == (in_force == "yes")))


def available() -> bool:
    """Whether the counts are kept (their topic has a generation): before the first change of its data a reader would
    group every row on each request, and the list counts its own rows instead."""
    return generations.current(CONTRACT_COUNTS_TOPIC) is not None
