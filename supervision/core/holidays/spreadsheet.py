"""A year's arrangement as an Excel sheet: the import template, the export and the import
(all rows or none, every error reported with its row)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from ...attachments.services import XLSX, UploadError, validate
from ...documents.excel import Column, RowError, a_date, choice, read_workbook, text, write_workbook
from .models import DayKind
from .services import ChangeResult, DayInput, HolidaySource, set_year


def columns() -> list[Column]:
    return [
        Column("day", "日期", required=True, parse=a_date, example="2027-02-06", width=14),
        Column("kind", "类型", required=True, parse=choice(DayKind), example="放假",
               note="放假 或 调休上班", width=12),
        Column("name", "节日名称", required=True, parse=text(32), example="春节", width=14),
    ]


def template_bytes(days=()) -> bytes:
    rows = [DayInput(d.day, d.kind, d.name) for d in days]
    return write_workbook(columns(), rows, title="节假日安排", example=not rows)


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    change: ChangeResult | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def import_year(year: int, data: bytes, filename: str | None, *, actor, notice: str | None = None) -> ImportResult:
    """Replace ``year``'s arrangement with the sheet's days: all rows or none."""
    from ..errors import DomainError

    result = ImportResult()
    try:
        validate(data, filename or "import.xlsx", kinds=(XLSX,))
    except UploadError as error:
        result.errors.append(RowError(0, _("文件"), error.message))
        return result
    sheet = read_workbook(data, columns(), max_rows=400)
    result.errors.extend(sheet.errors)
    if not sheet.rows and not sheet.errors:
        result.errors.append(RowError(0, "-", _("文件中没有数据行。")))
    if result.errors:
        return result
    seen: dict = {}
    for row_number, parsed in sheet.rows:
        day = parsed["day"]
        if day.year != year:
            result.errors.append(RowError(row_number, "日期", _("不在 %(year)s 年内", year=year)))
        elif day in seen:
            result.errors.append(RowError(row_number, "日期", _("与第 %(n)s 行重复", n=seen[day])))
        elif parsed["kind"] is DayKind.WORKDAY and day.weekday() < 5:
            result.errors.append(RowError(row_number, "类型", _("周一至周五本来就是工作日，不能登记为调休上班")))
        seen.setdefault(day, row_number)
    if result.errors:
        return result
    days = [DayInput(p["day"], p["kind"], p["name"]) for _n, p in sheet.rows]
    try:
        result.change = set_year(year, days, actor=actor, notice=notice, source=HolidaySource.IMPORT)
    except DomainError as error:
        result.errors.append(RowError(0, "-", error.message))
    return result
