"""Fixtures shared by the credit tests."""
from __future__ import annotations

from datetime import date

import pytest

from supervision.extensions import db

from .factories import gen_basic, gen_event, rules

RANKED_DAY = date(2026, 3, 2)


@pytest.fixture
def ranked(world):
    """Companies with distinct scores on RANKED_DAY: company1 80 + 10 = 90 (AAA), company2 80 - 2 = 78 (A),
    others 80 (AA)."""
    rules()
    for company in (world.company1, world.company2):
        gen_basic(company, on=RANKED_DAY)
    gen_event(world.company1, "LH-03", on=RANKED_DAY)
    gen_event(world.company2, "BL-02", on=RANKED_DAY)
    db.session.commit()
    return world
