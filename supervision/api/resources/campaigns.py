"""Campaigns (专项行动), their enrolled estates with derived progress, and the company's
self-inspection (自查表) of an enrolment: read, save, submit, and the stamped scan."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.orm import joinedload

from ...attachments.services import attachments_of
from ...auth import scope
from ...auth.roles import COMPANY
from ...campaigns.models import (
    AcceptanceVerdict,
    Campaign,
    CampaignStatus,
    ChecklistKind,
    Enrolment,
    EnrolmentStage,
    EnrolmentStatus,
    PhaseKind,
    SelfInspection,
    SelfInspectionStatus,
)
from ...campaigns.services import campaigns as campaign_service
from ...campaigns.services import progress
from ...campaigns.services import self_inspection as si_service
from ...campaigns.services.common import may_fill_self_inspection
from ...core.errors import DomainError
from ...core.timeutil import local_today
from ...estates.models import Estate
from ...extensions import db
from ..core import (
    AttachmentSchema,
    EnumValue,
    Id,
    PageArgs,
    api_blueprint,
    binary_field,
    check_stale,
    fail,
    page_schema,
    paginated_rows,
    refuse,
    uploaded_files,
)

blp = api_blueprint("api_campaigns", __name__, "", "专项行动、纳入小区及进度、企业自查表")


# --- campaigns ---------------------------------------------------------------------

class PhaseSchema(Schema):
    kind = EnumValue(PhaseKind)
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class CampaignSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    year = fields.Integer()
    status = EnumValue(CampaignStatus)
    description = fields.String(allow_none=True)
    requires_signed_scan = fields.Boolean(metadata={"description": "自查表须上传盖章扫描件（PDF）"})
    default_deadline_workdays = fields.Integer(metadata={"description": "整改期限默认工作日数"})
    phases = fields.List(fields.Nested(PhaseSchema))
    version = fields.Integer()


class CampaignRowSchema(CampaignSchema):
    enrolled = fields.Integer(metadata={"description": "在册（未退出）小区数，仅计您可查看的"})
    closed = fields.Integer(metadata={"description": "已销号小区数"})


class ProgressRowSchema(Schema):
    street_id = fields.Integer(allow_none=True, metadata={"description": "null：合计"})
    street = fields.String()
    stages = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "各进度阶段的小区数（survey、self_inspection、rectification、"
                                                  "acceptance、closed）"})
    enrolled = fields.Integer()
    not_surveyed = fields.Integer()
    not_self_inspected = fields.Integer()
    closed = fields.Integer()
    withdrawn = fields.Integer()
    items_total = fields.Integer()
    items_accepted = fields.Integer()
    items_open = fields.Integer()
    items_overdue = fields.Integer()
    rectification_rate = fields.Float(allow_none=True, metadata={"description": "到期事项销项率（0–1）"})


class CampaignDetailSchema(CampaignSchema):
    progress = fields.Nested(ProgressRowSchema, metadata={"description": "合计（仅计您可查看的小区和事项）"})
    streets = fields.List(fields.Nested(ProgressRowSchema), metadata={"description": "分街道进度"})


class CampaignArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "名称中的文字"})
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    status = fields.String(validate=validate.OneOf([s.value for s in CampaignStatus]))


def _campaign_row(row):
    campaign = row[0]
    campaign.enrolled, campaign.closed = row.enrolled, row.closed
    return campaign


@blp.route("/campaigns")
@blp.arguments(CampaignArgs, location="query")
@blp.response(200, page_schema(CampaignRowSchema))
def campaign_list(args):
    """专项行动列表

    街道办和物业企业只看到已启动、且有本街道或本企业小区参加的专项行动。"""
    statement = campaign_service.campaign_list_statement(
        current_user, q=args.get("q"), year=args.get("year"),
        status=CampaignStatus(args["status"]) if args.get("status") else None)
    return paginated_rows(statement, args, row=_campaign_row)


@blp.route("/campaigns/<int:campaign_id>")
@blp.response(200, CampaignDetailSchema)
def campaign_detail(campaign_id: int):
    """专项行动详情及进度

    进度按您可查看的小区和整改事项统计：合计及分街道。"""
    campaign = scope.load(Campaign, campaign_id)
    data = progress.campaign_progress(campaign, user=current_user, today=local_today())
    campaign.progress, campaign.streets = data.total, data.rows
    return campaign


# --- enrolments ----------------------------------------------------------------------

class EnrolmentSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    estate_id = fields.Integer()
    estate = fields.Function(lambda e: e.estate.name)
    street_id = fields.Integer()
    street = fields.Function(lambda e: e.street.name)
    company_id = fields.Integer(allow_none=True)
    company = fields.Function(lambda e: e.company.name if e.company else None, allow_none=True,
                              metadata={"type": "string", "nullable": True})
    status = EnumValue(EnrolmentStatus)
    stage = EnumValue(EnrolmentStage,
                      metadata={"description": "由记录推算的进度：待摸底、待自查、整改中、待验收、已销号、已退出"})
    items_total = fields.Integer(metadata={"description": "整改事项数"})
    items_open = fields.Integer(metadata={"description": "未销项事项数"})
    items_overdue = fields.Integer(metadata={"description": "逾期未销项事项数"})
    surveyed_on = fields.Date(allow_none=True)
    self_inspection_status = EnumValue(SelfInspectionStatus, allow_none=True)
    self_inspection_score = fields.Float(allow_none=True)
    last_acceptance_verdict = EnumValue(AcceptanceVerdict, allow_none=True)
    version = fields.Integer()


def _flag(name, description):
    return fields.String(validate=validate.OneOf(["1", "0"]), metadata={"description": description})


class EnrolmentArgs(PageArgs):
    street_id = Id()
    company_id = Id()
    stage = fields.String(validate=validate.OneOf([s.value for s in EnrolmentStage]))
    surveyed = _flag("surveyed", "1：已摸底；0：未摸底")
    self_inspected = _flag("self_inspected", "1：自查表已提交；0：未提交")
    closed = _flag("closed", "1：已销号；0：未销号")
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "小区名称中的文字"})


def _enrolment_row(row):
    enrolment = row[0]
    enrolment.stage = EnrolmentStage(row.stage)
    enrolment.items_total, enrolment.items_open, enrolment.items_overdue = \
        row.items_total, row.items_open, row.items_overdue
    enrolment.surveyed_on = row.surveyed_on
    enrolment.self_inspection_status = row.si_status
    enrolment.self_inspection_score = row.si_score
    enrolment.last_acceptance_verdict = row.last_verdict
    return enrolment


@blp.route("/campaigns/<int:campaign_id>/enrolments")
@blp.arguments(EnrolmentArgs, location="query")
@blp.response(200, page_schema(EnrolmentSchema))
def enrolment_list(args, campaign_id: int):
    """纳入小区及进度

    每个小区的进度阶段由记录推算（待摸底、待自查、整改中、待验收、已销号），附整改事项数和逾期数。"""

    campaign = scope.load(Campaign, campaign_id)
    flag = {"1": True, "0": False}
    filters = progress.EnrolmentFilter(
        street_id=args.get("street_id"), company_id=args.get("company_id"),
        stage=EnrolmentStage(args["stage"]) if args.get("stage") else None,
        surveyed=flag.get(args.get("surveyed")), self_inspected=flag.get(args.get("self_inspected")),
        closed=flag.get(args.get("closed")), q=args.get("q"))
    statement = progress.enrolment_rows_statement(campaign.id, filters, user=current_user)
    statement = statement.join(Estate, Estate.id == Enrolment.estate_id).order_by(Estate.name_sort, Enrolment.id)
    return paginated_rows(statement, args, row=_enrolment_row)


# --- self-inspection -------------------------------------------------------------------

class AnswerValue(fields.Field):
    """An answer: true/false (or "是"/"否") for yes/no checks, a number for percentages and
    counts, text otherwise; null clears it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        raise ValidationError(_("应为文字、数字或 true/false。"))


ANSWER_VALUE_DOC = {"nullable": True, "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}


class AnswerSchema(Schema):
    item_id = fields.Integer(metadata={"description": "检查项编号"})
    code = fields.String(metadata={"description": "检查项代码"})
    category = fields.String()
    requirement = fields.String()
    kind = EnumValue(ChecklistKind)
    standard = fields.String(metadata={"description": "达标标准，如“≥95%”"})
    value = fields.Raw(allow_none=True, metadata=ANSWER_VALUE_DOC)
    answer_text = fields.String(metadata={"description": "答案的文字形式"})
    remark = fields.String(allow_none=True)
    passed = fields.Boolean(allow_none=True, metadata={"description": "提交时计算：是否达标；不计分的项为 null"})


class SelfInspectionSchema(Schema):
    id = fields.Integer()
    enrolment_id = fields.Integer()
    status = EnumValue(SelfInspectionStatus)
    score = fields.Float(allow_none=True, metadata={"description": "得分（0–100），提交时计算"})
    submitted_at = fields.DateTime(allow_none=True)
    submission_count = fields.Integer()
    review_comment = fields.String(allow_none=True, metadata={"description": "住建局退回或审核意见"})
    requires_signed_scan = fields.Boolean()
    answers = fields.List(fields.Nested(AnswerSchema), attribute="answers_out",
                          metadata={"description": "每个检查项一行"})
    missing = fields.List(fields.String(), metadata={"description": "提交前尚未填写的计分项代码"})
    signed_scans = fields.List(fields.Nested(AttachmentSchema), metadata={"description": "盖章扫描件"})
    opened_item_ids = fields.List(fields.Integer(), metadata={
        "description": "本次提交由不达标项生成的整改事项编号（仅提交时）"})
    version = fields.Integer(metadata={"description": "修改时原样带回；已被他人修改则返回 409"})


class SelfInspectionAnswerInSchema(Schema):
    item_id = Id(required=True, metadata={"description": "检查项编号（见 answers[].item_id）"})
    value = AnswerValue(allow_none=True, metadata=ANSWER_VALUE_DOC)
    remark = fields.String(allow_none=True, validate=validate.Length(max=1000))


class SelfInspectionInSchema(Schema):
    version = fields.Integer(allow_none=True, metadata={
        "description": "读取时的 version；不一致返回 409（首次填报可省略）"})
    answers = fields.List(fields.Nested(SelfInspectionAnswerInSchema), load_default=list,
                          validate=validate.Length(max=500), metadata={"description": "只修改列出的检查项"})
    submit = fields.Boolean(load_default=False, metadata={
        "description": "true：保存后提交（计算得分，不达标项生成整改事项）；false：只保存草稿"})


def _answer_value(item, answer):
    if answer is None:
        return None
    if item.kind is ChecklistKind.YES_NO:
        return answer.value_bool
    if item.kind in (ChecklistKind.PERCENT, ChecklistKind.COUNT):
        return float(answer.value_number) if answer.value_number is not None else None
    return answer.value_text


def _self_inspection_out(si: SelfInspection, opened=()) -> SelfInspection:
    answers = si_service.answers_by_item(si)
    si.answers_out = []
    for item in si.template.offered_items:
        answer = answers.get(item.id)
        si.answers_out.append({
            "item_id": item.id, "code": item.code, "category": item.category, "requirement": item.requirement,
            "kind": item.kind, "standard": si_service.standard_text(item), "value": _answer_value(item, answer),
            "answer_text": si_service.answer_text(item, answer), "remark": answer.remark if answer else None,
            "passed": answer.passed if answer else None})
    si.requires_signed_scan = si.enrolment.campaign.requires_signed_scan
    si.missing = [item.code for item in si_service.missing_items(si)]
    si.signed_scans = attachments_of(si, "signed_scan")
    si.opened_item_ids = [item.id for item in opened]
    return si


def _load_enrolment(enrolment_id: int, roles=None) -> Enrolment:
    return scope.load(Enrolment, enrolment_id, roles=roles, options=(
        joinedload(Enrolment.campaign), joinedload(Enrolment.estate), joinedload(Enrolment.self_inspection)))


def _fillable_self_inspection(enrolment_id: int) -> SelfInspection:
    """The enrolment's form for its company to fill, started on first use (403 for anyone else)."""
    enrolment = _load_enrolment(enrolment_id, roles=COMPANY)
    if not may_fill_self_inspection(current_user, enrolment):
        fail(403, _("只有该小区的物业服务企业可以填报自查表。"))
    try:
        return si_service.start(enrolment, actor=current_user)
    except DomainError as error:
        refuse(error)


@blp.route("/enrolments/<int:enrolment_id>/self-inspection")
@blp.response(200, SelfInspectionSchema)
def self_inspection_detail(enrolment_id: int):
    """自查表

    每个检查项一行，含答案、达标标准及提交后的达标结果。企业尚未开始填报时返回 404。"""
    enrolment = _load_enrolment(enrolment_id)
    if enrolment.self_inspection is None:
        fail(404, _("该小区尚未开始填报自查表。"))
    return _self_inspection_out(enrolment.self_inspection)


@blp.route("/enrolments/<int:enrolment_id>/self-inspection", methods=["PUT"])
@blp.arguments(SelfInspectionInSchema)
@blp.response(200, SelfInspectionSchema)
def self_inspection_save(data, enrolment_id: int):
    """填报、提交自查表（物业企业）

    保存所列检查项的答案（全部有效才保存）；`submit: true` 时随即提交：计算得分，不达标的检查项生成整改事项，
    与网页相同。提交被拒时草稿仍保存，返回 422 及原因。带上读取时的 `version`，
    已被他人修改返回 409。"""
    si = _fillable_self_inspection(enrolment_id)
    check_stale(si, data.get("version"))
    items = {item.id: item for item in si.template.offered_items}
    unknown = [a["item_id"] for a in data["answers"] if a["item_id"] not in items]
    if unknown:
        fail(422, _("检查项不属于本自查表。"), code="validation_error",
             errors={"answers": [_("不认识的检查项编号：%(ids)s", ids="、".join(map(str, unknown[:10])))]})
    raw = {a["item_id"]: a.get("value") for a in data["answers"]}
    remarks = {a["item_id"]: a.get("remark") for a in data["answers"]}
    try:
        outcome = si_service.save_answers(si, raw, remarks, actor=current_user)
    except DomainError as error:
        refuse(error)
    if outcome.errors:
        db.session.rollback()
        fail(422, _("有 %(n)s 项填写有误，未保存。", n=len(outcome.errors)), code="validation_error",
             errors={f"answers.{items[item_id].code}": [message] for item_id, message in outcome.errors.items()})
    opened = []
    if data["submit"]:
        try:
            opened = si_service.submit(si, actor=current_user)
        except DomainError as error:
            db.session.commit()  # the checks refuse before changing anything: keep the draft just saved
            fail(422, _("草稿已保存，但未能提交：%(reason)s", reason=error.message), code="rule_violation",
                 errors={"missing": [item.code for item in si_service.missing_items(si)]}
                 if si_service.missing_items(si) else None)
    db.session.commit()
    return _self_inspection_out(si, opened)


class ScanInSchema(Schema):
    file = binary_field("盖章扫描件（PDF，最大 20 MB）")


@blp.route("/enrolments/<int:enrolment_id>/self-inspection/scan", methods=["POST"])
@blp.arguments(ScanInSchema, location="form", content_type="multipart/form-data")
@blp.response(201, AttachmentSchema)
def self_inspection_scan(_form, enrolment_id: int):
    """上传自查表盖章扫描件（物业企业）

    multipart 字段 `file`，PDF，最大 20 MB；按内容和大小检查，与网页相同。"""
    si = _fillable_self_inspection(enrolment_id)
    files = uploaded_files("file")
    if not files:
        fail(422, _("请选择要上传的文件。"), code="validation_error", errors={"file": [_("请选择要上传的文件。")]})
    try:
        attachment = si_service.upload_signed_scan(si, files[0], actor=current_user)
    except DomainError as error:
        refuse(DomainError(error.message, field=error.field or "file"))
    db.session.commit()
    return attachment
