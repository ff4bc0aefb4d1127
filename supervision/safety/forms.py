"""Forms of the safety registers: edit forms carry the row's version; filter bars are GET forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.choices import options
from ..core.forms import FilterForm, VersionedForm, optional_int
from ..pickers.fields import CompanyPickerField
from .models import FacilityKind, FacilityStatus, InspectionState, LiftStatus

_DATE_MESSAGE = _l("日期格式应为 YYYY-MM-DD。")


class LiftForm(VersionedForm):
    registration_code = StringField(_l("使用登记证编号/注册代码"), validators=[
        DataRequired(message=_l("请填写使用登记证编号或注册代码。")), Length(max=32)],
        description=_l("全区唯一；空格会被去掉，字母转为大写。"))
    location = StringField(_l("安装位置（楼栋/单元）"), validators=[
        DataRequired(message=_l("请填写安装位置（楼栋/单元）。")), Length(max=128)])
    maintenance_company = StringField(_l("维保单位"), validators=[Optional(), Length(max=128)])
    last_inspected_on = DateField(_l("上次检验日期"), validators=[Optional()])
    next_due_on = DateField(_l("下次检验日期"), validators=[Optional()],
                            description=_l("留空时按上次检验日期加一年计算（电梯定期检验每年一次）。"))
    status = SelectField(_l("状态"), choices=[c for c in LiftStatus.choices() if c.value != LiftStatus.SCRAPPED.value],
                         validators=[DataRequired()])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}
        data["status"] = LiftStatus.coerce(data["status"])
        return data


class FacilityForm(VersionedForm):
    kind = SelectField(_l("设施类型"), choices=options(("", _l("请选择"))) + FacilityKind.choices(),
                       validators=[DataRequired(message=_l("请选择设施类型。"))])
    location = StringField(_l("位置"), validators=[DataRequired(message=_l("请填写设施位置。")), Length(max=128)])
    quantity = IntegerField(_l("数量"), validators=[Optional()])
    last_checked_on = DateField(_l("上次检查日期"), validators=[Optional()])
    next_due_on = DateField(_l("下次检查日期"), validators=[Optional()],
                            description=_l("留空时按上次检查日期加一年计算（建筑消防设施每年至少全面检测一次）。"))
    status = SelectField(_l("状态"), choices=[c for c in FacilityStatus.choices()
                                            if c.value != FacilityStatus.RETIRED.value], validators=[DataRequired()])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}
        data["kind"] = FacilityKind.coerce(data["kind"])
        data["status"] = FacilityStatus.coerce(data["status"])
        return data


class RetireForm(VersionedForm):
    retired_on = DateField(_l("日期"), validators=[DataRequired(message=_l("请填写日期。"))])
    reason = TextAreaField(_l("原因"), validators=[DataRequired(message=_l("请填写原因。")), Length(max=1000)])


_STATES = options(("", _l("在用（全部）"))) + InspectionState.choices()


class RegisterFilterForm(FilterForm):
    q = StringField(_l("关键词"), validators=[Optional(), Length(max=100)],
                    render_kw={"placeholder": _l("小区、编号、位置、维保单位")})
    street_id = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    company_id = CompanyPickerField(_l("物业企业"), validators=[Optional()], active_only=False, filtering=True)
    state = SelectField(_l("检验状态"), choices=_STATES, validators=[Optional()])


class FacilityFilterForm(RegisterFilterForm):
    q = StringField(_l("关键词"), validators=[Optional(), Length(max=100)],
                    render_kw={"placeholder": _l("小区、位置")})
    kind = SelectField(_l("设施类型"), choices=options(("", _l("全部"))) + FacilityKind.choices(),
                       validators=[Optional()])


class OverdueFilterForm(FilterForm):
    street_id = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    kind = SelectField(_l("类别"), validators=[Optional()],
                       choices=options(("", _l("全部")), ("lift", _l("电梯")), ("facility", _l("消防设施"))))


class LinkForm(FlaskForm):
    target = SelectField(_l("关联的电梯或消防设施"), validators=[Optional()])
