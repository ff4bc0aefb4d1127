"""The estate page costs the same number of queries however many campaigns, items and staff the estate has."""
from __future__ import annotations

import itertools
from datetime import date

from supervision.contracts.models import FeeKind, FilingStatus
from supervision.extensions import db
from tests.campaigns import factories as f
from tests.companies.factories import gen_certified, gen_reference
from tests.contracts.factories import gen_contract

_years = itertools.count(2020)


def _grow(world, reference, n):
    for i in range(n):
        year = next(_years)
        campaign = f.gen_campaign(world, name=f"加测专项行动{i}")
        (enrolment,) = f.enrol(campaign, world.estate1, actor=world.officer)
        f.gen_item(enrolment, actor=world.officer)
        gen_certified(world.company1, reference.manager, reference.manager_cert, world.estate1)
        gen_contract(world.estate1, status=FilingStatus.FILED, starts_on=date(year, 1, 1),
                     ends_on=date(2099, 12, 31), fees={FeeKind.RESIDENTIAL: f"1.{year - 2020}0", FeeKind.PARKING: "80"})
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
    # The fee standard is the filed contract in force that started last (the 7th: 2026's), as on the portal.
    assert "1.60" in html[html.index('data-testid="fee-standard"'):][:400]
    # The sections other features add (contracts, safety, credit, enforcement…) cost a query each.
    assert len(small) == len(large) <= 15
