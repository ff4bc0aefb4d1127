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


estate_sections = SectionRegistry("estate")
company_sections = SectionRegistry("company")
# The campaign page (``context(campaign, user)``): e.g. the companies' filings of the campaign.
campaign_sections = SectionRegistry("campaign")
