"""The filing status page costs the same number of queries however many companies have filed."""
from __future__ import annotations

import re

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


def test_filings_list_offers_the_latest_campaigns_and_the_chosen_one(login_as, world, count_queries):
    from supervision.filings.views import CAMPAIGN_CHOICES

    def campaign_options(html):
        select = re.search(r'<select[^>]*name="campaign"[^>]*>(.*?)</select>', html, re.S).group(1)
        return re.findall(r'<option([^>]*)value="(\d+)"', select)

    first = gen_campaign()
    requirement = gen_requirement(first)
    _add_filers(world, requirement, 1)
    later = [gen_campaign() for _ in range(CAMPAIGN_CHOICES)]
    db.session.commit()
    client = login_as(world.officer)
    with count_queries() as plain:
        html = client.get("/filings/").get_data(as_text=True)
    offered = {int(value) for _attrs, value in campaign_options(html)}
    assert offered == {c.id for c in later}  # the latest 30: the oldest is not offered
    chosen = client.get(f"/filings/?campaign={first.id}").get_data(as_text=True)
    options = campaign_options(chosen)
    assert len(options) == CAMPAIGN_CHOICES + 1
    assert any("selected" in attrs and int(value) == first.id for attrs, value in options)
    assert requirement.title in chosen  # the filter applied, not reset as an unknown choice
    assert len(plain) <= 15
