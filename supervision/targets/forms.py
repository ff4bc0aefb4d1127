from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..core.forms import VersionedForm, optional_int


class TargetForm(VersionedForm):
    threshold = DecimalField(
        _l("目标值（%）"), places=2,
        validators=[InputRequired(message=_l("请输入目标值。")),
                    NumberRange(min=0, max=100, message=_l("目标值须在 0 到 100 之间。"))],
        description=_l("年底前应达到的比率，例如 80 表示 80%。"),
    )
    basis = StringField(_l("依据"), validators=[Optional(), Length(max=255)],
                        description=_l("文件、会议或方案出处，例如“市物业管理专项行动方案：物业企业经理持证率达到100%”。"))
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])


class ScopeFilterForm(FlaskForm):
    class Meta:
        csrf = False

    year = SelectField(_l("年度"), coerce=optional_int, validators=[Optional()])
    street = SelectField(_l("范围"), coerce=optional_int, validators=[Optional()])
