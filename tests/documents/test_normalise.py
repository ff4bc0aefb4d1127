"""One test per normalisation rule of ledger values (documents.normalise), and the parsers built on them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from supervision.documents import normalise
from supervision.documents.excel import CellError, a_date, boolean, decimal, integer, text, year
from supervision.estates.spreadsheet import estate_columns


@pytest.mark.parametrize("raw, want", [("１２３", "123"), ("ＡＢＣｘｙｚ", "ABCxyz"),
                                       ("９１１１０１０５ＭＡ", "91110105MA"), ("２００５年", "2005年")])
def test_full_width_digits_and_letters_become_half_width(raw, want):
    assert normalise.clean(raw) == want


def test_chinese_punctuation_in_names_is_kept():
    assert normalise.clean("阳光小区（一期）") == "阳光小区（一期）"


@pytest.mark.parametrize("raw, want", [("金桂苑 ", "金桂苑"), ("\u3000金桂苑\u3000\u3000", "金桂苑"),
                                       ("\u00a0桂花路 1号\t", "桂花路 1号"),
                                       ("甲物业\u3000有限公司", "甲物业 有限公司"), ("备注\n第二行", "备注\n第二行")])
def test_names_and_addresses_are_trimmed_of_every_kind_of_space(raw, want):
    assert normalise.clean(raw) == want
    assert text()(raw) == want


@pytest.mark.parametrize("raw, want", [("860户", 860), ("6栋", 6), ("31,200", 31200), ("1，320", 1320),
                                       ("８６０", 860), (" 300 户 ", 300), (12.0, 12), ("10幢", 10), ("2套", 2)])
def test_units_and_thousands_separators_are_stripped_from_integers(raw, want):
    assert integer()(raw) == want


@pytest.mark.parametrize("raw, want", [("152000.5㎡", Decimal("152000.50")), ("31,200", Decimal("31200.00")),
                                       ("1,320.5平方米", Decimal("1320.50")), ("86000m²", Decimal("86000.00")),
                                       (86000.25, Decimal("86000.25"))])
def test_units_and_thousands_separators_are_stripped_from_decimals(raw, want):
    assert decimal()(raw) == want


@pytest.mark.parametrize("raw", ["很多", "860户左右", "1.5户", "六栋"])
def test_what_is_not_a_number_is_still_refused(raw):
    with pytest.raises(CellError):
        integer()(raw)


@pytest.mark.parametrize("raw, want", [("2005年", 2005), ("2005.6", 2005), ("2005-06", 2005), ("2005/6", 2005),
                                       ("2005年6月", 2005), (2005, 2005), (2005.0, 2005), (2005.6, 2005),
                                       ("２００５", 2005), (date(2005, 6, 1), 2005), (datetime(2005, 6, 1), 2005)])
def test_years(raw, want):
    assert year()(raw) == want


@pytest.mark.parametrize("raw", ["05年", "二〇〇五", "2005年代末"])
def test_what_is_not_a_year_is_refused(raw):
    with pytest.raises(CellError, match="应为年份"):
        year()(raw)


@pytest.mark.parametrize("raw, want", [("2020.5.1", date(2020, 5, 1)), ("2020年5月1日", date(2020, 5, 1)),
                                       ("2020/05/01", date(2020, 5, 1)), ("2020-5-1", date(2020, 5, 1)),
                                       ("20200501", date(2020, 5, 1)), (43952, date(2020, 5, 1)),
                                       (43952.0, date(2020, 5, 1)), ("43952", date(2020, 5, 1)),
                                       (datetime(2020, 5, 1, 8, 30), date(2020, 5, 1)),
                                       ("２０２０.５.１", date(2020, 5, 1))])
def test_dates_including_excel_serials(raw, want):
    assert a_date(raw) == want


@pytest.mark.parametrize("raw", ["2020/13/01", "5月1日", "明年"])
def test_what_is_not_a_date_is_refused(raw):
    with pytest.raises(CellError, match="日期格式"):
        a_date(raw)


@pytest.mark.parametrize("raw", ["是", "√", "✓", "✔", "Y", "y", "yes", "有", "1", "Ｙ", " 是 "])
def test_yes(raw):
    assert boolean(raw) is True


@pytest.mark.parametrize("raw", ["否", "×", "✗", "✘", "N", "n", "no", "无", "0", "X"])
def test_no(raw):
    assert boolean(raw) is False


def test_neither_yes_nor_no_is_refused():
    with pytest.raises(CellError, match="应填写“是”或“否”"):
        boolean("也许")


@pytest.mark.parametrize("value, names, want", [
    ("东城", ["东城街道", "西城街道"], ["东城街道"]),
    ("东城街道", ["东城街道", "西城街道"], ["东城街道"]),
    ("东城街道办事处", ["东城街道", "西城街道"], ["东城街道"]),
    ("东城街道", ["东城", "西城"], ["东城"]),
    ("东风", ["东风社区", "西湖社区"], ["东风社区"]),
    ("东风社区居委会", ["东风社区", "西湖社区"], ["东风社区"]),
    ("北极", ["东城街道", "西城街道"], []),
])
def test_street_and_community_names_match_with_or_without_their_suffix(value, names, want):
    assert normalise.match_name(value, names) == want


@pytest.mark.parametrize("a, b", [("建筑面积（㎡）", "建筑面积（平方米）"), ("建筑面积(m²)", "建筑面积（平方米）"),
                                  ("小区 名称", "小区名称"), ("小区\n名称", "小区名称"), ("*小区名称", "小区名称"),
                                  ("小区名称：", "小区名称")])
def test_headers_compare_loosely(a, b):
    assert normalise.header_key(a) == normalise.header_key(b)


@pytest.mark.parametrize("raw, want", [("物业企业", "professional"), ("物业公司", "professional"),
                                       ("专业化物业管理", "professional"), ("自管", "owners_self"),
                                       ("社区 托管", "community_trust"), ("街道托管", "street_centre"),
                                       ("无", "none"), ("professional", "professional")])
def test_management_modes_as_ledgers_write_them(app, raw, want):
    column = next(c for c in estate_columns() if c.key == "management_mode")
    assert column.parse_value(raw).value == want


def test_an_unknown_management_mode_is_refused(app):
    column = next(c for c in estate_columns() if c.key == "management_mode")
    with pytest.raises(CellError, match="应为以下之一"):
        column.parse_value("包干")
