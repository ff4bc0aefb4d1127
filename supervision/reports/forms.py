"""Forms of the weekly reports. Figures entered by the street are built per campaign."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.choices import options
from ..core.forms import VersionedForm, optional_int
from .figures import MAX_FIGURE_VALUE
from .models import ReportStatus

NARRATIVE_MAX = 5000


class ReportForm(VersionedForm):
    """The street's part of a report; ``report_form_class`` adds one field per figure."""

    progress = TextAreaField(
        _l("本周工作进展"), validators=[Optional(), Length(max=NARRATIVE_MAX, message=_l("不能超过 %(max)d 个字。"))],
        description=_l("本周推进了哪些小区、采取了什么措施、取得了什么成效。"), render_kw={"rows": 6})
    problems = TextAreaField(
        _l("存在问题及需协调事项"),
        validators=[Optional(), Length(max=NARRATIVE_MAX, message=_l("不能超过 %(max)d 个字。"))],
        description=_l("需要区住建局或其他部门协调解决的事项；没有请填“无”。"), render_kw={"rows": 4})
    next_week_plan = TextAreaField(
        _l("下周工作计划"), validators=[Optional(), Length(max=NARRATIVE_MAX, message=_l("不能超过 %(max)d 个字。"))],
        render_kw={"rows": 4})
    contact_person = StringField(_l("填报人"),
                                 validators=[Optional(), Length(max=64, message=_l("不能超过 64 个字。"))])
    contact_phone = StringField(_l("联系电话"),
                                validators=[Optional(), Length(max=32, message=_l("不能超过 32 个字。"))])
    files = MultipleFileField(_l("上传附件"), description=_l(
        "现场照片（JPG/PNG，每张不超过 10 MB）、会议纪要等 PDF（不超过 20 MB）或 Excel 表格；可一次选择多个文件。"))

    figure_codes: tuple = ()

    def figure_fields(self):
        return [self[f"fig_{code}"] for code in self.figure_codes]

    def entered_values(self) -> dict:
        return {code: self[f"fig_{code}"].data for code in self.figure_codes}


def report_form_class(definitions: list[dict]):
    """A ReportForm with an integer field ``fig_<code>`` per entered figure."""
    attrs = {"figure_codes": tuple(d["code"] for d in definitions)}
    for definition in definitions:
        label = definition["label"] + (f"（{definition['unit']}）" if definition.get("unit") else "")
        attrs[f"fig_{definition['code']}"] = IntegerField(
            label,
            validators=[Optional(), NumberRange(min=0, max=MAX_FIGURE_VALUE,
                                                message=_l("请输入 0 至 %(max)s 之间的整数。"))],
            invalid_value_message=_l("请输入整数，例如 0、3、120。"),
            render_kw={"min": 0, "max": MAX_FIGURE_VALUE, "step": 1, "inputmode": "numeric"},
        )
    return type("CampaignReportForm", (ReportForm,), attrs)


class SubmitForm(VersionedForm):
    """The confirmation of a submission; the version refuses a stale confirmation."""


class ReturnForm(VersionedForm):
    comment = TextAreaField(_l("退回意见"), validators=[
        DataRequired(message=_l("请填写退回意见，说明需要修改或补充的内容。")),
        Length(max=2000, message=_l("不能超过 %(max)d 个字。")),
    ], render_kw={"rows": 5})


class StartForm(FlaskForm):
    """Start (or open) the street's report for a campaign and week."""

    campaign_id = StringField(validators=[DataRequired()])
    week = StringField(validators=[DataRequired()])


def status_choices():
    return (options(("", _l("全部状态"))) + ReportStatus.choices() + options(("late", _l("迟报"))))


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False

    campaign = SelectField(_l("专项行动"), coerce=optional_int, validators=[Optional()])
    street = SelectField(_l("街道"), coerce=optional_int, validators=[Optional()])
    week = StringField(_l("周次"), validators=[Optional(), Length(max=10)],
                       render_kw={"type": "week", "placeholder": "2026-W39"})
    status = SelectField(_l("状态"), choices=status_choices(), validators=[Optional()])


class OverviewFilterForm(FlaskForm):
    class Meta:
        csrf = False

    campaign = SelectField(_l("专项行动"), coerce=optional_int, validators=[Optional()])
    start = StringField(_l("起始周"), validators=[Optional(), Length(max=10)],
                        render_kw={"type": "week", "placeholder": "2026-W30"})
    to = StringField(_l("截止周"), validators=[Optional(), Length(max=10)],
                     render_kw={"type": "week", "placeholder": "2026-W39"})


class BulletinFilterForm(FlaskForm):
    class Meta:
        csrf = False

    campaign = SelectField(_l("专项行动"), coerce=optional_int, validators=[Optional()])
    week = StringField(_l("周次"), validators=[Optional(), Length(max=10)],
                       render_kw={"type": "week", "placeholder": "2026-W39"})
