"""Service contracts, 前期物业 and party building as Excel workbooks; the all-or-nothing contract import.

The contract template, export and import share ``contract_columns``. An import **adds** contracts: the
estate is named by street and name, the company by its unified social credit code; a row with a 备案编号
is registered as already filed (the bureau's paper records), one without as submitted (待审核). The
备案状态 column is the export's and is ignored on import. A row repeating a contract already registered
(same estate and start date) or another row of the file is refused.
"""
from __future__ import annotations

from operator import itemgetter

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..audit.services import record
from ..companies.credit_code import credit_code_error
from ..companies.models import Company
from ..core.timeutil import local_today
from ..documents.excel import Column, a_date, boolean, choice, decimal, text, write_workbook
from ..documents.imports import ImportResult, SheetImport, instructions
from ..estates.models import Estate
from ..extensions import db
from ..jobs import imports as import_jobs
from ..regions.models import Community, Street
from . import services
from .models import (
    ContractFee,
    FeeKind,
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
    ServiceLevel,
    fee_unit,
)

EXAMPLE_NAME = "示例小区（导入前请删除此行）"


def _fee(kind: FeeKind):
    def export(contract):
        for fee in contract.fees:
            if fee.kind is kind:
                return fee.amount
        return None
    return export


def contract_columns() -> list[Column]:
    fee_columns = [Column(f"fee_{kind.value}", f"{kind.label}（{fee_unit(kind)}）",
                          parse=decimal(0, services.MAX_FEE), export=_fee(kind), width=14,
                          example={"residential": 1.2, "parking": 60}.get(kind.value),
                          note="至少填写一类物业的收费标准")
                   for kind in FeeKind]
    return [
        Column("estate", "小区名称", required=True, parse=text(128), example=EXAMPLE_NAME, width=24,
               export=lambda c: c.estate.name),
        Column("street", "街道", required=True, parse=text(64), example="东城街道", export=lambda c: c.street.name),
        Column("company_code", "物业企业统一社会信用代码", required=True, parse=text(32), example="91000001MA00000018",
               export=lambda c: c.company.credit_code, width=24),
        Column("company_name", "物业企业名称", parse=text(128), example="示范安居物业服务有限公司",
               export=lambda c: c.company.name, width=26, note="用于核对；导入时以统一社会信用代码为准"),
        Column("owner_party", "甲方", required=True, parse=text(128), example="示范小区业主委员会", width=20,
               note="业主大会、业主委员会或建设单位"),
        Column("signed_on", "签订日期", parse=a_date, example="2025-12-20", width=12, note="YYYY-MM-DD"),
        Column("starts_on", "合同期限起", required=True, parse=a_date, example="2026-01-01", width=12),
        Column("ends_on", "合同期限止", required=True, parse=a_date, example="2028-12-31", width=12),
        Column("service_level", "服务等级", parse=choice(ServiceLevel), example="二级", width=10,
               note="、".join(level.label for level in ServiceLevel)),
        *fee_columns,
        Column("status", "备案状态", parse=text(16), export=lambda c: c.status, width=12,
               note="导出时填写；导入时忽略（有备案编号的视为已备案，否则为待审核）"),
        Column("filing_number", "备案编号", parse=text(64), example=None, width=18),
        Column("notes", "备注", parse=text(2000), width=30),
    ]


def contract_export_columns() -> list[Column]:
    return _in_order(contract_columns())


def contract_export_select(statement):
    """The contract list's statement (a scoped, filtered, sorted ``select(ServiceContract)`` joined to the
    estate and the company) as plain rows: the id first (for the fees), then ``contract_columns``' order up
    to the fees, then the status, filing number and notes."""
    C, street = ServiceContract, aliased(Street)
    return (statement.with_only_columns(
        C.id, Estate.name, street.name, Company.credit_code, Company.name, C.owner_party, C.signed_on, C.starts_on,
        C.ends_on, C.service_level, C.status, C.filing_number, C.notes)
        .join(street, street.id == C.street_id))


def contract_export_rows(rows, statement):
    """The streamed rows of ``contract_export_select`` with each contract's fee per kind (its first fee of
    the kind, as ``contract_columns`` reads them), read for every contract of ``statement`` in one query."""
    ids = statement.with_only_columns(ServiceContract.id).order_by(None).limit(None)
    fees: dict[int, dict] = {}
    for contract_id, kind, amount in db.session.execute(
            select(ContractFee.contract_id, ContractFee.kind, ContractFee.amount)
            .where(ContractFee.contract_id.in_(ids)).order_by(ContractFee.id)):
        fees.setdefault(contract_id, {}).setdefault(kind, amount)
    kinds = list(FeeKind)
    for contract_id, *values, status, number, notes in rows:
        amounts = fees.get(contract_id, {})
        yield (*values, *(amounts.get(kind) for kind in kinds), status, number, notes)


def export_contracts(contracts) -> bytes:
    return write_workbook(contract_columns(), contracts, title="物业服务合同")


def template_bytes() -> bytes:
    columns = contract_columns()
    extra = [["", "", "导入只用于新增合同：同一小区同一起始日期的合同已登记的，不予导入。"]]
    return write_workbook(columns, title="物业服务合同", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


# error field of services.contract_errors → the column that shows it
FIELD_TO_KEY = {"company_id": "company_code"}


class ContractImport(SheetImport):
    def __init__(self, filename: str | None, actor):
        self.filename, self.actor = filename, actor
        self.columns = contract_columns()
        self.headers = {c.key: c.header for c in self.columns}

    def prepare(self, rows) -> None:
        self.streets = {s.name: s for s in db.session.scalars(select(Street))}
        self.estates = {(e.street_id, e.name): e for e in db.session.scalars(
            select(Estate).where(Estate.archived_at.is_(None)))}
        self.companies = {c.credit_code: c for c in db.session.scalars(select(Company))}
        self.existing = set(db.session.execute(select(ServiceContract.estate_id, ServiceContract.starts_on)))
        self.numbers = set(db.session.scalars(select(ServiceContract.filing_number)
                                              .where(ServiceContract.filing_number.is_not(None))))
        self.seen: dict = {}
        self.seen_numbers: dict = {}

    def check_row(self, row):
        estate = company = None
        street = self.streets.get(row.get("street")) if row.get("street") else None
        if row.get("street") and street is None:
            row.error("street", _("找不到街道“%(name)s”", name=row.get("street")))
        if street is not None and row.get("estate"):
            estate = self.estates.get((street.id, row.get("estate")))
            if estate is None:
                row.error("estate", _("%(street)s下找不到小区“%(name)s”", street=street.name, name=row.get("estate")))
        code = row.get("company_code")
        if code:
            message = credit_code_error(code)
            if message:
                row.error("company_code", message)
            else:
                company = self.companies.get(code)
                if company is None:
                    row.error("company_code", _("系统中没有统一社会信用代码为 %(code)s 的企业", code=code))
                elif row.get("company_name") and row.get("company_name") != company.name:
                    row.error("company_name", _("信用代码对应的企业为“%(name)s”，与填写的名称不一致",
                                                name=company.name))
        values = {key: row.get(key) for key in ("owner_party", "signed_on", "starts_on", "ends_on", "service_level",
                                                "notes")}
        values["company_id"] = company.id if company else None
        fees = {kind: row.get(f"fee_{kind.value}") for kind in FeeKind}
        number = row.get("filing_number")
        if estate is not None:
            for field_name, message in services.contract_errors(estate, values, fees):
                key = FIELD_TO_KEY.get(field_name, field_name)
                if key == "company_code" and company is None:
                    continue
                if key in self.headers and self.headers[key] not in row.reported:
                    row.error(key, message.rstrip("。"))
            key = (estate.id, values["starts_on"])
            if key in self.existing:
                row.error("starts_on", _("该小区同一起始日期的合同已登记"))
            elif key in self.seen:
                row.error("starts_on", _("与第 %(row)s 行重复（同一小区同一起始日期）", row=self.seen[key]))
            else:
                self.seen[key] = row.number
        if number:
            if number in self.numbers:
                row.error("filing_number", _("备案编号“%(number)s”已被使用", number=number))
            elif number in self.seen_numbers:
                row.error("filing_number", _("与第 %(row)s 行的备案编号重复", row=self.seen_numbers[number]))
            else:
                self.seen_numbers[number] = row.number
        return estate, values, fees, number

    def write(self, ready) -> list[ServiceContract]:
        contracts = [services.submit_contract(
            estate, values, fees, actor=self.actor, filing_number=number,
            status=FilingStatus.FILED if number else FilingStatus.SUBMITTED) for estate, values, fees, number in ready]
        record("contract.import_file", None, object_type="ServiceContract", actor=self.actor,
               summary=_("导入物业服务合同 %(n)s 份（%(file)s）", n=len(contracts), file=self.filename or "-"),
               after={"file": self.filename, "rows": len(contracts)})
        return contracts


def import_contracts(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    return ContractImport(filename, actor).run(data, filename)


# --- the estate lists' exports -------------------------------------------------------------

PRELIMINARY_KEYS = ("developer", "selection_method", "selected_on", "approval_ref", "contract_signed_on",
                    "covenant_signed_on", "notes")


def _p(attr):
    return lambda r: getattr(r[1], attr) if r[1] is not None else None


def preliminary_columns() -> list[Column]:
    """The 前期物业 list's export, template and import."""
    return [
        Column("estate", "小区名称", required=True, parse=text(128), export=lambda r: r[0].name, width=24,
               example=EXAMPLE_NAME),
        Column("street", "街道", required=True, parse=text(64), export=lambda r: r[0].street.name, example="东城街道"),
        Column("community", "社区", parse=text(64), export=lambda r: r[0].community.name, note="导出专用，导入时忽略"),
        Column("developer", "建设单位", parse=text(128), export=_p("developer"), width=24, example="示范置业有限公司"),
        Column("company_code", "前期物业服务企业统一社会信用代码", parse=text(32), width=24,
               example="91000001MA00000018",
               export=lambda r: r[1].company.credit_code if r[1] is not None and r[1].company else None),
        Column("company_name", "前期物业服务企业", parse=text(128), width=26,
               note="用于核对；导入时以统一社会信用代码为准",
               export=lambda r: r[1].company.name if r[1] is not None and r[1].company else None),
        Column("selection_method", "选聘方式", parse=choice(SelectionMethod), export=_p("selection_method"),
               example="公开招标", note="、".join(m.label for m in SelectionMethod)),
        Column("selected_on", "招投标（选聘）日期", parse=a_date, export=_p("selected_on"), example="2019-05-01"),
        Column("approval_ref", "批准文号", parse=text(128), export=_p("approval_ref"), note="邀请招标、协议选聘时必填"),
        Column("contract_signed_on", "前期物业服务合同签订日期", parse=a_date, export=_p("contract_signed_on"),
               example="2019-06-01", note="未签订的留空"),
        Column("covenant_signed_on", "临时管理规约签订日期", parse=a_date, export=_p("covenant_signed_on"),
               example="2019-06-15", note="未签订的留空"),
        Column("notes", "备注", parse=text(2000), export=_p("notes"), width=30),
    ]


def export_preliminary(rows) -> bytes:
    return write_workbook(preliminary_columns(), rows, title="前期物业")


def _in_order(columns: list[Column]) -> list[Column]:
    """The columns, each reading its place in the plain rows an export streams."""
    for index, column in enumerate(columns):
        column.export = itemgetter(index)
    return columns


def _names_joined(statement, *columns):
    """``statement`` (the scoped, filtered ``select(Estate, …)`` of a list) as plain rows: the estate's
    name, its street's and community's names, then ``columns`` — one streamed query, no ORM object."""
    street, community = aliased(Street), aliased(Community)
    return (statement.with_only_columns(Estate.name, street.name, community.name, *columns)
            .outerjoin(street, street.id == Estate.street_id)
            .outerjoin(community, community.id == Estate.community_id))


def preliminary_export_columns() -> list[Column]:
    return _in_order(preliminary_columns())


def preliminary_export_select(statement):
    """The 前期物业 list's rows in ``preliminary_columns``' order (the company joined for its code and name)."""
    P, company = PreliminaryService, aliased(Company)
    return (_names_joined(statement, P.developer, company.credit_code, company.name, P.selection_method,
                          P.selected_on, P.approval_ref, P.contract_signed_on, P.covenant_signed_on, P.notes)
            .outerjoin(company, company.id == P.company_id))


def preliminary_template_bytes() -> bytes:
    columns = preliminary_columns()
    extra = [["", "", "导入只用于新增：已登记前期物业信息的小区不予导入，请在小区页面修改；"
                      "除小区、街道、社区外各列均为空的行（未登记）跳过。"]]
    return write_workbook(columns, title="前期物业", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


class PreliminaryImport(SheetImport):
    """Adds the 前期物业 records of estates that have none (the same checks as the form)."""

    def __init__(self, filename: str | None, actor):
        self.filename, self.actor = filename, actor
        self.columns = preliminary_columns()
        self.headers = {c.key: c.header for c in self.columns}

    def prepare(self, rows) -> None:
        self.streets = {s.name: s for s in db.session.scalars(select(Street))}
        self.estates = {(e.street_id, e.name): e for e in db.session.scalars(
            select(Estate).where(Estate.archived_at.is_(None)))}
        self.companies = {c.credit_code: c for c in db.session.scalars(select(Company))}
        self.existing = set(db.session.scalars(select(PreliminaryService.estate_id)))
        self.seen: dict = {}
        self.today = local_today()

    def check_row(self, row):
        if all(row.get(key) in (None, "") for key in (*PRELIMINARY_KEYS, "company_code", "company_name")):
            return None  # 未登记: nothing to import
        estate = company = None
        street = self.streets.get(row.get("street")) if row.get("street") else None
        if row.get("street") and street is None:
            row.error("street", _("找不到街道“%(name)s”", name=row.get("street")))
        if street is not None and row.get("estate"):
            estate = self.estates.get((street.id, row.get("estate")))
            if estate is None:
                row.error("estate", _("%(street)s下找不到小区“%(name)s”", street=street.name, name=row.get("estate")))
        code = row.get("company_code")
        if code:
            company = self.companies.get(code)
            if company is None:
                row.error("company_code", _("系统中没有统一社会信用代码为 %(code)s 的企业", code=code))
            elif row.get("company_name") and row.get("company_name") != company.name:
                row.error("company_name", _("信用代码对应的企业为“%(name)s”，与填写的名称不一致",
                                            name=company.name))
        values = {key: row.get(key) for key in PRELIMINARY_KEYS}
        values["company_id"] = company.id if company else None
        area = estate.floor_area if estate is not None else None
        for field_name, message in services.preliminary_errors(values, self.today, area):
            key = FIELD_TO_KEY.get(field_name, field_name)
            if key == "company_code" and code:
                continue
            if self.headers[key] not in row.reported:
                row.error(key, message.rstrip("。"))
        if estate is not None:
            if estate.id in self.existing:
                row.error("estate", _("该小区已登记前期物业信息，请在小区页面修改"))
            elif estate.id in self.seen:
                row.error("estate", _("与第 %(row)s 行重复", row=self.seen[estate.id]))
            else:
                self.seen[estate.id] = row.number
        return estate, values

    def write(self, ready) -> list[PreliminaryService]:
        rows = [services.save_preliminary(item[0], item[1], actor=self.actor) for item in ready if item is not None]
        record("preliminary.import_file", None, object_type="PreliminaryService", actor=self.actor,
               summary=_("导入前期物业信息 %(n)s 个小区（%(file)s）", n=len(rows), file=self.filename or "-"),
               after={"file": self.filename, "rows": len(rows)})
        return rows


def import_preliminary(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    return PreliminaryImport(filename, actor).run(data, filename)


IGNORED = "导出专用，导入时忽略"


def party_columns(fees: dict | None = None) -> list[Column]:
    """The party-building list's export, template and import (the fee columns are the export's only)."""
    fees = fees or {}
    return [
        Column("estate", "小区名称", required=True, parse=text(128), export=lambda r: r[0].name, width=24,
               example=EXAMPLE_NAME),
        Column("street", "街道", required=True, parse=text(64), export=lambda r: r[0].street.name, example="东城街道"),
        Column("community", "社区", parse=text(64), export=lambda r: r[0].community.name, note=IGNORED),
        Column("fee", "收费标准（已备案合同）", parse=text(500), width=36, note=IGNORED,
               export=lambda r: fees[r[0].id].text if r[0].id in fees else None),
        Column("fee_number", "合同备案编号", parse=text(64), note=IGNORED,
               export=lambda r: fees[r[0].id].filing_number if r[0].id in fees else None),
        Column("has_party_org", "已建党组织", required=True, parse=boolean, width=10, example="是",
               export=lambda r: bool(r[1] and r[1].has_party_org)),
        Column("org_name", "党组织名称", parse=text(128), width=24, example="示例小区党支部",
               export=lambda r: r[1].org_name if r[1] else None, note="已建党组织时必填"),
        Column("org_founded_on", "成立日期", parse=a_date, example="2021-07-01",
               export=lambda r: r[1].org_founded_on if r[1] else None),
        Column("red_property", "红色物业", parse=boolean, width=10, example="否",
               export=lambda r: bool(r[1] and r[1].red_property)),
        Column("red_property_note", "红色物业做法", parse=text(2000), width=36, note="开展红色物业时必填",
               export=lambda r: r[1].red_property_note if r[1] else None),
    ]


def export_party(rows, fees: dict) -> bytes:
    return write_workbook(party_columns(fees), rows, title="收费标准与党建")


def party_export_columns() -> list[Column]:
    return _in_order(party_columns())


def party_export_select(statement):
    """The party-building list's rows: the estate's id first (for its fee standard), then its names and
    party-building record (``party_export_rows`` puts them in ``party_columns``' order)."""
    B = PartyBuilding
    return _names_joined(statement, Estate.id, B.has_party_org, B.org_name, B.org_founded_on, B.red_property,
                         B.red_property_note)


def party_export_rows(rows, statement):
    """The streamed rows of ``party_export_select`` with each estate's filed fee standard and its filing
    number, read for every estate of ``statement`` in one query up front."""
    lines = services.fee_standard_lines(statement.with_only_columns(Estate.id).order_by(None).limit(None))
    for name, street, community, estate_id, has_org, org_name, founded_on, red, red_note in rows:
        fee, number = lines.get(estate_id, (None, None))
        yield (name, street, community, fee, number, bool(has_org), org_name, founded_on, bool(red), red_note)


def party_template_bytes() -> bytes:
    columns = party_columns()
    extra = [["", "", "导入只用于新增：已登记党建信息的小区不予导入，请在小区页面修改。"]]
    return write_workbook(columns, title="收费标准与党建", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


class PartyImport(SheetImport):
    """Adds the party-building records of estates that have none (the same checks as the form)."""

    def __init__(self, filename: str | None, actor):
        self.filename, self.actor = filename, actor
        self.columns = party_columns()
        self.headers = {c.key: c.header for c in self.columns}

    def prepare(self, rows) -> None:
        self.streets = {s.name: s for s in db.session.scalars(select(Street))}
        self.estates = {(e.street_id, e.name): e for e in db.session.scalars(
            select(Estate).where(Estate.archived_at.is_(None)))}
        self.existing = set(db.session.scalars(select(PartyBuilding.estate_id)))
        self.seen: dict = {}

    def check_row(self, row):
        estate = None
        street = self.streets.get(row.get("street")) if row.get("street") else None
        if row.get("street") and street is None:
            row.error("street", _("找不到街道“%(name)s”", name=row.get("street")))
        if street is not None and row.get("estate"):
            estate = self.estates.get((street.id, row.get("estate")))
            if estate is None:
                row.error("estate", _("%(street)s下找不到小区“%(name)s”", street=street.name, name=row.get("estate")))
        values = {key: row.get(key) for key in services.PARTY_FIELDS if key != "notes"}
        for field_name, message in services.party_errors(values):
            if self.headers[field_name] not in row.reported:
                row.error(field_name, message.rstrip("。"))
        if estate is not None:
            if estate.id in self.existing:
                row.error("estate", _("该小区已登记党建信息，请在小区页面修改"))
            elif estate.id in self.seen:
                row.error("estate", _("与第 %(row)s 行重复", row=self.seen[estate.id]))
            else:
                self.seen[estate.id] = row.number
        return estate, values

    def write(self, ready) -> list[PartyBuilding]:
        rows = [services.save_party(estate, values, actor=self.actor) for estate, values in ready]
        record("party.import_file", None, object_type="PartyBuilding", actor=self.actor,
               summary=_("导入党建信息 %(n)s 个小区（%(file)s）", n=len(rows), file=self.filename or "-"),
               after={"file": self.filename, "rows": len(rows)})
        return rows


def import_party(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    return PartyImport(filename, actor).run(data, filename)


CONTRACTS_JOB = import_jobs.register(import_jobs.Importer(
    name="contracts", title=_l("导入物业服务合同"), noun=_l("合同"),
    build=lambda filename, actor, options: ContractImport(filename, actor),
    summary=lambda result: _("已导入 %(n)s 份物业服务合同。", n=len(result.created))))
PRELIMINARY_JOB = import_jobs.register(import_jobs.Importer(
    name="preliminary", title=_l("导入前期物业信息"), noun=_l("小区"),
    build=lambda filename, actor, options: PreliminaryImport(filename, actor),
    summary=lambda result: _("已导入 %(n)s 个小区的前期物业信息。", n=len(result.created))))
PARTY_JOB = import_jobs.register(import_jobs.Importer(
    name="party", title=_l("导入党建信息"), noun=_l("小区"),
    build=lambda filename, actor, options: PartyImport(filename, actor),
    summary=lambda result: _("已导入 %(n)s 个小区的党建信息。", n=len(result.created))))
