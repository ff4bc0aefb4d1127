"""The estate list: search, each filter, sorting, 50 a page, and no per-row queries."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from supervision.core.timeutil import utcnow
from supervision.estates.models import CommitteeStatus, ManagementMode
from supervision.extensions import db

from ..factories import gen_community, gen_estate
from .factories import gen_committee


def names(html: str) -> list[str]:
    return re.findall(r'<a href="/estates/\d+">([^<]+)</a>', html)


@pytest.fixture
def estates(world):
    """world's 阳光小区 (street1, company1) and 月亮小区 (street2, company2) plus a few more."""
    other_community = gen_community(world.street1, name="朝阳社区")
    extra = {
        "老房子": gen_estate(community=other_community, name="老房子", address="旧街8号", is_old=True,
                          management_mode=ManagementMode.COMMUNITY_TRUST, households=120, year_built=1988),
        "无条件": gen_estate(community=world.community1, name="无条件", address="新路3号", committee_eligible=False,
                          households=90),
        "筹备中": gen_estate(community=world.community2, company=world.company1, name="筹备中", address="湖滨路",
                          households=2000, year_built=2010),
    }
    world.estate2.households = 600
    gen_committee(world.estate1, CommitteeStatus.FORMED)
    gen_committee(extra["筹备中"], CommitteeStatus.PREPARING)
    archived = gen_estate(community=world.community1, name="已归档小区")
    archived.archived_at = utcnow()
    db.session.commit()
    return world


@pytest.mark.parametrize("query, expected", [
    ("", {"阳光小区", "月亮小区", "老房子", "无条件", "筹备中"}),
    ("q=阳光", {"阳光小区"}),
    ("q=旧街", {"老房子"}),  # address
    ("street_id={street1}", {"阳光小区", "老房子", "无条件"}),
    ("community_id={community2}", {"月亮小区", "筹备中"}),
    ("company_id={company1}", {"阳光小区", "筹备中"}),
    ("company_id=-1", {"老房子", "无条件"}),
    ("management_mode=community_trust", {"老房子"}),
    ("committee=formed", {"阳光小区"}),
    ("committee=preparing", {"筹备中"}),
    ("committee=none", {"月亮小区", "老房子", "无条件"}),
    ("is_old=1", {"老房子"}),
    ("is_old=0", {"阳光小区", "月亮小区", "无条件", "筹备中"}),
    ("eligible=0", {"无条件"}),
    ("archived=1", {"已归档小区"}),
    ("street_id={street1}&committee=none&is_old=1", {"老房子"}),
])
def test_each_filter(login_as, estates, query, expected):
    w = estates
    query = query.format(street1=w.street1.id, community2=w.community2.id, company1=w.company1.id)
    html = login_as(w.officer).get(f"/estates/?{query}").get_data(as_text=True)
    assert set(names(html)) == expected


def test_overdue_filter(login_as, estates):
    estate = estates.estate2
    estate.households, estate.professional_vote_households = 400, 250
    estate.professional_vote_on = date(2026, 1, 5)
    estate.committee_due_on = date(2026, 3, 5)
    db.session.commit()
    with time_machine.travel(datetime(2026, 3, 6, 4, tzinfo=UTC), tick=False):
        html = login_as(estates.officer).get("/estates/?alert=overdue").get_data(as_text=True)
    assert names(html) == ["月亮小区"] and "逾期未成立" in html


@pytest.mark.parametrize("sort, expected", [
    ("households", ["无条件", "老房子", "阳光小区", "月亮小区", "筹备中"]),
    ("-households", ["筹备中", "月亮小区", "阳光小区", "老房子", "无条件"]),
    ("year_built", ["老房子", "筹备中"]),
])
def test_sorting(login_as, estates, sort, expected):
    html = login_as(estates.officer).get(f"/estates/?sort={sort}").get_data(as_text=True)
    shown = names(html)
    assert [n for n in shown if n in expected] == expected


def test_sort_by_street_then_name(login_as, estates):
    html = login_as(estates.officer).get("/estates/?sort=street").get_data(as_text=True)
    shown = names(html)
    # 东城街道 before 西城街道 (by name), each street's estates by name.
    assert shown.index("老房子") < shown.index("月亮小区") and shown.index("阳光小区") < shown.index("筹备中")


def test_filters_stay_in_the_links(login_as, estates):
    html = login_as(estates.officer).get(f"/estates/?street_id={estates.street1.id}&is_old=1").get_data(as_text=True)
    export = re.search(r'href="([^"]+)" data-testid="export-link"', html).group(1).replace("&amp;", "&")
    assert f"street_id={estates.street1.id}" in export and "is_old=1" in export
    assert "sort=" in html and f"street_id={estates.street1.id}" in re.search(r'class="sort-link" href="([^"]+)"',
                                                                               html).group(1)


def test_bad_filter_values_are_ignored(login_as, estates):
    response = login_as(estates.officer).get("/estates/?street_id=abc&management_mode=nope&sort=evil&committee=x")
    assert response.status_code == 200 and len(names(response.get_data(as_text=True))) == 5


def test_fifty_a_page(login_as, world):
    community = gen_community(world.street1)
    for n in range(53):
        gen_estate(community=community, name=f"小区{n:03d}")
    db.session.commit()
    client = login_as(world.officer)
    first = names(client.get("/estates/").get_data(as_text=True))
    second = client.get("/estates/?page=2").get_data(as_text=True)
    assert len(first) == 50 and len(names(second)) == 5 and "共 55 条" in second


@pytest.mark.parametrize("user, query, total", [
    ("officer", "", 5), ("leader", "", 5), ("officer", "archived=", 5), ("officer", "sort=-households", 5),
    ("officer", "archived=all", 6), ("officer", "archived=1", 1), ("officer", "is_old=0", 4),
    ("officer", "company_id=-1", 2), ("street_user", "", 3), ("company_user", "", 2),
])
def test_totals(login_as, estates, user, query, total):
    """The list as first opened is counted as all estates less the archived ones (services.registered_count)."""
    html = login_as(getattr(estates, user)).get(f"/estates/?{query}").get_data(as_text=True)
    assert f"共 {total} 条" in html and len(names(html)) == total


def test_empty_state(login_as, world):
    html = login_as(world.officer).get("/estates/?q=不存在的小区").get_data(as_text=True)
    assert "没有符合条件的小区" in html


def _fill(world, count):
    """Estates spread over many companies and communities, so a lazy load per row would show.

    Rows are built in bulk (a few flushes, not one per row) to keep the test fast.
    """
    from supervision.companies.models import Company
    from supervision.estates.models import Estate, OwnersCommittee
    from supervision.regions.models import Community

    from ..factories import credit_code_for

    communities = [Community(street_id=(world.street1 if n % 2 else world.street2).id, name=f"批量社区{count}-{n}")
                   for n in range(count // 5 + 1)]
    companies = [Company(name=f"批量企业{count}-{n}", credit_code=credit_code_for(1_000_000 + 1000 * count + n))
                 for n in range(count // 2)]
    db.session.add_all(communities + companies)
    db.session.flush()
    estates = []
    for n in range(count):
        community = communities[n // 5]
        company = companies[n // 2] if n % 2 else None
        estates.append(Estate(name=f"批量{count}-{n}", address="批量路", street_id=community.street_id,
                              community_id=community.id, company_id=company.id if company else None,
                              management_mode=ManagementMode.PROFESSIONAL if company else ManagementMode.NONE,
                              households=100 + n))
    db.session.add_all(estates)
    db.session.flush()
    db.session.add_all([OwnersCommittee(estate_id=e.id, status=CommitteeStatus.FORMED, elected_on=date(2022, 3, 1),
                                        term_end=date(2027, 3, 1), term_years=5)
                        for n, e in enumerate(estates) if n % 3 == 0])
    db.session.commit()


@pytest.mark.parametrize("path", ["/estates/", "/estates/?sort=company", "/estates/committees",
                                  "/estates/?alert=term_soon&sort=street"])
def test_same_number_of_queries_for_10_and_200_estates(app, login_as, world, count_queries, path):
    client = login_as(world.officer)
    _fill(world, 10)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    _fill(world, 190)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert len(small) == len(large)
