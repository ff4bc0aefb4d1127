"""Extension points of the estate and company detail pages.

Features built later (campaigns, rectification, credit) add a section to a detail page
without editing its template: at import time of their views module they call ::

    from supervision.estates.sections import estate_sections

    estate_sections.register(
        "rectification",                       # unique key
        "campaigns/_estate_items.html",        # template included in the page
        context=lambda estate, user: {"items": open_items_for(estate, user)},
        order=30,                              # campaigns 20, rectification 30, credit 40 …
        roles=None,                            # or a set of roles that may see it
    )

The template is rendered with the dict ``context`` returns (plus the usual globals); it
should render a ``<section class="card detail-section">`` with its own heading and keep to
a fixed number of queries. ``company_sections`` does the same for the company page
(``context(company, user)``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template
from markupsafe import Markup
from sqlalchemy import Integer, bindparam


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    context: Callable[[Any, Any], dict] | None = None
    order: int = 100
    roles: frozenset | None = None


@dataclass
class RenderedSection:
    key: str
    template: str
    context: dict

    def render(self):
        """The section's HTML: its template rendered with the dict its ``context`` returned."""

        return Markup(render_template(self.template, **self.context))  # nosec B704 - rendered by Jinja


class SectionRegistry:
    def __init__(self, name: str):
        self.name = name
        self._sections: dict[str, Section] = {}

    def register(self, key: str, template: str, *, context=None, order: int = 100, roles=None) -> None:
        """Add (or replace, by key) a section; idempotent so app factories may run repeatedly."""
        self._sections[key] = Section(key, template, context, order,
                                      frozenset(roles) if roles is not None else None)

    def unregister(self, key: str) -> None:
        self._sections.pop(key, None)

    def for_page(self, obj, user) -> list[RenderedSection]:
        shown = []
        for section in sorted(self._sections.values(), key=lambda s: (s.order, s.key)):
            if section.roles is not None and user.role not in section.roles:
                continue
            context = section.context(obj, user) if section.context else {}
            if context is None:  # the section has nothing to show for this object
                continue
            shown.append(RenderedSection(section.key, section.template, context))
        return shown

    def keys(self) -> list[str]:
        return sorted(self._sections)


class _ScopeStandIn:
    """The user as a scope rule sees it (core/scoping.py asks only these five), with the street and the
    company as bound parameters: a statement built with it holds for every user of the same shape."""

    __slots__ = ("company_id", "is_company", "is_street", "sees_district", "street_id")

    def __init__(self, sees_district: bool, is_street: bool, is_company: bool):
        self.sees_district, self.is_street, self.is_company = sees_district, is_street, is_company
        self.street_id = bindparam("scope_street_id", type_=Integer)
        self.company_id = bindparam("scope_company_id", type_=Integer)


class PerScope:
    """A section's statement built once per process for each shape of user (district reader, street
    office, company, anybody else) instead of on every request: ``build(user)`` gets a stand-in whose
    street and company are bound parameters; ``params(user, **more)`` are the values to execute it with.

    Building a select with joins, loader options and a scope rule costs about as much as running it.

    ``key``: further values the statement is built with (e.g. the day, when a clause does date arithmetic in
    Python): ``build(user, *key)``, one statement per shape and key, at most ``MAX_KEYS`` kept (a past day's
    statements are dropped with the rest when there are more)."""

    MAX_KEYS = 32

    def __init__(self, build: Callable[..., Any]):
        self.build = build
        self._statements: dict[tuple, Any] = {}

    def __call__(self, user, *key):
        shape = (bool(user.sees_district), bool(user.is_street), bool(user.is_company))
        statement = self._statements.get((shape, *key))
        if statement is None:
            if len(self._statements) >= self.MAX_KEYS:
                self._statements.clear()
            statement = self._statements[(shape, *key)] = self.build(_ScopeStandIn(*shape), *key)
        return statement

    @staticmethod
    def params(user, **more) -> dict:
        return {"scope_street_id": user.street_id, "scope_company_id": user.company_id, **more}


estate_sections = SectionRegistry("estate")
company_sections = SectionRegistry("company")
# The campaign page (``context(campaign, user)``): e.g. the companies' filings of the campaign.
campaign_sections = SectionRegistry("campaign")
