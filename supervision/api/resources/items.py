"""Rectification items (整改事项): the scoped list with the web list's filters, one item with
its history and evidence, and the responsible party's answer with evidence files."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...attachments.services import UploadError, attachments_of
from ...auth import scope
from ...campaigns.models import (
    Campaign,
    ItemSource,
    ItemState,
    ItemTransition,
    RectificationItem,
    RectificationNotice,
    ResponsibleParty,
    Severity,
)
from ...campaigns.services import items as item_service
from ...companies.models import Company
from ...core.errors import DomainError
from ...core.timeutil import local_today
from ...estates.models import Estate
from ...extensions import db
from ...regions.models import Street
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
    paginated,
    refuse,
    uploaded_files,
)

blp = api_blueprint("api_items", __name__, "/items", "整改事项")

I = RectificationItem  # noqa: E741

SORTS = {
    "deadline": (I.deadline.asc(), I.id.asc()), "-deadline": (I.deadline.desc(), I.id.desc()),
    "opened": (I.opened_at.asc(), I.id.asc()), "-opened": (I.opened_at.desc(), I.id.desc()),
    "since": (I.state_since.asc(), I.id.asc()), "-since": (I.state_since.desc(), I.id.desc()),
    "id": (I.id.asc(),), "-id": (I.id.desc(),),
}
OPTIONS = (joinedload(I.estate), joinedload(I.street), joinedload(I.company), joinedload(I.notice),
           joinedload(I.campaign))
# The list reads only the names of an item's relations: those columns alone, not every column of five rows.
LIST_OPTIONS = (joinedload(I.estate).load_only(Estate.name), joinedload(I.street).load_only(Street.name),
                joinedload(I.company).load_only(Company.name),
                joinedload(I.notice).load_only(RectificationNotice.number),
                joinedload(I.campaign).load_only(Campaign.name))


class ItemSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer(allow_none=True)
    campaign = fields.Function(lambda i: i.campaign.name if i.campaign else None, allow_none=True,
                               metadata={"type": "string", "nullable": True})
    enrolment_id = fields.Integer(allow_none=True)
    estate_id = fields.Integer()
    estate = fields.Function(lambda i: i.estate.name)
    street_id = fields.Integer()
    street = fields.Function(lambda i: i.street.name)
    company_id = fields.Integer(allow_none=True)
    company = fields.Function(lambda i: i.company.name if i.company else None, allow_none=True,
                              metadata={"type": "string", "nullable": True})
    source = EnumValue(ItemSource)
    category = fields.String()
    description = fields.String()
    severity = EnumValue(Severity)
    responsible_party = EnumValue(ResponsibleParty)
    deadline_workdays = fields.Integer()
    deadline = fields.Date()
    overdue = fields.Function(lambda i: i.is_overdue(local_today()), metadata={"type": "boolean"})
    state = EnumValue(ItemState)
    notice_number = fields.Function(lambda i: i.notice.number if i.notice else None, allow_none=True,
                                    metadata={"type": "string", "nullable": True, "description": "整改通知书编号"})
    response = fields.String(allow_none=True, metadata={"description": "责任单位的整改情况说明"})
    reject_reason = fields.String(allow_none=True)
    opened_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    state_since = fields.DateTime()
    reopened_count = fields.Integer()
    version = fields.Integer(metadata={"description": "答复时原样带回；已被他人修改则返回 409"})


class TransitionSchema(Schema):
    from_state = EnumValue(ItemState, allow_none=True)
    to_state = EnumValue(ItemState)
    at = fields.DateTime()
    by = fields.Function(lambda t: t.by.display_name if t.by else None, allow_none=True,
                         metadata={"type": "string", "nullable": True})
    comment = fields.String(allow_none=True)


class ItemDetailSchema(ItemSchema):
    transitions = fields.List(fields.Nested(TransitionSchema), attribute="transitions_out")
    evidence = fields.List(fields.Nested(AttachmentSchema), metadata={"description": "整改佐证材料"})
    may_answer = fields.Boolean(metadata={"description": "您是否可以提交整改结果"})
    moves = fields.List(fields.String(), metadata={"description": "您现在可以执行的操作"})


class ItemArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "描述或小区名称中的文字，或 #编号"})
    campaign_id = Id()
    street_id = Id()
    company_id = Id()
    estate_id = Id()
    notice_id = Id()
    enrolment_id = Id()
    state = fields.String(validate=validate.OneOf([s.value for s in ItemState]))
    open = fields.String(validate=validate.OneOf(["1", "0"]), metadata={"description": "1：未销项；0：已销项"})
    overdue = fields.String(validate=validate.OneOf(["1"]), metadata={"description": "1：只看逾期未销项"})
    source = fields.String(validate=validate.OneOf([s.value for s in ItemSource]))
    severity = fields.String(validate=validate.OneOf([s.value for s in Severity]))
    responsible = fields.String(validate=validate.OneOf([s.value for s in ResponsibleParty]))
    sort = fields.String(validate=validate.OneOf(list(SORTS)), metadata={"description": "默认按整改期限"})


@blp.route("")
@blp.arguments(ItemArgs, location="query")
@blp.response(200, page_schema(ItemSchema))
def item_list(args):
    """整改事项列表

    街道办只看本街道，物业企业只看本企业；筛选条件与网页列表相同。"""
    def enum(enum_cls, key):
        return enum_cls(args[key]) if args.get(key) else None

    filters = item_service.ItemFilter(
        q=args.get("q"), campaign_id=args.get("campaign_id"), street_id=args.get("street_id"),
        company_id=args.get("company_id"), state=enum(ItemState, "state"),
        open={"1": True, "0": False}.get(args.get("open")), overdue=args.get("overdue") == "1",
        source=enum(ItemSource, "source"), severity=enum(Severity, "severity"),
        responsible_party=enum(ResponsibleParty, "responsible"), estate_id=args.get("estate_id"),
        notice_id=args.get("notice_id"), enrolment_id=args.get("enrolment_id"))
    statement = item_service.filter_items(scope.visible(I), filters, local_today())
    statement = statement.order_by(*SORTS[args.get("sort") or "deadline"]).options(*LIST_OPTIONS)
    return paginated(statement, args)


def _detail(item: RectificationItem) -> RectificationItem:
    item.transitions_out = db.session.scalars(
        select(ItemTransition).where(ItemTransition.item_id == item.id).options(joinedload(ItemTransition.by))
        .order_by(ItemTransition.at, ItemTransition.id)).all()
    item.evidence = attachments_of(item, "evidence")
    item.may_answer = item_service.may_answer(current_user, item)
    item.moves = [move.verb for _to, move in item_service.available_moves(item, current_user)]
    return item


@blp.route("/<int:item_id>")
@blp.response(200, ItemDetailSchema)
def item_detail(item_id: int):
    """整改事项详情

    含状态变化记录、佐证材料，以及您现在可执行的操作。"""
    return _detail(scope.load(I, item_id, options=OPTIONS))


class ItemAnswerInSchema(Schema):
    version = fields.Integer(required=True, metadata={"description": "读取事项时的 version"})
    response = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                             metadata={"description": "整改情况说明"})
    fact_date = fields.Date(load_default=None, metadata={"description": "整改完成日期（不晚于今天）"})
    evidence = binary_field("佐证材料：照片（JPG/PNG，≤10 MB）或 PDF（≤20 MB），可多个", many=True)


@blp.route("/<int:item_id>/answer", methods=["POST"])
@blp.arguments(ItemAnswerInSchema, location="form", content_type="multipart/form-data")
@blp.response(200, ItemDetailSchema)
def item_answer(form, item_id: int):
    """提交整改结果（责任单位）

    multipart：整改情况说明 `response`、读取时的 `version`、整改完成日期 `fact_date`
    和佐证材料 `evidence`（可多个；照片 JPG/PNG ≤10 MB，PDF ≤20 MB，按内容检查，有一个不合格则都不保存）。
    待整改或被驳回的事项先转为整改中，再提交待验收，与网页相同。"""
    item = scope.load(I, item_id, options=OPTIONS)
    if not item_service.may_answer(current_user, item):
        fail(403, _("您不是该事项的责任单位，不能提交整改结果。"))
    check_stale(item, form["version"])
    if not form["response"].strip():
        fail(422, _("请填写整改情况说明。"), code="validation_error", errors={"response": [_("请填写整改情况说明。")]})
    try:
        item_service.submit_answer(item, actor=current_user, response=form["response"],
                                   files=uploaded_files("evidence"), fact_date=form.get("fact_date"))
    except DomainError as error:
        refuse(DomainError(error.message, field=error.field or ("evidence" if isinstance(error, UploadError)
                                                                  else None)))
    db.session.commit()
    return _detail(item)
