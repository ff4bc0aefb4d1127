"""API lists cost the same number of queries however many rows there are."""
from __future__ import annotations

from supervision.extensions import db
from tests.campaigns.factories import enrol, gen_campaign
from tests.factories import gen_company, gen_estate


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


def test_a_street_offices_company_list_is_flat_and_its_own(app, world, bearer, count_queries):
    client, headers = app.test_client(), bearer(world.street_user)
    client.get("/api/v1/me", headers=headers)
    with count_queries() as small:
        assert client.get("/api/v1/companies", headers=headers).status_code == 200
    for n in range(12):  # half with an estate in the office's street, half in the other street
        gen_estate(street=world.street1 if n % 2 else world.street2, company=gen_company(name=f"接口物业{n}"))
    db.session.commit()
    with count_queries() as large:
        body = client.get("/api/v1/companies", headers=headers).get_json()
    names = {row["name"] for row in body["items"]}
    assert names == {world.company1.name} | {f"接口物业{n}" for n in range(1, 12, 2)}
    assert len(small) == len(large) <= 15
