"""Forms of the enforcement pages, with Chinese messages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.choices import options
from ..core.forms import VersionedForm, optional_int
from ..credit.forms import date_field
from ..pickers.fields import CompanyPickerField, EstatePickerField
from .models import CaseStatus, ProposalStatus


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("企业/小区"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("状态"), choices=options(("", _l("全部状态"))) + CaseStatus.choices(),
                         validators=[Optional()], default="open")
    rung = SelectField(_l("当前措施"), validators=[Optional()])
    street_id = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    company_id = CompanyPickerField(_l("企业"), validators=[Optional()], active_only=False, filtering=True)
    follow_up = SelectField(_l("约谈复查"), choices=options(("", _l("全部")), ("overdue", _l("复查逾期"))),
                            validators=[Optional()])
    approval = SelectField(_l("领导审批"), choices=options(("", _l("全部")), ("pending", _l("待批准"))),
                           validators=[Optional()])


class ProposalFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("状态"), choices=options(("", _l("全部状态"))) + ProposalStatus.choices(),
                         validators=[Optional()], default="pending")
    day = date_field(_l("建议日期"))


class ConfirmProposalForm(FlaskForm):
    note = TextAreaField(_l("确认意见"), validators=[Optional(), Length(max=1000)])
    interview_at = StringField(_l("约谈时间"), validators=[Optional(), Length(max=64)],
                               description=_l("仅约谈：写入约谈通知书，如“2026年5月8日上午9时”。"))
    interview_place = StringField(_l("约谈地点"), validators=[Optional(), Length(max=128)])
    article_id = SelectField(_l("处罚依据"), coerce=optional_int, validators=[Optional()])
    amount = DecimalField(_l("罚款金额（元）"), places=2, validators=[Optional(), NumberRange(min=0)])
    measure = TextAreaField(_l("其他处罚措施"), validators=[Optional(), Length(max=1000)])


class DismissForm(FlaskForm):
    reason = TextAreaField(_l("不予采纳的理由"), validators=[DataRequired(message=_l("请填写不予采纳的理由。")),
                                                       Length(max=1000)])


class StepForm(FlaskForm):
    """Escalate a case to a higher rung; the penalty fields apply to 行政处罚 only."""

    rung_id = SelectField(_l("升级为"), coerce=optional_int, validators=[DataRequired(message=_l("请选择措施。"))])
    title = StringField(_l("标题"), validators=[Optional(), Length(max=200)],
                        description=_l("留空则按所涉问题自动拟定。"))
    content = TextAreaField(_l("正文"), validators=[Optional(), Length(max=5000)])
    interview_at = StringField(_l("约谈时间"), validators=[Optional(), Length(max=64)])
    interview_place = StringField(_l("约谈地点"), validators=[Optional(), Length(max=128)])
    article_id = SelectField(_l("处罚依据"), coerce=optional_int, validators=[Optional()])
    amount = DecimalField(_l("罚款金额（元）"), places=2, validators=[Optional(), NumberRange(min=0)])
    measure = TextAreaField(_l("其他处罚措施"), validators=[Optional(), Length(max=1000)])


class InterviewForm(VersionedForm):
    interviewed_on = date_field(_l("约谈日期"), required=True)
    attendees = TextAreaField(_l("参加人员"), validators=[DataRequired(message=_l("请填写参加人员。")),
                                                       Length(max=1000)])
    commitments = TextAreaField(_l("企业整改承诺"), validators=[DataRequired(message=_l("请填写企业的整改承诺。")),
                                                          Length(max=3000)])
    follow_up_on = date_field(_l("复查日期"), required=True, description=_l("到期仍未整改的，系统建议升级措施。"))


class RefusalForm(FlaskForm):
    company_id = CompanyPickerField(_l("企业"), validators=[DataRequired(message=_l("请选择企业。"))])
    estate_id = EstatePickerField(_l("小区"), validators=[Optional()], description=_l("可不填（不限小区）。"))
    occurred_on = date_field(_l("发生日期"), required=True)
    description = TextAreaField(_l("拒不整改情况"), validators=[DataRequired(message=_l("请填写拒不整改的情况。")),
                                                         Length(max=2000)])


class CloseForm(FlaskForm):
    reason = TextAreaField(_l("结案理由"), validators=[DataRequired(message=_l("请填写结案理由。")), Length(max=1000)])
