"""Forms of the complaint pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..core.choices import options
from ..core.forms import VersionedForm, optional_int, search_field
from ..pickers.fields import EstatePickerField
from .models import CATEGORIES, Channel, Kind, Satisfaction, State, Urgency

PHONE = Regexp(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$", message=_l("请填写有效的手机号或固定电话。"))


class ComplaintFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = search_field(_l("关键词/编号"))
    kind = SelectField(_l("类型"), choices=options(("", _l("全部"))) + Kind.choices(), validators=[Optional()])
    state = SelectField(_l("状态"), choices=options(("", _l("全部"))) + State.choices(), validators=[Optional()])
    channel = SelectField(_l("渠道"), choices=options(("", _l("全部"))) + Channel.choices(), validators=[Optional()])
    overdue = SelectField(_l("超时"), choices=options(("", _l("全部")), ("1", _l("已超时"))), validators=[Optional()])
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])


class ComplaintForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=Kind.choices(), default=Kind.COMPLAINT.value)
    channel = SelectField(_l("渠道"), choices=[c for c in Channel.choices()
                                              if c.value not in ("online", "company_log")])
    ticket_no = StringField(_l("渠道工单编号"), validators=[Optional(), Length(max=64)])
    estate_id = EstatePickerField(_l("小区"), validators=[InputRequired(message=_l("请选择小区。"))])
    category = SelectField(_l("问题类别"), choices=options(*((c, c) for c in CATEGORIES)))
    urgency = SelectField(_l("紧急程度"), choices=Urgency.choices(), default=Urgency.ORDINARY.value)
    description = TextAreaField(_l("诉求内容"), validators=[DataRequired(message=_l("请填写诉求内容。")),
                                                        Length(max=4000)])
    name = StringField(_l("诉求人"), validators=[Optional(), Length(max=64)])
    phone = StringField(_l("联系电话"), validators=[Optional(), PHONE])
    photos = MultipleFileField(_l("照片"))


class AnswerForm(VersionedForm):
    text = TextAreaField(_l("内容"), validators=[DataRequired(message=_l("请填写内容。")), Length(max=4000)])


class CallbackForm(VersionedForm):
    satisfaction = RadioField(_l("回访结果"), choices=Satisfaction.choices(),
                              validators=[InputRequired(message=_l("请选择回访结果。"))])
    text = TextAreaField(_l("业主意见"), validators=[Optional(), Length(max=2000)])


class ReasonForm(VersionedForm):
    text = TextAreaField(_l("原因"), validators=[DataRequired(message=_l("请填写原因。")), Length(max=2000)])


class VerifyForm(VersionedForm):
    verdict = RadioField(_l("核查结论"), choices=options(("valid", _l("属实：转为整改事项并提出信用记分建议")),
                                                        ("unfounded", _l("不属实"))),
                         validators=[InputRequired(message=_l("请选择核查结论。"))])
    deadline_workdays = IntegerField(_l("整改期限（工作日）"), default=10,
                                     validators=[Optional(), NumberRange(min=1, max=250)])
    note = TextAreaField(_l("核查说明"), validators=[Optional(), Length(max=2000)])


class AssignForm(VersionedForm):
    estate_id = EstatePickerField(_l("小区"), validators=[InputRequired(message=_l("请选择小区。"))])


class ImportForm(FlaskForm):
    file = FileField(_l("12345工单导出文件（.xlsx）"), validators=[DataRequired(message=_l("请选择文件。"))])


class OwnerForm(FlaskForm):
    """The owner's public form: no account; a signed arithmetic question instead of a CAPTCHA service."""

    estate_id = HiddenField(validators=[DataRequired(message=_l("请先搜索并选择小区。"))])
    kind = RadioField(_l("类型"), choices=Kind.choices(), default=Kind.COMPLAINT.value)
    category = SelectField(_l("问题类别"), choices=options(*((c, c) for c in CATEGORIES)))
    description = TextAreaField(_l("问题描述"), validators=[DataRequired(message=_l("请描述问题。")),
                                                        Length(min=5, max=2000)])
    name = StringField(_l("称呼（选填）"), validators=[Optional(), Length(max=64)])
    phone = StringField(_l("手机号"), validators=[DataRequired(message=_l("请填写手机号。")), PHONE])
    photos = MultipleFileField(_l("照片（选填，最多3张）"))
    challenge = HiddenField()
    answer = StringField(_l("验证问题"), validators=[DataRequired(message=_l("请回答验证问题。")), Length(max=8)])


class RateForm(FlaskForm):
    satisfaction = RadioField(_l("您对处理结果是否满意"), choices=Satisfaction.choices(),
                              validators=[InputRequired(message=_l("请选择。"))])
    text = TextAreaField(_l("您的意见（选填）"), validators=[Optional(), Length(max=1000)])


CLOCK_UNITS = options(("days", _l("工作日")), ("hours", _l("工作小时")))


class ClockForm(VersionedForm):
    """One clock: the response and resolution limits, each in working days or working hours."""

    response_amount = IntegerField(_l("响应时限"), validators=[InputRequired(message=_l("请填写响应时限。"))])
    response_unit = SelectField(_l("响应时限单位"), choices=CLOCK_UNITS)
    resolution_amount = IntegerField(_l("办结时限"), validators=[InputRequired(message=_l("请填写办结时限。"))])
    resolution_unit = SelectField(_l("办结时限单位"), choices=CLOCK_UNITS)


class NewClockForm(FlaskForm):
    """A category's own clock, overriding its kind and urgency's default."""

    kind = SelectField(_l("类型"), choices=Kind.choices())
    urgency = SelectField(_l("紧急程度"), choices=Urgency.choices())
    category = SelectField(_l("类别"), choices=options(*[(c, c) for c in CATEGORIES]))
    response_amount = IntegerField(_l("响应时限"), validators=[InputRequired(message=_l("请填写响应时限。"))])
    response_unit = SelectField(_l("响应时限单位"), choices=CLOCK_UNITS)
    resolution_amount = IntegerField(_l("办结时限"), validators=[InputRequired(message=_l("请填写办结时限。"))])
    resolution_unit = SelectField(_l("办结时限单位"), choices=CLOCK_UNITS)
