"""The safety registers as Excel workbooks: template, export and all-or-nothing import.

The template, the export and the import of each register share their columns, so an exported file
imports into another installation. An import **adds** rows: every row names its estate by street and
estate name, and must be an estate the importer may edit (the bureau: any estate in use; a company:
those it manages). A lift whose registration code is already registered, or repeats another row of the
file, is refused. If any row is wrong nothing is imported and the report lists (row, column, message).
"""
from __future__ import annotations

from operator import itemgetter

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from ..audit.services import record, record_many, snapshot
from ..auth.roles import BUREAU
from ..companies.models import Company
from ..core.timeutil import local_today
from ..documents.excel import Column, a_date, choice, integer, text, write_workbook
from ..documents.imports import ImportResult, SheetImport, instructions
from ..estates.models import Estate
from ..extensions import db
from ..jobs import imports as import_jobs
from ..regions.models import Street
from . import services
from .models import FacilityKind, FacilityStatus, FireFacility, Lift, LiftStatus

EXAMPLE_ESTATE = "示例小区（导入前请删除此行）"


def _estate(attr):
    return lambda obj: getattr(obj.estate, attr)


def _street_name(obj):
    return obj.estate.street.name


def _company_name(obj):
    return obj.estate.company.name if obj.estate.company else None


def _estate_columns() -> list[Column]:
    return [
        Column("street", "街道", required=True, parse=text(64), example="东城街道", export=_street_name),
        Column("estate", "小区名称", required=True, parse=text(128), example=EXAMPLE_ESTATE, export=_estate("name"),
               width=24),
    ]


def _tail_columns() -> list[Column]:
    return [Column("notes", "备注", parse=text(2000), example=None, width=30),
            Column("company", "物业企业", parse=text(128), example=None, export=_company_name, width=24,
                   note="导出时填写，仅供核对；导入时不读取")]


def lift_columns() -> list[Column]:
    return _estate_columns() + [
        Column("registration_code", "使用登记证编号/注册代码", required=True, parse=text(32),
               example="31103301012019070001", width=26, note="全区唯一"),
        Column("location", "安装位置", required=True, parse=text(128), example="3号楼1单元", width=18),
        Column("maintenance_company", "维保单位", parse=text(128), example="示范电梯工程有限公司", width=24),
        Column("last_inspected_on", "上次检验日期", parse=a_date, example="2026-03-15", width=14, note="YYYY-MM-DD"),
        Column("next_due_on", "下次检验日期", parse=a_date, example="2027-03-14", width=14,
               note="YYYY-MM-DD；留空时按上次检验日期加一年"),
        Column("status", "状态", parse=choice(LiftStatus), example="在用",
               note="在用、停用（报废请在系统中操作）"),
    ] + _tail_columns()


def facility_columns() -> list[Column]:
    return _estate_columns() + [
        Column("kind", "设施类型", required=True, parse=choice(FacilityKind), example="灭火器", width=20,
               note="、".join(k.label for k in FacilityKind)),
        Column("location", "位置", required=True, parse=text(128), example="3号楼各层楼梯间", width=22),
        Column("quantity", "数量", parse=integer(1, services.MAX_QUANTITY), example=12, width=8),
        Column("last_checked_on", "上次检查日期", parse=a_date, example="2026-05-10", width=14, note="YYYY-MM-DD"),
        Column("next_due_on", "下次检查日期", parse=a_date, example="2027-05-09", width=14,
               note="YYYY-MM-DD；留空时按上次检查日期加一年"),
        Column("status", "状态", parse=choice(FacilityStatus), example="正常",
               note="正常、故障（停用请在系统中操作）"),
    ] + _tail_columns()


EXTRA = [["", "", "导入只用于新增：每行以“街道 + 小区名称”确定小区，只能导入本账户有权维护的小区；"
                  "“物业企业”列仅供核对，导入时不读取。"]]


def lift_template_bytes() -> bytes:
    columns = lift_columns()
    extra = EXTRA + [["", "", "电梯的使用登记证编号/注册代码全区唯一，已登记的不能重复导入。"]]
    return write_workbook(columns, title="电梯台账", example=True,
                          extra_sheets={"填写说明": instructions(columns, extra)})


def facility_template_bytes() -> bytes:
    columns = facility_columns()
    return write_workbook(columns, title="消防设施台账", example=True,
                          extra_sheets={"填写说明": instructions(columns, EXTRA)})


def _in_order(columns: list[Column]) -> list[Column]:
    """The columns, each reading its place in the plain rows an export streams (``export_select``)."""
    for index, column in enumerate(columns):
        column.export = itemgetter(index)
    return columns


def lift_export_columns() -> list[Column]:
    return _in_order(lift_columns())


def facility_export_columns() -> list[Column]:
    return _in_order(facility_columns())


def export_select(model, *columns):
    """``select_rows`` of a register's export: the list's statement (a scoped, filtered, sorted ``select`` of
    ``model`` joined to its estate) as plain rows in the columns' order — street, estate, ``columns``, notes,
    company — one streamed query, no ORM object per row."""
    def select_rows(statement):
        street, company = aliased(Street), aliased(Company)
        return (statement.with_only_columns(street.name, Estate.name, *columns, model.notes, company.name)
                .join(street, street.id == Estate.street_id).outerjoin(company, company.id == Estate.company_id))
    return select_rows


LIFT_EXPORT = export_select(Lift, Lift.registration_code, Lift.location, Lift.maintenance_company,
                            Lift.last_inspected_on, Lift.next_due_on, Lift.status)
FACILITY_EXPORT = export_select(FireFacility, FireFacility.kind, FireFacility.location, FireFacility.quantity,
                                FireFacility.last_checked_on, FireFacility.next_due_on, FireFacility.status)


def _loaded(statement, model):
    return db.session.scalars(statement.options(
        joinedload(model.estate).options(joinedload(Estate.street), joinedload(Estate.company)))).unique()


def lift_export_bytes(statement) -> bytes:
    """The lifts of ``statement`` (a scoped, filtered ``select(Lift)``) in the template's columns."""
    return write_workbook(lift_columns(), _loaded(statement, Lift), title="电梯台账")


def facility_export_bytes(statement) -> bytes:
    return write_workbook(facility_columns(), _loaded(statement, FireFacility), title="消防设施台账")


class _RegisterImport(SheetImport):
    action = ""
    fields: tuple = ()

    def __init__(self, filename: str | None, actor):
        self.filename, self.actor = filename, actor
        self.columns = self.make_columns()
        self.headers = {c.key: c.header for c in self.columns}

    def make_columns(self) -> list[Column]:
        raise NotImplementedError

    def prepare(self, rows) -> None:
        statement = (select(Estate, Street.name).join(Street, Street.id == Estate.street_id)
                     .where(Estate.archived_at.is_(None)))
        if self.actor is not None and self.actor.role not in BUREAU:
            statement = statement.where(Estate.company_id == self.actor.company_id, Estate.company_id.is_not(None))
        self.estates = {(street, estate.name): estate for estate, street in db.session.execute(statement)}
        self.today = local_today()

    def find_estate(self, row):
        if not row.get("street") or not row.get("estate"):
            return None
        estate = self.estates.get((row.get("street"), row.get("estate")))
        if estate is None:
            row.error("estate", _("%(street)s下找不到小区“%(name)s”，或本账户无权维护该小区的台账",
                                  street=row.get("street"), name=row.get("estate")))
        return estate

    def report(self, errors, row) -> None:
        for key, message in errors:
            if key in self.headers and self.headers[key] not in row.reported:
                row.error(key, message.rstrip("。"))

    def write(self, ready):
        objects = [self.model(estate_id=estate.id, **values) for estate, values in ready]
        db.session.add_all(objects)
        db.session.flush()
        record_many(f"{self.action}.import", ((obj, snapshot(obj, self.fields)) for obj in objects), actor=self.actor)
        record(f"{self.action}.import_file", None, object_type=self.model.__name__, actor=self.actor,
               summary=_("导入%(noun)s %(n)s 条（%(file)s）", noun=self.noun, n=len(objects),
                         file=self.filename or "-"),
               after={"file": self.filename, "rows": len(objects)})
        return objects


class LiftImport(_RegisterImport):
    model, action, fields, noun = Lift, "lift", services.AUDITED_LIFT_FIELDS, "电梯"

    def make_columns(self):
        return lift_columns()

    def prepare(self, rows) -> None:
        super().prepare(rows)
        self.existing = set(db.session.scalars(select(Lift.registration_code)))
        self.seen: dict[str, int] = {}

    def check_row(self, row):
        estate = self.find_estate(row)
        values = services.clean_lift({key: row.get(key) for key in services.LIFT_FIELDS})
        self.report(services.lift_errors(values, today=self.today, check_duplicates=False), row)
        code = values["registration_code"]
        if code and "registration_code" not in row.reported:
            if code in self.existing:
                row.error("registration_code", _("%(code)s 已登记（系统中已存在）", code=code))
            elif code in self.seen:
                row.error("registration_code", _("与第 %(row)s 行重复", row=self.seen[code]))
            else:
                self.seen[code] = row.number
        return estate, values


class FacilityImport(_RegisterImport):
    model, action, fields, noun = FireFacility, "fire_facility", services.AUDITED_FACILITY_FIELDS, "消防设施"

    def make_columns(self):
        return facility_columns()

    def check_row(self, row):
        estate = self.find_estate(row)
        values = services.clean_facility({key: row.get(key) for key in services.FACILITY_FIELDS})
        self.report(services.facility_errors(values, today=self.today), row)
        return estate, values


def import_lifts(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    return LiftImport(filename, actor).run(data, filename)


def import_facilities(data: bytes, filename: str | None = None, *, actor=None) -> ImportResult:
    return FacilityImport(filename, actor).run(data, filename)


LIFTS_JOB = import_jobs.register(import_jobs.Importer(
    name="lifts", title=_l("导入电梯台账"), noun=_l("电梯"),
    build=lambda filename, actor, options: LiftImport(filename, actor),
    summary=lambda result: _("已导入 %(n)s 条%(noun)s记录。", n=len(result.created), noun=_("电梯"))))
FACILITIES_JOB = import_jobs.register(import_jobs.Importer(
    name="facilities", title=_l("导入消防设施台账"), noun=_l("消防设施"),
    build=lambda filename, actor, options: FacilityImport(filename, actor),
    summary=lambda result: _("已导入 %(n)s 条%(noun)s记录。", n=len(result.created), noun=_("消防设施"))))
