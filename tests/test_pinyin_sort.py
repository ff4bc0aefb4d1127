"""Chinese names sort by pinyin (阿 < 北 < 长安 < 重庆) in lists and exports, through the stored ``name_sort``
key (supervision/core/sortkey.py), kept on every way a row is written."""
from __future__ import annotations

import io
import re

from flask import url_for
from openpyxl import load_workbook
from sqlalchemy import insert, select

from bench.generate import _clone_tables, _fixers
from supervision.companies.models import Company, Staff
from supervision.core.sortkey import name_sort_key
from supervision.estates.models import Estate
from supervision.extensions import db
from supervision.regions.models import Community, Street

from .credit.factories import rules
from .factories import gen_company, gen_estate, gen_position, gen_staff

# In code-point order these would be 北 (U+5317), 重 (U+91CD), 长 (U+957F), 阿 (U+963F).
ESTATES = ["阿里小区", "北湖小区", "长安小区", "重庆路小区"]
COMPANIES = ["阿拉丁物业有限公司", "北辰物业有限公司", "长城物业有限公司", "重庆金科物业有限公司"]


def test_the_key_reads_pinyin_and_breaks_ties_with_the_name():
    assert name_sort_key("重庆路小区") == "chongqingluxiaoqu 重庆路小区"
    assert sorted(["重庆", "长安", "北", "阿"], key=name_sort_key) == ["阿", "北", "长安", "重庆"]
    # same reading, different characters: both kept, in a fixed order
    assert name_sort_key("西安") != name_sort_key("先") and name_sort_key("A栋") == "adong A栋"


def test_the_key_follows_the_name(world):
    estate = gen_estate(community=world.community1, name="长安小区")
    db.session.commit()
    assert db.session.scalar(select(Estate.name_sort).where(Estate.id == estate.id)) == "changanxiaoqu 长安小区"
    estate.name = "阿里小区"
    db.session.commit()
    assert db.session.scalar(select(Estate.name_sort).where(Estate.id == estate.id)) == "alixiaoqu 阿里小区"
    # a Core insert (bulk imports, the bench copies) fills it from the name too
    db.session.execute(insert(Street), [{"district_id": world.district.id, "name": "北门街道"}])
    assert db.session.scalar(select(Street.name_sort).where(Street.name == "北门街道")) == "beimenjiedao 北门街道"


def _estate_world(world):
    for name in reversed(ESTATES):
        gen_estate(community=world.community1, company=world.company1, name=name)
    db.session.commit()


def test_the_estate_list_and_export_order_by_pinyin(world, login_as):
    _estate_world(world)
    client = login_as(world.officer)
    html = client.get(url_for("estates.index")).get_data(as_text=True)
    shown = [n for n in re.findall(r'<a href="/estates/\d+">([^<]+)</a>', html) if n in ESTATES]
    assert shown == ESTATES
    descending = client.get(url_for("estates.index", sort="-name")).get_data(as_text=True)
    assert [n for n in re.findall(r'<a href="/estates/\d+">([^<]+)</a>', descending) if n in ESTATES] \
        == ESTATES[::-1]
    sheet = load_workbook(io.BytesIO(client.get(url_for("estates.export")).data)).active
    column = [cell.value for cell in sheet[1]].index("小区名称")
    exported = [row[column].value for row in sheet.iter_rows(min_row=2) if row[column].value in ESTATES]
    assert exported == ESTATES


def test_the_company_list_and_export_order_by_pinyin(world, login_as):
    for name in reversed(COMPANIES):
        gen_company(name=name)
    db.session.commit()
    client = login_as(world.officer)
    html = client.get(url_for("companies.index")).get_data(as_text=True)
    assert sorted(COMPANIES, key=html.index) == COMPANIES
    sheet = load_workbook(io.BytesIO(client.get(url_for("companies.export")).data)).active
    column = [cell.value for cell in sheet[1]].index("企业名称")
    exported = [row[column].value for row in sheet.iter_rows(min_row=2) if row[column].value in COMPANIES]
    assert exported == COMPANIES


def test_the_credit_ranking_sorts_names_and_breaks_ties_by_pinyin(world, login_as):
    rules()
    for name in reversed(COMPANIES):
        gen_company(name=name)  # no records: all four score the same
    db.session.commit()
    client = login_as(world.officer)
    for sort in (None, "name"):
        html = client.get(url_for("credit.ranking", sort=sort)).get_data(as_text=True)
        assert sorted(COMPANIES, key=html.index) == COMPANIES, sort


def test_bench_copies_sort_under_their_new_names(world):
    """bench/generate.py copies rows column by column and renames them: the copies' keys follow the new names."""
    _clone_tables(("communities", "companies", "estates"), 1, _fixers)
    db.session.commit()
    for model in (Community, Company, Estate):
        rows = db.session.execute(select(model.name, model.name_sort)).all()
        assert len(rows) >= 4 and all(key == name_sort_key(name) for name, key in rows), model.__name__



def test_the_staff_list_orders_people_by_pinyin(world, login_as):
    cleaner = gen_position("cleaner_pinyin", name="保洁员")
    people = ["艾青", "白云", "曾志", "赵六"]  # in code-point order: 曾 白 艾 赵
    for name in reversed(people):
        gen_staff(world.company1, cleaner, world.estate1, name=name)
    db.session.commit()
    assert db.session.scalar(select(Staff.name_sort).where(Staff.name == "曾志")) == "cengzhi 曾志"
    html = login_as(world.officer).get(url_for("companies.staff_index", company_id=world.company1.id)) \
        .get_data(as_text=True)
    assert sorted(people, key=html.index) == people
