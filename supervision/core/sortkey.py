"""Chinese names sort by their pinyin: 阿 < 北 < 长安 < 重庆.

Models with a ``name`` keep a stored ``name_sort`` column (``name_sort_column``) that lists and exports order
by: pypinyin's default reading of each character (``lazy_pinyin``, so polyphonic characters take their most
common or in-phrase reading), joined and lower-cased, then a space and the name itself to break ties.
"""
from __future__ import annotations

from pypinyin import lazy_pinyin
from sqlalchemy import String, event
from sqlalchemy.orm import mapped_column


def name_sort_key(name: str | None) -> str | None:
    if name is None:
        return None
    return f"{''.join(lazy_pinyin(name)).lower()} {name}"


def _default_from_name(context) -> str | None:
    return name_sort_key(context.get_current_parameters().get("name"))


def name_sort_column(length: int):
    """The stored key; filled from ``name`` on Core inserts too (bulk imports, bench copies)."""
    return mapped_column(String(length), index=True, default=_default_from_name)


def keeps_name_sort(cls):
    """Class decorator: setting ``name`` on an object also sets its ``name_sort``."""

    @event.listens_for(cls.name, "set")
    def _name_set(target, value, _old, _initiator):
        target.name_sort = name_sort_key(value)

    return cls
