from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.choices import options
from ..core.forms import VersionedForm, optional_int, search_field
from ..pickers.fields import CompanyPickerField
from .models import FeeKind, FilingStatus, SelectionMethod, ServiceLevel, fee_unit

UPLOAD_HELP = _l("PDF 或扫描图片（JPG/PNG），按文件内容校验，PDF 不超过 20 MB、图片不超过 10 MB。")


class PreliminaryForm(VersionedForm):
    developer = StringField(_l("建设单位（甲方）"), validators=[Optional(), Length(max=128)])
    company_id = CompanyPickerField(_l("前期物业服务企业（乙方）"), validators=[Optional()], params={"all": 1})
    selection_method = SelectField(_l("选聘方式"), validators=[Optional()],
                                   choices=options(("", _l("（未登记）"))) + SelectionMethod.choices(),
                                   description=_l("住宅物业应通过招投标选聘；投标人少于3个或规模较小的，经批准可协议选聘。"))
    selected_on = DateField(_l("招投标（选聘）日期"), validators=[Optional()])
    approval_ref = StringField(_l("协议选聘批准文号"), validators=[Optional(), Length(max=128)])
    contract_signed_on = DateField(_l("《前期物业服务合同》签订日期"), validators=[Optional()],
                                   description=_l("未签订的留空。"))
    covenant_signed_on = DateField(_l("《临时管理规约》签订日期"), validators=[Optional()],
                                   description=_l("未签订的留空。"))
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])
    contract_copy = FileField(_l("前期物业服务合同文本"), description=UPLOAD_HELP)
    covenant_copy = FileField(_l("临时管理规约文本"), description=UPLOAD_HELP)

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "version", "contract_copy", "covenant_copy")}
        data["selection_method"] = SelectionMethod.coerce(data["selection_method"])
        for key in ("developer", "approval_ref", "notes"):
            data[key] = (data[key] or "").strip() or None
        return data


class PartyForm(VersionedForm):
    has_party_org = BooleanField(_l("已建立党组织"))
    org_name = StringField(_l("党组织名称"), validators=[Optional(), Length(max=128)],
                           description=_l("如“××小区党支部”“××联合党支部”。"))
    org_founded_on = DateField(_l("党组织成立日期"), validators=[Optional()])
    red_property = BooleanField(_l("已开展红色物业"))
    red_property_note = TextAreaField(_l("红色物业做法"), validators=[Optional(), Length(max=2000)],
                                      description=_l("如党组织书记与业委会、物业项目负责人交叉任职，党员先锋岗等。"))
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}
        for key in ("org_name", "red_property_note", "notes"):
            data[key] = (data[key] or "").strip() or None
        return data


def _fee_field(kind: FeeKind):
    return DecimalField(_l("%(kind)s（%(unit)s）", kind=kind.label, unit=fee_unit(kind)), places=2,
                        validators=[Optional()])


class ContractForm(VersionedForm):
    company_id = CompanyPickerField(_l("物业服务企业（乙方）"), params={"all": 1},
                                    validators=[DataRequired(message=_l("请选择物业服务企业（合同乙方）。"))])
    owner_party = StringField(_l("甲方"), validators=[DataRequired(message=_l("请填写合同甲方。")), Length(max=128)],
                              description=_l("业主大会、业主委员会或建设单位。"))
    signed_on = DateField(_l("签订日期"), validators=[Optional()])
    starts_on = DateField(_l("合同期限起"), validators=[DataRequired(message=_l("请填写合同期限起始日期。"))])
    ends_on = DateField(_l("合同期限止"), validators=[DataRequired(message=_l("请填写合同期限截止日期。"))])
    service_level = SelectField(_l("服务等级"), choices=options(("", _l("（未约定）"))) + ServiceLevel.choices(),
                                validators=[Optional()])
    fee_residential = _fee_field(FeeKind.RESIDENTIAL)
    fee_commercial = _fee_field(FeeKind.COMMERCIAL)
    fee_office = _fee_field(FeeKind.OFFICE)
    fee_parking = _fee_field(FeeKind.PARKING)
    fee_other = _fee_field(FeeKind.OTHER)
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])
    copy = FileField(_l("合同文本"), description=UPLOAD_HELP)

    def values(self) -> dict:
        data = {name: self._fields[name].data for name in
                ("company_id", "owner_party", "signed_on", "starts_on", "ends_on", "service_level", "notes")}
        data["service_level"] = ServiceLevel.coerce(data["service_level"])
        data["owner_party"] = (data["owner_party"] or "").strip()
        data["notes"] = (data["notes"] or "").strip() or None
        return data

    def fees(self) -> dict:
        return {kind: self._fields[f"fee_{kind.value}"].data for kind in FeeKind}


class NewContractForm(ContractForm):
    copy = FileField(_l("合同文本"), description=UPLOAD_HELP,
                     validators=[FileRequired(message=_l("请上传合同文本（PDF 或扫描件）。"))])


class FileContractForm(VersionedForm):
    filing_number = StringField(_l("备案编号"), validators=[DataRequired(message=_l("请填写备案编号。")),
                                                         Length(max=64)])
    filed_copy = FileField(_l("备案合同文本"), description=UPLOAD_HELP,
                           validators=[FileRequired(message=_l("请上传备案后的合同文本（PDF 或扫描件）。"))])


class ReturnContractForm(VersionedForm):
    reason = TextAreaField(_l("退回原因"), validators=[DataRequired(message=_l("请填写退回原因。")), Length(max=1000)])


class ContractFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = search_field(_l("小区 / 企业"))
    street_id = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    status = SelectField(_l("备案状态"), choices=options(("", _l("全部"))) + FilingStatus.choices(),
                         validators=[Optional()])
    in_force = SelectField(_l("合同期"),
                           choices=options(("", _l("全部")), ("yes", _l("在期内")), ("no", _l("不在期内"))),
                           validators=[Optional()])


class EstateFilterForm(FlaskForm):
    """The filter bar of the 前期物业 and party-building lists."""

    class Meta:
        csrf = False

    q = search_field(_l("小区"))
    street_id = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    gap = SelectField(_l("情况"), validators=[Optional()], choices=[])
