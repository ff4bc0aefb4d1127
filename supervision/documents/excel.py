"""Excel workbooks: templates and exports written with XlsxWriter, validated imports read with openpyxl.

A feature describes its sheet once as a list of ``Column``s; the same list
writes the template, writes exports and reads imports, so an export always
imports back.
"""
from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from datetime import time as dt_time
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import xlsxwriter
from flask import current_app, has_app_context
from flask_babel import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ..core.numbers import EXCEL_COUNT, EXCEL_DECIMAL
from . import content_disposition, normalise

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CellError(ValueError):
    """Raised by a parser; the message is shown to the user."""


@dataclass
class Column:
    key: str
    header: str
    required: bool = False
    parse: Callable[[Any], Any] | None = None
    export: Callable[[Any], Any] | None = None
    example: Any = None
    width: int = 16
    note: str | None = None
    aliases: tuple[str, ...] = ()  # other headers ledgers use for this column (see ``documents.ledger``)
    # Excel's display of a number ("0" for years and ids); by default counts "#,##0", decimals "#,##0.00"
    number_format: str | None = None

    def parse_value(self, raw):
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if self.required:
                raise CellError(_("必填项不能为空"))
            return None
        return self.parse(raw) if self.parse else text()(raw)


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ParsedSheet:
    rows: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    fatal: bool = False  # over a limit: the rows were dropped, only the one error stands
    last_row: int = 1  # the last row number read (the sheet may go on below it)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, error: RowError) -> ParsedSheet:
        self.rows, self.errors, self.fatal = [], [error], True
        return self


# --- parsers -----------------------------------------------------------------
#
# Every parser reads values the way ledgers kept by hand write them (``documents.normalise``):
# full-width digits, units and thousands separators, 2005年, 2020.5.1, Excel serials, √/×, trailing
# full-width spaces.

def text(max_length: int = 255):
    def parse(raw):
        value = normalise.clean(raw)
        if len(value) > max_length:
            raise CellError(_("长度不能超过 %(n)s 个字符", n=max_length))
        return value
    return parse


def integer(minimum: int | None = None, maximum: int | None = None):
    def parse(raw):
        try:
            number = Decimal(normalise.number_text(raw))
            if number != number.to_integral_value():
                raise ValueError(raw)
            value = int(number)
        except (ValueError, InvalidOperation):
            raise CellError(_("应为整数")) from None
        _check_range(value, minimum, maximum)
        return value
    return parse


def decimal(minimum=None, maximum=None, places: int = 2):
    def parse(raw):
        try:
            value = Decimal(normalise.number_text(raw))
        except (ValueError, InvalidOperation):
            raise CellError(_("应为数字")) from None
        if not value.is_finite():
            raise CellError(_("应为数字"))
        _check_range(value, minimum, maximum)
        return value.quantize(Decimal(1).scaleb(-places))
    return parse


def year(minimum: int = 1900, maximum: int = 2100):
    """A year: 2005, "2005年", "2005.6", "2005-06", a date."""
    def parse(raw):
        try:
            value = normalise.year(raw)
        except ValueError:
            raise CellError(_("应为年份，如 2005")) from None
        _check_range(value, minimum, maximum)
        return value
    return parse


def _check_range(value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise CellError(_("不能小于 %(n)s", n=minimum))
    if maximum is not None and value > maximum:
        raise CellError(_("不能大于 %(n)s", n=maximum))


def a_date(raw):
    try:
        return normalise.a_date(raw)
    except ValueError:
        raise CellError(_("日期格式应为 YYYY-MM-DD")) from None


def boolean(raw):
    try:
        return normalise.yes_no(raw)
    except ValueError:
        raise CellError(_("应填写“是”或“否”")) from None


def choice(enum_cls, synonyms: dict[str, Any] | None = None):
    """A member of ``enum_cls`` by its label or value, or by one of the ``synonyms`` ledgers write
    (e.g. 自管 for 业委会自管); spaces inside do not matter."""
    # Value and (translated) label → member, built on first use: translating every label for every
    # cell dominated large imports. The parser lives as long as its columns, i.e. one request.
    lookup: dict[str, Any] = {}

    def parse(raw):
        value = normalise.clean(raw).replace(" ", "")
        if not lookup:
            for member in enum_cls:  # first match wins, as in a scan of label then value per member
                lookup.setdefault(str(member.label).replace(" ", ""), member)
                lookup.setdefault(member.value, member)
            for word, member in (synonyms or {}).items():
                lookup.setdefault(word, member)
        if value in lookup:
            return lookup[value]
        raise CellError(_("应为以下之一：%(options)s", options="、".join(m.label for m in enum_cls)))
    return parse


# --- writing -----------------------------------------------------------------
#
# XlsxWriter in constant-memory mode: each row is written out as it comes (inline strings, no
# shared-string table), so memory does not grow with the row count, at a fraction of openpyxl's cost per
# cell (openpyxl still reads the files). The rows go to memory first and to a temporary file once they
# pass ``SPILL_BYTES``; a workbook that stayed in memory is also packaged in memory. XlsxWriter's own way
# (a temporary file per sheet and per XML part, ~10 of them even for an empty workbook) cost ~4–5 ms of
# file system calls a workbook, more than writing a thousand cells.

HEADER_FORMAT = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79", "pattern": 1}
DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd h:mm:ss", "h:mm:ss"
_PLAIN = frozenset({str, int, float, type(None)})
SPILL_BYTES = 4 * 1024 * 1024  # a sheet's rows kept in memory up to this (~40,000 cells), then in a temporary file


@lru_cache(maxsize=256)
def _column_letter(col: int) -> str:
    return xl_col_to_name(col)


class _TextSheet(Worksheet):
    """XlsxWriter's worksheet, except that a value that looks like rich-text XML ("<r>…</r>") is
    escaped like any other text: in constant-memory mode XlsxWriter would write it into the file as it
    is, so a name typed that way could inject XML."""

    def _xml_rich_inline_string(self, string, attributes=()):
        self._xml_inline_string(string, bool(_preserve_whitespace(string)), list(attributes))

    # The rows in memory until ``spill``: XlsxWriter's constant-memory mode without its temporary file.
    def _initialize(self, init_data) -> None:
        super()._initialize({**init_data, "constant_memory": False})
        self.constant_memory = True
        self.row_data_fh = self.fh = io.StringIO()

    @property
    def in_memory(self) -> bool:
        return self.row_data_filename is None

    def spill(self) -> None:
        """The rows so far, and those to come, in a temporary file (XlsxWriter's own constant-memory way)."""
        fd, filename = tempfile.mkstemp(dir=self.tmpdir)
        os.close(fd)
        rows = self.row_data_fh.getvalue()
        self.row_data_filename = filename
        self.row_data_fh = self.fh = open(filename, mode="w+", encoding="utf-8")  # noqa: SIM115
        self.fh.write(rows)

    def _write_optimized_sheet_data(self) -> None:
        if not self.in_memory:
            super()._write_optimized_sheet_data()
        elif self.dim_rowmin is None:
            self._xml_empty_tag("sheetData")
        else:
            self._xml_start_tag("sheetData")
            self.fh.write(self.row_data_fh.getvalue())
            self._xml_end_tag("sheetData")

    def _opt_close(self) -> None:
        if not self.in_memory:
            super()._opt_close()

    def _opt_reopen(self) -> None:
        if not self.in_memory:
            super()._opt_reopen()

    def plain_row(self, row: int, values, styles) -> bool:
        """Row ``row`` of texts and finite numbers written straight to the sheet's temporary file, the XML
        XlsxWriter writes for them (inline strings, numbers with their style ``styles(col, kind)``) without
        its per-cell bookkeeping, which was most of a large export's time. False (nothing written) if a value
        of another type is in the row: the caller writes that row cell by cell."""
        number = str(row + 1)
        cells, first = [], None
        escape_controls, escape = self._escape_control_characters, self._escape_data
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            kind = type(value)
            if kind is str and len(value) <= 16_000:  # longer: XlsxWriter cuts it at Excel's 32,767 UTF-16 units
                text = escape_controls(value)
                space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
                cells.append(f'<c r="{_column_letter(col)}{number}" t="inlineStr"><is><t{space}>{escape(text)}</t>'
                             f'</is></c>')
            elif (kind is int or kind is float) and value - value == 0:  # not NaN nor infinite
                cells.append(f'<c r="{_column_letter(col)}{number}" s="{styles(col, kind)}"><v>{value:.16G}</v></c>')
            else:
                return False
            first = col if first is None else first
        if self.table:  # a row written cell by cell waits in the table until the next row starts
            self._write_single_row(row)
        self.previous_row = row
        if cells:
            self._check_dimensions(row, first)
            self._check_dimensions(row, col)
            self.fh.write(f'<row r="{number}">{"".join(cells)}</row>')
        return True


class _Sheet:
    """One worksheet written row by row; a value's type picks how it is written."""

    def __init__(self, workbook, title: str):
        self.workbook, self.row = workbook, 0
        self.sheet = workbook.add_worksheet(title[:31], worksheet_class=_TextSheet)
        self.formats: dict[str | None, Any] = {}
        self.number_formats: list[str | None] | None = None
        self.styles: dict[tuple[int, type], int] = {}

    def format(self, number_format: str | None):
        if number_format not in self.formats:
            self.formats[number_format] = self.workbook.add_format({"num_format": number_format})
        return self.formats[number_format]

    def style(self, col: int, kind) -> int:
        """The style index of a number of this type in this column (``plain_row``)."""
        key = (col, kind)
        if key not in self.styles:
            number_format = self.number_formats[col] if self.number_formats else None
            number_format = number_format or (EXCEL_COUNT if kind is int else EXCEL_DECIMAL)
            self.styles[key] = self.format(number_format)._get_xf_index()
        return self.styles[key]

    def append(self, values, number_formats=None) -> None:
        """A row of values; a string is always text (never a formula: formula injection)."""
        if number_formats is not self.number_formats:
            self.number_formats, self.styles = number_formats, {}
        if self.sheet.plain_row(self.row, values, self.style):
            self.row += 1
        else:
            self._cells(values, number_formats)
        if not self.row % 256 and self.sheet.in_memory and self.sheet.fh.tell() > SPILL_BYTES:
            self.sheet.spill()

    def _cells(self, values, number_formats) -> None:
        # The worksheet's undecorated writers: the public ones re-check their (row, col) arguments per cell.
        sheet, row = self.sheet, self.row
        write_string, write_number = sheet._write_string, sheet._write_number
        for col, value in enumerate(values):
            kind = type(value)
            if value is None or value == "":  # an empty cell, as openpyxl wrote it
                continue
            if kind is str:
                write_string(row, col, value)
            elif kind is int or kind is float or kind is Decimal:
                number_format = number_formats[col] if number_formats else None
                number_format = number_format or (EXCEL_COUNT if kind is int else EXCEL_DECIMAL)
                write_number(row, col, float(value) if kind is Decimal else value, self.format(number_format))
            elif kind is bool:
                sheet._write_boolean(row, col, value)
            elif kind is datetime:
                sheet._write_datetime(row, col, value, self.format(DATETIME_FORMAT))
            elif kind is date:
                sheet._write_datetime(row, col, value, self.format(DATE_FORMAT))
            elif kind is dt_time:
                sheet._write_datetime(row, col, value, self.format(TIME_FORMAT))
            else:
                write_string(row, col, str(value))
        self.row = row + 1


def _exported(column: Column, labels: dict):
    """A column's value for a workbook cell (``export`` or the attribute; labels for enums, 是/否 for
    booleans, floats for decimals), each enum member's label translated once per workbook."""
    export, key = column.export, column.key

    def value_of(obj):
        value = export(obj) if export else getattr(obj, key)
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is bool:
            return "是" if value else "否"
        if kind is Decimal:
            return float(value)
        if isinstance(value, Enum) and hasattr(kind, "label"):  # checked on the class: ``label`` translates
            if value not in labels:
                labels[value] = str(value.label)
            return labels[value]
        if hasattr(value, "label") and hasattr(value, "value"):
            return value.label
        return value
    return value_of


def _discard(workbook) -> None:
    """A workbook abandoned part-written (the rows' query failed): its sheets' temporary files go."""
    for sheet in workbook.worksheets():
        if sheet.row_data_fh is not None and not sheet.row_data_fh_closed:
            sheet.row_data_fh.close()
            sheet.row_data_fh_closed = True
        if getattr(sheet, "row_data_filename", None):
            Path(sheet.row_data_filename).unlink(missing_ok=True)


def write_workbook(columns: list[Column], objects: Iterable[Any] = (), *, title: str = "Sheet1",
                   example: bool = False, extra_sheets: dict[str, list[list]] | None = None) -> bytes:
    """A workbook whose first row holds the headers, then one row per object."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "remove_timezone": True,
                                         "strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    try:
        sheet = _Sheet(workbook, title)
        for index, column in enumerate(columns):
            sheet.sheet.set_column(index, index, column.width)
        sheet.sheet.freeze_panes(1, 0)
        header = workbook.add_format(HEADER_FORMAT)
        for index, column in enumerate(columns):
            sheet.sheet.write_string(0, index, str(column.header), header)
        sheet.row = 1
        if example:
            sheet.append([column.example for column in columns])
        number_formats = [column.number_format for column in columns]
        labels: dict = {}
        values = [_exported(column, labels) for column in columns]
        for obj in objects:
            sheet.append([value_of(obj) for value_of in values], number_formats)
        for name, rows in (extra_sheets or {}).items():
            extra = _Sheet(workbook, name)
            extra.formats = sheet.formats
            for row in rows:
                extra.append(row)
    except BaseException:
        _discard(workbook)
        raise
    # Small (no sheet spilled): every XML part in memory too; large: in temporary files, as the sheets.
    workbook.in_memory = all(sheet.in_memory for sheet in workbook.worksheets())
    workbook.close()
    return out.getvalue()


# --- reading -----------------------------------------------------------------
#
# The work is bounded by the sheet's real size, never by what the file declares: the first
# ``blank_rows_end`` consecutive blank rows end the table (a sheet may carry a million formatted
# but empty rows, or a stray cell far below), at most ``max_rows`` data rows and ``max_columns``
# header columns are read, and reading stops once ``max_seconds`` have passed. Each limit has an
# app setting (IMPORT_*), read when the import runs.

@dataclass(frozen=True)
class ReadLimits:
    max_rows: int = 50_000
    max_columns: int = 100
    max_seconds: float = 30.0
    blank_rows_end: int = 100

    @classmethod
    def from_config(cls, max_rows: int | None = None) -> ReadLimits:
        """The app's IMPORT_* settings; ``max_rows`` (an importer's own cap) can only lower the row cap."""
        config = current_app.config if has_app_context() else {}
        limits = cls(max_rows=int(config.get("IMPORT_MAX_ROWS", cls.max_rows)),
                     max_columns=int(config.get("IMPORT_MAX_COLUMNS", cls.max_columns)),
                     max_seconds=float(config.get("IMPORT_MAX_SECONDS", cls.max_seconds)),
                     blank_rows_end=int(config.get("IMPORT_BLANK_ROWS_END", cls.blank_rows_end)))
        if max_rows is not None and max_rows < limits.max_rows:
            limits = replace(limits, max_rows=max_rows)
        return limits


class Deadline:
    """When an import must give up (``ReadLimits.max_seconds`` after it started)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() > self.at

    def error(self, row: int = 0) -> RowError:
        return RowError(row, "-", _("文件处理超过 %(n)s 秒仍未完成，已停止，数据均未导入。请拆分后分批导入。",
                                    n=f"{self.seconds:g}"))


class _UnsizedSheet(ReadOnlyWorksheet):
    def _get_size(self):
        """Skipped: without a declared size openpyxl parses the whole sheet to find one (a million
        blank rows: a minute); the reader below reads rows until the table ends instead."""


class _SheetReader(ExcelReader):
    """openpyxl's read-only reader with unsized sheets (chart sheets are left out, as
    ``Workbook.worksheets`` leaves them out)."""

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            worksheet = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def _open(data: bytes):
    """The workbook, read-only and unsized; ``documents.ledger.read_table`` reads its first sheet."""
    reader = _SheetReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    reader.read()
    return reader.wb


def first_sheet(data: bytes) -> tuple[str, str] | None:
    """The name and the part (``xl/worksheets/sheet1.xml``) of the first worksheet, chart sheets left
    out as ``_open`` leaves them out; None when there is none. Reads only the package's manifest and
    ``workbook.xml`` (not the shared strings nor any sheet)."""
    reader = _SheetReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        reader.read_manifest()
        reader.read_workbook()
        for sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return sheet.name, rel.target.lstrip("/")
        return None
    finally:
        reader.archive.close()


def xlsx_response(data: bytes, filename: str):
    response = current_app.response_class(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(filename, fallback="export.xlsx")
    return response
