"""What the public pages say: corrections supersede, closed campaigns only, search, sitemap, registries."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from supervision.auth.models import User
from supervision.core.generations import UndeclaredInput
from supervision.credit.models import CreditCorrection, CreditCorrectionRow, CreditPublicationRow
from supervision.extensions import db
from supervision.portal import services
from supervision.portal.sources import DISCLOSURE_SOURCES, ESTATE_SHEET_SECTIONS, Registry

from .factories import TEST_TOPIC


def _text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_correction_supersedes_the_published_row(public, client):
    grades = _text(client, "/public/grades")
    assert "更正〔2026〕1号" in grades
    assert "原发布：50.00 严重失信" in grades or "原发布：50.00" in grades  # the original is shown as such
    lists = _text(client, "/public/lists")
    red, black = lists.split("黑名单（", 1)
    assert "甲物业服务有限公司" in red
    assert "黑名单（0 家）" in lists and "乙物业服务有限公司" not in black  # taken off by the correction
    company = _text(client, f"/public/companies/{public.company2.id}")
    assert "已更正 更正〔2026〕1号" in company and 'tag-black' not in company


def test_the_rule_set_used_is_public_and_the_others_are_not(public, client):
    page = _text(client, f"/public/rules/{public.publication.rule_set_id}")
    assert "LH-03" in page and "评价条款" in page
    assert client.get(f"/public/rules/{public.unused_rule_set.id}").status_code == 404


def test_only_closed_campaigns_are_shown_and_only_their_totals(public, client):
    campaigns = _text(client, "/public/campaigns")
    assert public.closed.name in campaigns
    assert public.active.name not in campaigns and public.draft.name not in campaigns
    page = _text(client, f"/public/campaigns/{public.closed.id}")
    cells = re.findall(r'<td class="num">([^<]*)</td>', page)
    assert cells == ["1", "0", "2", "1", "50.0%"]  # enrolled, closed, items, accepted, rectification rate
    assert public.estate1.name not in page  # aggregates only
    assert client.get(f"/public/campaigns/{public.active.id}").status_code == 404


def test_the_estate_sheet(public, client):
    sheet = _text(client, f"/public/estates/{public.estate1.id}")
    for shown in ("甲物业服务有限公司", "AAA", "90.00", "2023-01-01 — 2027-12-31", "已成立", "2024-05-01 — 2029-04-30"):
        assert shown in sheet, shown
    unmanaged = _text(client, f"/public/estates/{public.unmanaged.id}")
    assert "无物业" in unmanaged and "未登记" in unmanaged and "未成立" in unmanaged


def test_search_by_estate_or_company_name_pages(public, client, app):
    page = _text(client, "/public/search?q=阳光")
    assert f"/public/estates/{public.estate1.id}" in page and "共 1 条" in page
    page = _text(client, "/public/search?q=物业服务")
    assert all(f"/public/companies/{c.id}" in page for c in (public.company1, public.company2, public.company3))
    assert "共 0 条" in _text(client, "/public/search?q=%25")  # a % is a character, not a wildcard
    assert "已归档小区" not in _text(client, "/public/search?q=小区")
    app.config["PER_PAGE"] = 2
    try:
        app.extensions.pop("portal_pages", None)
        first, second = _text(client, "/public/search?q=小区"), _text(client, "/public/search?q=小区&page=2")
        assert "第 1 / 2 页" in first and "page=2" in first and "第 2 / 2 页" in second
        assert re.findall(r"/public/estates/\d+", first) != re.findall(r"/public/estates/\d+", second)
    finally:
        app.config["PER_PAGE"] = 50


def _sitemap_locs(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/xml" and response.headers["ETag"]
    return re.findall(r"<loc>http://localhost(/[^<]*)</loc>", response.get_data(as_text=True))


def _whole_sitemap(client) -> tuple[list[str], set[str]]:
    index = client.get("/public/sitemap.xml").get_data(as_text=True)
    assert index.count("<sitemapindex") == 1 and "<urlset" not in index
    parts = _sitemap_locs(client, "/public/sitemap.xml")
    return parts, {loc for part in parts for loc in _sitemap_locs(client, part)}


def test_the_sitemap_lists_the_public_pages(public, client):
    parts, locs = _whole_sitemap(client)
    assert parts == ["/public/sitemap/pages.xml", "/public/sitemap/estates-1.xml", "/public/sitemap/companies-1.xml"]
    assert {"/public/", "/public/grades", "/public/lists", f"/public/estates/{public.estate1.id}",
            f"/public/companies/{public.company1.id}", f"/public/publications/{public.publication.id}",
            f"/public/rules/{public.publication.rule_set_id}", f"/public/campaigns/{public.closed.id}"} <= locs
    assert f"/public/estates/{public.archived.id}" not in locs
    assert f"/public/campaigns/{public.active.id}" not in locs
    assert f"/public/rules/{public.unused_rule_set.id}" not in locs
    assert "/public/disclosures" in locs  # the enforcement feature registers its published 通报 and 曝光
    for missing in ("estates-2", "estates-0", "people-1", "estates-x", "../sitemap"):
        assert client.get(f"/public/sitemap/{missing}.xml").status_code == 404, missing


def test_the_sitemap_is_split_into_parts_of_a_bounded_size(public, client, app, monkeypatch, count_queries):
    from supervision.estates.models import Estate
    from supervision.portal import services as portal_services

    whole = _whole_sitemap(client)[1]
    monkeypatch.setattr(portal_services, "SITEMAP_SIZE", 2)
    app.extensions.pop("portal_pages", None)
    estates = db.session.scalar(select(func.count(Estate.id)).where(Estate.archived_at.is_(None)))
    parts, locs = _whole_sitemap(client)
    assert locs == whole  # the same pages, in more parts
    assert len([p for p in parts if "/estates-" in p]) == -(-estates // 2)
    for part in parts[1:]:
        assert len(_sitemap_locs(client, part)) <= 2
    app.extensions.pop("portal_pages", None)
    with count_queries() as first:
        client.get(parts[1])
    with count_queries() as index:
        client.get("/public/sitemap.xml")
    assert len(first) <= 3 and len(index) <= 3  # the generations, then the part's ids or the two counts


def test_registered_disclosures_and_sections(sources, client):
    page = _text(client, "/public/disclosures")
    assert "关于某物业拒不整改的曝光" in page and "曝光〔2026〕1号" in page and 'href="/public/doc.pdf"' in page
    assert "javascript" not in page
    company2 = _text(client, f"/public/companies/{sources.company2.id}")
    assert "通报与曝光" in company2 and "关于某物业拒不整改的曝光" not in company2
    assert "关于某物业拒不整改的曝光" in _text(client, f"/public/companies/{sources.company1.id}")
    assert "响应率" in _text(client, f"/public/estates/{sources.estate1.id}")
    assert "响应率" not in _text(client, f"/public/estates/{sources.estate2.id}")


def test_a_registration_names_its_topics():
    registry = Registry("TEST")
    with pytest.raises(ValueError, match="topics"):
        registry.register("x", lambda company_id=None: [], topics=())


def test_a_source_reading_an_undeclared_table_fails_loudly(sources, client, app):
    """A section whose topic does not watch what it reads would be served stale: refused in the tests."""
    def careless(estate_id):
        return {"用户数": db.session.scalar(select(db.func.count(User.id)))}

    ESTATE_SHEET_SECTIONS.register("careless", careless, topics=(TEST_TOPIC,))
    app.config["PROPAGATE_EXCEPTIONS"] = True
    try:
        with pytest.raises(UndeclaredInput, match="users"):
            client.get(f"/public/estates/{sources.estate1.id}")
    finally:
        ESTATE_SHEET_SECTIONS.unregister("careless")
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert len(DISCLOSURE_SOURCES) == 2  # the test source and the enforcement feature's


def test_the_home_page_counts_what_the_lists_show(public, client):
    """The home page's counts (one statement) equal the lists' lengths, corrections applied: a correction
    that takes a row off a list and one that puts an unlisted row on both."""
    def lengths():
        red, black = services.listed(public.publication)
        return len(red), len(black)

    assert services.listed_counts(public.publication) == lengths()
    unlisted = db.session.scalar(select(CreditPublicationRow).where(
        CreditPublicationRow.publication_id == public.publication.id, CreditPublicationRow.red.is_(False),
        CreditPublicationRow.black.is_(False), CreditPublicationRow.company_id == public.company3.id))
    later = CreditCorrection(publication_id=public.publication.id, year=2026, seq=99, number="更正〔2026〕99号",
                             reason="测试", issued_at=datetime(2026, 5, 1, tzinfo=UTC))
    db.session.add(later)
    db.session.flush()
    db.session.add(CreditCorrectionRow(
        correction_id=later.id, publication_row_id=unlisted.id, company_id=unlisted.company_id,
        company_name=unlisted.company_name, old_total=unlisted.total, new_total=unlisted.total,
        old_grade_label=unlisted.grade_label, new_grade_code="A", new_grade_label="A", new_grade_rank=1,
        new_red=True, new_black=True))
    db.session.commit()
    before = lengths()
    assert services.listed_counts(public.publication) == before
    assert before[0] >= 1 and before[1] == 1  # the corrected row is on both lists now
    app = client.application
    app.extensions.pop("portal_pages", None)
    home = _text(client, "/public/")
    assert f"红名单 {before[0]} 家 · 黑名单 {before[1]} 家" in home


def test_the_lists_are_paged_and_show_every_listed_company_once(public, client, monkeypatch):
    red, black = services.listed(public.publication)
    assert red
    monkeypatch.setattr(services, "LISTS_PER_PAGE", 1)
    shown = []
    for number in range(1, len(red) + 2):
        client.application.extensions.pop("portal_pages", None)
        page = _text(client, f"/public/lists?page={number}")
        assert f"红名单（{len(red)} 家）" in page and f"黑名单（{len(black)} 家）" in page
        red_part = page.split('<h2 class="red">', 1)[1].split("黑名单（", 1)[0]
        shown.append([r.company_name for r, _, _ in red if r.company_name in red_part])
    assert [names for names in shown if names] == [[r.company_name] for r, _, _ in red]
