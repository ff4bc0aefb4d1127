"""Creating, editing, archiving estates through the pages; the detail page."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.estates.models import Estate
from supervision.estates.sections import estate_sections
from supervision.extensions import db

from ..companies.factories import gen_certified, gen_reference
from .factories import gen_committee


def form_data(world, **overrides):
    data = {"name": "新建花园", "address": "建设路9号", "community_id": world.community1.id,
            "management_mode": "professional", "company_id": world.company1.id, "property_type": "high_rise",
            "year_built": "2008", "buildings": "12", "households": "800", "floor_area": "80000.5",
            "committee_eligible": "y", "professional_vote_households": "", "professional_vote_on": "",
            "latitude": "", "longitude": "", "notes": ""}
    data.update(overrides)
    return data


def test_bureau_registers_an_estate(login_as, world):
    client = login_as(world.officer)
    response = client.post("/estates/new", data=form_data(world))
    assert response.status_code == 302
    estate = db.session.scalar(select(Estate).where(Estate.name == "新建花园"))
    assert estate.street_id == world.street1.id  # follows the community
    assert estate.company_id == world.company1.id and estate.committee_eligible and not estate.is_old
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "estate.create"))
    assert entry.object_id == estate.id and entry.actor_id == world.officer.id and entry.after["name"] == "新建花园"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记小区“新建花园”" in html and "甲物业服务有限公司" in html


def test_mistakes_are_shown_in_chinese_and_the_input_is_kept(login_as, world):
    response = login_as(world.officer).post("/estates/new", data=form_data(
        world, name="阳光小区", company_id="", households="100", professional_vote_households="150",
        professional_vote_on="2026-01-01", year_built="1850", latitude="30.1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("东城街道已有名为“阳光小区”的小区", "管理模式为“物业企业”时，须选择物业服务企业",
                    "不能超过小区户数", "建成年份不能小于 1900", "经度和纬度须同时填写或同时留空"):
        assert message in html, message
    assert 'value="建设路9号"' in html and 'value="150"' in html  # nothing typed is lost
    assert db.session.scalar(select(Estate).where(Estate.address == "建设路9号")) is None


def test_no_company_for_an_estate_without_management(login_as, world):
    html = login_as(world.officer).post("/estates/new", data=form_data(world, management_mode="none")).get_data(
        as_text=True)
    assert "管理模式为“无物业”时，不应填写物业服务企业" in html


def test_edit_records_the_change(login_as, world):
    client = login_as(world.officer)
    estate = world.estate1
    data = form_data(world, name="阳光小区", address="新地址1号", version=str(estate.version), households="650")
    assert client.post(f"/estates/{estate.id}/edit", data=data).status_code == 302
    db.session.refresh(estate)
    assert estate.address == "新地址1号" and estate.households == 650
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "estate.update"))
    assert entry.before["households"] == 500 and entry.after["households"] == 650
    assert "name" not in entry.after  # only what changed


def test_concurrent_edit_is_detected(login_as, world):
    estate = world.estate1
    stale = str(estate.version)
    client = login_as(world.officer)
    assert client.post(f"/estates/{estate.id}/edit",
                       data=form_data(world, name="阳光小区", version=stale)).status_code == 302
    response = client.post(f"/estates/{estate.id}/edit",
                           data=form_data(world, name="阳光小区", address="别人的修改", version=stale))
    assert response.status_code == 200 and "该记录已被他人修改" in response.get_data(as_text=True)
    db.session.refresh(estate)
    assert estate.address == "建设路9号"


def test_archive_asks_first_then_keeps_the_estate(login_as, world):
    client = login_as(world.officer)
    estate = world.estate1
    page = client.get(f"/estates/{estate.id}/archive").get_data(as_text=True)
    assert "确定归档小区“阳光小区”吗" in page and "<form method=\"post\"" in page
    assert client.post(f"/estates/{estate.id}/archive",
                       data={"reason": "", "version": estate.version}).status_code == 200
    db.session.refresh(estate)
    assert estate.archived_at is None  # a reason is required
    client.post(f"/estates/{estate.id}/archive", data={"reason": "拆迁", "version": estate.version})
    db.session.refresh(estate)
    assert estate.archived_at is not None
    assert f'href="/estates/{estate.id}"' not in client.get("/estates/").get_data(as_text=True)
    assert "已归档" in client.get(f"/estates/{estate.id}").get_data(as_text=True)
    client.post(f"/estates/{estate.id}/restore")
    db.session.refresh(estate)
    assert estate.archived_at is None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "Estate")).all()
    assert {"estate.archive", "estate.restore"} <= set(actions)


def test_detail_shows_committee_staff_and_history(login_as, world):
    ref = gen_reference()
    gen_certified(world.company1, ref.manager, ref.manager_cert, world.estate1, name="王经理")
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="李电工",
                  expires_on=date(2020, 1, 1))
    gen_committee(world.estate1, elected_on=date(2024, 5, 1), filing_number="备2024-7", filed_on=date(2024, 5, 9))
    db.session.commit()
    client = login_as(world.officer)
    client.post(f"/estates/{world.estate1.id}/edit",
                data=form_data(world, name="阳光小区", version=str(world.estate1.version)))
    html = client.get(f"/estates/{world.estate1.id}").get_data(as_text=True)
    assert "王经理" in html and "李电工" in html and "已过期" in html
    assert 'data-testid="estate-rate">50.0%' in html
    assert "备2024-7" in html and "2029-05-01" in html
    assert "修改小区" in html  # audit history, in words


def test_company_users_do_not_see_the_audit_history(login_as, world):
    html = login_as(world.company_user).get(f"/estates/{world.estate1.id}").get_data(as_text=True)
    assert 'id="history"' not in html and 'id="committee"' in html


def test_other_features_add_sections_to_the_detail_page(app, login_as, world):
    from jinja2 import ChoiceLoader, DictLoader

    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({
        "_test_section.html": '<section id="extra">{{ label }} {{ estate.name }}</section>'}),
        app.jinja_env.loader])
    estate_sections.register("test", "_test_section.html",
                             context=lambda estate, user: {"label": "整改事项", "estate": estate}, order=10)
    try:
        html = login_as(world.officer).get(f"/estates/{world.estate1.id}").get_data(as_text=True)
        assert '<section id="extra">整改事项 阳光小区</section>' in html
        estate_sections.register("test", "_test_section.html", context=lambda e, u: {"label": "x"},
                                 roles={world.admin.role})
        html = login_as(world.officer).get(f"/estates/{world.estate1.id}").get_data(as_text=True)
        assert 'id="extra"' not in html
    finally:
        estate_sections.unregister("test")
        app.jinja_env.loader = original
