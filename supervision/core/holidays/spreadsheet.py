"""A year's arrangement as an Excel sheet: the import template, the export and the import
(all rows or none, every error reported with its row)."""
from __future__ import annotations

from flask_babel import gettext as _

from ...documents.excel import Column, RowError, a_date, choice, text, write_workbook
from ...documents.imports import ImportResult, SheetImport
from ..errors import DomainError
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


class HolidayImport(SheetImport):
    """One year's arrangement: every day must lie in the year, once; 调休上班 only on a weekend."""

    max_rows = 400

    def __init__(self, year: int, *, actor, notice: str | None = None):
        self.year, self.actor, self.notice = year, actor, notice
        self.columns = columns()
        self.seen: dict = {}

    def check_row(self, row):
        day, kind = row.get("day"), row.get("kind")
        if day is None:
            return None
        if day.year != self.year:
            row.error("day", _("不在 %(year)s 年内", year=self.year))
        elif day in self.seen:
            row.error("day", _("与第 %(n)s 行重复", n=self.seen[day]))
        elif kind is DayKind.WORKDAY and day.weekday() < 5:
            row.error("kind", _("周一至周五本来就是工作日，不能登记为调休上班"))
        self.seen.setdefault(day, row.number)
        return DayInput(day, kind, row.get("name"))

    def write(self, ready: list) -> ChangeResult:
        return set_year(self.year, ready, actor=self.actor, notice=self.notice, source=HolidaySource.IMPORT)


def import_year(year: int, data: bytes, filename: str | None, *, actor, notice: str | None = None) -> ImportResult:
    """Replace ``year``'s arrangement with the sheet's days: all rows or none. On success
    ``result.created`` is the ``ChangeResult`` (the deadlines and due dates that moved)."""
    try:
        return HolidayImport(year, actor=actor, notice=notice).run(data, filename)
    except DomainError as error:
        return ImportResult(errors=[RowError(0, "-", error.message)])
