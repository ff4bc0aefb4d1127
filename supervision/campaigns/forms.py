"""Forms of the campaigns feature (Chinese messages, filters in the query string)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from ..core.choices import options
from ..core.forms import MAX_INT, FilterForm, VersionedForm, optional_int
from ..estates.models import CommitteeStatus, ManagementMode
from ..pickers.fields import CompanyPickerField, EstatePickerField
from .models import (
    AcceptanceVerdict,
    CampaignStatus,
    EnrolmentStage,
    ItemSource,
    ItemState,
    ResponsibleParty,
    SelfInspectionStatus,
    Severity,
)
from .services.items import CATEGORIES
from .services.survey import NO_COMMITTEE

REQUIRED_DATE = _l("请填写日期（YYYY-MM-DD）。")


def _date(label, required=True, **kw):
    validators = [DataRequired(message=REQUIRED_DATE)] if required else [Optional()]
    return DateField(label, validators=validators, **kw)


PHOTO_DATE_HINT = _l("留空则取照片的拍摄日期；照片没有拍摄日期时为今天。")


def _workdays(label, default=None, required=True):
    validators = [InputRequired(message=_l("请填写工作日数。"))] if required else [Optional()]
    validators.append(NumberRange(min=1, max=250, message=_l("应为1至250之间的整数。")))
    return IntegerField(label, default=default, validators=validators)


def _blank_enum(enum_cls, blank):
    return options(("", blank)) + enum_cls.choices()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- campaigns --------------------------------------------------------------------

class CampaignFilterForm(FilterForm):
    q = StringField(_l("名称"), validators=[Optional(), Length(max=64)])
    year = IntegerField(_l("年度"), validators=[Optional(), NumberRange(min=2000, max=2100)])
    status = SelectField(_l("状态"), choices=_blank_enum(CampaignStatus, _l("全部")), validators=[Optional()])


class CampaignCreateForm(FlaskForm):
    name = StringField(_l("专项行动名称"), validators=[DataRequired(message=_l("请填写专项行动名称。")),
                                                     Length(max=128)])
    year = IntegerField(_l("年度"), validators=[InputRequired(message=_l("请填写年度。")),
                                              NumberRange(min=2000, max=2100, message=_l("年度应在2000至2100之间。"))])
    scheme_id = SelectField(_l("阶段方案"), coerce=int, validators=[InputRequired(message=_l("请选择阶段方案。"))])
    starts_on = _date(_l("开始日期"), description=_l("各阶段按方案的默认天数依次排开，创建后可逐个修改。"))
    checklist_template_id = SelectField(_l("自查检查表"), coerce=optional_int, validators=[Optional()])
    default_deadline_workdays = _workdays(_l("默认整改期限（工作日）"), default=15)
    requires_signed_scan = BooleanField(_l("要求企业上传盖章扫描件（PDF）"))
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=4000)])


class PhaseRowForm(Form):
    id = HiddenField()
    name = StringField(_l("阶段名称"), validators=[DataRequired(message=_l("请填写阶段名称。")), Length(max=128)])
    starts_on = _date(_l("开始"))
    ends_on = _date(_l("结束"))


class CampaignEditForm(VersionedForm):
    name = StringField(_l("专项行动名称"), validators=[DataRequired(message=_l("请填写专项行动名称。")),
                                                     Length(max=128)])
    year = IntegerField(_l("年度"), validators=[InputRequired(message=_l("请填写年度。")),
                                              NumberRange(min=2000, max=2100, message=_l("年度应在2000至2100之间。"))])
    checklist_template_id = SelectField(_l("自查检查表"), coerce=optional_int, validators=[Optional()])
    default_deadline_workdays = _workdays(_l("默认整改期限（工作日）"))
    requires_signed_scan = BooleanField(_l("要求企业上传盖章扫描件（PDF）"))
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=4000)])
    phases = FieldList(FormField(PhaseRowForm))


# --- enrolment --------------------------------------------------------------------

class EnrolFilterForm(FilterForm):
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    mode = SelectField(_l("管理方式"), choices=_blank_enum(ManagementMode, _l("全部")), validators=[Optional()])
    old = SelectField(_l("老旧小区"), choices=options(("", _l("全部")), ("1", _l("是")), ("0", _l("否"))),
                      validators=[Optional()])
    company = CompanyPickerField(_l("物业企业"), validators=[Optional()], active_only=False, filtering=True)
    q = StringField(_l("小区名称/地址"), validators=[Optional(), Length(max=64)])


class UploadForm(FlaskForm):
    file = FileField(_l("Excel 文件"), validators=[FileRequired(message=_l("请选择要上传的文件。"))])


class EnrolmentFilterForm(FilterForm):
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    company = CompanyPickerField(_l("物业企业"), validators=[Optional()], active_only=False, filtering=True)
    stage = SelectField(_l("进度"), choices=_blank_enum(EnrolmentStage, _l("全部")), validators=[Optional()])
    surveyed = SelectField(_l("摸底"), choices=options(("", _l("全部")), ("1", _l("已摸底")), ("0", _l("未摸底"))),
                           validators=[Optional()])
    self_inspected = SelectField(_l("自查"),
                                 choices=options(("", _l("全部")), ("1", _l("已提交")), ("0", _l("未提交"))),
                                 validators=[Optional()])
    closed = SelectField(_l("销号"), choices=options(("", _l("全部")), ("1", _l("已销号")), ("0", _l("未销号"))),
                         validators=[Optional()])
    si = SelectField(_l("自查表状态"), choices=_blank_enum(SelfInspectionStatus, _l("全部")), validators=[Optional()])
    q = StringField(_l("小区名称"), validators=[Optional(), Length(max=64)])


class CampaignReopenForm(FlaskForm):
    reason = TextAreaField(_l("重新开启原因"), validators=[DataRequired(message=_l("请填写重新开启的原因。")),
                                                     Length(max=1000)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("退出原因"), validators=[DataRequired(message=_l("请填写退出原因。")),
                                                   Length(max=1000)])


# --- problems (survey, spot check, new item) ---------------------------------------

def category_choices():
    return [SelectChoice(c, c) for c in CATEGORIES]


class ProblemRowForm(Form):
    category = SelectField(_l("类别"), choices=category_choices(), validators=[Optional()])
    description = TextAreaField(_l("问题描述"), validators=[Optional(), Length(max=2000)])
    severity = SelectField(_l("严重程度"), choices=Severity.choices(), default=Severity.GENERAL.value)
    responsible_party = SelectField(_l("责任单位"), choices=ResponsibleParty.choices(),
                                    default=ResponsibleParty.COMPANY.value)
    deadline_workdays = IntegerField(_l("期限（工作日）"), validators=[
        Optional(), NumberRange(min=1, max=250, message=_l("应为1至250之间的整数。"))])


class SurveyForm(FlaskForm):
    surveyed_on = _date(_l("摸底日期"))
    management_mode = SelectField(_l("管理方式（核实）"), choices=ManagementMode.choices(),
                                  validators=[DataRequired(message=_l("请选择管理方式。"))])
    company_id = CompanyPickerField(_l("物业服务企业（核实）"), validators=[Optional()], params={"all": 1})
    committee_status = SelectField(_l("业主委员会（核实）"),
                                   choices=options((NO_COMMITTEE, _l("未成立"))) + CommitteeStatus.choices(),
                                   validators=[Optional()])
    notes = TextAreaField(_l("摸底情况"), validators=[Optional(), Length(max=4000)])
    problems = FieldList(FormField(ProblemRowForm), min_entries=5, max_entries=30)
    photos = MultipleFileField(_l("现场照片（可多选，JPG/PNG/PDF）"))


class ItemForm(FlaskForm):
    source = SelectField(_l("来源"), choices=[SelectChoice(s.value, s.label)
                                             for s in (ItemSource.SURVEY, ItemSource.COMPLAINT)])
    category = SelectField(_l("类别"), choices=category_choices())
    description = TextAreaField(_l("问题描述"), validators=[DataRequired(message=_l("请填写问题描述。")),
                                                        Length(max=2000)])
    severity = SelectField(_l("严重程度"), choices=Severity.choices(), default=Severity.GENERAL.value)
    responsible_party = SelectField(_l("责任单位"), choices=ResponsibleParty.choices(),
                                    default=ResponsibleParty.COMPANY.value)
    responsible_note = StringField(_l("责任单位说明"), validators=[Optional(), Length(max=128)],
                                   description=_l("例如开发建设单位的名称。"))
    deadline_workdays = _workdays(_l("整改期限（工作日）"))
    photos = MultipleFileField(_l("问题照片（可多选）"))


class SpotCheckForm(FlaskForm):
    estate_id = EstatePickerField(_l("小区"), validators=[InputRequired(message=_l("请选择小区。"))],
                                  refresh=("campaign_id", "estate"))
    campaign_id = SelectField(_l("计入专项行动"), coerce=optional_int, validators=[Optional()], validate_choice=False,
                              description=_l("可选：该小区参加的进行中专项行动。"))
    checked_on = _date(_l("抽查日期"), required=False, description=PHOTO_DATE_HINT)
    summary = TextAreaField(_l("抽查情况"), validators=[Optional(), Length(max=4000)])
    findings = FieldList(FormField(ProblemRowForm), min_entries=5, max_entries=30)
    photos = MultipleFileField(_l("现场照片（可多选）"))
    # The risk-weighted sample the estate was drawn from (``?sample=``), recorded with the check.
    sample_id = IntegerField(_l("抽查样本"), widget=HiddenInput(), validators=[Optional(), NumberRange(1, MAX_INT)])


class SpotCheckSampleForm(FlaskForm):
    size = IntegerField(_l("样本量"), default=5, validators=[InputRequired(message=_l("请填写样本量。")),
                                                             NumberRange(1, 50, message=_l("样本量应在1至50之间。"))],
                        description=_l("抽取的小区数量（1至50）。"))
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()],
                         description=_l("可选：只从该街道的小区中抽取。"))
    seed = IntegerField(_l("随机种子"), validators=[Optional(), NumberRange(0, 2**31 - 1)],
                        description=_l("留空则随机生成；填写此前样本的种子，可在数据不变时重现同一份样本。"))


class SpotCheckRhythmFilterForm(FilterForm):
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    until = StringField(_l("截至周"), validators=[Optional(), Length(max=10)],
                        description=_l("例如 2026-W49；显示截至该周的 12 周。"))


class SpotCheckFilterForm(FilterForm):
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    q = StringField(_l("小区名称"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("起"), validators=[Optional()])
    until = DateField(_l("止"), validators=[Optional()])


# --- items ------------------------------------------------------------------------

class ItemFilterForm(FilterForm):
    q = StringField(_l("关键词"), validators=[Optional(), Length(max=64)])
    campaign = SelectField(_l("专项行动"), coerce=optional_int, validators=[Optional()])
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    company = CompanyPickerField(_l("物业企业"), validators=[Optional()], active_only=False, filtering=True)
    state = SelectField(_l("状态"), choices=_blank_enum(ItemState, _l("全部")), validators=[Optional()])
    open = SelectField(_l("是否销项"), choices=options(("", _l("全部")), ("1", _l("未销项")), ("0", _l("已销项"))),
                       validators=[Optional()])
    overdue = SelectField(_l("逾期"), choices=options(("", _l("全部")), ("1", _l("已逾期"))), validators=[Optional()])
    due = SelectField(_l("到期"), choices=options(("", _l("全部")), ("week", _l("本周到期"))), validators=[Optional()])
    source = SelectField(_l("来源"), choices=_blank_enum(ItemSource, _l("全部")), validators=[Optional()])
    severity = SelectField(_l("严重程度"), choices=_blank_enum(Severity, _l("全部")), validators=[Optional()])
    responsible = SelectField(_l("责任单位"), choices=_blank_enum(ResponsibleParty, _l("全部")),
                              validators=[Optional()])


class AnswerForm(VersionedForm):
    response = TextAreaField(_l("整改情况说明"), validators=[DataRequired(message=_l("请填写整改情况说明。")),
                                                       Length(max=4000)])
    evidence = MultipleFileField(_l("佐证材料（照片或PDF，可多选）"))
    fact_date = _date(_l("整改完成日期"), required=False,
                      description=_l("照片或材料所反映事实发生的日期；留空则取各照片的拍摄日期，没有拍摄日期时为今天。"))


class EvidenceForm(VersionedForm):
    evidence = MultipleFileField(_l("佐证材料（照片或PDF，可多选）"))
    fact_date = _date(_l("事实日期"), required=False,
                      description=_l("留空则取各照片的拍摄日期，没有拍摄日期时为今天。"))


class ReasonTransitionForm(VersionedForm):
    reason = TextAreaField(_l("原因"), validators=[DataRequired(message=_l("请填写原因。")), Length(max=2000)])
    deadline_workdays = IntegerField(_l("重新整改期限（工作日）"), validators=[
        Optional(), NumberRange(min=1, max=250, message=_l("应为1至250之间的整数。"))],
        description=_l("不填则保留原期限。"))


class SimpleTransitionForm(VersionedForm):
    comment = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])


# --- notices ------------------------------------------------------------------------

class NoticeForm(FlaskForm):
    item_ids = MultiCheckboxField(_l("列入通知书的整改事项"), coerce=int,
                                  validators=[DataRequired(message=_l("请至少选择一项整改事项。"))])
    issued_on = _date(_l("下达日期"))
    deadline_workdays = _workdays(_l("整改期限（工作日）"))
    remarks = TextAreaField(_l("整改要求"), validators=[Optional(), Length(max=4000)],
                            description=_l("补充要求，打印在通知书的整改要求段。按期整改、报送整改情况和逾期处理已写在通知书上，"
                                        "不必重复；例如“整改期间设置安全警示标志”。"))


class NoticeFilterForm(FilterForm):
    q = StringField(_l("编号/小区"), validators=[Optional(), Length(max=64)])
    year = IntegerField(_l("年度"), validators=[Optional(), NumberRange(min=2000, max=2100)])
    awaiting = SelectField(_l("答复"), choices=options(("", _l("全部")), ("1", _l("有待答复的事项"))),
                           validators=[Optional()])


# --- self-inspection and acceptance --------------------------------------------------

class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("退回意见"), validators=[DataRequired(message=_l("请填写退回意见。")),
                                                    Length(max=2000)])


class ApproveForm(FlaskForm):
    comment = TextAreaField(_l("审核意见"), validators=[Optional(), Length(max=2000)])


class ScanForm(FlaskForm):
    file = FileField(_l("盖章扫描件（PDF）"), validators=[FileRequired(message=_l("请选择要上传的文件。"))])


class AcceptanceForm(FlaskForm):
    inspected_on = _date(_l("验收日期"), required=False, description=PHOTO_DATE_HINT)
    verdict = RadioField(_l("验收结论"), choices=AcceptanceVerdict.choices(),
                         validators=[InputRequired(message=_l("请选择验收结论。"))])
    remarks = TextAreaField(_l("验收意见"), validators=[Optional(), Length(max=4000)])
    reopen_deadline_workdays = _workdays(_l("不通过事项的重新整改期限（工作日）"), default=10)
    photos = MultipleFileField(_l("现场照片（可多选）"))
