from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import VersionedForm


class DistrictForm(VersionedForm):
    name = StringField(_l("区名称"), validators=[DataRequired(message=_l("请输入名称。")), Length(max=64)])
    code = StringField(_l("行政区划代码"), validators=[Optional(), Length(max=32)])
    bureau_name = StringField(_l("主管部门全称"), validators=[DataRequired(message=_l("请输入主管部门全称。")),
                                                           Length(max=128)],
                              description=_l("打印在整改通知书、报告等文书上，例如“某某区住房和城乡建设局”。"))


class RegionForm(VersionedForm):
    name = StringField(_l("名称"), validators=[DataRequired(message=_l("请输入名称。")), Length(max=64)])
    code = StringField(_l("编码"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("启用"), default=True)
