"""The party-building list's counts per gap (未建党组织, 已建党组织, 已开展/未开展红色物业), kept per street.

Counting a gap joins every estate in use to its party-building record (24,000 estates at 100× the district,
most of the list's time). The committing transaction that changes a record's flags or an estate's street or
archiving bumps ``PARTY_TOPIC`` and stores every street's counts in ``stored_figures`` (``core.figures``); the
list reads them with one query (then per process under the generation). A database before its first change
is counted by the reader, once per process and generation. A search or a company's list counts its own rows.
"""
from __future__ import annotations

from sqlalchemy import func, select

from ..core import figures, generations
from ..estates.models import Estate
from ..extensions import db
from .models import PartyBuilding

PARTY_TOPIC = "party_buildings"
GAP_COUNTS = "party_gap_counts"
KEY = "streets"

generations.watch(PARTY_TOPIC, PartyBuilding, attributes={"estate_id", "has_party_org", "red_property"})
generations.watch(PARTY_TOPIC, Estate, attributes={"street_id", "archived_at"})


def _statement():
    return (select(Estate.street_id, func.count(Estate.id),
                   func.count(Estate.id).filter(PartyBuilding.has_party_org.is_(True)),
                   func.count(Estate.id).filter(PartyBuilding.red_property.is_(True)))
            .outerjoin(PartyBuilding, PartyBuilding.estate_id == Estate.id)
            .where(Estate.archived_at.is_(None)).group_by(Estate.street_id))


def _by_street() -> dict[str, list[int]]:
    """``{str(street_id): [estates in use, with a party organisation, with 红色物业]}`` (JSON keys)."""
    return {str(street_id): [int(total), int(org), int(red)]
            for street_id, total, org, red in db.session.execute(_statement())}


def _precompute(keys: list[str]) -> dict[str, figures.Entry]:
    inputs = figures.statement_tables(_statement())
    return {key: figures.Entry(_by_street(), inputs) for key in keys}


figures.register(figures.Precomputed(PARTY_TOPIC, GAP_COUNTS, lambda: [KEY], _precompute))


def gap_count(gap: str | None, street_id: int | None) -> int:
    """The estates in use of one street (None: the district) with the list's ``gap`` (a key of ``PARTY_GAPS``;
    None: all of them)."""
    by_street = generations.cached(PARTY_TOPIC, GAP_COUNTS, 2, (KEY,), _by_street,
                                   stored=lambda: figures.stored_frozen(GAP_COUNTS, PARTY_TOPIC, KEY))
    rows = [by_street.get(str(street_id)) or [0, 0, 0]] if street_id is not None else list(by_street.values())
    total, org, red = (sum(column) for column in zip(*rows, strict=True)) if rows else (0, 0, 0)
    return {None: total, "no_org": total - org, "org": org, "red": red, "no_red": total - red}[gap]


def available() -> bool:
    """Whether the counts are kept (their topic has a generation): before the first change of its data a reader would
    group every row on each request, and the list counts its own rows instead."""
    return generations.current(PARTY_TOPIC) is not None
