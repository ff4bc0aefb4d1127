from __future__ import annotations

import pytest

from supervision.extensions import db

from ..campaigns import factories as cf


@pytest.fixture
def running(world):
    """An active campaign with estate1 (street1, company1) and estate2 (street2, company2) enrolled."""
    world.campaign = cf.gen_campaign(world)
    world.enrolment1, world.enrolment2 = cf.enrol(world.campaign, world.estate1, world.estate2, actor=world.officer)
    db.session.commit()
    return world


@pytest.fixture
def item(running):
    item = cf.gen_item(running.enrolment1, actor=running.officer)
    db.session.commit()
    return item
