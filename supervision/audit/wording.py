"""The audit log in the reader's words: actions, objects, fields and values in Chinese.

Rows keep what was recorded (codes, ids, enum values, UTC times); this module only presents them:
an action ``estate.update`` reads 修改小区, a field ``company_id`` reads 物业企业 with the company's name,
an enum value its label, a time Asia/Shanghai, and an object recorded as ``<SelfInspection 41>`` its
name. Field labels come from the forms that edit the fields (every ``FlaskForm`` subclass) and, where
no form has the field, from ``FIELD_LABELS``.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Enum as SAEnum
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import MANYTOONE, joinedload
from sqlalchemy.orm.util import identity_key
from wtforms.fields.core import UnboundField

from ..core.timeutil import to_local
from ..extensions import db

OBJECT_LABELS = {
    "Acceptance": _l("验收记录"), "ApiToken": _l("访问令牌"), "Attachment": _l("附件"), "Campaign": _l("专项行动"),
    "CampaignPhase": _l("行动阶段"), "Certificate": _l("证书"), "ChecklistTemplate": _l("检查表"),
    "Community": _l("社区"), "Company": _l("物业企业"), "CreditClue": _l("不良行为线索"),
    "CreditCorrection": _l("更正公告"), "CreditEvent": _l("信用记录"), "CreditObjection": _l("异议"),
    "CreditPublication": _l("信用评价公示"), "CreditRuleSet": _l("信用评价标准"), "District": _l("区"),
    "Enrolment": _l("参与小区"), "Estate": _l("小区"), "EstateManagement": _l("物业服务期间"),
    "HolidayYear": _l("节假日安排"), "ImportMapping": _l("导入列对应"), "Job": _l("后台任务"),
    "OwnersCommittee": _l("业委会"),
    "Position": _l("岗位"), "RectificationItem": _l("整改事项"), "RectificationNotice": _l("整改通知书"),
    "ReportWeekRequirement": _l("周报报送要求"), "SelfInspection": _l("自查表"), "SpotCheck": _l("抽查"),
    "SpotCheckSample": _l("抽查样本"),
    "Staff": _l("从业人员"), "Street": _l("街道"), "SurveyRecord": _l("摸底记录"), "Target": _l("目标"),
    "User": _l("用户"), "UserSession": _l("登录会话"), "WeeklyReport": _l("周报"), "DigestDelivery": _l("消息摘要"),
}

# The object word of an action's first part (``estate.update`` → 小区).
ACTION_OBJECTS = {
    "acceptance": _l("验收"), "api_token": _l("访问令牌"), "attachment": _l("附件"), "auth": _l("登录"),
    "campaign": _l("专项行动"), "certificate": _l("证书"), "committee": _l("业委会"), "community": _l("社区"),
    "company": _l("物业企业"), "credit": _l("信用评价"), "credit_clue": _l("不良行为线索"),
    "credit_event": _l("信用记录"), "credit_objection": _l("异议"), "credit_rules": _l("信用评价标准"),
    "district": _l("区"), "enrolment": _l("参与小区"), "estate": _l("小区"), "holiday": _l("节假日安排"),
    "item": _l("整改事项"), "job": _l("后台任务"), "notice": _l("整改通知书"), "notification": _l("消息提醒"),
    "position": _l("岗位"), "reference": _l("基础数据"), "report": _l("周报"),
    "self_inspection": _l("自查表"), "session": _l("登录会话"), "spot_check": _l("抽查"), "staff": _l("从业人员"),
    "street": _l("街道"), "survey": _l("摸底"), "target": _l("目标"), "targets": _l("指标"), "user": _l("用户"),
}

# How a verb reads; ``{o}`` is the object word.
VERBS = {
    "create": _l("新增{o}"), "update": _l("修改{o}"), "delete": _l("删除{o}"), "archive": _l("归档{o}"),
    "restore": _l("恢复{o}"), "import": _l("导入{o}"), "import_file": _l("导入{o}文件"), "record": _l("登记{o}"),
    "revoke": _l("撤销{o}"), "close": _l("关闭{o}"), "reopen": _l("重新打开{o}"), "activate": _l("启动{o}"),
    "phases": _l("调整{o}阶段"), "submit": _l("提交{o}"), "return": _l("退回{o}"), "resubmit": _l("重新报送{o}"),
    "approve": _l("通过{o}"), "save": _l("保存{o}"), "start": _l("开始填写{o}"), "accept": _l("采纳{o}"),
    "reject": _l("不予采纳{o}"), "confirm": _l("确认{o}"), "notify": _l("告知{o}"), "object": _l("对{o}提出异议"),
    "decide": _l("处理{o}"), "choose": _l("选定{o}"), "publish": _l("公示{o}"), "correction": _l("更正{o}"),
    "issue": _l("下发{o}"), "notice": _l("{o}列入通知书"), "transfer": _l("移交{o}"), "enqueue": _l("提交{o}"),
    "retry": _l("重试{o}"), "requeue": _l("重新排队{o}"), "give_up": _l("放弃{o}"), "leave": _l("{o}离职"),
    "withdraw": _l("撤回{o}"), "reenrol": _l("重新纳入{o}"), "upload": _l("上传{o}"), "enable": _l("启用{o}"),
    "handover": _l("{o}物业交接"), "set_year": _l("录入{o}"), "requirements": _l("调整{o}持证要求"),
    "reload": _l("重新载入{o}"), "snapshot": _l("记录{o}快照"), "expire": _l("{o}过期"),
    "deadline_recompute": _l("按节假日安排调整{o}期限"), "due_recompute": _l("按节假日安排调整{o}截止时间"),
    "management_open": _l("开始{o}物业服务期间"), "management_end": _l("结束{o}物业服务期间"),
    "management_correct": _l("更正{o}物业服务期间"), "report_week_require": _l("要求报送无工作日周的周报"),
    "report_week_withdraw": _l("撤销无工作日周的周报报送要求"), "attachment_remove": _l("删除{o}附件"),
    "preferences": _l("修改提醒设置"), "delivery_retry": _l("重新发送消息摘要"),
}

ACTIONS = {
    "auth.login": _l("登录"), "auth.logout": _l("退出登录"), "auth.login_failed": _l("登录失败"),
    "auth.throttled": _l("登录尝试过多被暂停"), "auth.throttle_clear": _l("解除登录暂停"),
    "user.change_password": _l("修改密码"), "user.reset_password": _l("重置密码"), "user.set_locale": _l("切换语言"),
    "user.sign_out_everywhere": _l("在所有设备上退出"), "session.end_others": _l("结束其他登录会话"),
    "survey.record": _l("登记摸底情况"), "spot_check.record": _l("登记抽查"),
    "spot_check_sample.create": _l("生成抽查样本"),
    "import.mapping": _l("保存导入列对应"),
}

FIELD_LABELS = {
    "name": _l("名称"), "status": _l("状态"), "state": _l("状态"), "deadline": _l("整改期限"),
    "company_id": _l("物业企业"), "street_id": _l("街道"), "community_id": _l("社区"), "estate_id": _l("小区"),
    "campaign_id": _l("专项行动"), "enrolment_id": _l("参与小区"), "staff_id": _l("从业人员"),
    "user_id": _l("用户"), "actor_id": _l("操作人"), "position_id": _l("岗位"), "item_id": _l("事项"),
    "project_manager_id": _l("项目经理"), "closed_at": _l("销号时间"), "revoked_at": _l("撤销时间"),
    "revoked_reason": _l("撤销原因"), "archived_at": _l("归档时间"), "withdrawn_at": _l("退出时间"),
    "enrolled_at": _l("纳入时间"), "submitted_at": _l("提交时间"), "due_at": _l("截止时间"),
    "started_on": _l("开始日期"), "ended_on": _l("结束日期"), "end_method": _l("结束方式"),
    "start_method": _l("选聘方式"), "items_outcome": _l("未完成事项"), "management_mode": _l("管理模式"),
    "responsible_party": _l("责任方"), "response": _l("整改回复"), "comment": _l("意见"), "reason": _l("原因"),
    "verdict": _l("验收结论"), "points": _l("分值"), "occurred_on": _l("发生日期"), "role": _l("角色"),
    "active": _l("启用"), "locale": _l("语言"), "email": _l("电子邮箱"), "phone": _l("电话"),
    "display_name": _l("姓名"), "username": _l("用户名"), "days": _l("日期"), "notice": _l("通知文号"),
    "monday": _l("周"), "deadline_workdays": _l("整改期限（工作日）"), "kind": _l("类型"), "attempts": _l("尝试次数"),
    "category": _l("类别"), "description": _l("问题描述"), "source": _l("来源"), "floor_area": _l("建筑面积"),
    "households": _l("户数"), "address": _l("地址"), "credit_code": _l("统一社会信用代码"), "number": _l("文号"),
    "seed": _l("随机种子"), "size": _l("样本量"), "sample_id": _l("抽查样本"),
}

_REPR = re.compile(r"^<(\w+) (\d+)>$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@cache
def _form_labels() -> dict[str, str]:
    """Field name → label, harvested from every form class (the words the user saw when editing)."""
    labels: dict[str, object] = {}
    seen, stack = set(), list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        for name, value in vars(cls).items():
            if isinstance(value, UnboundField):
                label = value.args[0] if value.args else value.kwargs.get("label")
                if label:
                    labels.setdefault(name, label)
    return labels


@cache
def _models() -> dict[str, type]:
    return {m.class_.__name__: m.class_ for m in db.Model.registry.mappers}


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name) or _form_labels().get(name)
    return str(label) if label else name


def action_label(action: str) -> str:
    if action in ACTIONS:
        return str(ACTIONS[action])
    subject, _dot, verb = action.partition(".")
    template = VERBS.get(verb)
    if template is None:
        return action
    return str(template).replace("{o}", str(ACTION_OBJECTS.get(subject, subject)))


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type))


def _display_name(obj) -> str:
    for attribute in ("name", "display_name", "number", "title", "label"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value:
            return value
    text = str(obj)
    return "" if _REPR.match(text) else text


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    row: object
    action: str
    object: str
    changes: list[Change]


class _Names:
    """The display names of the objects the page's rows refer to, loaded per class in one query each."""

    def __init__(self):
        self.wanted: dict[type, set[int]] = {}
        self.names: dict[tuple[type, int], str] = {}

    def want(self, cls, ident) -> None:
        if cls is not None and isinstance(ident, int):
            self.wanted.setdefault(cls, set()).add(ident)

    def load(self) -> None:
        for cls, ids in self.wanted.items():
            missing = set()
            for ident in ids:  # a detail page's history names mostly the objects the page has loaded already
                obj = db.session.identity_map.get(identity_key(cls, ident))
                if obj is not None and not sa_inspect(obj).expired_attributes:
                    self.names[(cls, ident)] = _display_name(obj)
                else:
                    missing.add(ident)
            if missing:
                # A name may read the object's parents (``Enrolment``: campaign · estate): load them with it.
                parents = [joinedload(rel) for rel in sa_inspect(cls).relationships if rel.direction is MANYTOONE]
                for obj in db.session.scalars(select(cls).where(cls.id.in_(missing)).options(*parents)).unique():
                    self.names[(cls, obj.id)] = _display_name(obj)

    def get(self, cls, ident) -> str | None:
        return self.names.get((cls, ident)) if cls is not None else None


@cache
def _column_target(model, field: str):
    """The mapped class a foreign-key column points at, and the enum class of an enum column."""
    if model is None:
        return None, None
    column = sa_inspect(model).columns.get(field)
    if column is None:
        return None, None
    enum_cls = column.type.enum_class if isinstance(column.type, SAEnum) else None
    for key in column.foreign_keys:
        table = key.column.table.name
        for mapper in db.Model.registry.mappers:
            if mapper.local_table is not None and mapper.local_table.name == table:
                return mapper.class_, enum_cls
    return None, enum_cls


def _value(value, target, enum_cls, names: _Names) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if enum_cls is not None and isinstance(value, str):
        try:
            member = enum_cls(value)
        except ValueError:
            return value
        return str(getattr(member, "label", member.value))
    if target is not None and isinstance(value, int):
        name = names.get(target, value)
        return f"{name}（#{value}）" if name else f"#{value}"
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return to_local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, str) and (match := _REPR.match(value)):
        return f"{object_label(match.group(1))} #{match.group(2)}"
    if isinstance(value, list):
        return "；".join(_value(v, None, None, names) if not isinstance(v, list) else " ".join(map(str, v))
                        for v in value)
    if isinstance(value, enum.Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def entries(rows) -> list[Entry]:
    """The rows of a page of the audit log, worded for the reader."""
    models = _models()
    names = _Names()
    plans = []
    for row in rows:
        model = models.get(row.object_type)
        fields = []
        for field, before, after in row.changes():
            target, enum_cls = _column_target(model, field)
            names.want(target, before)
            names.want(target, after)
            fields.append((field, before, after, target, enum_cls))
        summary = row.summary or ""
        match = _REPR.match(summary)
        if match and match.group(1) in models:
            names.want(models[match.group(1)], int(match.group(2)))
        elif not summary and model is not None:
            names.want(model, row.object_id)
        plans.append((row, model, fields, match))
    names.load()
    result = []
    for row, model, fields, match in plans:
        label = object_label(row.object_type)
        if match and match.group(1) in models:
            name = names.get(models[match.group(1)], int(match.group(2))) or ""
        else:
            name = row.summary or names.get(model, row.object_id) or ""
        ident = f" #{row.object_id}" if row.object_id else ""
        described = f"{label}{ident}" + (f"：{name}" if name and name != label else "")
        changes = [Change(field_label(f), _value(b, t, e, names), _value(a, t, e, names)) for f, b, a, t, e in fields]
        result.append(Entry(row, action_label(row.action), described, changes))
    return result
