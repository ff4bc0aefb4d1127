"""The export writer (documents/excel.py): rows of texts and numbers go straight to the sheet's file
(``plain_row``); they must read back exactly as XlsxWriter's own cell-by-cell writing gives them."""
from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from supervision.documents import excel
from supervision.documents.excel import Column, write_workbook

COLUMNS = [Column(f"c{i}", f"列{i}", export=lambda row, i=i: row[i], number_format="0" if i == 2 else None)
           for i in range(8)]
ROWS = [
    ["a & <b>", " 前导空格", 2005, 3.5, None, "", "_x0041_ 控制\x01", Decimal("1.25")],
    ["=1+1", "<r><t>x</t></r>", 12, -0.0, 1e20, "末尾空格 ", "长" * 20000, 7],
    [True, date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5), 2.5, 1, "z", None, None],  # cell by cell
    [None] * 8,
    ["中文", "\ufffe", 0, 0.1, 123456789012, "&amp;", "t\tab", "n\nl"],
    [None, None, None, 5, None, None, None, None],
]


def _read(data: bytes):
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    cells = [[(cell.value, cell.number_format, cell.data_type, cell.font.b) for cell in row]
             for row in sheet.iter_rows()]
    return cells, sheet.freeze_panes, sheet.dimensions, [list(row) for row in book["说明"].iter_rows(values_only=True)]


def test_plain_rows_read_back_as_cell_by_cell_writing_gives_them(monkeypatch):
    fast = _read(write_workbook(COLUMNS, ROWS, title="台账", extra_sheets={"说明": [[1, "a"]]}))
    monkeypatch.setattr(excel._TextSheet, "plain_row", lambda *args: False)
    slow = _read(write_workbook(COLUMNS, ROWS, title="台账", extra_sheets={"说明": [[1, "a"]]}))
    assert fast == slow
    cells, panes, dimensions, _extra = fast
    assert (panes, dimensions) == ("A2", "A1:H7")
    assert cells[0][0] == ("列0", "General", "s", True)  # the header, bold
    assert cells[1][:4] == [("a & <b>", "General", "s", False), (" 前导空格", "General", "s", False),
                            (2005, "0", "n", False), (3.5, "#,##0.00", "n", False)]
    assert cells[2][0][0] == "=1+1" and cells[2][1][0] == "<r><t>x</t></r>"  # text, never a formula or XML
    assert cells[3][1][:2] == (datetime(2024, 1, 2), "yyyy-mm-dd")


def test_a_workbook_abandoned_part_written_leaves_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where XlsxWriter keeps each sheet's rows

    def rows():
        yield ["一", "二", 1, 2.0, None, None, None, None]
        raise RuntimeError("the cursor failed")

    with pytest.raises(RuntimeError):
        write_workbook(COLUMNS, rows())
    assert list(tmp_path.iterdir()) == []
    assert write_workbook(COLUMNS, ROWS)[:2] == b"PK" and list(tmp_path.iterdir()) == []


def test_a_small_workbook_is_written_without_a_temporary_file(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file for a small workbook")

    expected = _read(write_workbook(COLUMNS, ROWS, title="台账", extra_sheets={"说明": [[1, "a"]]}))
    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # XlsxWriter's sheets and XML parts, and ``spill``
    assert _read(write_workbook(COLUMNS, ROWS, title="台账", extra_sheets={"说明": [[1, "a"]]})) == expected


def test_a_large_workbook_spills_its_rows_to_a_temporary_file_and_reads_back_the_same(tmp_path, monkeypatch):
    rows = [[f"第{n}行", "x" * (n % 7), n, n / 4, None, "", "末", Decimal(n)] for n in range(700)]
    rows[300] = [True, date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5), 2.5, 1, "z", None, None]  # cell by cell
    in_memory = _read(write_workbook(COLUMNS, rows, extra_sheets={"说明": [[1, "a"]]}))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(excel, "SPILL_BYTES", 1000)
    made = []
    mkstemp = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", lambda *args, **kwargs: made.append(1) or mkstemp(*args, **kwargs))
    spilled = _read(write_workbook(COLUMNS, rows, extra_sheets={"说明": [[1, "a"]]}))
    assert len(made) > 2 and spilled == in_memory  # the rows' file and XlsxWriter's parts
    assert list(tmp_path.iterdir()) == []

    def failing():
        yield from rows[:600]
        raise RuntimeError("the cursor failed")

    with pytest.raises(RuntimeError):
        write_workbook(COLUMNS, failing())
    assert list(tmp_path.iterdir()) == []
