"""Forms of the scheme editor (services/schemes.py checks the rules and names the field)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.choices import options
from .models import ChecklistKind

DAY = NumberRange(min=1, max=730, message=_l("应为1至730之间的整数。"))


class SchemeCopyForm(FlaskForm):
    name = StringField(_l("新方案名称"), validators=[DataRequired(message=_l("请填写方案名称。")), Length(max=128)])


class SchemePhaseRow(Form):
    position = HiddenField()
    name = StringField(_l("阶段名称"), validators=[DataRequired(message=_l("请填写阶段名称。")), Length(max=128)])
    start_day = IntegerField(_l("开始（第几天）"), validators=[InputRequired(message=_l("请填写开始日。")), DAY])
    end_day = IntegerField(_l("结束（第几天）"), validators=[InputRequired(message=_l("请填写结束日。")), DAY])


class SchemeEditForm(FlaskForm):
    row_version = HiddenField()
    name = StringField(_l("方案名称"), validators=[DataRequired(message=_l("请填写方案名称。")), Length(max=128)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=4000)])
    phases = FieldList(FormField(SchemePhaseRow))


class ChecklistItemForm(FlaskForm):
    row_version = HiddenField()
    code = StringField(_l("编号"), validators=[DataRequired(message=_l("请填写检查项编号。")), Length(max=32)],
                       description=_l("字母、数字、“-”或“_”，例如 SEC-07；保存后不能修改。"))
    category = StringField(_l("类别"), validators=[DataRequired(message=_l("请填写类别。")), Length(max=32)])
    requirement = TextAreaField(_l("检查要求"), validators=[DataRequired(message=_l("请填写检查要求。")),
                                                          Length(max=2000)])
    kind = SelectField(_l("类型"), choices=ChecklistKind.choices(), validators=[DataRequired()])
    comparator = SelectField(_l("合格条件"), choices=options((">=", _l("不低于")), ("<=", _l("不高于"))),
                             validators=[Optional()])
    threshold = StringField(_l("合格标准"), validators=[Optional(), Length(max=16)],
                            description=_l("百分比和数量类必填；是/否类以“是”为合格，文字类不计分。"))
    unit = StringField(_l("单位"), validators=[Optional(), Length(max=16)])
    weight = StringField(_l("权重"), default="1", validators=[Optional(), Length(max=8)],
                         description=_l("0至100；得分 = 合格项权重之和 ÷ 计分项权重之和 × 100。"))


class RowVersionForm(FlaskForm):
    """A confirmation that carries the checklist's row version (retire, restore)."""

    row_version = HiddenField()
