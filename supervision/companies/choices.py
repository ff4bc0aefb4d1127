"""Companies as select-field options, loaded in one query."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Company


def company_choices(blank: str | None = None) -> list[tuple]:
    rows = db.session.execute(select(Company.id, Company.name).where(Company.archived_at.is_(None))
                              .order_by(Company.name_sort)).all()
    options = [(row.id, row.name) for row in rows]
    return ([(None, blank)] if blank is not None else []) + options
