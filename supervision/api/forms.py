from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from .services import MAX_DAYS


class TokenForm(FlaskForm):
    name = StringField(_l("用途说明"), validators=[DataRequired(message=_l("请填写令牌用途，例如“市平台对接”。")),
                                                 Length(max=64)])
    days = IntegerField(_l("有效期（天）"), default=90,
                        validators=[DataRequired(message=_l("请填写有效期。")),
                                    NumberRange(min=1, max=MAX_DAYS, message=_l("有效期应为 1 至 366 天。"))])
