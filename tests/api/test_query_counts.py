"""API lists cost the same number of queries however many rows there are."""
from __future__ import annotations

from supervision.extensions import db
from tests.campaigns.factories import enrol, gen_campaign
from tests.factories import gen_estate


def _add_campaigns(world, n):
    for i in range(n):
        campaign = gen_campaign(world, name=f"接口专项行动{i}")
        enrol(campaign, gen_estate(street=world.street1, company=world.company1), actor=world.officer)
    db.session.commit()


def test_campaign_list_is_flat(app, world, bearer, count_queries):
    client, headers = app.test_client(), bearer(world.officer)
    _add_campaigns(world, 2)
    client.get("/api/v1/me", headers=headers)  # the token's first use is recorded once
    with count_queries() as small:
        assert client.get("/api/v1/campaigns", headers=headers).status_code == 200
    _add_campaigns(world, 8)
    with count_queries() as large:
        body = client.get("/api/v1/campaigns", headers=headers).get_json()
    assert len(body["items"]) == 10 and all(row["phases"] for row in body["items"])
    assert len(small) == len(large) <= 15
