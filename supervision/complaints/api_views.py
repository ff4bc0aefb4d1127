"""The hotline platform's API (12345 对接): push a work order, read back its status and reply.

Token-authenticated like the rest of /api/v1. Scope: the bureau's tokens only (the hotline
integration runs under a bureau account of its own); a street's or a company's token is refused
(403). Idempotent on the ticket number: pushing the same 工单编号 again returns the complaint
already registered (200) and changes nothing; the first push answers 201. The read-back carries no
personal data.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..api.core import EnumValue, api_blueprint, fail, refuse
from ..auth.roles import BUREAU
from ..core.errors import DomainError
from ..core.forms import MAX_INT
from ..core.timeutil import LOCAL_TZ
from ..estates.models import Estate
from ..extensions import db
from . import services
from .intake import category_of, record_repair, urgency_of
from .matching import Matcher
from .models import Channel, Complaint, Kind, Satisfaction, State, Urgency

blp = api_blueprint("api_complaints", __name__, "/complaints", "投诉与报修（12345 热线对接）")


class HotlinePushSchema(Schema):
    ticket_no = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "工单编号（同一编号重复推送不会重复登记）"})
    received_at = fields.DateTime(required=True, metadata={"description": "来电时间（无时区时按北京时间）"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                                metadata={"description": "诉求内容"})
    address = fields.String(load_default=None, validate=validate.Length(max=255), metadata={"description": "诉求地址"})
    phone = fields.String(load_default=None, validate=validate.Length(max=32), metadata={"description": "联系电话"})
    name = fields.String(load_default=None, validate=validate.Length(max=64), metadata={"description": "联系人"})
    category = fields.String(load_default=None, validate=validate.Length(max=64), metadata={"description": "诉求类别"})
    urgency = fields.String(load_default=None, validate=validate.Length(max=16), metadata={"description": "紧急程度"})
    due_at = fields.DateTime(load_default=None, metadata={"description": "办理时限"})


class HotlineStatusSchema(Schema):
    ticket_no = fields.String()
    tracking_no = fields.String(metadata={"description": "本平台编号"})
    kind = EnumValue(Kind)
    state = EnumValue(State)
    estate = fields.Function(lambda c: c.estate.name if c.estate else None, allow_none=True,
                             metadata={"type": "string", "nullable": True,
                                       "description": "匹配到的小区（待匹配时为空）"})
    received_at = fields.DateTime()
    response_due_at = fields.DateTime()
    resolution_due_at = fields.DateTime()
    responded_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    response = fields.String(allow_none=True, metadata={"description": "企业响应"})
    reply = fields.String(allow_none=True, metadata={"description": "办结回复"})
    satisfaction = EnumValue(Satisfaction, allow_none=True)
    reopened_count = fields.Integer()


def _aware(value):
    return value.replace(tzinfo=LOCAL_TZ) if value is not None and value.tzinfo is None else value


def _require_bureau():
    if current_user.role not in BUREAU:
        fail(403, _("只有住建局（12345 对接账户）的令牌可以推送和查询热线工单。"))


def _by_ticket(ticket_no: str) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.channel == Channel.HOTLINE,
                                                     Complaint.ticket_no == ticket_no))


@blp.route("/hotline", methods=["POST"])
@blp.arguments(HotlinePushSchema)
@blp.response(201, HotlineStatusSchema)
@blp.alt_response(200, schema=HotlineStatusSchema, description="该工单已登记，返回现状，未作改动")
def hotline_push(body):
    """推送 12345 工单

    登记一件 12345 转办工单：按诉求地址匹配小区（匹配不上的进入人工匹配队列），按时限规则计算响应和办结时限。
    同一工单编号再次推送返回已登记的工单（200），不重复登记。"""
    _require_bureau()
    ticket_no = body["ticket_no"].strip()
    existing = _by_ticket(ticket_no)
    if existing is not None:
        return existing, 200
    category, kind = category_of(body.get("category"), body["description"])
    estate_id, confidence, suggestions = Matcher().match_with_suggestions(body.get("address") or body["description"])
    try:
        complaint = services.receive(
            channel=Channel.HOTLINE, kind=kind, category=category, description=body["description"],
            estate=db.session.get(Estate, estate_id) if estate_id else None,
            urgency=urgency_of(body.get("urgency")) if body.get("urgency") else Urgency.ORDINARY,
            received_at=_aware(body["received_at"]), ticket_no=ticket_no, name=body.get("name"),
            phone=body.get("phone"), address=body.get("address"), match_confidence=confidence,
            match_suggestions=suggestions,
            hotline_due_at=_aware(body.get("due_at")), actor=current_user)
    except DomainError as error:
        refuse(error)
    db.session.commit()
    return complaint, 201


@blp.route("/hotline/<ticket_no>")
@blp.response(200, HotlineStatusSchema)
def hotline_status(ticket_no: str):
    """查询 12345 工单的办理情况

    返回状态、时限、企业响应和办结回复、回访结果（不含个人信息）。"""
    _require_bureau()
    complaint = _by_ticket(ticket_no[:64])
    if complaint is None:
        fail(404, _("没有该工单编号的工单。"))
    return complaint


def register(app) -> None:
    app.extensions["supervision_api"].register_blueprint(blp)


class RepairPushSchema(Schema):
    ticket_no = fields.String(required=True, validate=validate.Length(min=1, max=48),
                              metadata={"description": "企业报修单号（同一单号再次推送只补记修复时间）"})
    estate_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INT),
                               metadata={"description": "本企业在管小区的编号"})
    received_at = fields.DateTime(required=True, metadata={"description": "报修时间"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    urgency = fields.String(load_default=None, validate=validate.OneOf([u.value for u in Urgency]))
    completed_at = fields.DateTime(load_default=None, metadata={"description": "修复时间"})


class RepairSchema(HotlineStatusSchema):
    ticket_no = fields.Function(lambda c: c.ticket_no.split("-", 1)[-1] if c.ticket_no else None)


@blp.route("/repairs", methods=["POST"])
@blp.arguments(RepairPushSchema)
@blp.response(201, RepairSchema)
@blp.alt_response(200, schema=RepairSchema, description="该报修单号已登记")
def repair_push(body):
    """推送企业报修记录（物业企业）

    只接受物业企业的令牌，只能推送本企业在管小区的报修；同一报修单号再次推送只补记修复时间（200）。"""
    if not current_user.is_company:
        fail(403, _("只有物业企业的令牌可以推送报修台账。"))
    estate = db.session.get(Estate, body["estate_id"])
    if estate is None or estate.company_id != current_user.company_id:
        fail(404, _("没有该小区，或该小区不由本企业管理。"))
    try:
        repair, created = record_repair(
            company=current_user.company, estate=estate, ticket_no=body["ticket_no"].strip(),
            received_at=_aware(body["received_at"]), description=body["description"],
            urgency=Urgency(body["urgency"]) if body.get("urgency") else Urgency.ORDINARY,
            completed_at=_aware(body.get("completed_at")), phone=None, actor=current_user)
    except DomainError as error:
        refuse(error)
    db.session.commit()
    return repair, 201 if created else 200
