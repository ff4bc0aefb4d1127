from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.choices import options
from ..core.forms import FilterForm, VersionedForm, optional_int
from ..pickers.fields import CommunityPickerField, CompanyPickerField, StaffPickerField
from .management import EndMethod, StartMethod
from .models import CommitteeStatus, ManagementMode, PropertyType
from .services import LIMITS, MEMBERS_RANGE


def _range(field, message):
    low, high = LIMITS[field]
    return NumberRange(min=low, max=high, message=message)


class EstateForm(VersionedForm):
    name = StringField(_l("小区名称"), validators=[DataRequired(message=_l("请填写小区名称。")), Length(max=128)])
    address = StringField(_l("地址"), validators=[DataRequired(message=_l("请填写小区地址。")), Length(max=255)])
    # A picker: a district has thousands of communities (the drop-down was most of the form's 243 KB at 100×).
    community_id = CommunityPickerField(_l("所属街道 / 社区"),
                                        validators=[DataRequired(message=_l("请选择所属社区。"))],
                                        placeholder=_l("输入社区名称查找"),
                                        description=_l("小区所属街道随社区确定。"))
    management_mode = SelectField(_l("管理模式"), choices=ManagementMode.choices(),
                                  validators=[DataRequired(message=_l("请选择管理模式。"))])
    # Archived companies are accepted here: the service refuses them unless the estate already has it.
    company_id = CompanyPickerField(_l("物业服务企业"), validators=[Optional()], params={"all": 1}, active_only=False,
                                    description=_l("管理模式为“物业企业”时必选；“无物业”时留空。"))
    property_type = SelectField(_l("物业类型"), choices=options(("", _l("（未填写）"))) + PropertyType.choices(),
                                validators=[Optional()])
    year_built = IntegerField(_l("建成年份"), validators=[Optional()])
    buildings = IntegerField(_l("楼栋数"), validators=[Optional(), _range("buildings", _l("楼栋数应在1至5000之间。"))])
    households = IntegerField(_l("户数"), validators=[Optional(),
                                                     _range("households", _l("户数应在1至200000之间。"))])
    floor_area = DecimalField(_l("建筑面积（平方米）"), places=2,
                              validators=[Optional(), _range("floor_area", _l("建筑面积应大于0。"))])
    is_old = BooleanField(_l("老旧小区"))
    committee_eligible = BooleanField(_l("具备成立业主大会、业主委员会的条件"), default=True)
    professional_vote_households = IntegerField(
        _l("选择专业化物业管理的户数"), validators=[Optional(), NumberRange(min=1, message=_l("户数应大于0。"))],
        description=_l("书面征询中选择专业化物业管理的户数。过半数时，业主大会和业主委员会应在征询后两个月内成立。"))
    professional_vote_on = DateField(_l("征询日期"), validators=[Optional()])
    latitude = DecimalField(_l("纬度"), places=6,
                            validators=[Optional(), _range("latitude", _l("纬度应在-90至90之间。"))])
    longitude = DecimalField(_l("经度"), places=6,
                             validators=[Optional(), _range("longitude", _l("经度应在-180至180之间。"))])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])

    def values(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}
        data["management_mode"] = ManagementMode.coerce(data["management_mode"])
        data["property_type"] = PropertyType.coerce(data["property_type"])
        return data


class EstateFilterForm(FilterForm):
    q = StringField(_l("名称/地址"), validators=[Optional(), Length(max=100)])
    street_id = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    # A picker: a street has hundreds of communities (the drop-down was most of a street office's list at 100×);
    # it finds the chosen street's (a street officer: their own street's), views._community_filter.
    community_id = CommunityPickerField(_l("社区"), validators=[Optional()], active_only=False, filtering=True,
                                        placeholder=_l("输入社区名称查找"))
    # Companies are found by text (a district has thousands). ``company_id`` stays for links to one
    # company's estates (/estates/?company_id=N) and for "no company" (-1): its choices are 全部,
    # 无物业企业 and, when a link chose one, that company.
    company = StringField(_l("企业名称/信用代码"), validators=[Optional(), Length(max=100)],
                          render_kw={"placeholder": _l("企业名称或统一社会信用代码")})
    company_id = SelectField(_l("物业企业"), coerce=optional_int, validators=[Optional()])
    management_mode = SelectField(_l("管理模式"), choices=options(("", _l("全部"))) + ManagementMode.choices(),
                                  validators=[Optional()])
    committee = SelectField(_l("业委会"), choices=options(("", _l("全部")), ("none", _l("未建立")))
                            + CommitteeStatus.choices(), validators=[Optional()])
    is_old = SelectField(_l("老旧小区"), choices=options(("", _l("全部")), ("1", _l("是")), ("0", _l("否"))),
                         validators=[Optional()])
    eligible = SelectField(_l("具备成立条件"), choices=options(("", _l("全部")), ("1", _l("是")), ("0", _l("否"))),
                           validators=[Optional()])
    archived = SelectField(_l("状态"), choices=options(("", _l("在册")), ("1", _l("已归档")), ("all", _l("全部"))),
                           validators=[Optional()])


ALERT_CHOICES = options(("", _l("全部")), ("overdue", _l("逾期未成立")), ("term_soon", _l("90天内届满")),
                 ("term_over", _l("届满未换届")))


class CommitteeFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("小区名称"), validators=[Optional(), Length(max=100)])
    street_id = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    committee = SelectField(_l("业委会状态"), choices=options(("", _l("全部")), ("none", _l("未建立")))
                            + CommitteeStatus.choices(), validators=[Optional()])
    alert = SelectField(_l("提醒"), choices=ALERT_CHOICES, validators=[Optional()])
    eligible = SelectField(_l("具备成立条件"), choices=options(("1", _l("是")), ("", _l("全部")), ("0", _l("否"))),
                           default="1", validators=[Optional()])


def _members():
    return IntegerField(_l("委员人数"), validators=[Optional(), NumberRange(
        min=MEMBERS_RANGE[0], max=MEMBERS_RANGE[1], message=_l("委员人数应在3至21人之间。"))],
        description=_l("一般为5至11人的单数。"))


def _term_years():
    return IntegerField(_l("任期（年）"), default=5, validators=[Optional(), NumberRange(
        min=1, max=5, message=_l("任期应为1至5年。"))], description=_l("默认5年，届满日期按选举日期计算。"))


class CommitteeForm(VersionedForm):
    """Creating a committee record, or correcting one (without changing its status)."""

    status = SelectField(_l("状态"), choices=options((CommitteeStatus.PREPARING.value, CommitteeStatus.PREPARING.label),
                                               (CommitteeStatus.FORMED.value, CommitteeStatus.FORMED.label)),
                         validators=[Optional()],
                         description=_l("登记历史上已成立的业主委员会时选择“已成立”。"))
    prep_group_on = DateField(_l("筹备组成立日期"), validators=[Optional()])
    first_assembly_on = DateField(_l("首次业主大会日期"), validators=[Optional()])
    elected_on = DateField(_l("选举日期"), validators=[Optional()])
    filed_on = DateField(_l("备案日期"), validators=[Optional()])
    filing_number = StringField(_l("备案号"), validators=[Optional(), Length(max=64)])
    members_count = _members()
    term_years = _term_years()
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=5000)])

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "version", "status")}


class CommitteeFormingForm(VersionedForm):
    """成立 / 换届选举: the election and filing."""

    first_assembly_on = DateField(_l("首次业主大会日期"), validators=[Optional()])
    elected_on = DateField(_l("选举日期"), validators=[DataRequired(message=_l("请填写选举日期。"))])
    filed_on = DateField(_l("备案日期"), validators=[Optional()])
    filing_number = StringField(_l("备案号"), validators=[Optional(), Length(max=64)])
    members_count = _members()
    term_years = _term_years()

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}


class CommitteeDissolveForm(VersionedForm):
    dissolved_on = DateField(_l("解散日期"), validators=[DataRequired(message=_l("请填写解散日期。"))])
    notes = TextAreaField(_l("原因及说明"), validators=[DataRequired(message=_l("请填写原因。")), Length(max=2000)])

    def values(self) -> dict:
        return {"dissolved_on": self.dissolved_on.data, "notes": self.notes.data}


class CommitteeRestartForm(VersionedForm):
    prep_group_on = DateField(_l("筹备组成立日期"), validators=[DataRequired(message=_l("请填写筹备组成立日期。"))])
    notes = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])

    def values(self) -> dict:
        return {"prep_group_on": self.prep_group_on.data, "notes": self.notes.data}


class CommitteeExpireForm(VersionedForm):
    def values(self) -> dict:
        return {}


class ArchiveForm(VersionedForm):
    reason = TextAreaField(_l("归档原因"), validators=[DataRequired(message=_l("请填写归档原因。")),
                                                       Length(max=500)])


class HandoverForm(VersionedForm):
    """交接: the end of the current management period and the start of the next."""

    handover_on = DateField(_l("交接日期"), validators=[DataRequired(message=_l("请填写交接日期。"))],
                            description=_l("原管理期至该日结束，新管理期自该日开始。"))
    end_method = SelectField(_l("原管理期结束方式"), choices=EndMethod.choices(), default=EndMethod.HANDOVER.value)
    management_mode = SelectField(_l("新的管理模式"), choices=ManagementMode.choices(),
                                  validators=[DataRequired(message=_l("请选择新的管理模式。"))])
    company_id = CompanyPickerField(_l("新的物业服务企业"), validators=[Optional()], params={"all": 1})
    start_method = SelectField(_l("选聘方式"), choices=StartMethod.choices(), default=StartMethod.TENDER.value)
    contract_start = DateField(_l("服务合同开始"), validators=[Optional()])
    contract_end = DateField(_l("服务合同结束"), validators=[Optional()])
    # A picker, not a drop-down: every active company's staff would be tens of thousands of options.
    project_manager_id = StaffPickerField(_l("项目经理"), validators=[Optional()],
                                          placeholder=_l("输入姓名或电话查找"),
                                          description=_l("新物业服务企业的人员；可稍后补充。"))
    items_outcome = RadioField(_l("未销号的整改事项"), choices=options(
        ("transfer", _l("移交新物业服务企业（由新企业整改、答复）")),
        ("keep", _l("仍由原物业服务企业负责（原企业继续整改，逾期等信用后果由原企业承担）")),
    ), validators=[DataRequired(message=_l("请选择未销号整改事项的去向。"))])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=1000)])

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "handover_on", "end_method", "management_mode", "company_id", "start_method", "contract_start",
            "contract_end", "project_manager_id", "items_outcome", "notes")}
