from __future__ import annotations

import pytest

from supervision.extensions import db

from . import factories as f


@pytest.fixture
def running(world):
    """An active four-phase campaign with estate1 (street1, company1) and estate2 (street2, company2) enrolled."""
    campaign = f.gen_campaign(world)
    world.campaign = campaign
    world.enrolment1, world.enrolment2 = f.enrol(campaign, world.estate1, world.estate2, actor=world.officer)
    db.session.commit()
    return world
