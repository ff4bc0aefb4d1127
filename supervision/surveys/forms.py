"""Forms of the survey pages, with Chinese messages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import optional_int
from ..credit.forms import date_field
from ..pickers.fields import CompanyPickerField


class RoundForm(FlaskForm):
    name = StringField(_l("测评名称"), validators=[DataRequired(message=_l("请填写测评名称。")), Length(max=128)])
    opens_on = date_field(_l("开始日期"), required=True)
    closes_on = date_field(_l("结束日期"), required=True)
    question_set_id = SelectField(_l("问卷"), coerce=optional_int,
                                  validators=[DataRequired(message=_l("请选择问卷。"))])
    street = SelectField(_l("按街道"), coerce=optional_int, validators=[Optional()])
    company = CompanyPickerField(_l("按物业企业"), validators=[Optional()])
    q = StringField(_l("小区名称包含"), validators=[Optional(), Length(max=100)])
    notes = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])


class ActionForm(FlaskForm):
    """A bare POST (open, close, generate codes, review): the CSRF token only."""


class CodeForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(_l("测评码"), validators=[DataRequired(message=_l("请输入测评码。")), Length(max=32)])


class VoteForm(FlaskForm):
    """The public vote: the answers are radio buttons named ``q<question id>`` (read by the view)."""

    comment = TextAreaField(_l("意见和建议（选填）"), validators=[Optional(), Length(max=1000)])


class RegisterVoteForm(VoteForm):
    room = StringField(_l("房号"), validators=[DataRequired(message=_l("请填写房号。")), Length(max=64)])
    phone = StringField(_l("手机号"), validators=[DataRequired(message=_l("请填写手机号。")), Length(max=20)])
