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
