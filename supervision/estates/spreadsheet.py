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

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit.services import record, record_many, snapshot
from ..companies.credit_code import credit_code_error
from ..companies.models import Company
from ..contracts.models import PartyBuilding
from ..contracts.services import fee_standards
from ..core.timeutil import local_today
from ..documents.excel import Column, a_date, boolean, choice, decimal, integer, text, write_workbook
from ..documents.imports import ImportResult, SheetImport, instructions
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
        # Export only (ignored on import): from the filed contract and the party-building record
        # (supervision/contracts); ``export_bytes`` fills them.
        Column("fee_standard", "现行收费标准（已备案合同）", parse=text(500), example=None, width=36,
               export=lambda e: None, note="导出专用，导入时忽略"),
        Column("party_org", "党组织", parse=text(128), example=None, width=20, export=lambda e: None,
               note="导出专用，导入时忽略"),
        Column("red_property", "红色物业", parse=text(16), example=None, width=10, export=lambda e: None,
               note="导出专用，导入时忽略"),
    ]


FIELD_TO_KEY = {"community_id": "community", "company_id": "company_code"}
VALUE_KEYS = ("name", "address", "management_mode", "property_type", "year_built", "buildings", "households",
              "floor_area", "professional_vote_households", "professional_vote_on", "latitude", "longitude", "notes")


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
    estates = list(db.session.scalars(statement.options(
        joinedload(Estate.street), joinedload(Estate.community), joinedload(Estate.company))).unique())
    columns = estate_columns()
    ids = [estate.id for estate in estates]
    fees, parties = {}, {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start:start + 500]
        fees.update(fee_standards(chunk))
        parties.update({p.estate_id: p for p in db.session.scalars(
            select(PartyBuilding).where(PartyBuilding.estate_id.in_(chunk)))})
    extra = {
        "fee_standard": lambda e: fees[e.id].text if e.id in fees else None,
        "party_org": lambda e: parties[e.id].org_name if e.id in parties and parties[e.id].has_party_org else None,
        "red_property": lambda e: bool(e.id in parties and parties[e.id].red_property),
    }
    for column in columns:
        if column.key in extra:
            column.export = extra[column.key]
    return write_workbook(columns, estates, title="小区台账")


class EstateImport(SheetImport):
    """Adds estates (see the module docstring)."""

    def __init__(self, filename: str | None, actor):
        self.filename, self.actor = filename, actor
        self.columns = estate_columns()
        self.headers = {c.key: c.header for c in self.columns}

    def prepare(self, rows) -> None:
        self.streets: dict[str, list[Street]] = {}
        for street in db.session.scalars(select(Street)):
            self.streets.setdefault(street.name, []).append(street)
        self.communities = {(c.street_id, c.name): c for c in db.session.scalars(select(Community))}
        self.companies = {c.credit_code: c for c in db.session.scalars(select(Company))}
        self.existing = {(street_id, name.lower()) for street_id, name in db.session.execute(
            select(Estate.street_id, Estate.name))}
        self.today = local_today()
        self.seen: dict[tuple[int, str], int] = {}

    def check_row(self, row):
        street = community = company = None
        if row.get("street"):
            candidates = self.streets.get(row.get("street"), [])
            if not candidates:
                row.error("street", _("找不到街道“%(name)s”", name=row.get("street")))
            elif len(candidates) > 1:
                row.error("street", _("街道名称“%(name)s”不唯一", name=row.get("street")))
            else:
                street = candidates[0]
        if street is not None and row.get("community"):
            community = self.communities.get((street.id, row.get("community")))
            if community is None:
                row.error("community", _("%(street)s下找不到社区“%(name)s”", street=street.name,
                                         name=row.get("community")))
        code = row.get("company_code")
        if code:
            message = credit_code_error(code)
            if message:
                row.error("company_code", message)
            else:
                company = self.companies.get(code)
                if company is None:
                    row.error("company_code", _("系统中没有统一社会信用代码为 %(code)s 的企业，请先登记或导入企业",
                                                code=code))
                elif row.get("company_name") and row.get("company_name") != company.name:
                    row.error("company_name", _("信用代码对应的企业为“%(name)s”，与填写的名称不一致",
                                                name=company.name))
        elif row.get("company_name"):
            row.error("company_code", _("请填写物业企业的统一社会信用代码"))

        values = {key: row.get(key) for key in VALUE_KEYS}
        values["is_old"] = bool(row.get("is_old"))
        values["committee_eligible"] = True if row.get("committee_eligible") is None else row.get("committee_eligible")
        values["community_id"] = community.id if community else None
        values["company_id"] = company.id if company else None
        for field_name, message in estate_errors(values, community=community, company=company, today=self.today,
                                                 check_duplicates=False):
            key = FIELD_TO_KEY.get(field_name, field_name)
            if key == "community" and community is None:
                continue  # the street or community is already reported
            if key in self.headers and self.headers[key] not in row.reported:
                row.error(key, message.rstrip("。"))
        if street is not None and row.get("name"):
            key = (street.id, row.get("name").lower())
            if key in self.existing:
                row.error("name", _("%(street)s已有同名小区（系统中已存在）", street=street.name))
            elif key in self.seen:
                row.error("name", _("与第 %(row)s 行重复（同一街道下同名）", row=self.seen[key]))
            else:
                self.seen[key] = row.number
        return values, community

    def write(self, ready) -> list[Estate]:
        estates = []
        for values, community in ready:
            estate = Estate(**values, street_id=community.street_id)
            estate.committee_due_on = formation_due_date(estate)
            estates.append(estate)
        db.session.add_all(estates)
        db.session.flush()
        fields = list(AUDITED_ESTATE_FIELDS)
        record_many("estate.import", ((estate, snapshot(estate, fields)) for estate in estates), actor=self.actor)
        record("estate.import_file", None, object_type="Estate", actor=self.actor,
               summary=_("导入小区 %(n)s 个（%(file)s）", n=len(estates), file=self.filename or "-"),
               after={"file": self.filename, "rows": len(estates)})
        return estates


def import_estates(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    """Validate every row; add all the estates, or none (see the module docstring)."""
    return EstateImport(filename, actor).run(data, filename)
