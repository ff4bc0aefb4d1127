"""Forms of the credit pages, with Chinese messages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.choices import options
from ..core.forms import FilterForm, VersionedForm, optional_int
from ..pickers.fields import CompanyPickerField, EstatePickerField
from .models import ClueStatus, EventOrigin, EventStatus, PartKind, RecordingLevel


class ChineseDateField(DateField):
    """A date field whose parse error is in Chinese."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("日期格式应为 YYYY-MM-DD。"))) from None


def date_field(label, required=False, description=None):
    # InputRequired (not DataRequired) keeps the parse error of a mistyped date.
    validators = [InputRequired(message=_l("请填写%(label)s。", label=label))] if required else [Optional()]
    return ChineseDateField(label, validators=validators, description=description)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- filters (GET, no CSRF) --------------------------------------------------

class RankingFilterForm(FilterForm):
    q = StringField(_l("企业名称/信用代码"), validators=[Optional(), Length(max=100)])
    grade = SelectField(_l("等级"), validators=[Optional()])
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    as_of = ChineseDateField(_l("评价日"), validators=[Optional()])
    rule_set = SelectField(_l("规则集"), coerce=optional_int, validators=[Optional()])


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("企业/告知单号"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("状态"), choices=options(("", _l("全部状态"))) + EventStatus.choices(),
                         validators=[Optional()])
    part = SelectField(_l("类别"), choices=options(("", _l("全部类别"))) + PartKind.choices(),
                       validators=[Optional()])
    origin = SelectField(_l("来源"), choices=options(("", _l("全部来源"))) + EventOrigin.choices(),
                         validators=[Optional()])
    year = IntegerField(_l("发生年度"), validators=[Optional(), NumberRange(2000, 2100, message=_l("年度有误。"))])


class ClueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("企业/小区"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("状态"), choices=options(("", _l("全部状态"))) + ClueStatus.choices(),
                         validators=[Optional()])


class CompanyChoiceForm(FlaskForm):
    class Meta:
        csrf = False

    company_id = CompanyPickerField(_l("企业"), validators=[DataRequired(message=_l("请选择企业。"))])


# --- events ------------------------------------------------------------------

class EventForm(VersionedForm):
    item_id = SelectField(_l("评价条款"), coerce=optional_int,
                          validators=[DataRequired(message=_l("请选择评价条款。"))])
    occurred_on = date_field(_l("发生日期"), required=True)
    description = TextAreaField(_l("事实描述"), validators=[DataRequired(message=_l("请填写事实描述。")),
                                                        Length(max=2000)])
    estate_id = SelectField(_l("涉及小区/项目"), coerce=optional_int, validators=[Optional()])
    staff_id = SelectField(_l("涉及项目经理"), coerce=optional_int, validators=[Optional()],
                           description=_l("项目经理的记分同时计入企业；规则集规定时按项目面积折算。"))
    recording_level = SelectField(_l("记录层级"), choices=RecordingLevel.choices(),
                                  validators=[DataRequired(message=_l("请选择记录层级。"))])
    recording_body = StringField(_l("记录机关"), validators=[Optional(), Length(max=128)],
                                 description=_l("留空时按记录层级填写本局或市局名称。"))
    effective_from = date_field(_l("有效期起"), description=_l("留空时自发生日期起算。"))
    effective_until = date_field(_l("有效期止"), description=_l("留空时按条款规定的有效期（默认一年）计算。"))
    rectify_by = date_field(_l("整改期限"), description=_l("扣分记录适用；留空时自告知之日起按条款规定的工作日计算。"))
    evidence = MultipleFileField(_l("证据材料"), description=_l("JPG、PNG 或 PDF，可多选；单个图片不超过 10 MB。"))
    evidence_date = date_field(_l("证据所示事实日期"),
                               description=_l("照片、文书所示事实发生的日期，可与上传日期不同。"))
    save = SubmitField(_l("保存为草稿"))
    issue = SubmitField(_l("保存并发出告知"))


class EvidenceForm(FlaskForm):
    evidence = MultipleFileField(_l("补充证据"))
    evidence_date = date_field(_l("证据所示事实日期"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("撤销原因"), validators=[DataRequired(message=_l("请填写撤销原因。")), Length(max=1000)])


class ObjectionForm(FlaskForm):
    reasons = TextAreaField(_l("异议理由"), validators=[
        DataRequired(message=_l("请填写异议理由。")),
        Length(min=10, max=3000, message=_l("异议理由应为 10 至 3000 字。"))])
    evidence = MultipleFileField(_l("证据材料"), description=_l("JPG、PNG 或 PDF，可多选。"))
    evidence_date = date_field(_l("证据所示事实日期"))


class DecideForm(FlaskForm):
    decision = RadioField(_l("处理决定"), choices=options(
        ("uphold", _l("异议不成立，维持记分")), ("revoke", _l("异议成立，撤销记分"))),
        validators=[InputRequired(message=_l("请选择处理决定。"))])
    reason = TextAreaField(_l("处理理由"), validators=[DataRequired(message=_l("请填写处理理由。")), Length(max=2000)],
                           description=_l("将告知企业。"))


class BasicAssessmentForm(FlaskForm):
    items = MultiCheckboxField(_l("符合的基本信息条款"), coerce=int)
    effective_from = date_field(_l("有效期起"), required=True, description=_l("有效期按条款规定（一年）计算。"))
    note = TextAreaField(_l("核定说明"), validators=[Optional(), Length(max=1000)],
                         description=_l("登记信息摘要会自动写入记录；可补充核定依据。"))


# --- clues -------------------------------------------------------------------

class ClueForm(FlaskForm):
    estate_id = EstatePickerField(_l("小区"), validators=[DataRequired(message=_l("请选择小区。"))],
                                  description=_l("只能选择本街道辖区内、有物业服务企业的小区。"))
    item_id = SelectField(_l("可能对应的条款"), coerce=optional_int, validators=[Optional()],
                          description=_l("可不选，由区住建局核实后认定。"))
    occurred_on = date_field(_l("发生日期"), required=True)
    description = TextAreaField(_l("不良行为描述"), validators=[
        DataRequired(message=_l("请描述不良行为。")), Length(min=10, max=2000, message=_l("描述应为 10 至 2000 字。"))])
    evidence = MultipleFileField(_l("证据材料"), description=_l("JPG、PNG 或 PDF，可多选。"))
    evidence_date = date_field(_l("证据所示事实日期"))


# --- rules and publication ---------------------------------------------------

class RuleSetYearForm(FlaskForm):
    year = IntegerField(_l("年度"), validators=[DataRequired(message=_l("请填写年度。")),
                                              NumberRange(2000, 2100, message=_l("年度应在 2000 至 2100 之间。"))])
    rule_set_id = SelectField(_l("适用规则集"), coerce=optional_int,
                              validators=[DataRequired(message=_l("请选择规则集。"))])


class PublicationForm(FlaskForm):
    name = StringField(_l("发布名称"), validators=[DataRequired(message=_l("请填写发布名称。")), Length(max=64)],
                       description=_l("例如“2026年度物业服务企业信用评价结果”。"))
    as_of = date_field(_l("评价截止日"), required=True, description=_l("按该日有效的记录和当年适用的规则集计算。"))
    notes = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])


class CorrectionForm(FlaskForm):
    reason = TextAreaField(_l("更正理由"), validators=[DataRequired(message=_l("请填写更正理由。")), Length(max=2000)],
                           description=_l("例如：某事件已撤销，相关企业的得分和等级应予更正。"))
