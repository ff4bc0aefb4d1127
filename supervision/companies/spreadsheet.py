"""The company register as an Excel workbook: template, export and all-or-nothing import.

Same rules as the estate workbook: the template, the export and the import share their columns;
an import adds companies, and a row whose credit code or name is already registered (archived
companies included), or repeats another row of the file, is refused as a duplicate.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record, snapshot
from ..documents.excel import Column, RowError, choice, read_workbook, text, write_workbook
from ..estates.spreadsheet import ImportResult, check_file, instructions
from ..extensions import db
from .credit_code import credit_code_error
from .models import Company, QualificationGrade
from .services import COMPANY_FIELDS

EXAMPLE_NAME = "示例物业服务有限公司（导入前请删除此行）"


def company_columns() -> list[Column]:
    return [
        Column("name", "企业名称", required=True, parse=text(128), example=EXAMPLE_NAME, width=32),
        Column("credit_code", "统一社会信用代码", required=True, parse=text(32), example="91110000MA0000001L",
               width=24, note="18位，按 GB 32100-2015 校验"),
        Column("legal_representative", "法定代表人", parse=text(64), example="张三"),
        Column("contact_person", "联系人", parse=text(64), example="李四"),
        Column("phone", "联系电话", parse=text(32), example="010-12345678"),
        Column("address", "地址", parse=text(255), example="示范路2号", width=30),
        Column("qualification_grade", "资质等级", parse=choice(QualificationGrade), example=None,
               note="选填：" + "、".join(m.label for m in QualificationGrade)),
        Column("notes", "备注", parse=text(2000), example=None, width=30),
    ]


def template_bytes() -> bytes:
    columns = company_columns()
    extra = [["", "", "导入只用于新增企业：统一社会信用代码或企业名称已登记（含已归档）的行视为重复，不予导入。"]]
    return write_workbook(columns, title="物业企业", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


def export_bytes(statement) -> bytes:
    return write_workbook(company_columns(), db.session.scalars(statement), title="物业企业")


def import_companies(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    result = ImportResult()
    problem = check_file(data, filename)
    if problem:
        result.errors.append(RowError(0, _("文件"), problem))
        return result
    columns = company_columns()
    headers = {c.key: c.header for c in columns}
    sheet = read_workbook(data, columns)
    result.errors.extend(sheet.errors)
    result.rows = len(sheet.rows)
    if not sheet.rows and not sheet.errors:
        result.errors.append(RowError(0, "-", _("文件中没有数据行。")))
        return result
    known_codes = dict(db.session.execute(select(Company.credit_code, Company.name)).all())
    known_names = {name.lower() for (name,) in db.session.execute(select(Company.name))}
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    ready = []
    for row_number, parsed in sheet.rows:
        def error(key, message):
            result.errors.append(RowError(row_number, headers[key], message))

        reported = {e.column for e in result.errors if e.row == row_number}
        code = "".join((parsed.get("credit_code") or "").split())
        if code and headers["credit_code"] not in reported:
            message = credit_code_error(code)
            if message:
                error("credit_code", message.rstrip("。"))
            elif code in known_codes:
                error("credit_code", _("已登记为“%(name)s”（系统中已存在）", name=known_codes[code]))
            elif code in seen_codes:
                error("credit_code", _("与第 %(row)s 行的信用代码重复", row=seen_codes[code]))
            else:
                seen_codes[code] = row_number
        name = (parsed.get("name") or "").strip()
        if name and headers["name"] not in reported:
            if name.lower() in known_names:
                error("name", _("已有同名企业（系统中已存在）"))
            elif name.lower() in seen_names:
                error("name", _("与第 %(row)s 行的企业名称重复", row=seen_names[name.lower()]))
            else:
                seen_names[name.lower()] = row_number
        if not any(e.row == row_number for e in result.errors):
            values = {key: parsed.get(key) for key in COMPANY_FIELDS}
            values["credit_code"] = code
            ready.append(values)
    if result.errors:
        order = [c.header for c in columns]
        result.errors.sort(key=lambda e: (e.row, order.index(e.column) if e.column in order else -1))
        return result
    companies = [Company(**values) for values in ready]
    db.session.add_all(companies)
    db.session.flush()
    for company in companies:
        record("company.import", company, after=snapshot(company, list(COMPANY_FIELDS)), actor=actor)
    record("company.import_file", None, object_type="Company", actor=actor,
           summary=_("导入物业企业 %(n)s 家（%(file)s）", n=len(companies), file=filename or "-"),
           after={"file": filename, "rows": len(companies)})
    result.created = companies
    return result

