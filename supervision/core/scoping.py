"""Who sees which rows: the street-or-company visibility rule, declared once per model.

A scoped model declares its rule as its ``scope_clause``::

    class Estate(db.Model):
        scope_clause = scoping.ByStreetOrCompany()          # the row's street_id / company_id

    class OwnersCommittee(db.Model):
        scope_clause = scoping.ByEstate()                   # whoever sees the estate

``Model.scope_clause(user)`` is then the SQL condition that is true for the rows ``user`` may
see; ``auth.scope.visible`` and ``auth.scope.load`` apply it. The shapes:

- ``Everyone()``: reference data and published results, visible to every logged-in user;
- ``ByStreetOrCompany(street=..., company=...)``: the district's readers see every row, a street
  office the rows of its street, a company its own rows, anybody else nothing. ``ByStreet`` and
  ``ByCompany`` are the one-sided forms (the other side sees nothing);
- ``Via(relationship)``: visible when the row at the other end of ``relationship`` is (a
  many-to-one parent, or any row of a one-to-many collection); ``ByEstate()`` is ``Via("estate")``;
- ``OwnRows(column)``: a user's own rows (notifications, API tokens).

A side of ``ByStreetOrCompany`` is a column name (compared with the user's street or company),
another rule (e.g. ``Via("estate")``) or a function ``(model, user) -> condition``; ``also``, a
function ``(model) -> condition``, narrows what streets and companies see (e.g. no drafts).

Rules work on aliases too (``aliased(Model).scope_clause(user)`` speaks of the alias), and the
parent in ``Via`` is always aliased, so the condition can sit inside a query of that parent.
This module asks the user only ``sees_district``, ``is_street``, ``is_company``, ``street_id``
and ``company_id``: it imports no feature package.
"""
from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, false, inspect, select, true
from sqlalchemy.orm import aliased


class Rule:
    """A visibility rule; as a class attribute it is the model's ``scope_clause`` classmethod."""

    def clause(self, model, user):  # pragma: no cover - every rule overrides it
        raise NotImplementedError

    def __get__(self, instance, owner):
        # A method bound to the class, like a classmethod: an alias re-binds it to itself.
        return types.MethodType(_Bound(self), owner)


class _Bound:
    """``rule.clause`` as a plain callable of ``(model, user)``, so that ``MethodType`` can bind it
    to a class and SQLAlchemy's ``AliasedClass`` can re-bind it to an alias."""

    __slots__ = ("rule",)

    def __init__(self, rule: Rule):
        self.rule = rule

    def __call__(self, model, user):
        return self.rule.clause(model, user)


Side = str | Rule | Callable[[Any, Any], Any] | None


def _side(side: Side, model, user, own_id):
    if isinstance(side, str):
        return getattr(model, side) == own_id
    if isinstance(side, Rule):
        return side.clause(model, user)
    return side(model, user)


@dataclass(frozen=True)
class Everyone(Rule):
    """Visible to every logged-in user: reference data, the region tree, published results."""

    def clause(self, model, user):
        return true()


@dataclass(frozen=True)
class ByStreetOrCompany(Rule):
    """District readers: all; a street office: its street's rows; a company: its own rows.

    ``street`` / ``company``: a column name, a rule or a function (``None``: that side sees
    nothing). ``district_rows``: street offices also see the rows whose street column is NULL
    (the district's own, e.g. district-wide targets). ``also``: a further condition for streets
    and companies."""

    street: Side = "street_id"
    company: Side = "company_id"
    also: Callable[[Any], Any] | None = None
    district_rows: bool = False

    def clause(self, model, user):
        if user.sees_district:
            return true()
        if user.is_street and self.street is not None:
            condition = _side(self.street, model, user, user.street_id)
            if self.district_rows:
                condition = condition | getattr(model, self.street).is_(None)
        elif user.is_company and self.company is not None:
            condition = _side(self.company, model, user, user.company_id)
        else:
            return false()
        return condition & self.also(model) if self.also is not None else condition


def ByStreet(street: Side = "street_id", *, district_rows: bool = False, also=None) -> ByStreetOrCompany:
    """District readers and the street office of the row's street; companies see nothing."""
    return ByStreetOrCompany(street=street, company=None, district_rows=district_rows, also=also)


def ByCompany(company: Side = "company_id", *, also=None) -> ByStreetOrCompany:
    """District readers and the row's company; street offices see nothing."""
    return ByStreetOrCompany(street=None, company=company, also=also)


@dataclass(frozen=True)
class Via(Rule):
    """Visible when a row at the other end of ``relationship`` is visible to the user.

    ``uncorrelated``: the condition is ``key IN (SELECT <the visible rows' key> …)``, worked out once per
    query, instead of a correlated ``EXISTS`` per row — the same rows, for a one-to-many side whose rows
    the database would otherwise scan per parent (a company's estates in a street: SQLite searched the
    street's 3,000 estates for each of 3,000 companies). Only for a relationship on one column."""

    relationship: str
    uncorrelated: bool = False

    def clause(self, model, user):
        relation = inspect(model).mapper.relationships[self.relationship]
        other = aliased(relation.mapper.class_)
        local_mapper = relation.parent
        if self.uncorrelated:
            [(local, remote)] = relation.local_remote_pairs
            remote_key = getattr(other, relation.mapper.get_property_by_column(remote).key)
            # NOT NULL keeps a negated condition (NOT IN) true for the rows no visible row names.
            return getattr(model, local_mapper.get_property_by_column(local).key).in_(
                select(remote_key).where(remote_key.is_not(None), other.scope_clause(user)))
        joins = [
            getattr(other, relation.mapper.get_property_by_column(remote).key)
            == getattr(model, local_mapper.get_property_by_column(local).key)
            for local, remote in relation.local_remote_pairs
        ]
        return exists(select(other.id).where(*joins, other.scope_clause(user)))


def ByEstate(relationship: str = "estate") -> Via:
    """Visible to whoever sees the row's estate."""
    return Via(relationship)


@dataclass(frozen=True)
class OwnRows(Rule):
    """A user's own rows: ``column`` holds the user's id."""

    column: str = "user_id"

    def clause(self, model, user):
        return getattr(model, self.column) == user.id
