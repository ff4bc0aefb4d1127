"""Campaign pages cost the same number of queries however many campaigns and enrolments there are."""
from __future__ import annotations

from supervision.extensions import db
from tests.factories import gen_estate

from . import factories as f


def _add_campaigns(world, n):
    for i in range(n):
        campaign = f.gen_campaign(world, name=f"加测专项行动{i}")
        f.enrol(campaign, gen_estate(street=world.street1, company=world.company1), actor=world.officer)
    db.session.commit()


def test_campaign_list_is_flat(login_as, world, count_queries):
    client = login_as(world.officer)
    _add_campaigns(world, 2)
    with count_queries() as small:
        assert client.get("/campaigns/").status_code == 200
    _add_campaigns(world, 8)
    with count_queries() as large:
        html = client.get("/campaigns/").get_data(as_text=True)
    assert "加测专项行动7" in html
    assert len(small) == len(large) <= 15

