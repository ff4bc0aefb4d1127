"""The Excel import pipeline: bounded by the sheet's real size, for every importer (issue 15.6)."""
from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from supervision.campaigns.models import Enrolment
from supervision.campaigns.services import enrolment as enrolment_service
from supervision.companies.credit_code import make_credit_code
from supervision.companies.models import Company
from supervision.companies.spreadsheet import company_columns, import_companies
from supervision.documents.excel import Column, ReadLimits
from supervision.documents.imports import SheetImport
from supervision.documents.ledger import read_table
from supervision.estates.spreadsheet import estate_columns, import_estates
from supervision.extensions import db

from ..campaigns.factories import gen_campaign

COMPANY_HEADERS = [c.header for c in company_columns()]
LAST_EXCEL_ROW = 1_048_576


def company_rows(n: int) -> list[list]:
    codes = [make_credit_code(f"91110105MA01{i:04d}X") for i in range(n)]
    return [[f"导入物业{i}有限公司", code] + [None] * (len(COMPANY_HEADERS) - 2) for i, code in enumerate(codes)]


def workbook(rows: list[list], headers=COMPANY_HEADERS, *, blank_rows: int = 0, stray_at: int | None = None,
             blank_gap: int = 0) -> bytes:
    """A workbook with ``rows`` under ``headers``; then ``blank_rows`` formatted but empty rows and a
    stray cell at row ``stray_at``, with no declared size (the worst case for a reader). ``blank_gap``
    puts that many unformatted empty rows before the last data row."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for index, row in enumerate(rows):
        if blank_gap and index == len(rows) - 1:
            for _ in range(blank_gap):
                sheet.append([])
        sheet.append(row)
    if stray_at:
        sheet.cell(row=stray_at, column=3, value="备注写在了很远的地方")
    out = io.BytesIO()
    book.save(out)
    if not blank_rows and not stray_at:
        return out.getvalue()
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    xml = source.read("xl/worksheets/sheet1.xml").decode()
    xml = re.sub(r"<dimension [^>]*/>", "", xml)
    first = len(rows) + blank_gap + 2
    blank = "".join(f'<row r="{n}" s="1" customFormat="1"><c r="A{n}" s="1"/><c r="B{n}" s="1"/></row>'
                    for n in range(first, first + blank_rows))
    marker = f'<row r="{stray_at}"' if stray_at else "</sheetData>"
    xml = xml.replace(marker, blank + marker, 1)
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = xml.encode() if item.filename == "xl/worksheets/sheet1.xml" else source.read(item.filename)
            target.writestr(item, data)
    return patched.getvalue()


def companies() -> int:
    return db.session.scalar(select(func.count(Company.id)))


def test_a_million_declared_rows_are_not_read(world):
    """Three companies, 200,000 formatted blank rows, a stray cell in Excel's last row, no declared
    size: the import reads up to the run of blank rows that ends the table, quickly."""
    data = workbook(company_rows(3), blank_rows=200_000, stray_at=LAST_EXCEL_ROW)
    started = time.monotonic()
    sheet = read_table(data, None, company_columns())
    assert sheet.ok and len(sheet.rows) == 3
    assert sheet.last_row == 4 + ReadLimits.from_config().blank_rows_end  # the header, 3 rows, 100 blank
    result = import_companies(data, "big.xlsx", actor=world.officer)
    elapsed = time.monotonic() - started
    assert result.ok, result.errors
    assert result.rows == 3 and len(result.created) == 3 and companies() == 5
    assert elapsed < 3, elapsed  # ~0.1 s; reading every row took seconds (a minute at 1.9 million rows)


def test_fewer_blank_rows_than_the_run_do_not_end_the_table(world):
    data = workbook(company_rows(3), blank_gap=99)
    result = import_companies(data, "gap.xlsx")
    assert result.ok and len(result.created) == 3
    assert [row for row, _values in read_table(data, None, company_columns()).rows] == [2, 3, 103]


def test_a_run_of_blank_rows_ends_the_table(world):
    data = workbook(company_rows(3), blank_gap=100)
    result = import_companies(data, "gap.xlsx")
    assert result.ok and [c.name for c in result.created] == ["导入物业0有限公司", "导入物业1有限公司"]


def test_over_the_row_cap_gets_one_chinese_error_and_imports_nothing(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 5)
    result = import_companies(workbook(company_rows(6)), "six.xlsx")
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (7, "-", "数据超过 5 行的上限，数据均未导入。请拆分后分批导入。")]
    assert companies() == 2
    assert import_companies(workbook(company_rows(5)), "five.xlsx").ok


def test_an_importers_own_cap_only_lowers_the_setting(app, monkeypatch):
    assert ReadLimits.from_config(5000).max_rows == 5000
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 100)
    assert ReadLimits.from_config(5000).max_rows == 100


def test_over_the_column_cap(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_COLUMNS", len(COMPANY_HEADERS))
    wide = workbook(company_rows(1), headers=COMPANY_HEADERS + ["多余的列"])
    result = import_companies(wide, "wide.xlsx")
    message = f"表头超过 {len(COMPANY_HEADERS)} 列的上限，请使用下载的模板。"
    assert [(e.row, e.message) for e in result.errors] == [(1, message)]
    assert import_companies(workbook(company_rows(1)), "ok.xlsx").ok  # exactly at the cap


def test_a_stray_header_far_to_the_right_is_not_read(world):
    book = Workbook()
    book.active.append(COMPANY_HEADERS)
    book.active.append(company_rows(1)[0])
    book.active.cell(row=1, column=16_384, value="XFD")
    out = io.BytesIO()
    book.save(out)
    assert import_companies(out.getvalue(), "x.xlsx").ok


def test_over_the_time_cap(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_SECONDS", 0)
    result = import_companies(workbook(company_rows(2)), "slow.xlsx")
    assert len(result.errors) == 1 and "文件处理超过 0 秒仍未完成" in result.errors[0].message
    assert companies() == 2


@pytest.mark.parametrize("run", ["estates", "companies", "enrolments"])
def test_every_importer_is_bounded(app, world, monkeypatch, run):
    """The row cap and the end of the table hold for each importer (they share the pipeline)."""
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    if run == "estates":
        headers = [c.header for c in estate_columns()]
        row = ["新小区", "新路1号", "东城街道", "东风社区", "社区托管"] + [None] * (len(headers) - 5)
        rows = [row] + [[f"新小区{i}"] + row[1:] for i in range(2)]
        importer = import_estates
    elif run == "companies":
        headers, rows, importer = COMPANY_HEADERS, company_rows(3), import_companies
    else:
        campaign = gen_campaign(world)
        headers = [c.header for c in enrolment_service.IMPORT_COLUMNS]
        rows = [["东城街道", "阳光小区", None], ["西城街道", "月亮小区", None], ["东城街道", "阳光小区", "重复"]]

        def importer(data, filename):
            return enrolment_service.import_enrolments(campaign, data, filename, actor=world.officer)
    over = importer(workbook(rows, headers), "over.xlsx")
    assert [(e.row, e.column) for e in over.errors] == [(4, "-")] and "上限" in over.errors[0].message
    bounded = importer(workbook(rows[:2], headers, blank_rows=1000, stray_at=5000), "ok.xlsx")
    assert bounded.ok, bounded.errors
    assert (db.session.scalar(select(func.count(Enrolment.id))) == 2 if run == "enrolments"
            else len(bounded.created) == 2)


def test_the_web_import_shows_the_cap_error(app, login_as, world, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    response = login_as(world.officer).post(
        "/companies/import", data={"file": (io.BytesIO(workbook(company_rows(3))), "企业.xlsx")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="import-failed"' in html
    assert "数据超过 2 行的上限，数据均未导入。请拆分后分批导入。" in html and companies() == 2


class _Numbers(SheetImport):
    columns = [Column("n", "数字", required=True, parse=int)]

    def __init__(self):
        self.written = None

    def check_row(self, row):
        if row.get("n") % 2:
            row.error("n", "应为偶数")
        return row.get("n")

    def write(self, ready):
        self.written = ready
        return ready


def _numbers(*values) -> bytes:
    return workbook([[v] for v in values], headers=["数字"])


def test_the_pipeline_is_all_or_nothing_with_every_error_listed(world):
    importer = _Numbers()
    result = importer.run(_numbers(2, 3, None, 5), "n.xlsx")
    assert [(e.row, e.column, e.message) for e in result.errors] == [(3, "数字", "应为偶数"), (5, "数字", "应为偶数")]
    assert importer.written is None and result.rows == 3  # the blank row 4 is not a data row
    importer = _Numbers()
    assert importer.run(_numbers(2, 4), "n.xlsx").created == [2, 4] == importer.written


def test_the_pipeline_checks_the_file_and_refuses_an_empty_sheet(world):
    assert [e.message for e in _Numbers().run(b"", "n.xlsx").errors] == ["文件为空：n.xlsx"]
    assert [e.message for e in _Numbers().run(_numbers(), "n.xlsx").errors] == ["文件中没有数据行。"]


def test_no_importer_reads_workbooks_outside_the_pipeline():
    """A new importer goes through documents.imports (so it is bounded), not its own reader."""
    root = Path(__file__).resolve().parents[2] / "supervision"
    reads = re.compile(r"\b(read_workbook|load_workbook)\(")
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if path.parent.name != "documents" and reads.search(path.read_text())]
    assert offenders == []
    assert {cls.__name__ for cls in SheetImport.__subclasses__()} >= {
        "EstateImport", "CompanyImport", "EnrolmentImport", "WorkbookImport"}
