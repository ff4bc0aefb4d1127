"""Small helpers shared by the campaign views."""
from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...auth import scope
from ...core.forms import MAX_INT, apply_domain_error
from ...estates.models import Estate
from ...extensions import db
from ...regions.models import Street
from ..models import Campaign


def show_error(form, error) -> None:
    """A service refusal next to its field, else as a message at the top."""
    if form is None or not apply_domain_error(form, error):
        flash(error.message, "danger")


def flash_form_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors if isinstance(errors, list) else [errors]:
            if isinstance(message, dict):
                continue
            flash(str(message), "danger")


def arg_int(name: str):

    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) <= MAX_INT else None


def arg_bool(name: str):
    value = request.args.get(name)
    return {"1": True, "0": False}.get(value)


def visible_estate_choices(blank=None):
    """Estates the user may see, grouped by street (an optgroup per street)."""
    rows = db.session.execute(
        scope.visible(Estate, statement=select(Estate.id, Estate.name, Street.name.label("street")))
        .join(Street, Street.id == Estate.street_id).where(Estate.archived_at.is_(None))
        .order_by(Street.name_sort, Estate.name_sort)).all()
    groups: dict[str, list] = {}
    if blank is not None:
        groups[""] = [("", blank)]
    for row in rows:
        groups.setdefault(row.street, []).append((row.id, row.name))
    return groups


def visible_campaign_choices(blank=None):
    rows = db.session.execute(scope.visible(Campaign, statement=select(Campaign.id, Campaign.name, Campaign.year))
                              .order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    return ([(None, blank)] if blank is not None else []) + [(r.id, f"{r.year} · {r.name}") for r in rows]


def drop_scoped_filters(form) -> None:
    """A street office does not filter by street, a company not by company."""
    if current_user.is_street and hasattr(form, "street"):
        delattr(form, "street")
    if current_user.is_company and hasattr(form, "company"):
        delattr(form, "company")


def value_of(form, name):
    field = getattr(form, name, None)
    return field.data if field is not None else None


def enum_or_none(enum_cls, value):
    try:
        return enum_cls.coerce(value)
    except ValueError:
        return None


def msg_saved():
    return _("已保存。")
