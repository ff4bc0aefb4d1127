"""Numbers print the same everywhere: thousands separators on counts, areas and amounts, scores to two
decimals, rates as "87.5%" (supervision/core/numbers.py, the template filters of supervision/templating.py)."""
from __future__ import annotations

import io
import re
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser

import pytest
from flask import url_for
from openpyxl import load_workbook
from sqlalchemy import select

from supervision.auth.models import User
from supervision.companies.models import Company
from supervision.core.numbers import area, money, number, percent, score
from supervision.estates.models import Estate
from supervision.extensions import db
from supervision.regions.models import Community, Street
from supervision.targets.percent import as_percent

# A quantity of 4 to 8 digits without thousands separators. Not quantities: years (1990, 2026年), parts of dates,
# times, codes and document numbers (〔2026〕, 第0001号), identifiers of 9+ digits (house codes), the 12345 hotline.
BARE_THOUSANDS = re.compile(r"(?<![0-9A-Za-z.,\-/:〔第#])(?!(?:19|20)\d\d(?!\d))\d{4,8}(?![0-9A-Za-z,\-/:〕年号转])")
# A decimal: two places (scores, areas, amounts), one place before "%" (rates). A factor
# ("×0.031") is not a score.
DECIMAL = re.compile(r"(?<![0-9A-Za-z.,\-/:×])\d{1,3}(?:,\d{3})*\.(\d+)(%?)(?![0-9A-Za-z])")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "svg")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "svg")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def unformatted(text: str) -> list[str]:
    """The numbers in ``text`` not formatted the shared way."""
    bad = [m.group(0) for m in BARE_THOUSANDS.finditer(text)]
    for m in DECIMAL.finditer(text):
        places, is_percent = len(m.group(1)), bool(m.group(2))
        if places != (1 if is_percent else 2):
            bad.append(m.group(0))
    return bad


def without_names(text: str) -> str:
    """The text without the test objects' names: factories number them (测试小区14080 after many tests)."""
    names = set()
    for column in (Estate.name, Company.name, Street.name, Community.name, User.display_name, User.username):
        names.update(db.session.scalars(select(column)))
    for name in sorted(filter(None, names), key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def test_the_shared_formats():
    assert number(24000) == "24,000" and number(Decimal("1234.5"), 2) == "1,234.50" and number(None) == ""
    assert score(92.5) == "92.50" and score(Decimal("-1.5"), sign=True) == "-1.50" and score(2, sign=True) == "+2.00"
    assert score(Decimal("-0.001")) == "0.00"  # never "-0.00"
    assert money(Decimal("1234.5")) == "1,234.50" and area(Decimal("1234.5")) == "1,234.50 ㎡"
    # one way for rates, whether they come as fractions (targets) or floats (pages): half up, one place
    for value in (Fraction(7, 8), 0.875, Decimal("0.875")):
        assert percent(value) == "87.5%"
    assert percent(Fraction(1, 3)) == as_percent(Fraction(1, 3)) == "33.3%"
    assert percent(0.0005) == percent(Fraction(1, 2000)) == "0.1%"  # half up, not float's half even
    assert percent(None) == "—"


def test_the_scanner_finds_numbers_printed_another_way():
    assert sorted(unformatted("24000 户 · 得分 92.5 · 87.46%")) == ["24000", "87.46%", "92.5"]
    assert unformatted("1234.50 ㎡") == ["1234"]  # no separator in an area's integer part
    assert unformatted("2026年 〔2026〕整改第0001号 2026-12-07 10:30 建于 1990 · 24,000 户 · 92.50 · 87.5% · "
                       "×0.031 · 12345转办 · 31100001550101") == []


def _world_pages(world):
    estate = world.estate1
    return [url_for("estates.index"), url_for("estates.detail", estate_id=estate.id),
            url_for("companies.detail", company_id=world.company1.id)]


def test_large_counts_and_areas_carry_separators(login_as, world):
    world.estate1.households, world.estate1.floor_area = 12345, Decimal("123456.5")
    db.session.commit()
    client = login_as(world.officer)
    for url in _world_pages(world):
        text = without_names(visible_text(client.get(url).get_data(as_text=True)))
        assert "12,345" in text, url
        assert unformatted(text) == [], url
    detail = visible_text(client.get(url_for("estates.detail", estate_id=world.estate1.id)).get_data(as_text=True))
    assert "123,456.50 ㎡" in detail


def test_the_estate_export_writes_numbers_with_number_formats(login_as, world):
    world.estate1.households, world.estate1.floor_area, world.estate1.year_built = 12345, Decimal("123456.5"), 1998
    db.session.commit()
    response = login_as(world.officer).get(url_for("estates.export"))
    sheet = load_workbook(io.BytesIO(response.data)).active
    headers = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[headers.index("小区名称")].value == world.estate1.name)
    households, floor_area, year_built = (row[headers.index(h)] for h in ("户数", "建筑面积（平方米）", "建成年份"))
    assert households.value == 12345 and households.number_format == "#,##0"
    assert floor_area.value == 123456.5 and floor_area.number_format == "#,##0.00"
    assert year_built.value == 1998 and year_built.number_format == "0"  # a year, not a count


KEY_PAGES = {
    "officer": ("dashboard", "ranking", "credit_company", "company", "targets", "estates", "estate"),
    "leader": ("dashboard", "ranking", "credit_company", "targets", "estates", "estate"),
    "street": ("dashboard", "targets", "estates"),
    "company": ("dashboard", "credit_company", "company", "estates"),
}


def _demo_urls(company, estate) -> dict[str, str]:
    return {"dashboard": url_for("dashboard.index"), "ranking": url_for("credit.ranking"),
            "credit_company": url_for("credit.company", company_id=company.id),
            "company": url_for("companies.detail", company_id=company.id), "targets": url_for("targets.index"),
            "estates": url_for("estates.index"), "estate": url_for("estates.detail", estate_id=estate.id)}


@pytest.mark.parametrize("role", sorted(KEY_PAGES))
def test_key_pages_of_the_demo_print_numbers_the_shared_way(demo, role):
    with demo.app.app_context(), demo.app.test_request_context():
        company = db.session.scalar(select(Company).where(Company.name == "示范安居物业服务有限公司"))
        largest = db.session.scalars(select(Estate).order_by(Estate.floor_area.desc().nulls_last())).first()
        urls = _demo_urls(company, largest)
    client = demo.app.test_client()
    client.post("/login", data={"username": role, "password": "supervision-demo"})
    found = {}
    for page in KEY_PAGES[role]:
        response = client.get(urls[page])
        assert response.status_code == 200, (role, page)
        text = visible_text(response.get_data(as_text=True))
        found[page] = unformatted(text)
        if page == "estate":
            assert re.search(r"\d,\d{3}\.\d{2} ㎡", text)  # the largest estate's area, with its separator
    assert found == {page: [] for page in KEY_PAGES[role]}


def test_list_totals_carry_separators(app):
    page = type("Page", (), {"pages": 1, "total": 12345})()
    with app.test_request_context("/estates/"):
        html = app.jinja_env.from_string('{% from "_macros.html" import pagination %}{{ pagination(page) }}') \
            .render(page=page)
    assert "共 12,345 条" in html
