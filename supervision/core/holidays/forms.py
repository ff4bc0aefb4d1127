"""Forms of the holiday-arrangement pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .models import DayKind


class HolidayDayForm(FlaskForm):
    day = DateField(_l("日期"), validators=[DataRequired(message=_l("请填写日期。"))])
    kind = SelectField(_l("类型"), choices=DayKind.choices(), default=DayKind.HOLIDAY.value)
    name = StringField(_l("节日名称"), validators=[DataRequired(message=_l("请填写节日名称。")), Length(max=32)],
                       description=_l("调休上班日填写其所属的节日，如“春节”。"))


class HolidayImportForm(FlaskForm):
    year = IntegerField(_l("年份"), validators=[DataRequired(message=_l("请填写年份。")),
                                               NumberRange(2000, 2100, message=_l("年份应在2000至2100之间。"))])
    notice = StringField(_l("通知文号"), validators=[Optional(), Length(max=255)],
                         description=_l("如“国办发明电〔2026〕7号”。"))
    file = FileField(_l("Excel 文件"), validators=[FileRequired(message=_l("请选择要上传的文件。"))])


class ReportWeekForm(FlaskForm):
    monday = HiddenField(validators=[DataRequired(message=_l("请选择一周。"))])
    reason = StringField(_l("要求报送的原因"), validators=[DataRequired(message=_l("请填写要求报送的原因。")),
                                                    Length(max=200, message=_l("原因不能超过200字。"))])
