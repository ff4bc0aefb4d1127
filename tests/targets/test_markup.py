"""The scorecard cell written in Python (targets/markup.py) is the ``score_cell`` macro's HTML."""
from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from flask import get_template_attribute, url_for
from flask_babel import force_locale

from supervision.targets.indicators import Counts
from supervision.targets.markup import score_cell
from supervision.targets.services import scorecard


def _normal(html: str) -> str:
    return re.sub(r">\s+", ">", re.sub(r"\s+<", "<", " ".join(str(html).split())))


def test_the_python_cell_equals_the_macro(app, world):
    with app.test_request_context("/"):
        macro_module = get_template_attribute("targets/_macros.html", "score_cell")
        card = scorecard()
        cells = [cell for row in card.rows for cell in row.cells.values()]
        some = cells[0]
        # every kind of cell: measured, no denominator, not available, a street's own target
        cells += [replace(some, counts=Counts(0, 0)), replace(some, counts=None),
                  replace(some, counts=Counts(3, 7), street_id=world.street1.id,
                          threshold=replace(some.threshold, inherited=False, value=Fraction(9, 10)))]
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                for cell in cells:
                    href = url_for("targets.gap", code=cell.indicator.code, street=cell.street_id)
                    assert _normal(score_cell(cell, href)) == _normal(macro_module(cell)), cell
    assert any(cell.counts and cell.counts.denominator for cell in cells)
