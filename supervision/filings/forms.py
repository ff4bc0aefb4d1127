from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.choices import options
from ..core.forms import VersionedForm, optional_int
from .models import CompanyFilingStatus


class RequirementForm(VersionedForm):
    title = StringField(_l("报送材料名称"), description=_l("如“整改提升方案”。"),
                        validators=[DataRequired(message=_l("请填写报送材料名称。")), Length(max=64)])
    due_on = DateField(_l("报送截止日期"), validators=[DataRequired(message=_l("请填写报送截止日期。"))])
    notes = TextAreaField(_l("要求说明"), validators=[Optional(), Length(max=2000)])


class SubmitFilingForm(FlaskForm):
    file = FileField(_l("材料文件"), validators=[FileRequired(message=_l("请选择要上传的文件。"))],
                     description=_l("PDF 或扫描图片（JPG/PNG），按文件内容校验，PDF 不超过 20 MB、图片不超过 10 MB。"))


class ReviewFilingForm(VersionedForm):
    reason = TextAreaField(_l("退回原因"), validators=[Optional(), Length(max=1000)])


class FilingFilterForm(FlaskForm):
    class Meta:
        csrf = False

    campaign = SelectField(_l("专项行动"), coerce=optional_int, validators=[Optional()])
    status = SelectField(_l("状态"), choices=options(("", _l("全部"))) + CompanyFilingStatus.choices(),
                         validators=[Optional()])
    late = SelectField(_l("是否逾期"), choices=options(("", _l("全部")), ("1", _l("逾期报送"))),
                       validators=[Optional()])
