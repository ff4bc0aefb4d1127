"""The Excel import pipeline every importer uses: check the file, read it, count the rows,
check each row, and write all of it or nothing.

An importer subclasses ``SheetImport`` and declares its ``columns`` (the same ``Column``s that
write its template), a per-row ``check_row`` and a ``write``; ``run`` does the rest:

1. the upload must be an .xlsx by its content, at most 10 MB (``check_file``);
2. the first sheet is read with ``documents.excel.read_workbook``, bounded by the sheet's real size
   (a run of blank rows ends the table; caps on rows, columns and seconds: the IMPORT_* settings);
3. a sheet without data rows is refused;
4. ``prepare`` loads the look-ups once, then ``check_row`` runs for every row and reports problems
   with ``row.error(key, message)``; every problem is kept as ``RowError(row, column, message)``;
5. only if no row failed does ``write`` get the values ``check_row`` returned, in row order.

The caller commits or rolls back (services never commit). ``report_lines`` gives the report as
text (the CLI), ``instructions`` the rows of a template's 填写说明 sheet.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar

import click
from flask_babel import gettext as _
from openpyxl import load_workbook

from ..attachments.services import XLSX, UploadError, validate
from ..extensions import db
from .excel import Column, Deadline, ReadLimits, RowError, read_workbook


@dataclass
class ImportResult:
    created: Any = field(default_factory=list)  # what ``write`` returned: for most importers the new objects
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # data rows read

    @property
    def ok(self) -> bool:
        return not self.errors


class SheetRow:
    """One data row being checked: its number in the sheet, its parsed values, its errors."""

    def __init__(self, number: int, values: dict, headers: dict[str, str], errors: list[RowError]):
        self.number = number
        self.values = values
        self._headers = headers
        self._errors = errors
        self.reported = {e.column for e in errors}  # the columns that already have an error on this row

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def error(self, key: str, message: str) -> None:
        """Report a problem in the column ``key`` (a column key, or a header such as "-")."""
        column = self._headers.get(key, key)
        self._errors.append(RowError(self.number, column, message))
        self.reported.add(column)

    @property
    def failed(self) -> bool:
        return bool(self._errors)


def data_rows(data: bytes) -> int:
    """About how many data rows the first sheet holds (its recorded size less the header), without
    reading it; 0 for a file that is not a readable workbook (the import then reports why)."""
    try:
        workbook = load_workbook(BytesIO(data), read_only=True)
        try:
            return max(0, (workbook.worksheets[0].max_row or 0) - 1)
        finally:
            workbook.close()
    except Exception:  # any unreadable file: the import's own checks explain it
        return 0


def check_file(data: bytes, filename: str | None) -> str | None:
    """None when the upload is an acceptable .xlsx (by content, ≤ 10 MB), else the message."""
    try:
        validate(data, filename or "import.xlsx", kinds=(XLSX,))
    except UploadError as error:
        return error.message
    return None


class SheetImport:
    """One import of one file. Subclasses set ``columns`` (or override ``get_columns``) and
    implement ``check_row`` and ``write``; ``prepare`` is optional."""

    columns: list[Column] | tuple = ()  # a class attribute, or set per instance
    max_rows: ClassVar[int | None] = None  # the importer's own cap; IMPORT_MAX_ROWS applies anyway
    progress_every: ClassVar[int] = 500  # rows checked between two ``report_progress`` calls

    def report_progress(self, done: int, total: int) -> None:
        """Called every ``progress_every`` rows checked and once when all are (a job shows it)."""

    def get_columns(self) -> list[Column]:
        return list(self.columns)

    def prepare(self, rows: list[SheetRow]) -> None:
        """Load what the row checks look up (once, before the first row)."""

    def check_row(self, row: SheetRow) -> Any:
        """Check one row; report problems with ``row.error``; return what ``write`` needs."""
        raise NotImplementedError

    def write(self, ready: list) -> Any:
        """Add the records (every row passed); flush and audit, never commit."""
        raise NotImplementedError

    def run(self, data: bytes, filename: str | None = None) -> ImportResult:
        limits = ReadLimits.from_config(self.max_rows)
        deadline = Deadline(limits.max_seconds)
        result = ImportResult()
        problem = check_file(data, filename)
        if problem:
            result.errors.append(RowError(0, _("文件"), problem))
            return result
        columns = self.get_columns()
        sheet = read_workbook(data, columns, limits=limits, deadline=deadline)
        result.rows = len(sheet.rows)
        result.errors.extend(sheet.errors)
        if sheet.fatal or (sheet.errors and not sheet.rows):
            return result
        if not sheet.rows:
            result.errors.append(RowError(0, "-", _("文件中没有数据行。")))
            return result
        headers = {c.key: c.header for c in columns}
        by_row: dict[int, list[RowError]] = {}
        for error in sheet.errors:
            by_row.setdefault(error.row, []).append(error)
        rows = [SheetRow(number, values, headers, by_row.setdefault(number, [])) for number, values in sheet.rows]
        self.prepare(rows)
        ready = []
        for done, row in enumerate(rows, 1):
            if deadline.passed():
                result.errors = [deadline.error(row.number)]
                return result
            value = self.check_row(row)
            if not row.failed:
                ready.append(value)
            if done % self.progress_every == 0:
                self.report_progress(done, len(rows))
        self.report_progress(len(rows), len(rows))
        order = {c.header: index for index, c in enumerate(columns)}
        result.errors = sorted((e for errors in by_row.values() for e in errors),
                               key=lambda e: (e.row, order.get(e.column, -1)))
        if result.errors:
            return result
        result.created = self.write(ready)
        return result


# --- the parts around an import ---------------------------------------------------------

def instructions(columns: list[Column], extra: list[list] | None = None) -> list[list]:
    """The rows of a template's 填写说明 sheet: each column's rule, then the import rules."""
    rows = [["列", "是否必填", "说明"]]
    for column in columns:
        rows.append([column.header, "必填" if column.required else "", column.note or ""])
    rows.append([])
    limits = ReadLimits.from_config()
    rows.append(["导入规则", "",
                 "每一行都通过校验才会导入；任何一行有误，整个文件都不导入，并列出出错的行、列和原因。"])
    rows.append(["", "", f"每个文件最多 {limits.max_rows} 行数据；连续 {limits.blank_rows_end} 个空行视为表格结束，"
                         "其下的内容不再读取。"])
    rows.extend(extra or [])
    return rows


def report_lines(result: ImportResult, noun: str) -> list[str]:
    """The import report as text lines (the CLI prints them; the web page shows a table)."""
    if result.ok:
        return [_("已导入 %(n)s 个%(noun)s。", n=len(result.created), noun=noun)]
    lines = [_("未导入：发现 %(n)s 处错误，文件中的数据均未导入。", n=len(result.errors)), _("行\t列\t错误")]
    for error in result.errors:
        lines.append(f"{error.row or '-'}\t{error.column}\t{error.message}")
    return lines


def run_import_command(path: str, importer, noun: str) -> None:
    """``flask <feature> import PATH``: run ``importer(data, filename)``, print the report, commit
    or roll back; exit 1 on any error."""
    file = Path(path)
    if not file.is_file():
        raise click.ClickException(f"找不到文件：{path}")
    result = importer(file.read_bytes(), file.name)
    for line in report_lines(result, noun):
        click.echo(line)
    if not result.ok:
        db.session.rollback()
        sys.exit(1)
    db.session.commit()
