"""Option lists for select fields, loaded in one query each."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from ..companies.models import Company
from ..extensions import db
from ..regions.models import Community, Street


def street_choices(blank: str | None = None) -> list[tuple]:

    rows = db.session.execute(select(Street.id, Street.name).where(Street.active.is_(True))
                              .order_by(Street.name)).all()
    options = [(row.id, row.name) for row in rows]
    return ([(None, blank)] if blank is not None else []) + options


def community_choices(street_id=None, blank: str | None = None) -> list[tuple]:

    statement = (select(Community.id, Community.name, Street.name.label("street"))
                 .join(Street).where(Community.active.is_(True)).order_by(Street.name, Community.name))
    if street_id:
        statement = statement.where(Community.street_id == street_id)
    options = [(row.id, f"{row.street} / {row.name}") for row in db.session.execute(statement)]
    return ([(None, blank)] if blank is not None else []) + options


def company_choices(blank: str | None = None) -> list[tuple]:

    rows = db.session.execute(select(Company.id, Company.name).where(Company.archived_at.is_(None))
                              .order_by(Company.name)).all()
    options = [(row.id, row.name) for row in rows]
    return ([(None, blank)] if blank is not None else []) + options


def all_label() -> str:
    return _("全部")


def options(*pairs: tuple) -> list[SelectChoice]:
    """A select field's fixed choices, ``options(("", _l("全部")), ("1", _l("是")))``: WTForms 3.3
    deprecates choices given as tuples when a field is declared."""
    return [SelectChoice(*pair) for pair in pairs]
