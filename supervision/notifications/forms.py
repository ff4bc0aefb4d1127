"""The user's own reminder settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

from .models import DigestFrequency, NotificationCategory

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class NotificationSettingsForm(FlaskForm):
    email = StringField(_l("电子邮箱"), validators=[
        Optional(), Length(max=254, message=_l("电子邮箱不能超过254个字符。")),
        Regexp(EMAIL, message=_l("电子邮箱格式不正确，例如 zhangsan@example.gov.cn。"))],
        description=_l("每日、每周摘要发到这个邮箱；不填则只在系统内提醒。"))


for _category in NotificationCategory:
    setattr(NotificationSettingsForm, f"c_{_category.value}",
            SelectField(_category._label, choices=DigestFrequency.choices(), default=DigestFrequency.DAILY.value))


def category_fields(form: NotificationSettingsForm):
    return [(c, form[f"c_{c.value}"]) for c in NotificationCategory]
