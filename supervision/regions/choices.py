"""Streets as select-field options, in one query. (Communities are chosen with ``pickers``: a district has
thousands.)"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Street


def street_choices(blank: str | None = None) -> list[tuple]:
    rows = db.session.execute(select(Street.id, Street.name).where(Street.active.is_(True))
                              .order_by(Street.name_sort)).all()
    options = [(row.id, row.name) for row in rows]
    return ([(None, blank)] if blank is not None else []) + options

