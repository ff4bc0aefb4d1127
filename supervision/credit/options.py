"""The choices the credit forms offer (rule items, a company's estates and managers, companies)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..companies.models import Company, Position, Staff
from ..estates.models import Estate
from ..extensions import db
from . import scoring
from .models import CreditRuleSet
from .services import items_of


def item_groups(rule_set: CreditRuleSet) -> dict[str, list[tuple]]:
    """The items an officer may record by hand, as (id, label) choices grouped by part name."""
    groups: dict[str, list] = {}
    for item in items_of(rule_set, include_automatic=False):
        sign = "+" if item.points > 0 else ""
        label = _("%(code)s %(description)s（%(points)s分）", code=item.code, description=item.description,
                  points=f"{sign}{scoring.q(item.points)}")
        groups.setdefault(item.part.name, []).append((item.id, label))
    return groups


def estate_choices(company: Company) -> list[tuple]:
    """The estates the company manages now, as (id, name) choices."""
    return [tuple(row) for row in db.session.execute(select(Estate.id, Estate.name).where(
        Estate.company_id == company.id, Estate.archived_at.is_(None)).order_by(Estate.name_sort))]


def manager_choices(company: Company) -> list[tuple]:
    """The company's project managers in post, as (id, "name（estate）") choices."""
    managers = db.session.execute(
        select(Staff.id, Staff.name, Estate.name).join(Position, Position.id == Staff.position_id)
        .outerjoin(Estate, Estate.id == Staff.estate_id)
        .where(Staff.company_id == company.id, Position.is_manager.is_(True), Staff.left_on.is_(None))
        .order_by(Staff.name_sort)).all()
    return [(m[0], f"{m[1]}（{m[2]}）" if m[2] else m[1]) for m in managers]
