"""Extension points of the public portal: what other features publish on it.

Two registries, filled at import time by the features that own the data (the portal imports none of
them)::

    from supervision.portal.sources import DISCLOSURE_SOURCES, ESTATE_SHEET_SECTIONS

    DISCLOSURE_SOURCES.register("enforcement", published_disclosures, topics=("enforcement",))
    ESTATE_SHEET_SECTIONS.register("complaints", complaint_rates, topics=("complaints",), order=20)

- a **disclosure source** is a callable ``fn(company_id=None)`` returning the published 通报 / 曝光
  (all of them, or one company's) as objects with the attributes of ``Disclosure``; the portal shows
  them on its 通报与曝光 page and on the company's page. It returns only what was approved and published;
  the portal drops anything without a ``published_on`` or dated in the future as well;
- an **estate sheet section** is a callable ``fn(estate_id)`` returning None (nothing to show) or a
  small dict ``{"title": ..., "rows": [(label, value), …]}`` — or just ``{label: value}`` — of published
  figures (complaint response and resolution rates, the fee standard …), shown on the estate sheet.

``topics`` names the data generations (supervision/core/generations.py) that change whenever what the
callable returns may change: the portal's pages are cached under them, so a source without a topic
that covers its tables would be served stale. Registration refuses an empty ``topics``; with
``CHECK_CACHE_INPUTS`` (tests, debug) a page whose source reads a table none of its topics watches
fails. Neither callable may return a person's name or contact data: the portal is public.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Disclosure:
    """The shape of a disclosure (any object with these attributes will do)."""

    kind: str  # "通报" or "曝光"
    number: str  # e.g. 通报〔2026〕3号
    title: str
    company_id: int | None
    company_name: str
    published_on: date
    approving_office: str  # the office (not the person) that approved it
    summary: str
    pdf_url: str | None = None


@dataclass(frozen=True)
class Registered:
    key: str
    fn: Callable
    topics: tuple[str, ...]
    order: int


class Registry:
    def __init__(self, name: str):
        self.name = name
        self._entries: dict[str, Registered] = {}

    def register(self, key: str, fn: Callable, *, topics, order: int = 100) -> None:
        """Add (or replace, by key) an entry; idempotent, as app factories may run repeatedly."""
        topics = tuple(topics)
        if not topics:
            raise ValueError(f"{self.name} {key!r}: name the data generation topics its data changes")
        self._entries[key] = Registered(key, fn, topics, order)

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def entries(self) -> list[Registered]:
        return sorted(self._entries.values(), key=lambda e: (e.order, e.key))

    def topics(self) -> tuple[str, ...]:
        return tuple(sorted({t for e in self._entries.values() for t in e.topics}))

    def __len__(self) -> int:
        return len(self._entries)


DISCLOSURE_SOURCES = Registry("DISCLOSURE_SOURCES")
ESTATE_SHEET_SECTIONS = Registry("ESTATE_SHEET_SECTIONS")
