from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.choices import options
from ..core.forms import FilterForm, VersionedForm, optional_int
from ..pickers.fields import CompanyPickerField
from .models import QualificationGrade


class CompanyForm(VersionedForm):
    name = StringField(_l("企业名称"), validators=[DataRequired(message=_l("请填写企业名称。")), Length(max=128)])
    credit_code = StringField(_l("统一社会信用代码"),
                              validators=[DataRequired(message=_l("请填写统一社会信用代码。")), Length(max=32)],
                              description=_l("18位，见营业执照；系统按 GB 32100-2015 核对校验码。"))
    legal_representative = StringField(_l("法定代表人"), validators=[Optional(), Length(max=64)])
    contact_person = StringField(_l("联系人"), validators=[Optional(), Length(max=64)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=32)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=255)])
    qualification_grade = SelectField(_l("资质等级"),
                                      choices=options(("", _l("（未填写）"))) + QualificationGrade.choices(),
                                      validators=[Optional()],
                                      description=_l("选填。物业服务企业资质已取消，历史资质等级可留作参考。"))
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}
        data["qualification_grade"] = QualificationGrade.coerce(data["qualification_grade"])
        return data


class CompanyFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("名称/信用代码/法定代表人"), validators=[Optional(), Length(max=100)])
    grade = SelectField(_l("资质等级"),
                        choices=options(("", _l("全部")), ("none", _l("未填写"))) + QualificationGrade.choices(),
                        validators=[Optional()])
    archived = SelectField(_l("状态"), choices=options(("", _l("在册")), ("1", _l("已归档")), ("all", _l("全部"))),
                           validators=[Optional()])


class StaffForm(VersionedForm):
    name = StringField(_l("姓名"), validators=[DataRequired(message=_l("请填写姓名。")), Length(max=64)])
    position_id = SelectField(_l("岗位"), coerce=optional_int, validators=[DataRequired(message=_l("请选择岗位。"))])
    estate_id = SelectField(_l("所在项目（小区）"), coerce=optional_int, validators=[Optional()],
                            description=_l("公司总部人员可不选。"))
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=32)])

    def values(self) -> dict:
        return {"name": self.name.data, "position_id": self.position_id.data, "estate_id": self.estate_id.data,
                "phone": self.phone.data}


class StaffFilterForm(FilterForm):
    q = StringField(_l("姓名/电话/证书编号"), validators=[Optional(), Length(max=100)])
    company_id = CompanyPickerField(_l("企业"), validators=[Optional()], active_only=False, filtering=True)
    estate_id = SelectField(_l("项目"), validators=[Optional()])
    position_id = SelectField(_l("岗位"), coerce=optional_int, validators=[Optional()])
    cert = SelectField(_l("持证情况"), choices=options(
        ("", _l("全部")), ("unqualified", _l("需持证但无有效证书")), ("qualified", _l("已持有效证书")),
        ("expiring", _l("60天内到期")), ("expired", _l("有过期证书")), ("not_required", _l("岗位无持证要求")),
    ), validators=[Optional()])
    status = SelectField(_l("在职"), choices=options(("", _l("在职")), ("left", _l("已离职")), ("all", _l("全部"))),
                         validators=[Optional()])


class LeaveForm(VersionedForm):
    left_on = DateField(_l("离职日期"), validators=[DataRequired(message=_l("请填写离职日期。"))])


class CertificateForm(VersionedForm):
    certificate_type_id = SelectField(_l("证书类型"), coerce=optional_int,
                                      validators=[DataRequired(message=_l("请选择证书类型。"))])
    number = StringField(_l("证书编号"), validators=[DataRequired(message=_l("请填写证书编号。")), Length(max=64)])
    issuer = StringField(_l("发证机关"), validators=[Optional(), Length(max=128)])
    issued_on = DateField(_l("发证日期"), validators=[Optional()])
    expires_on = DateField(_l("有效期至"), validators=[Optional()], description=_l("长期有效的证书留空。"))

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}


class CompanyArchiveForm(VersionedForm):
    reason = TextAreaField(_l("归档原因"), validators=[DataRequired(message=_l("请填写归档原因。")),
                                                       Length(max=500)])
