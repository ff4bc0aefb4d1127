"""The estate register as an Excel workbook: template, export and all-or-nothing import.

The template, the export and the import use the same columns (``estate_columns``), so a file
exported from one installation imports into another.

Import semantics: an import **adds** estates. A row whose street already has an estate of the
same name (archived ones included) is refused as a duplicate, as is a row that repeats another
row of the file; existing estates are changed on their edit page, not by re-importing. Every row is
checked first; if any row is wrong nothing is imported and the report lists each problem as
(row, column, message).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..attachments.services import XLSX, UploadError, validate
from ..audit.services import record
from ..core.timeutil import local_today
from ..documents.excel import (Column, RowError, a_date, boolean, choice, decimal, integer, read_workbook, text,
                               write_workbook)
from ..extensions import db
from ..regions.models import Community, Street
from .models import Estate, ManagementMode, PropertyType
from .services import AUDITED_ESTATE_FIELDS, LIMITS, estate_errors, formation_due_date

EXAMPLE_NAME = "示例小区（导入前请删除此行）"


def _company(attr):
    return lambda estate: getattr(estate.company, attr) if estate.company else None


def estate_columns() -> list[Column]:
    return [
        Column("name", "小区名称", required=True, parse=text(128), example=EXAMPLE_NAME, width=24),
        Column("address", "地址", required=True, parse=text(255), example="示范路1号", width=28),
        Column("street", "街道", required=True, parse=text(64), example="东城街道",
               export=lambda e: e.street.name),
        Column("community", "社区", required=True, parse=text(64), example="东风社区",
               export=lambda e: e.community.name),
        Column("management_mode", "管理模式", required=True, parse=choice(ManagementMode), example="物业企业",
               note="、".join(m.label for m in ManagementMode)),
        Column("company_code", "物业企业统一社会信用代码", parse=text(32), example="91000001MA00000018",
               export=_company("credit_code"), width=24, note="管理模式为“物业企业”时必填"),
        Column("company_name", "物业企业名称", parse=text(128), example="示范安居物业服务有限公司",
               export=_company("name"), width=26, note="用于核对；导入时以统一社会信用代码为准"),
        Column("property_type", "物业类型", parse=choice(PropertyType), example="多层住宅",
               note="、".join(m.label for m in PropertyType)),
        Column("year_built", "建成年份", parse=integer(1900, 2100), example=2005, width=10),
        Column("buildings", "楼栋数", parse=integer(*LIMITS["buildings"]), example=12, width=10),
        Column("households", "户数", parse=integer(*LIMITS["households"]), example=860, width=10),
        Column("floor_area", "建筑面积（平方米）", parse=decimal(*LIMITS["floor_area"]), example=86000.5),
        Column("is_old", "老旧小区", parse=boolean, example="否", width=10, export=lambda e: e.is_old),
        Column("committee_eligible", "具备成立业委会条件", parse=boolean, example="是",
               export=lambda e: e.committee_eligible),
        Column("professional_vote_households", "选择专业化物业管理的户数", parse=integer(*LIMITS["households"]),
               example=None, width=14, note="书面征询中选择专业化物业管理的户数"),
        Column("professional_vote_on", "征询日期", parse=a_date, example=None, width=12, note="YYYY-MM-DD"),
        Column("latitude", "纬度", parse=decimal(*LIMITS["latitude"], places=6), example=None, width=12),
        Column("longitude", "经度", parse=decimal(*LIMITS["longitude"], places=6), example=None, width=12),
        Column("notes", "备注", parse=text(2000), example=None, width=30),
    ]


FIELD_TO_KEY = {"community_id": "community", "company_id": "company_code"}


def instructions(columns: list[Column], extra: list[list] | None = None) -> list[list]:
    rows = [["列", "是否必填", "说明"]]
    for column in columns:
        rows.append([column.header, "必填" if column.required else "", column.note or ""])
    rows.append([])
    rows.append(["导入规则", "", "每一行都通过校验才会导入；任何一行有误，整个文件都不导入，并列出出错的行、列和原因。"])
    rows.extend(extra or [])
    return rows


def template_bytes() -> bytes:
    columns = estate_columns()
    streets = db.session.execute(
        select(Street.name, Community.name).join(Community, Community.street_id == Street.id)
        .where(Street.active.is_(True), Community.active.is_(True)).order_by(Street.name, Community.name)
    ).all()
    extra = [["", "", "导入只用于新增小区：同一街道下已有同名小区（含已归档）的行视为重复，不予导入。"], [],
             ["街道", "社区", ""]] + [[street, community, ""] for street, community in streets]
    return write_workbook(columns, title="小区台账", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


def export_bytes(statement) -> bytes:
    """The estates of ``statement`` (a scoped, filtered ``select(Estate)``) in the template's columns."""
    estates = db.session.scalars(statement.options(
        joinedload(Estate.street), joinedload(Estate.community), joinedload(Estate.company))).unique()
    return write_workbook(estate_columns(), estates, title="小区台账")


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def check_file(data: bytes, filename: str | None) -> str | None:
    """None when the upload is an acceptable .xlsx (by content, ≤ 10 MB), else the message."""
    try:
        validate(data, filename or "import.xlsx", kinds=(XLSX,))
    except UploadError as error:
        return error.message
    return None


def import_estates(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    """Validate every row; add all the estates, or none (see the module docstring)."""
    from ..companies.credit_code import credit_code_error
    from ..companies.models import Company

    result = ImportResult()
    problem = check_file(data, filename)
    if problem:
        result.errors.append(RowError(0, _("文件"), problem))
        return result
    columns = estate_columns()
    headers = {c.key: c.header for c in columns}
    sheet = read_workbook(data, columns)
    result.errors.extend(sheet.errors)
    result.rows = len(sheet.rows)
    if not sheet.rows and not sheet.errors:
        result.errors.append(RowError(0, "-", _("文件中没有数据行。")))
        return result

    streets: dict[str, list[Street]] = {}
    for street in db.session.scalars(select(Street)):
        streets.setdefault(street.name, []).append(street)
    communities = {(c.street_id, c.name): c for c in db.session.scalars(select(Community))}
    companies = {c.credit_code: c for c in db.session.scalars(select(Company))}
    existing = {(street_id, name.lower()) for street_id, name in db.session.execute(
        select(Estate.street_id, Estate.name))}
    today = local_today()
    seen: dict[tuple[int, str], int] = {}
    ready = []

    for row_number, parsed in sheet.rows:
        def error(key, message):
            result.errors.append(RowError(row_number, headers[key], message))

        street = community = company = None
        if parsed.get("street"):
            candidates = streets.get(parsed["street"], [])
            if not candidates:
                error("street", _("找不到街道“%(name)s”", name=parsed["street"]))
            elif len(candidates) > 1:
                error("street", _("街道名称“%(name)s”不唯一", name=parsed["street"]))
            else:
                street = candidates[0]
        if street is not None and parsed.get("community"):
            community = communities.get((street.id, parsed["community"]))
            if community is None:
                error("community", _("%(street)s下找不到社区“%(name)s”", street=street.name, name=parsed["community"]))
        code = parsed.get("company_code")
        if code:
            message = credit_code_error(code)
            if message:
                error("company_code", message)
            else:
                company = companies.get(code)
                if company is None:
                    error("company_code", _("系统中没有统一社会信用代码为 %(code)s 的企业，请先登记或导入企业", code=code))
                elif parsed.get("company_name") and parsed["company_name"] != company.name:
                    error("company_name", _("信用代码对应的企业为“%(name)s”，与填写的名称不一致", name=company.name))
        elif parsed.get("company_name"):
            error("company_code", _("请填写物业企业的统一社会信用代码"))

        values = {key: parsed.get(key) for key in (
            "name", "address", "management_mode", "property_type", "year_built", "buildings", "households",
            "floor_area", "professional_vote_households", "professional_vote_on", "latitude", "longitude",
            "notes")}
        values["is_old"] = bool(parsed.get("is_old"))
        values["committee_eligible"] = True if parsed.get("committee_eligible") is None else parsed["committee_eligible"]
        values["community_id"] = community.id if community else None
        values["company_id"] = company.id if company else None
        reported = {e.column for e in result.errors if e.row == row_number}
        for field_name, message in estate_errors(values, community=community, company=company, today=today,
                                                 check_duplicates=False):
            key = FIELD_TO_KEY.get(field_name, field_name)
            if key in headers and headers[key] not in reported and not (key == "community" and community is None):
                error(key, message.rstrip("。"))
                reported.add(headers[key])
        if street is not None and parsed.get("name"):
            key = (street.id, parsed["name"].lower())
            if key in existing:
                error("name", _("%(street)s已有同名小区（系统中已存在）", street=street.name))
            elif key in seen:
                error("name", _("与第 %(row)s 行重复（同一街道下同名）", row=seen[key]))
            else:
                seen[key] = row_number
        if not any(e.row == row_number for e in result.errors):
            ready.append((values, community))

    if result.errors:
        result.errors.sort(key=lambda e: (e.row, [c.header for c in columns].index(e.column)
                                          if e.column in headers.values() else -1))
        return result
    estates = []
    for values, community in ready:
        estate = Estate(**{k: v for k, v in values.items()}, street_id=community.street_id)
        estate.committee_due_on = formation_due_date(estate)
        estates.append(estate)
    db.session.add_all(estates)
    db.session.flush()
    from ..audit.services import record_many, snapshot

    fields = list(AUDITED_ESTATE_FIELDS)
    record_many("estate.import", ((estate, snapshot(estate, fields)) for estate in estates), actor=actor)
    record("estate.import_file", None, object_type="Estate", actor=actor,
           summary=_("导入小区 %(n)s 个（%(file)s）", n=len(estates), file=filename or "-"),
           after={"file": filename, "rows": len(estates)})
    result.created = estates
    return result


def report_lines(result: ImportResult, noun: str) -> list[str]:
    """The import report as text lines (the CLI prints them; the web page shows a table)."""
    if result.ok:
        return [_("已导入 %(n)s 个%(noun)s。", n=len(result.created), noun=noun)]
    lines = [_("未导入：发现 %(n)s 处错误，文件中的数据均未导入。", n=len(result.errors)), _("行\t列\t错误")]
    for error in result.errors:
        lines.append(f"{error.row or '-'}\t{error.column}\t{error.message}")
    return lines

