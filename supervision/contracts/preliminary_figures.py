"""The 前期物业 list's counts (the estates in use, and those of each gap: 未登记, 未经招投标, 未签前期物业服务合同,
未签临时管理规约), kept per street, as ``party_figures`` does for the party-building list.

Counting them joins every estate in use to its record (24,000 estates at 100× the district). The committing
transaction that changes a record's columns the gaps read or an estate's street or archiving bumps
``PRELIMINARY_TOPIC`` and stores every street's counts in ``stored_figures`` (``core.figures``); the list reads
them with one query (then per process under the generation). A search or a company's list counts its own rows.
"""
from __future__ import annotations

from sqlalchemy import func, select, true

from ..core import figures, generations
from ..estates.models import Estate
from ..extensions import db
from .models import TENDER_METHODS, PreliminaryService

PRELIMINARY_TOPIC = "preliminary_services"
GAP_COUNTS = "preliminary_gap_counts"
KEY = "streets"

# The list's gaps (views.PRELIMINARY_GAPS): whether the estate has a record with the condition (EXISTS) or has
# none (NOT EXISTS: 未登记 is having no record at all).
P = PreliminaryService
GAPS = {
    "no_record": (False, lambda: true()),
    "not_tender": (True, lambda: P.selection_method.is_(None) | P.selection_method.not_in(TENDER_METHODS)),
    "not_signed": (True, lambda: P.contract_signed_on.is_(None)),
    "no_covenant": (True, lambda: P.covenant_signed_on.is_(None)),
}

generations.watch(PRELIMINARY_TOPIC, PreliminaryService,
                  attributes={"estate_id", "selection_method", "contract_signed_on", "covenant_signed_on"})
generations.watch(PRELIMINARY_TOPIC, Estate, attributes={"street_id", "archived_at"})


def _statement():
    """Per street: the estates in use, then for each gap those with a record that meets its condition."""
    return (select(Estate.street_id, func.count(Estate.id),
                   *(func.count(P.id).filter(condition()) for _has, condition in GAPS.values()))
            .outerjoin(P, P.estate_id == Estate.id)
            .where(Estate.archived_at.is_(None)).group_by(Estate.street_id))


def _by_street() -> dict[str, list[int]]:
    """``{str(street_id): [estates in use, then one count per gap]}`` (JSON keys)."""
    counts = {}
    for street_id, total, *with_record in db.session.execute(_statement()):
        counts[str(street_id)] = [int(total)] + [int(count) if has else int(total) - int(count)
                                                 for (has, _condition), count in zip(GAPS.values(), with_record,
                                                                                      strict=True)]
    return counts


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    inputs = figures.statement_tables(_statement())
    return {key: figures.Entry(_by_street(), inputs) for key in keys}


figures.register(figures.Precomputed(PRELIMINARY_TOPIC, GAP_COUNTS, lambda: [KEY], _precompute))


def gap_count(gap: str | None, street_id: int | None) -> int:
    """The estates in use of one street (None: the district) with the list's ``gap`` (None: all of them)."""
    by_street = generations.cached(PRELIMINARY_TOPIC, GAP_COUNTS, 2, (KEY,), _by_street,
                                   stored=lambda: figures.stored_frozen(GAP_COUNTS, PRELIMINARY_TOPIC, KEY))
    rows = [by_street.get(str(street_id)) or [0] * (len(GAPS) + 1)] if street_id is not None \
        else list(by_street.values())
    column = 0 if gap is None else 1 + list(GAPS).index(gap)
    return sum(row[column] for row in rows)


def available() -> bool:
    """Whether the counts are kept (their topic has a generation): before the first change of its data a reader would
    group every row on each request, and the list counts its own rows instead."""
    return generations.current(PRELIMINARY_TOPIC) is not None
