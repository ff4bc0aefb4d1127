"""The estate list's filter form at district scale: the 社区 picker finds one street's communities,
companies are found by text (name or credit code), and ?company_id=N links keep working."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from supervision.estates.models import ManagementMode
from supervision.extensions import db

from ..factories import gen_community, gen_company, gen_estate
from .test_estate_list import names


def options(html: str, field: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each <option> of the select named ``field``."""
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {field}"
    return [(value, label, bool(selected)) for selected, value, label in
            re.findall(r'<option (selected )?value="([^"]*)">([^<]*)</option>', select.group(1))]


def labels(html: str, field: str) -> list[str]:
    return [label for _value, label, _selected in options(html, field)]


def selected(html: str, field: str) -> str | None:
    return next((value for value, _label, chosen in options(html, field) if chosen), None)


@pytest.fixture
def district(world):
    """world plus a second community in 东城街道, an inactive one, and an estate without a company."""
    world.community1b = gen_community(world.street1, name="朝阳社区")
    gen_community(world.street1, name="已撤销社区", active=False)
    world.unmanaged = gen_estate(community=world.community1b, name="老房子",
                                 management_mode=ManagementMode.COMMUNITY_TRUST)
    db.session.commit()
    return world


# --- 社区: a picker that finds the chosen street's communities ------------------------------------

def picker(html: str, field: str) -> tuple[str, str, str]:
    """(chosen id, text shown, search URL) of the picker named ``field``."""
    assert not re.search(rf'<select[^>]*name="{field}"', html), f"{field} is a drop-down"
    value = re.search(rf'<input [^>]*name="{field}" type="hidden" value="([^"]*)"', html).group(1)
    text_input = re.search(rf'<input [^>]*name="{field}_text"[^>]*>', html).group(0)
    text = re.search(r' value="([^"]*)"', text_input).group(1)
    return value, text, re.search(r'data-picker-url="([^"]*)"', text_input).group(1).replace("&amp;", "&")


def found(client, url: str, q: str) -> set[str]:
    return {option["value"] for option in client.get(f"{url}{'&' if '?' in url else '?'}q={q}").get_json()}


def test_without_a_street_the_community_picker_searches_the_district(login_as, district):
    client = login_as(district.officer)
    html = client.get("/estates/").get_data(as_text=True)
    assert picker(html, "community_id") == ("", "", "/pickers/communities")
    assert found(client, "/pickers/communities", "社区") == {"东风社区", "朝阳社区", "西湖社区"}
    assert "甲物业服务有限公司" not in labels(html, "company_id")  # no list of every company either


def test_the_community_picker_finds_only_the_chosen_streets_communities(login_as, district):
    w = district
    client = login_as(w.officer)
    html = client.get(f"/estates/?street_id={w.street1.id}").get_data(as_text=True)
    url = picker(html, "community_id")[2]
    assert url == f"/pickers/communities?street={w.street1.id}"
    assert found(client, url, "社区") == {"东风社区", "朝阳社区"}  # not 西湖社区, not the inactive one
    html = client.get(f"/estates/?street_id={w.street2.id}").get_data(as_text=True)
    assert found(client, picker(html, "community_id")[2], "社区") == {"西湖社区"}


def test_a_community_link_without_a_street_chooses_the_communitys_street(login_as, district):
    w = district
    html = login_as(w.officer).get(f"/estates/?community_id={w.community1b.id}").get_data(as_text=True)
    assert set(names(html)) == {"老房子"}
    assert selected(html, "street_id") == str(w.street1.id)
    assert picker(html, "community_id") == (str(w.community1b.id), "朝阳社区",
                                            f"/pickers/communities?street={w.street1.id}")


def test_a_community_of_another_street_is_dropped_when_the_street_changes(login_as, district):
    w = district
    html = login_as(w.officer).get(f"/estates/?street_id={w.street2.id}&community_id={w.community1.id}"
                                   f"&community_id_text=东风社区").get_data(as_text=True)
    assert set(names(html)) == {"月亮小区"}  # the street's estates, not an empty list
    assert picker(html, "community_id")[:2] == ("", "")


def test_a_street_officer_sees_only_their_own_streets_communities(login_as, district):
    w = district
    client = login_as(w.street_user)
    for query in ("", f"street_id={w.street2.id}", f"community_id={w.community2.id}",
                  f"street_id={w.street2.id}&community_id={w.community2.id}"):
        html = client.get(f"/estates/?{query}").get_data(as_text=True)
        assert picker(html, "community_id") == ("", "", f"/pickers/communities?street={w.street1.id}"), query
        assert "西湖社区" not in html and "西城街道" not in html and "月亮小区" not in html, query


def test_a_typed_community_name_is_looked_up_in_the_street(login_as, district):
    """A name other streets also use resolves to the street's own community (the street office's, or the chosen
    street's); another street's community is dropped, as a link's; a name no community has filters to nothing."""
    w = district
    twin = gen_community(w.street2, name="东风社区")
    gen_estate(community=twin, name="西边小区")
    db.session.commit()
    html = login_as(w.street_user).get("/estates/?community_id_text=东风社区").get_data(as_text=True)
    assert set(names(html)) == {"阳光小区"}
    assert picker(html, "community_id")[:2] == (str(w.community1.id), "东风社区")
    html = login_as(w.officer).get(f"/estates/?street_id={w.street2.id}&community_id_text=东风社区").get_data(
        as_text=True)
    assert set(names(html)) == {"西边小区"}
    html = login_as(w.street_user).get("/estates/?community_id_text=西湖社区").get_data(as_text=True)
    assert set(names(html)) == {"阳光小区", "老房子"} and picker(html, "community_id")[:2] == ("", "")
    html = login_as(w.street_user).get("/estates/?community_id_text=无此社区").get_data(as_text=True)
    assert names(html) == [] and 'value="无此社区"' in html  # the text kept, with why nothing matched


# --- 物业企业: text, ?company_id=N links and 无物业企业 ---------------------------------------

@pytest.mark.parametrize("text", ["甲物业", "甲物业服务有限公司"])
def test_the_company_text_filter_finds_by_name(login_as, district, text):
    html = login_as(district.officer).get(f"/estates/?company={text}").get_data(as_text=True)
    assert set(names(html)) == {"阳光小区"}
    assert f'name="company" placeholder="企业名称或统一社会信用代码" type="text" value="{text}"' in html


def test_the_company_text_filter_finds_by_credit_code(login_as, district):
    code = district.company2.credit_code
    client = login_as(district.officer)
    assert set(names(client.get(f"/estates/?company={code}").get_data(as_text=True))) == {"月亮小区"}
    # Part of the code, in lower case, with spaces around it.
    part = code[-8:].lower()
    assert set(names(client.get(f"/estates/?company=+{part}+").get_data(as_text=True))) == {"月亮小区"}


def test_the_company_text_filter_treats_wildcards_as_text(login_as, district):
    html = login_as(district.officer).get("/estates/?company=%25").get_data(as_text=True)
    assert names(html) == [] and "没有符合条件的小区" in html


def test_the_export_shares_the_company_text_filter(login_as, district):
    # (The API's ?company= is tested in tests/api/test_reads.py.)
    data = login_as(district.officer).get("/estates/export.xlsx?company=乙物业").data
    sheet = load_workbook(io.BytesIO(data)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]] == ["月亮小区"]


def test_a_company_link_still_filters_and_can_be_cleared(login_as, district):
    w = district
    html = login_as(w.officer).get(f"/estates/?company_id={w.company1.id}&is_old=0").get_data(as_text=True)
    assert set(names(html)) == {"阳光小区"}
    assert selected(html, "company_id") == str(w.company1.id)
    assert labels(html, "company_id") == ["全部", "（无物业企业）", "甲物业服务有限公司"]
    narrowed = re.search(r'data-testid="narrowed-company">(.*?)</div>', html, re.S).group(1)
    assert "甲物业服务有限公司" in narrowed
    clear = re.search(r'<a href="([^"]+)">取消</a>', narrowed).group(1).replace("&amp;", "&")
    assert "company_id" not in clear and "is_old=0" in clear
    assert set(names(login_as(w.officer).get(clear).get_data(as_text=True))) == {"阳光小区", "月亮小区", "老房子"}


def test_no_company_is_an_option_of_the_form(login_as, district):
    client = login_as(district.officer)
    html = client.get("/estates/").get_data(as_text=True)
    assert ("-1", "（无物业企业）", False) in options(html, "company_id")
    html = client.get("/estates/?company_id=-1").get_data(as_text=True)
    assert set(names(html)) == {"老房子"} and selected(html, "company_id") == "-1"
    assert 'data-testid="narrowed-company"' not in html


def test_a_company_outside_the_scope_is_not_named(login_as, district):
    w = district
    html = login_as(w.company_user).get(f"/estates/?company_id={w.company2.id}").get_data(as_text=True)
    assert names(html) == [] and "乙物业服务有限公司" not in html
    assert f"企业编号 {w.company2.id}" in html


def test_nonsense_company_ids_are_ignored(login_as, district):
    client = login_as(district.officer)
    for value in ("0", "-7", "abc"):
        html = client.get(f"/estates/?company_id={value}").get_data(as_text=True)
        assert set(names(html)) == {"阳光小区", "月亮小区", "老房子"}, value


# --- the same number of queries however many companies and communities ------------------------

def _grow(world, start, stop):
    for n in range(start, stop):
        community = gen_community(world.street1, name=f"扩展社区{n:03d}")
        company = gen_company(name=f"扩展物业{n:03d}")
        gen_estate(community=community, company=company, name=f"扩展小区{n:03d}")
    db.session.commit()


@pytest.mark.parametrize("query", ["", "street_id={street1}", "street_id={street1}&company_id={company1}",
                                   "community_id={community1}&company=物业", "company_id=-1&company=甲"])
def test_same_number_of_queries_with_3_and_30_companies_and_communities(login_as, world, count_queries, query):
    client = login_as(world.officer)
    path = "/estates/?" + query.format(street1=world.street1.id, company1=world.company1.id,
                                       community1=world.community1.id)
    _grow(world, 0, 1)  # 3 companies, 3 communities
    with count_queries() as small:
        small_html = client.get(path).get_data(as_text=True)
    _grow(world, 1, 28)  # 30 of each
    with count_queries() as large:
        large_html = client.get(path).get_data(as_text=True)
    assert len(small) == len(large)
    if "street_id" not in query and "community_id" not in query:  # no street: no community is listed
        assert small_html.count("<option") == large_html.count("<option")
    assert "扩展物业" not in large_html.split("</form>")[0]  # no company is listed in the form
