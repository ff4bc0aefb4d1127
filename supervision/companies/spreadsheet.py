"""The company register as an Excel workbook: template, export and all-or-nothing import.

Same rules as the estate workbook: the template, the export and the import share their columns;
an import adds companies, and a row whose credit code or name is already registered (archived
companies included), or repeats another row of the file, is refused as a duplicate.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import record, snapshot
from ..documents import normalise
from ..documents.excel import Column, choice, text, write_workbook
from ..documents.imports import ImportResult, SheetImport, instructions
from ..extensions import db
from ..jobs import imports as import_jobs
from .credit_code import credit_code_error
from .models import Company, QualificationGrade
from .services import COMPANY_FIELDS

EXAMPLE_NAME = "示例物业服务有限公司（导入前请删除此行）"


def company_columns() -> list[Column]:
    return [
        Column("name", "企业名称", required=True, parse=text(128), example=EXAMPLE_NAME, width=32,
               aliases=("物业企业名称", "物业服务企业", "物业服务企业名称", "物业公司", "物业公司名称", "单位名称",
                        "企业")),
        Column("credit_code", "统一社会信用代码", required=True, parse=text(32), example="91110000MA0000001L",
               width=24, note="18位，按 GB 32100-2015 校验",
               aliases=("社会信用代码", "信用代码", "企业信用代码", "统一社会信用代码（18位）")),
        Column("legal_representative", "法定代表人", parse=text(64), example="张三",
               aliases=("法人", "法人代表", "法定代表人（负责人）")),
        Column("contact_person", "联系人", parse=text(64), example="李四", aliases=("负责人", "企业联系人")),
        Column("phone", "联系电话", parse=text(32), example="010-12345678",
               aliases=("电话", "联系方式", "手机", "联系人电话")),
        Column("address", "地址", parse=text(255), example="示范路2号", width=30,
               aliases=("注册地址", "企业地址", "办公地址", "住所", "经营地址")),
        Column("qualification_grade", "资质等级", parse=choice(QualificationGrade), example=None,
               note="选填：" + "、".join(m.label for m in QualificationGrade), aliases=("资质", "企业资质")),
        Column("notes", "备注", parse=text(2000), example=None, width=30, aliases=("说明",)),
    ]


def template_bytes() -> bytes:
    columns = company_columns()
    extra = [["", "", "导入只用于新增企业：统一社会信用代码或企业名称已登记（含已归档）的行视为重复，不予导入。"]]
    return write_workbook(columns, title="物业企业", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


def export_bytes(statement) -> bytes:
    return write_workbook(company_columns(), db.session.scalars(statement), title="物业企业")


class CompanyImport(SheetImport):
    """Adds companies (see the module docstring)."""

    kind = "companies"

    def __init__(self, filename: str | None, actor):
        self.filename, self.actor = filename, actor
        self.columns = company_columns()
        self.headers = {c.key: c.header for c in self.columns}

    def prepare(self, rows) -> None:
        self.known_codes = dict(db.session.execute(select(Company.credit_code, Company.name)).all())
        self.known_names = {name.lower() for (name,) in db.session.execute(select(Company.name))}
        self.seen_codes: dict[str, int] = {}
        self.seen_names: dict[str, int] = {}

    def check_row(self, row) -> dict:
        code = normalise.compact(row.get("credit_code") or "").upper()
        if code and self.headers["credit_code"] not in row.reported:
            message = credit_code_error(code)
            if message:
                row.error("credit_code", message.rstrip("。"))
            elif code in self.known_codes:
                row.error("credit_code", _("已登记为“%(name)s”（系统中已存在）", name=self.known_codes[code]))
            elif code in self.seen_codes:
                row.error("credit_code", _("与第 %(row)s 行的信用代码重复", row=self.seen_codes[code]))
            else:
                self.seen_codes[code] = row.number
        name = (row.get("name") or "").strip()
        if name and self.headers["name"] not in row.reported:
            if name.lower() in self.known_names:
                row.error("name", _("已有同名企业（系统中已存在）"))
            elif name.lower() in self.seen_names:
                row.error("name", _("与第 %(row)s 行的企业名称重复", row=self.seen_names[name.lower()]))
            else:
                self.seen_names[name.lower()] = row.number
        values = {key: row.get(key) for key in COMPANY_FIELDS}
        values["credit_code"] = code
        return values

    def write(self, ready) -> list[Company]:
        companies = [Company(**values) for values in ready]
        db.session.add_all(companies)
        db.session.flush()
        for company in companies:
            record("company.import", company, after=snapshot(company, list(COMPANY_FIELDS)), actor=self.actor)
        record("company.import_file", None, object_type="Company", actor=self.actor,
               summary=_("导入物业企业 %(n)s 家（%(file)s）", n=len(companies), file=self.filename or "-"),
               after={"file": self.filename, "rows": len(companies)})
        return companies


def import_companies(data: bytes, filename: str | None = None, *, actor=None, mapping=None,
                     dry_run: bool = False) -> ImportResult:
    """Validate every row; add all the companies, or none (see the module docstring)."""
    return CompanyImport(filename, actor).run(data, filename, mapping=mapping, dry_run=dry_run)


JOB_IMPORTER = import_jobs.register(import_jobs.Importer(
    name="companies", title=_l("导入物业企业"), noun=_l("企业"),
    build=lambda filename, actor, options: CompanyImport(filename, actor),
    summary=lambda result: _("已导入 %(n)s 家企业。", n=len(result.created))))
