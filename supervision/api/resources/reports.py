"""Weekly reports (周报): the list and one report for the bureau, leaders and street offices;
a street office starts, fills and submits its own street's report."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ...auth import scope
from ...auth.roles import DISTRICT_READERS, STREET
from ...campaigns.models import Campaign
from ...core.errors import DomainError
from ...extensions import db
from ...reports import services
from ...reports.models import ReportStatus, WeeklyReport
from ...reports.weeks import Week
from ..core import EnumValue, Id, PageArgs, api_blueprint, check_stale, fail, page_schema, paginated, refuse

blp = api_blueprint("api_reports", __name__, "/reports", "街道周报")

READERS = DISTRICT_READERS | STREET
WEEK_PATTERN = r"^[0-9]{4}-W[0-9]{2}$"
TEXT_FIELDS = ("progress", "problems", "next_week_plan", "contact_person", "contact_phone")


class FigureSchema(Schema):
    code = fields.String()
    label = fields.String()
    unit = fields.String(allow_none=True)
    value = fields.Integer(allow_none=True)


class ReportSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    campaign = fields.Function(lambda r: r.campaign.name)
    street_id = fields.Integer()
    street = fields.Function(lambda r: r.street.name)
    week = fields.Function(lambda r: r.week.key, metadata={"type": "string", "description": "ISO 周，如 2026-W39"})
    week_start = fields.Date()
    due_at = fields.DateTime(metadata={"description": "报送截止时间"})
    status = EnumValue(ReportStatus)
    late = fields.Function(lambda r: r.is_late, metadata={
        "type": "boolean", "description": "迟报：定稿（最近一次报送且未被退回的版本）晚于截止时间（按时定稿口径）"})
    first_late = fields.Function(lambda r: r.first_late, metadata={
        "type": "boolean", "description": "首次报送晚于截止时间（按时首报口径）"})
    first_submitted_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    submission_count = fields.Integer()
    return_comment = fields.String(allow_none=True, metadata={"description": "住建局最近一次退回意见"})
    version = fields.Integer(metadata={"description": "修改、报送时原样带回；已被他人修改则返回 409"})


class ReportDetailSchema(ReportSchema):
    figures = fields.List(fields.Nested(FigureSchema), metadata={"description": "街道填报的数字"})
    system_figures = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True),
                                 attribute="system_figures_out", metadata={
        "description": "系统统计的本街道本周数字（已报送的为报送时的快照）"})
    progress = fields.String(allow_none=True, metadata={"description": "本周工作进展"})
    problems = fields.String(allow_none=True, metadata={"description": "存在问题及需协调事项"})
    next_week_plan = fields.String(allow_none=True, metadata={"description": "下周工作计划"})
    contact_person = fields.String(allow_none=True, metadata={"description": "填报人"})
    contact_phone = fields.String(allow_none=True)
    missing = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "报送前尚需填写的字段及说明（可编辑时）"})


class ReportArgs(PageArgs):
    campaign_id = Id()
    street_id = Id(metadata={"description": "街道（街道办只能查看本街道，忽略此参数）"})
    week = fields.String(validate=validate.Regexp(WEEK_PATTERN), metadata={"description": "ISO 周，如 2026-W39"})
    status = fields.String(validate=validate.OneOf([s.value for s in ReportStatus] + ["late"]),
                           metadata={"description": "状态，或 late：迟报"})


def _week_or_422(text: str, field: str = "week") -> Week:
    week = Week.parse(text)
    if week is None:
        fail(422, _("周次格式应为 2026-W39。"), code="validation_error", errors={field: [_("周次格式应为 2026-W39。")]})
    return week


@blp.route("")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, page_schema(ReportSchema))
def report_list(args):
    """周报列表

    住建局和领导查看全区，街道办只看本街道；物业企业返回 403。"""
    scope.require_role(READERS)
    week = _week_or_422(args["week"]) if args.get("week") else None
    statement = services.reports_statement(
        campaign_id=args.get("campaign_id"), street_id=None if current_user.is_street else args.get("street_id"),
        week=week, status=args.get("status"))
    return paginated(scope.visible(WeeklyReport, statement=statement), args)


def _load(report_id: int, roles=READERS) -> WeeklyReport:
    scope.require_role(READERS)
    return scope.load(WeeklyReport, report_id, roles=roles,
                      options=(joinedload(WeeklyReport.campaign), joinedload(WeeklyReport.street)))


def _detail(report: WeeklyReport) -> WeeklyReport:
    report.system_figures_out, _live = services.figures_shown(report)
    report.figures = services.merged_entered(report)
    report.missing = dict(services.missing_for_submission(report)) if report.is_editable else {}
    return report


@blp.route("/<int:report_id>")
@blp.response(200, ReportDetailSchema)
def report_detail(report_id: int):
    """周报详情

    含街道填报的数字和文字、系统统计的数字（已报送的为报送时的快照），以及报送前尚需填写的字段。"""
    return _detail(_load(report_id))


class ReportStartSchema(Schema):
    campaign_id = Id(required=True)
    week = fields.String(required=True, validate=validate.Regexp(WEEK_PATTERN),
                         metadata={"description": "ISO 周，如 2026-W39（不能是以后的周）"})


@blp.route("", methods=["POST"])
@blp.arguments(ReportStartSchema)
@blp.response(201, ReportDetailSchema)
@blp.alt_response(200, schema=ReportDetailSchema, description="该周周报已存在，原样返回")
def report_start(data):
    """开始填报周报（街道办）

    为某专项行动某周创建本街道周报草稿（201）；已存在则原样返回（200）。"""
    scope.require_role(STREET)
    week = _week_or_422(data["week"])
    campaign = scope.load(Campaign, data["campaign_id"])
    try:
        report, created = services.start_report(campaign, current_user.street_id, week, user=current_user)
        db.session.commit()
    except DomainError as error:
        refuse(DomainError(error.message, field=error.field or "week"))
    except IntegrityError:  # a colleague started the same report at the same moment
        db.session.rollback()
        report, created = services.find_report(campaign.id, current_user.street_id, week), False
        if report is None:
            raise
    return _detail(report), 201 if created else 200


class ReportUpdateSchema(Schema):
    version = fields.Integer(required=True, metadata={"description": "读取周报时的 version"})
    figures = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                          values=fields.Integer(allow_none=True, validate=validate.Range(min=0)),
                          metadata={"description": "填报数字 {代码: 整数}；未列出的保持不变，null 清空"})
    progress = fields.String(allow_none=True, validate=validate.Length(max=4000))
    problems = fields.String(allow_none=True, validate=validate.Length(max=4000))
    next_week_plan = fields.String(allow_none=True, validate=validate.Length(max=4000))
    contact_person = fields.String(allow_none=True, validate=validate.Length(max=64))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=32))


@blp.route("/<int:report_id>", methods=["PUT"])
@blp.arguments(ReportUpdateSchema)
@blp.response(200, ReportDetailSchema)
def report_update(data, report_id: int):
    """保存周报草稿（街道办）

    未列出的字段保持不变；带上读取时的 `version`，已被他人修改返回 409；已报送的周报已锁定。"""
    report = _load(report_id, roles=STREET)
    check_stale(report, data["version"])
    entered = {entry["code"]: entry.get("value") for entry in services.merged_entered(report)}
    unknown = sorted(set(data.get("figures") or {}) - set(entered))
    if unknown:
        fail(422, _("请求参数有误。"), code="validation_error",
             errors={f"figures.{code}": [_("本专项行动没有此填报项。")] for code in unknown[:20]})
    entered.update(data.get("figures") or {})
    texts = {name: data[name] if name in data else getattr(report, name) for name in TEXT_FIELDS}
    try:
        services.save_report(report, entered=entered, user=current_user, **texts)
    except DomainError as error:
        refuse(error)
    db.session.commit()
    return _detail(report)


class ReportSubmitSchema(Schema):
    version = fields.Integer(required=True, metadata={"description": "读取周报时的 version"})


@blp.route("/<int:report_id>/submit", methods=["POST"])
@blp.arguments(ReportSubmitSchema)
@blp.response(200, ReportDetailSchema)
def report_submit(data, report_id: int):
    """报送周报（街道办）

    报送后锁定，并保存当时的系统统计数字。尚未填完时返回 422，列出所有待填字段。"""
    report = _load(report_id, roles=STREET)
    check_stale(report, data["version"])
    if report.is_editable:
        missing = services.missing_for_submission(report)
        if missing:
            fail(422, _("报送前请先补充：%(items)s", items="；".join(m for _f, m in missing)), code="validation_error",
                 errors={name: [message] for name, message in missing})
    try:
        services.submit_report(report, user=current_user)
    except DomainError as error:
        refuse(error)
    db.session.commit()
    return _detail(report)
