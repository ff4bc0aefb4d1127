"""The estate page costs the same number of queries however many campaigns, items and staff the estate has."""
from __future__ import annotations

from supervision.extensions import db
from tests.campaigns import factories as f
from tests.companies.factories import gen_certified, gen_reference


def _grow(world, reference, n):
    for i in range(n):
        campaign = f.gen_campaign(world, name=f"加测专项行动{i}")
        (enrolment,) = f.enrol(campaign, world.estate1, actor=world.officer)
        f.gen_item(enrolment, actor=world.officer)
        gen_certified(world.company1, reference.manager, reference.manager_cert, world.estate1)
    db.session.commit()


def test_estate_page_is_flat(login_as, world, count_queries):
    reference = gen_reference()
    url = f"/estates/{world.estate1.id}"
    _grow(world, reference, 1)
    client = login_as(world.officer)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _grow(world, reference, 6)
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert "加测专项行动5" in html
    # The sections other features add (contracts, safety, credit, enforcement…) cost a query each: 22 today.
    assert len(small) == len(large) <= 22
