"""Fixed choices of select fields. (Option lists loaded from the registries are the features' own:
``regions.choices``; estates and companies are chosen with ``pickers``.)"""
from __future__ import annotations

from flask_babel import gettext as _
from wtforms import SelectChoice


def all_label() -> str:
    return _("全部")


def options(*pairs: tuple) -> list[SelectChoice]:
    """A select field's fixed choices, ``options(("", _l("全部")), ("1", _l("是")))``: WTForms 3.3
    deprecates choices given as tuples when a field is declared."""
    return [SelectChoice(*pair) for pair in pairs]
