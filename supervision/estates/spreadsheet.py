"""The estate register as an Excel workbook: template, export and all-or-nothing import.

The template, the export and the import use the same columns (``estate_columns``), so a file
exported from one installation imports into another.

Import semantics: a row **adds** an estate, or **updates** the estate it matches — the same name
in the same street, else the same address (when exactly one estate has it) — with the values of
the columns the file has (a column the file lacks leaves the field as it is); a matching row with
nothing new is skipped; a row matching an archived estate is refused (restore it first), as is a
row that repeats another row of the file. Every row is checked first; if any row is wrong nothing
is imported and the report lists each problem as (row, column, message). The preview says which
rows update which estate.

Ledgers the bureau keeps itself import too (``documents.ledger``): the columns' ``aliases`` are the
names such ledgers use; streets and communities match with or without their suffix (东城 /
东城街道); a company given by name alone is matched when exactly one registered company has that
name or had it before (a renamed company's audited former name), otherwise the row asks for the
credit code.
"""
from __future__ import annotations

from operator import itemgetter

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.orm import aliased

from ..audit.models import AuditLog
from ..audit.services import record, record_many, record_rows, snapshot
from ..companies.credit_code import credit_code_error
from ..companies.models import Company
from ..contracts.models import PartyBuilding
from ..contracts.services import fee_standard_texts
from ..core.bulk import psycopg_insert
from ..core.sortkey import name_sort_key
from ..core.timeutil import local_today, utcnow
from ..documents import normalise
from ..documents.excel import Column, a_date, boolean, choice, decimal, integer, text, write_workbook, year
from ..documents.imports import ImportResult, SheetImport, instructions
from ..extensions import db
from ..regions.models import Community, Street
from .models import Estate, ManagementMode, PropertyType
from .services import (
    AUDITED_ESTATE_FIELDS,
    ESTATE_FIELDS,
    LIMITS,
    estate_errors,
    formation_due_date,
    formation_due_on,
    update_estate,
)

EXAMPLE_NAME = "示例小区（导入前请删除此行）"


def _company(attr):
    return lambda estate: getattr(estate.company, attr) if estate.company else None


# How ledgers write the management modes and property types (besides the labels themselves).
MODE_SYNONYMS = {
    "物业服务企业": ManagementMode.PROFESSIONAL, "物业公司": ManagementMode.PROFESSIONAL,
    "专业物业": ManagementMode.PROFESSIONAL, "专业化物业管理": ManagementMode.PROFESSIONAL,
    "专业化管理": ManagementMode.PROFESSIONAL, "物业企业管理": ManagementMode.PROFESSIONAL,
    "自管": ManagementMode.OWNERS_SELF, "业主自管": ManagementMode.OWNERS_SELF,
    "业委会自管": ManagementMode.OWNERS_SELF, "业主自治": ManagementMode.OWNERS_SELF,
    "社区代管": ManagementMode.COMMUNITY_TRUST, "社区托管": ManagementMode.COMMUNITY_TRUST,
    "街道托管": ManagementMode.STREET_CENTRE, "物业服务中心": ManagementMode.STREET_CENTRE,
    "街道兜底": ManagementMode.STREET_CENTRE,
    "无": ManagementMode.NONE, "暂无": ManagementMode.NONE, "无物业管理": ManagementMode.NONE,
}
TYPE_SYNONYMS = {"多层": PropertyType.MULTI_STOREY, "高层": PropertyType.HIGH_RISE, "商住": PropertyType.MIXED,
                 "商住混合": PropertyType.MIXED}


def estate_columns() -> list[Column]:
    return [
        Column("name", "小区名称", required=True, parse=text(128), example=EXAMPLE_NAME, width=24,
               aliases=("项目名称", "小区（项目）名称", "小区/项目名称", "物业项目名称", "小区名", "项目", "小区")),
        Column("address", "地址", required=True, parse=text(255), example="示范路1号", width=28,
               aliases=("小区地址", "项目地址", "详细地址", "坐落", "坐落位置", "坐落地址", "所在地址", "位置")),
        Column("street", "街道", required=True, parse=text(64), example="东城街道",
               export=lambda e: e.street.name,
               aliases=("所属街道", "街道办事处", "所在街道", "街道（镇）", "街镇", "所属街镇", "街道办")),
        Column("community", "社区", required=True, parse=text(64), example="东风社区",
               export=lambda e: e.community.name,
               aliases=("所属社区", "所在社区", "社区（村）", "社区居委会", "居委会", "所属社区（村）")),
        Column("management_mode", "管理模式", required=True, parse=choice(ManagementMode, MODE_SYNONYMS),
               example="物业企业",
               note="、".join(m.label for m in ManagementMode),
               aliases=("管理方式", "物业管理模式", "物业管理方式", "管理类型")),
        Column("company_code", "物业企业统一社会信用代码", parse=text(32), example="91000001MA00000018",
               export=_company("credit_code"), width=24, note="管理模式为“物业企业”时必填（企业名称唯一时可不填）",
               aliases=("统一社会信用代码", "社会信用代码", "信用代码", "企业信用代码", "物业企业信用代码")),
        Column("company_name", "物业企业名称", parse=text(128), example="示范安居物业服务有限公司",
               export=_company("name"), width=26, note="用于核对；填写了统一社会信用代码时以代码为准",
               aliases=("物业企业", "物业服务企业", "物业服务企业名称", "物业公司", "物业公司名称", "服务企业")),
        Column("property_type", "物业类型", parse=choice(PropertyType, TYPE_SYNONYMS), example="多层住宅",
               note="、".join(m.label for m in PropertyType), aliases=("房屋类型", "物业性质", "建筑类型")),
        Column("year_built", "建成年份", parse=year(1900, 2100), example=2005, width=10, number_format="0",
               aliases=("建成时间", "建成年代", "竣工时间", "竣工年份", "竣工日期", "建设年代", "建成日期")),
        Column("buildings", "楼栋数", parse=integer(*LIMITS["buildings"]), example=12, width=10,
               aliases=("栋数", "楼幢数", "幢数", "楼栋数量", "楼栋", "楼宇数")),
        Column("households", "户数", parse=integer(*LIMITS["households"]), example=860, width=10,
               aliases=("总户数", "住户数", "户数（户）", "房屋套数", "套数")),
        Column("floor_area", "建筑面积（平方米）", parse=decimal(*LIMITS["floor_area"]), example=86000.5,
               aliases=("建筑面积（㎡）", "建筑面积（m²）", "总建筑面积", "总建筑面积（平方米）", "建筑面积",
                        "面积（平方米）")),
        Column("is_old", "老旧小区", parse=boolean, example="否", width=10, export=lambda e: e.is_old,
               aliases=("是否老旧小区", "是否为老旧小区", "老旧小区（是/否）")),
        Column("committee_eligible", "具备成立业委会条件", parse=boolean, example="是",
               export=lambda e: e.committee_eligible,
               aliases=("是否具备成立业委会条件", "具备成立业主委员会条件", "是否具备成立业主委员会条件")),
        Column("professional_vote_households", "选择专业化物业管理的户数", parse=integer(*LIMITS["households"]),
               example=None, width=14, note="书面征询中选择专业化物业管理的户数"),
        Column("professional_vote_on", "征询日期", parse=a_date, example=None, width=12, note="YYYY-MM-DD",
               aliases=("征询时间",)),
        Column("latitude", "纬度", parse=decimal(*LIMITS["latitude"], places=6), example=None, width=12),
        Column("longitude", "经度", parse=decimal(*LIMITS["longitude"], places=6), example=None, width=12),
        Column("notes", "备注", parse=text(2000), example=None, width=30, aliases=("说明", "情况说明")),
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
    """The import template. Its 填写说明 names the active streets and says where to find a community's name: it
    listed every active community, a row each (4,000 rows at 100× the district: ~35 ms to write, and the sorted
    read of every community grows with the district), which a bureau user can search instead."""
    columns = estate_columns()
    streets = db.session.scalars(select(Street.name).where(Street.active.is_(True)).order_by(Street.name_sort)).all()
    extra = [["", "", "同一街道下已有同名小区（或地址相同）的行更新该小区，文件中没有的列保持原值；"
                      "已归档的小区不能更新。"], [],
             ["街道", "", "“社区”列填写系统中登记的社区名称，"
                        "可在“新建小区”表单的“所属社区”搜索框中输入社区名称的一部分查找。"]]
    extra += [[street, "", ""] for street in streets]
    return write_workbook(columns, title="小区台账", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


def export_columns() -> list[Column]:
    """The template's columns, each reading its place in the tuples ``export_rows`` yields."""
    columns = estate_columns()
    for index, column in enumerate(columns):
        column.export = itemgetter(index)
    return columns


def export_select(statement):
    """``statement`` (the scoped, filtered, sorted ``select(Estate)`` of the list) as plain rows with
    the street's, community's and company's names and the party-building record joined: one streamed
    query, no ORM object per row."""
    E = Estate
    street, community, company, party = aliased(Street), aliased(Community), aliased(Company), aliased(PartyBuilding)
    return (statement.with_only_columns(
        E.id, E.name, E.address, street.name.label("street"), community.name.label("community"), E.management_mode,
        company.credit_code.label("company_code"), company.name.label("company_name"), E.property_type,
        E.year_built, E.buildings, E.households, E.floor_area, E.is_old, E.committee_eligible,
        E.professional_vote_households, E.professional_vote_on, E.latitude, E.longitude, E.notes,
        party.has_party_org, party.org_name.label("party_org"), party.red_property)
        .outerjoin(street, street.id == E.street_id).outerjoin(community, community.id == E.community_id)
        .outerjoin(company, company.id == E.company_id).outerjoin(party, party.estate_id == E.id))


def export_rows(rows, statement):
    """The streamed rows of ``export_select`` as tuples in the columns' order, each with its filed fee
    standard: the standards of every estate of ``statement`` are read in one query up front (a short
    text per estate with a filed contract)."""
    ids = statement.with_only_columns(Estate.id).order_by(None).limit(None)
    fees = fee_standard_texts(ids)
    for row in rows:
        # id, the 19 template columns, has_party_org, party_org, red_property
        yield (*row[1:20], fees.get(row[0]), row[21] if row[20] else None, bool(row[22]))


def export_bytes(statement) -> bytes:
    """The estates of ``statement`` (a scoped, filtered ``select(Estate)``) in the template's columns."""
    rows = db.session.execute(export_select(statement).execution_options(yield_per=1000))
    return write_workbook(export_columns(), export_rows(rows, statement), title="小区台账")


def former_company_names() -> dict[str, set[int]]:
    """Each name a company had before a rename (from the audit log) → the companies that had it."""
    names: dict[str, set[int]] = {}
    for company_id, before in db.session.execute(
            select(AuditLog.object_id, AuditLog.before).where(AuditLog.object_type == "Company",
                                                              AuditLog.action == "company.update")):
        old = (before or {}).get("name") if isinstance(before, dict) else None
        if old and company_id:
            names.setdefault(normalise.clean(old), set()).add(company_id)
    return names


class EstateImport(SheetImport):
    """Adds or updates estates (see the module docstring)."""

    kind = "estates"

    def __init__(self, filename: str | None, actor):
        self.filename, self.actor = filename, actor
        self.columns = estate_columns()
        self.headers = {c.key: c.header for c in self.columns}

    def prepare(self, rows) -> None:
        self.streets: dict[str, list[Street]] = {}
        for street in db.session.scalars(select(Street)):
            self.streets.setdefault(street.name, []).append(street)
        self.communities: dict[int, dict[str, Community]] = {}
        for community in db.session.scalars(select(Community)):
            self.communities.setdefault(community.street_id, {})[community.name] = community
        companies = list(db.session.scalars(select(Company)))
        self.companies = {c.credit_code: c for c in companies}
        self.company_ids = {c.id: c for c in companies}
        self.company_names: dict[str, set[int]] = {}
        for company in companies:
            self.company_names.setdefault(normalise.clean(company.name), set()).add(company.id)
        self.former_names = former_company_names()
        self.by_name: dict[tuple[int, str], Estate] = {}
        self.by_address: dict[str, list[Estate]] = {}
        for estate in db.session.scalars(select(Estate)):
            self.by_name[(estate.street_id, estate.name.lower())] = estate
            self.by_address.setdefault(normalise.compact(estate.address), []).append(estate)
        self.today = local_today()
        self.seen: dict[tuple[int, str], int] = {}
        self.seen_estates: dict[int, int] = {}

    def _street(self, row):
        name = row.get("street")
        matches = normalise.match_name(name, self.streets.keys(), normalise.STREET_SUFFIXES)
        candidates = [street for match in matches for street in self.streets[match]]
        if not candidates:
            row.error("street", _("找不到街道“%(name)s”", name=name))
        elif len(candidates) > 1:
            row.error("street", _("街道名称“%(name)s”不唯一", name=name))
        else:
            return candidates[0]
        return None

    def _community(self, row, street):
        names = self.communities.get(street.id, {})
        matches = normalise.match_name(row.get("community"), names.keys(), normalise.COMMUNITY_SUFFIXES)
        if len(matches) == 1:
            return names[matches[0]]
        row.error("community", _("%(street)s下找不到社区“%(name)s”", street=street.name, name=row.get("community")))
        return None

    def _company(self, row):
        code = row.get("company_code")
        name = row.get("company_name")
        if code:
            code = normalise.compact(code).upper()
            message = credit_code_error(code)
            if message:
                row.error("company_code", message)
                return None
            company = self.companies.get(code)
            if company is None:
                row.error("company_code", _("系统中没有统一社会信用代码为 %(code)s 的企业，请先登记或导入企业",
                                            code=code))
            elif name and normalise.clean(name) != company.name and \
                    company.id not in self.former_names.get(normalise.clean(name), set()):
                row.error("company_name", _("信用代码对应的企业为“%(name)s”，与填写的名称不一致", name=company.name))
            return company
        if name:
            name = normalise.clean(name)
            ids = self.company_names.get(name) or self.former_names.get(name, set())
            if len(ids) == 1:
                return self.company_ids.get(next(iter(ids)))
            key = "company_code" if "company_code" in self.headers and "company_code" in row.values else "company_name"
            if ids:
                row.error(key, _("有多家企业名为“%(name)s”，请填写统一社会信用代码", name=name))
            else:
                row.error(key, _("系统中没有名为“%(name)s”的企业，请填写统一社会信用代码或先登记企业", name=name))
        return None

    def _match(self, street, row) -> Estate | None:
        estate = None
        if street is not None and row.get("name"):
            estate = self.by_name.get((street.id, row.get("name").lower()))
        if estate is None and row.get("address"):
            same = self.by_address.get(normalise.compact(row.get("address")), [])
            if len(same) == 1:
                estate = same[0]
        return estate

    def check_row(self, row):
        street = community = company = None
        if row.get("street"):
            street = self._street(row)
        if street is not None and row.get("community"):
            community = self._community(row, street)
        errors_before = len(row.reported)
        company = self._company(row)
        company_reported = len(row.reported) > errors_before
        existing = self._match(street, row)

        present = set(row.values)
        values = {key: row.get(key) for key in VALUE_KEYS if key in present or existing is None}
        if "is_old" in present or existing is None:
            values["is_old"] = bool(row.get("is_old"))
        if "committee_eligible" in present or existing is None:
            eligible = row.get("committee_eligible")
            values["committee_eligible"] = True if eligible is None else eligible
        values["community_id"] = community.id if community else None
        if company is not None or existing is None or {"company_code", "company_name"} & present:
            values["company_id"] = company.id if company else None
        check = values
        if existing is not None:
            check = {key: getattr(existing, key) for key in ESTATE_FIELDS}
            check.update(values)
        for field_name, message in estate_errors(check, estate=existing, community=community, company=company,
                                                 today=self.today, check_duplicates=False):
            key = FIELD_TO_KEY.get(field_name, field_name)
            if key == "community" and community is None:
                continue  # the street or community is already reported
            if key == "company_code" and company_reported:
                continue  # the company's name or code is already reported
            if key in self.headers and self.headers[key] not in row.reported:
                row.error(key, message.rstrip("。"))
        if street is not None and row.get("name"):
            key = (street.id, row.get("name").lower())
            if key in self.seen:
                row.error("name", _("与第 %(row)s 行重复（同一街道下同名）", row=self.seen[key]))
            else:
                self.seen[key] = row.number
        if existing is not None:
            label = f"{existing.name}（{existing.street.name}）"
            if existing.archived_at is not None:
                row.error("name", _("与已归档的小区“%(name)s”相同，请先恢复该小区", name=existing.name))
            elif existing.id in self.seen_estates:
                row.error("name", _("与第 %(row)s 行对应同一个小区", row=self.seen_estates[existing.id]))
            else:
                self.seen_estates[existing.id] = row.number
                if all(getattr(existing, key) == value for key, value in values.items()):
                    row.skip(label)
                    return None
                row.update(label)
        return values, community, existing

    def write(self, ready) -> list[Estate]:
        estates, created = [], []
        for item in ready:
            if item is None:
                continue  # a row with nothing new
            values, community, existing = item
            if existing is not None:
                estates.append(update_estate(existing, values, actor=self.actor))
                continue
            estate = Estate(**values, street_id=community.street_id)
            estate.committee_due_on = formation_due_date(estate)
            estates.append(estate)
            created.append(estate)
        db.session.add_all(created)
        db.session.flush()
        fields = list(AUDITED_ESTATE_FIELDS)
        record_many("estate.import", ((estate, snapshot(estate, fields)) for estate in created), actor=self.actor)
        record("estate.import_file", None, object_type="Estate", actor=self.actor,
               summary=_("导入小区 %(n)s 个（%(file)s）", n=len(estates), file=self.filename or "-"),
               after={"file": self.filename, "rows": len(estates), "created": len(created),
                      "updated": len(estates) - len(created)})
        return estates

    # A large file in chunks (``run_chunked``, the import job): the new estates of each chunk in one
    # Core INSERT … RETURNING of plain rows (no ORM objects: their attribute events cost more than the
    # rest of the row), their audit entries in another; the file's entry once at the end.

    def write_chunk(self, ready) -> None:
        rows = []
        now = utcnow()
        for item in ready:
            if item is None:
                continue
            values, community, existing = item
            if existing is not None:
                update_estate(existing, values, actor=self.actor)
                self.updated_count = getattr(self, "updated_count", 0) + 1
                continue
            row = {column: values.get(column) for column in ESTATE_FIELDS}
            row.update(street_id=community.street_id, name_sort=name_sort_key(row["name"]), archived_at=None,
                       committee_due_on=formation_due_on(row["professional_vote_households"], row["households"],
                                                         row["professional_vote_on"]),
                       created_at=now, updated_at=now, version=1)
            rows.append(row)
        if not rows:
            return
        table = Estate.__table__
        new_ids = psycopg_insert(table, rows, returning=table.c.id)
        if new_ids is not None:
            ids = {(row["street_id"], row["name"]): estate_id for row, estate_id in zip(rows, new_ids, strict=True)}
        else:
            # The rows of a chunk that is written have distinct (street, name) (``check_row`` refuses a
            # repeat), so the ids are matched by them: with sort_by_parameter_order SQLite inserts row by row.
            returned = db.session.execute(insert(table).returning(table.c.id, table.c.street_id, table.c.name), rows)
            ids = {(street_id, name): estate_id for estate_id, street_id, name in returned}
        fields = AUDITED_ESTATE_FIELDS
        record_rows("estate.import", (("Estate", ids[row["street_id"], row["name"]], row["name"],
                                       {key: row[key] for key in fields}) for row in rows), actor=self.actor)
        self.created_count = getattr(self, "created_count", 0) + len(rows)

    def finish(self, result) -> None:
        created, updated = getattr(self, "created_count", 0), getattr(self, "updated_count", 0)
        record("estate.import_file", None, object_type="Estate", actor=self.actor,
               summary=_("导入小区 %(n)s 个（%(file)s）", n=created + updated, file=self.filename or "-"),
               after={"file": self.filename, "rows": created + updated, "created": created, "updated": updated})


def import_estates(data: bytes, filename: str | None = None, *, actor=None, mapping=None,
                   dry_run: bool = False) -> ImportResult:
    """Validate every row; add or update all the estates, or none (see the module docstring)."""
    return EstateImport(filename, actor).run(data, filename, mapping=mapping, dry_run=dry_run)
