"""Maintaining the region tree."""
from __future__ import annotations

from sqlalchemy import select

from supervision.extensions import db
from supervision.regions.models import Community, Street


def test_tree_page_lists_streets_and_communities(login_as, world):
    html = login_as(world.admin).get("/admin/regions/").get_data(as_text=True)
    assert "东城街道" in html and "东风社区" in html and "测试区住房和城乡建设局" in html


def test_add_street_and_refuse_duplicate_names(login_as, world):
    client = login_as(world.admin)
    response = client.post(f"/admin/regions/districts/{world.district.id}/streets/new",
                           data={"name": "南湖街道", "code": "003", "active": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(Street).where(Street.name == "南湖街道")) is not None
    html = client.post(f"/admin/regions/districts/{world.district.id}/streets/new",
                       data={"name": "东城街道", "active": "y"}).get_data(as_text=True)
    assert "已有名为“东城街道”" in html


def test_rename_and_deactivate_community(login_as, world):
    client = login_as(world.admin)
    response = client.post(f"/admin/regions/communities/{world.community1.id}/edit",
                           data={"name": "东风新社区", "version": world.community1.version})
    assert response.status_code == 302
    community = db.session.get(Community, world.community1.id)
    db.session.refresh(community)
    assert community.name == "东风新社区" and community.active is False


def test_stale_edit_is_refused(login_as, world):
    client = login_as(world.admin)
    html = client.post(f"/admin/regions/streets/{world.street1.id}/edit",
                       data={"name": "改名", "version": world.street1.version + 5, "active": "y"},
                       ).get_data(as_text=True)
    assert "已被他人修改" in html


def test_district_bureau_name_is_required(login_as, world):
    html = login_as(world.admin).post(f"/admin/regions/districts/{world.district.id}/edit",
                                      data={"name": "测试区", "bureau_name": "", "version": world.district.version}
                                      ).get_data(as_text=True)
    assert "请输入主管部门全称" in html


def _communities(street, n, start=0):
    from .factories import gen_community

    made = [gen_community(street, name=f"社区{i:03d}") for i in range(start, start + n)]
    db.session.commit()
    return made


def test_the_tree_shows_each_streets_first_communities_and_pages_the_rest(login_as, world, count_queries):
    from supervision.regions.services import COMMUNITIES_SHOWN

    from .factories import gen_estate

    client = login_as(world.admin)
    client.get("/admin/regions/")
    with count_queries() as few:
        client.get("/admin/regions/")
    made = _communities(world.street1, COMMUNITIES_SHOWN + 5)
    gen_estate(community=made[0])
    gen_estate(community=made[-1])
    db.session.commit()
    with count_queries() as more:
        html = client.get("/admin/regions/").get_data(as_text=True)
    assert len(few) == len(more)
    # The first 12 by name (name_sort) are shown, the others only on the street's own page.
    names = sorted(["东风社区"] + [c.name for c in made], key=lambda name: next(
        c.name_sort for c in [world.community1, *made] if c.name == name))
    for name in names[:COMMUNITIES_SHOWN]:
        assert f">{name}</a>" in html, name
    for name in names[COMMUNITIES_SHOWN:]:
        assert f">{name}</a>" not in html, name
    assert f"全部 {COMMUNITIES_SHOWN + 6} 个社区" in html and f"/admin/regions/?street={world.street1.id}" in html
    assert "西湖社区" in html and f"?street={world.street2.id}" not in html  # a short street is shown whole
    # The street's own page lists every community (a page of them), with its estates.
    html = client.get(f"/admin/regions/?street={world.street1.id}").get_data(as_text=True)
    for name in names:
        assert f">{name}</a>" in html, name
    assert "西湖社区" not in html and "1 个小区" in html and f"共 {COMMUNITIES_SHOWN + 6} 条" in html
    url = f"/admin/regions/?street={world.street1.id}"
    with count_queries() as paged:
        client.get(url)
    _communities(world.street1, 60, start=500)
    url = f"/admin/regions/?street={world.street1.id}&page=2"  # page 2 now holds 46 communities
    with count_queries() as paged_more:
        client.get(url)
    assert len(paged) == len(paged_more)


def test_the_street_page_is_the_administrators(login_as, world):
    assert login_as(world.admin).get("/admin/regions/?street=999999").status_code == 404
    assert login_as(world.officer).get(f"/admin/regions/?street={world.street1.id}").status_code == 403
