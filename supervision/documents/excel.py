"""Excel workbooks with openpyxl: templates, exports and validated imports.

A feature describes its sheet once as a list of ``Column``s; the same list
writes the template, writes exports and reads imports, so an export always
imports back.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

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

    def export_value(self, obj):
        value = self.export(obj) if self.export else getattr(obj, self.key)
        if hasattr(value, "label") and hasattr(value, "value"):
            return value.label
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, Decimal):
            return float(value)
        return value


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

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")


def _as_text(sheet, value):
    """A string starting with "=" is written as text, never as a formula (formula injection)."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _number_format(column: Column, value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return column.number_format or (EXCEL_COUNT if isinstance(value, int) else EXCEL_DECIMAL)


def _data_cell(sheet, column: Column, value):
    """The value as written: numbers stay numbers, shown with thousands separators (core/numbers.py)."""
    number_format = _number_format(column, value)
    if number_format is None:
        return _as_text(sheet, value)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def write_workbook(columns: list[Column], objects: Iterable[Any] = (), *, title: str = "Sheet1",
                   example: bool = False, extra_sheets: dict[str, list[list]] | None = None) -> bytes:
    """A workbook whose first row holds the headers, then one row per object."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)
    if example:
        sheet.append([_as_text(sheet, column.example) for column in columns])
    for obj in objects:
        sheet.append([_data_cell(sheet, column, column.export_value(obj)) for column in columns])
    for name, rows in (extra_sheets or {}).items():
        extra = workbook.create_sheet(title=name[:31])
        for row in rows:
            extra.append([_as_text(extra, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
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
