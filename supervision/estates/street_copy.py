"""Rows that keep their estate's street (``street_id``): lifts, fire facilities, staff.

Not a rule of its own (the estate's street decides what a street office sees), but the first column of an index
in a list's order, so a street's page reads its own rows instead of the district's. Set when the row is written
(from the estate the session holds, else read) and when the estate moves street (in the same flush).
"""
from __future__ import annotations

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import object_session
from sqlalchemy.orm.util import identity_key

from ..core import generations
from .models import Estate

_KEEPERS: list = []


def keeps_estate_street(model):
    """Class decorator: ``model`` (with ``estate_id`` and ``street_id``) keeps its estate's street."""
    event.listen(model, "before_insert", _street_on_insert)
    event.listen(model, "before_update", _street_on_update)
    _KEEPERS.append(model)
    return model


def _changed(obj, name: str) -> bool:
    return inspect(obj).attrs[name].history.has_changes()


def _estate_street(connection, row) -> int | None:
    """The street of ``row``'s estate: the session's estate object's when it holds one (the street this flush
    writes), else read from the database."""
    if row.estate_id is None:
        return None
    session = object_session(row)
    estate = session.identity_map.get(identity_key(Estate, row.estate_id)) if session is not None else None
    if estate is not None and "street_id" in estate.__dict__:  # loaded (not expired): no query
        return estate.street_id
    return connection.scalar(select(Estate.street_id).where(Estate.id == row.estate_id))


def _street_on_insert(mapper, connection, row) -> None:
    if row.street_id is None:  # given: the caller read it with the estate (the demo)
        row.street_id = _estate_street(connection, row)


def _street_on_update(mapper, connection, row) -> None:
    if _changed(row, "estate_id"):
        row.street_id = _estate_street(connection, row)


@event.listens_for(Estate, "after_update")
def _follow_the_estate_s_street(mapper, connection, estate) -> None:
    """An estate moved to another street: its rows go with it, in the same flush."""
    if not _changed(estate, "street_id"):
        return
    for model in _KEEPERS:
        table = model.__table__
        connection.execute(update(table).where(table.c.estate_id == estate.id).values(street_id=estate.street_id))
    session = object_session(estate)
    if session is not None:
        generations.wrote(session, *(model.__tablename__ for model in _KEEPERS))
