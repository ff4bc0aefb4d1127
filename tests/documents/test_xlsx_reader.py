"""The .xlsx reader: python-calamine gives the rows openpyxl's streaming reader gives, and a sheet too
large to hold at once is streamed by openpyxl instead (issue 21, item 4)."""
from __future__ import annotations

import io
import itertools
import zipfile
from datetime import date, datetime

import python_calamine
from openpyxl import Workbook

from supervision.documents import ledger
from supervision.documents.excel import ReadLimits
from supervision.estates.spreadsheet import estate_columns


def _book() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet["B1"] = "小区台账（2025年）"  # a title above the header; column A stays empty
    sheet.append([None, "小区名称", "街道", "建成年份", "建筑面积", "老旧小区", "征询日期", "备注", "地址", "社区",
                  "管理模式"])
    rest = ["东风路1号", "东风社区", "物业企业"]
    sheet.append([None, "东风小区", "东城街道", 2005, 1520.5, True, datetime(2020, 5, 1), None, *rest])
    sheet.append([None, "西湖小区", None, 1998.0, 800, False, datetime(2021, 3, 2, 10, 30), "  ", *rest])
    sheet.append([None, "南山小区", None, "1990年", "86,000㎡", "否", None, 13800138000, *rest])
    sheet.merge_cells("C3:C5")  # the street merged down over its estates
    sheet["H7"] = "合计"
    book.create_chartsheet("图", 0)  # not a worksheet: never the one read
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_calamine_reads_the_rows_openpyxl_reads(monkeypatch):
    data = _book()
    calls = []
    real = python_calamine.CalamineWorkbook.from_filelike
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", lambda f: calls.append(1) or real(f))
    fast = list(ledger.source_rows(data, "xlsx", ReadLimits()))
    assert calls  # the fast reader was used
    slow = list(ledger._openpyxl_rows(data, ReadLimits()))
    # calamine reads a cell of spaces as empty; the import treats both as blank
    blank = [(n, [None if isinstance(v, str) and not v.strip() else v for v in values[:8]], filled)
             for n, values, filled in slow]
    assert [(n, values[:8], filled) for n, values, filled in fast] == blank
    assert fast[2][0] == 3 and fast[2][2] == set()
    assert fast[2][1][:8] == [None, "东风小区", "东城街道", 2005, 1520.5, True, datetime(2020, 5, 1), None]
    assert fast[3][1][2] == "东城街道" and fast[3][2] == {2}  # merged
    assert type(fast[3][1][3]) is int and fast[4][1][7] == 13800138000
    assert fast[6][0] == 7 and fast[6][1][7] == "合计"


def test_a_ledger_reads_the_same_with_either_reader(monkeypatch):
    data = _book()
    fast = ledger.read_table(data, "x.xlsx", estate_columns(), mapping={"征询日期": "professional_vote_on"})
    monkeypatch.setattr(ledger, "CALAMINE_MAX_CELLS", 0)
    slow = ledger.read_table(data, "x.xlsx", estate_columns(), mapping={"征询日期": "professional_vote_on"})
    assert fast.header_row == slow.header_row == 2
    assert fast.rows == slow.rows and [r for r, _v in fast.rows] == [3, 4, 5]
    assert [(e.row, e.column, e.message) for e in fast.errors] == [(e.row, e.column, e.message) for e in slow.errors]
    assert fast.rows[1][1]["street"] == "东城街道" and fast.rows[2][1]["floor_area"] == 86000
    assert fast.rows[0][1]["professional_vote_on"] == date(2020, 5, 1) and fast.rows[2][1]["notes"] == "13800138000"


def test_a_stray_cell_far_away_sends_the_sheet_to_the_streaming_reader(monkeypatch):
    book = Workbook()
    sheet = book.active
    sheet.append(["小区名称", "地址"])
    sheet.append(["东风小区", "东风路1号"])
    sheet["AZ200000"] = "x"  # 52 columns × 200,000 rows: far more cells than calamine may hold
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    assert ledger.sheet_extent(data, "xl/worksheets/sheet1.xml") is None  # the table ends long before it
    calls = []
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", lambda f: calls.append(1))
    rows = list(itertools.islice(ledger.source_rows(data, "xlsx", ReadLimits()), 2))
    assert [values[:2] for _n, values, _f in rows] == [["小区名称", "地址"], ["东风小区", "东风路1号"]]
    assert not calls  # calamine never loaded it


def test_an_unusual_sheet_xml_is_not_measured():
    book = Workbook()
    book.active.append(["小区名称"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    rewritten = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive, zipfile.ZipFile(rewritten, "w") as target:
        for item in archive.infolist():
            body = archive.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = xml.replace(b'<c r="A1"', b"<c")  # a cell without its reference: valid, unmeasured
            target.writestr(item, body)
    assert ledger.sheet_extent(rewritten.getvalue(), "xl/worksheets/sheet1.xml") is None
    rows = list(ledger.source_rows(rewritten.getvalue(), "xlsx", ReadLimits()))
    assert rows[0][1][0] == "小区名称"


def test_a_sheet_larger_than_calamine_may_hold_is_streamed(monkeypatch):
    book = Workbook()
    sheet = book.active
    sheet.append(["小区名称", "地址"])
    for n in range(300):
        sheet.append([f"小区{n}", f"路{n}号"])
    sheet["AZ250"] = "x"
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    assert ledger.sheet_extent(data, "xl/worksheets/sheet1.xml") == (301, 52)
    assert ledger.sheet_extent(data, "xl/worksheets/sheet1.xml", max_cells=1000)[1] == 52  # stops early
    monkeypatch.setattr(ledger, "CALAMINE_MAX_CELLS", 301 * 52 - 1)
    calls = []
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", lambda f: calls.append(1))
    rows = list(ledger.source_rows(data, "xlsx", ReadLimits()))
    assert len(rows) == 301 and rows[-1][1][:2] == ["小区299", "路299号"] and not calls
