"""Streets and communities as select-field options, loaded in one query each."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Community, Street


def street_choices(blank: str | None = None) -> list[tuple]:
    rows = db.session.execute(select(Street.id, Street.name).where(Street.active.is_(True))
                              .order_by(Street.name_sort)).all()
    options = [(row.id, row.name) for row in rows]
    return ([(None, blank)] if blank is not None else []) + options


def community_choices(street_id=None, blank: str | None = None) -> list[tuple]:
    statement = (select(Community.id, Community.name, Street.name.label("street"))
                 .join(Street).where(Community.active.is_(True)).order_by(Street.name_sort, Community.name_sort))
    if street_id:
        statement = statement.where(Community.street_id == street_id)
    options = [(row.id, f"{row.street} / {row.name}") for row in db.session.execute(statement)]
    return ([(None, blank)] if blank is not None else []) + options
