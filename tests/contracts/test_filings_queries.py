"""The filing status page costs the same number of queries however many companies have filed."""
from __future__ import annotations

from supervision.attachments.services import store_bytes
from supervision.extensions import db

from ..factories import gen_company, gen_estate
from ..reports.factories import gen_campaign, gen_enrolment
from .factories import PDF, gen_filing, gen_requirement


def _add_filers(world, requirement, n):
    for _ in range(n):
        company = gen_company()
        gen_enrolment(requirement.campaign, gen_estate(community=world.community1, company=company))
        filing = gen_filing(requirement, company)
        db.session.flush()
        store_bytes(PDF, f"方案{filing.id}.pdf", owner=filing, purpose="filing")
    db.session.commit()


def test_requirement_page_is_flat(login_as, world, count_queries):
    requirement = gen_requirement(gen_campaign())
    db.session.commit()
    client = login_as(world.officer)
    url = f"/filings/requirement/{requirement.id}"
    _add_filers(world, requirement, 2)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _add_filers(world, requirement, 10)
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert html.count(".pdf") >= 12
    assert len(small) == len(large) <= 15
