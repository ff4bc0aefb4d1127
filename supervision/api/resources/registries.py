"""Registers: estates (小区台账), property companies and their staff with certificates."""
from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...auth import scope
from ...auth.roles import COMPANY, DISTRICT_READERS, STREET, Role
from ...companies import services as company_services
from ...companies.models import Company, QualificationGrade, Staff
from ...core.pagination import paginate_keys
from ...core.timeutil import local_today
from ...estates import services as estate_services
from ...estates.models import CommitteeStatus, Estate, ManagementMode, PropertyType
from ...extensions import db
from ..core import EnumValue, Id, PageArgs, api_blueprint, page_schema, paginated

estates_blp = api_blueprint("api_estates", __name__, "/estates", "小区台账")
companies_blp = api_blueprint("api_companies", __name__, "/companies", "物业服务企业")
staff_blp = api_blueprint("api_staff", __name__, "/staff", "企业人员及持证情况")
blps = (estates_blp, companies_blp, staff_blp)

BOOL_FLAG = validate.OneOf(["1", "0"])


# --- estates -----------------------------------------------------------------------

class EstateSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    street_id = fields.Integer()
    street = fields.Function(lambda e: e.street.name)
    community_id = fields.Integer()
    community = fields.Function(lambda e: e.community.name)
    company_id = fields.Integer(allow_none=True)
    company = fields.Function(lambda e: e.company.name if e.company else None, allow_none=True,
                              metadata={"type": "string", "nullable": True})
    management_mode = EnumValue(ManagementMode)
    property_type = EnumValue(PropertyType, allow_none=True)
    year_built = fields.Integer(allow_none=True)
    buildings = fields.Integer(allow_none=True)
    households = fields.Integer(allow_none=True)
    floor_area = fields.Float(allow_none=True, metadata={"description": "建筑面积（平方米）"})
    is_old = fields.Boolean(metadata={"description": "老旧小区"})
    committee_eligible = fields.Boolean(metadata={"description": "具备成立业主大会、业主委员会条件"})
    committee_due_on = fields.Date(allow_none=True, metadata={"description": "业委会应成立日期"})
    committee_status = fields.Function(lambda e: e.committee.current_status.value if e.committee else None,
                                       allow_none=True, metadata={
                                           "type": "string", "nullable": True,
                                           "enum": [s.value for s in CommitteeStatus] + [None]})
    archived_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    version = fields.Integer()


class EstateArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "名称或地址中的文字"})
    street_id = Id()
    community_id = Id()
    company_id = fields.Integer(validate=validate.Range(min=-1, max=2**31 - 1),
                                metadata={"description": "物业企业编号；-1 表示无物业企业的小区"})
    company = fields.String(validate=validate.Length(max=64),
                            metadata={"description": "物业企业名称或统一社会信用代码中的文字"})
    management_mode = fields.String(validate=validate.OneOf([m.value for m in ManagementMode]))
    committee = fields.String(validate=validate.OneOf(estate_services.COMMITTEE_FILTERS),
                              metadata={"description": "none：未成立业委会；或业委会状态"})
    is_old = fields.String(validate=BOOL_FLAG, metadata={"description": "1：老旧小区；0：非老旧小区"})
    eligible = fields.String(validate=BOOL_FLAG)
    alert = fields.String(validate=validate.OneOf(estate_services.ALERTS))
    archived = fields.String(validate=validate.OneOf(["", "1", "all"]),
                             metadata={"description": "空：在册；1：已归档；all：全部"})
    sort = fields.String(validate=validate.OneOf(
        [key for name in estate_services.SORT_KEYS for key in (name, f"-{name}")]))


ESTATE_OPTIONS = (joinedload(Estate.street), joinedload(Estate.community), joinedload(Estate.company),
                  joinedload(Estate.committee))


@estates_blp.route("")
@estates_blp.arguments(EstateArgs, location="query")
@estates_blp.response(200, page_schema(EstateSchema))
def estate_list(args):
    """小区列表

    您可查看范围内的小区，筛选条件与网页列表相同（默认每页 50 条）。"""
    filters = estate_services.EstateFilters(**{key: args.get(key) for key in (
        "q", "street_id", "community_id", "company_id", "company", "management_mode", "committee", "is_old", "eligible",
        "alert", "archived", "sort")})
    # Pages first: the page's ids in the list's order, then those estates with their relations (not the
    # joined rows of every estate sorted: ~20 ms of SQLite at 100×).
    keys = estate_services.list_estates(scope.visible(Estate), filters).with_only_columns(Estate.id)
    page = paginate_keys(keys, _estates_by_id, per_page=args["per_page"], page=args["page"])
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


def _estates_by_id(ids) -> dict:
    return {e.id: e for e in db.session.scalars(select(Estate).where(Estate.id.in_(ids)).options(*ESTATE_OPTIONS))
            .unique()}


@estates_blp.route("/<int:estate_id>")
@estates_blp.response(200, EstateSchema)
def estate_detail(estate_id: int):
    """小区详情

    不在您查看范围内的小区返回 404。"""
    return scope.load(Estate, estate_id, options=ESTATE_OPTIONS)


# --- companies ---------------------------------------------------------------------

class CompanySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String(metadata={"description": "统一社会信用代码"})
    legal_representative = fields.String(allow_none=True)
    contact_person = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    qualification_grade = EnumValue(QualificationGrade, allow_none=True)
    archived_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    version = fields.Integer()


class RateSchema(Schema):
    numerator = fields.Integer(metadata={"description": "持证人数"})
    denominator = fields.Integer(metadata={"description": "须持证岗位人数"})
    rate = fields.Float(allow_none=True, metadata={"description": "持证率（0–1）；无须持证岗位时为 null"})


class CompanyDetailSchema(CompanySchema):
    certification = fields.Nested(RateSchema, metadata={"description": "全体须持证岗位的持证率"})
    manager_certification = fields.Nested(RateSchema, metadata={"description": "项目经理持证率"})
    estate_ids = fields.List(fields.Integer(), metadata={"description": "本企业在管、您可查看的小区"})


class CompanyArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=64))
    grade = fields.String(validate=validate.OneOf(["none"] + [g.value for g in QualificationGrade]))
    archived = fields.String(validate=validate.OneOf(["", "1", "all"]))
    sort = fields.String(validate=validate.OneOf(["name", "-name", "credit_code", "-credit_code", "updated",
                                                  "-updated"]))


@companies_blp.route("")
@companies_blp.arguments(CompanyArgs, location="query")
@companies_blp.response(200, page_schema(CompanySchema))
def company_list(args):
    """物业企业列表

    住建局和领导查看全区；街道办查看在本街道有在管小区的企业。
    物业企业用户请用 `/companies/{id}` 查看本企业（此处返回 403）。"""
    scope.require_role(DISTRICT_READERS | STREET)
    statement = company_services.filter_companies(scope.visible(Company), q=args.get("q"), grade=args.get("grade"),
                                                  archived=args.get("archived"), sort=args.get("sort"))
    return paginated(statement, args)


@companies_blp.route("/<int:company_id>")
@companies_blp.response(200, CompanyDetailSchema)
def company_detail(company_id: int):
    """物业企业详情

    含今日的持证率和项目经理持证率，以及您可查看的在管小区编号。"""
    company = scope.load(Company, company_id)
    today = local_today()
    company.certification, company.manager_certification = company_services.certification_rate_and_managers(
        company_id=company.id, on=today)

    company.estate_ids = list(db.session.scalars(
        scope.visible(Estate).with_only_columns(Estate.id)
        .where(Estate.company_id == company.id, Estate.archived_at.is_(None)).order_by(Estate.id)))
    return company


# --- staff and certificates -----------------------------------------------------------

class CertificateSchema(Schema):
    """A ``companies.services.CertificateRow``."""

    id = fields.Integer()
    certificate_type = fields.String(attribute="type_name")
    number = fields.String()
    issuer = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    state = fields.String(metadata={"description": "证书状态（有效、即将到期、已过期等）"})


class StaffSchema(Schema):
    """A ``companies.services.StaffRow`` (plain columns: the page's staff, certificates and accepted types in three
    queries)."""

    id = fields.Integer()
    name = fields.String()
    company_id = fields.Integer()
    company = fields.String()
    estate_id = fields.Integer(allow_none=True, metadata={"description": "所在项目（小区）；null 为公司总部"})
    estate = fields.String(allow_none=True)
    position = fields.String()
    is_manager = fields.Boolean()
    left_on = fields.Date(allow_none=True)
    qualified = fields.Boolean(allow_none=True, metadata={
        "description": "按岗位要求是否持有效证书；岗位无须持证时为 null"})
    certificates = fields.List(fields.Nested(CertificateSchema))


class StaffArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "姓名、电话或证书编号"})
    company_id = Id(metadata={"description": "物业企业（企业用户只能查看本企业，忽略此参数）"})
    estate_id = fields.String(validate=validate.Regexp(r"^(none|[1-9][0-9]{0,8})$"),
                              metadata={"description": "小区编号，或 none 表示公司总部人员"})
    position_id = Id()
    cert = fields.String(validate=validate.OneOf(["qualified", "unqualified", "expiring", "expired",
                                                  "not_required"]))
    status = fields.String(validate=validate.OneOf(["", "left", "all"]),
                           metadata={"description": "空：在职；left：已离职；all：全部"})
    sort = fields.String(validate=validate.OneOf(["name", "-name", "position", "-position", "expiry", "-expiry"]))


@staff_blp.route("")
@staff_blp.arguments(StaffArgs, location="query")
@staff_blp.response(200, page_schema(StaffSchema))
def staff_list(args):
    """企业人员及证书

    住建局和领导查看全区，物业企业只看本企业（忽略 company_id）；街道办返回 403，与网页相同。"""
    scope.require_role(DISTRICT_READERS | COMPANY)
    company_id = current_user.company_id if current_user.role is Role.COMPANY_USER else args.get("company_id")
    today = local_today()
    statement = company_services.filter_staff(
        scope.visible(Staff), q=args.get("q"), company_id=company_id, estate_id=args.get("estate_id"),
        position_id=args.get("position_id"), cert=args.get("cert"), status=args.get("status"),
        today=today, sort=args.get("sort"))
    # Pages first, then relations: the page's ids by filter and order, then those rows as plain columns.
    # The district's current staff unfiltered: their number from the staff summary the committing transaction stored.
    unfiltered = current_user.sees_district and not company_id and not any(
        args.get(name) for name in ("q", "estate_id", "position_id", "cert", "status"))
    counter = (lambda: company_services.kept_summary(on=today).active) if unfiltered else None
    page = paginate_keys(statement.with_only_columns(Staff.id), lambda ids: {
        row.id: row for row in company_services.staff_rows(select(Staff), today, ids=ids)},
        per_page=args["per_page"], page=args["page"], counter=counter)
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}
