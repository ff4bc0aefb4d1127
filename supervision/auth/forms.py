from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from ..core.choices import options
from ..core.forms import VersionedForm, optional_int
from ..pickers.fields import CompanyPickerField
from .roles import Role


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名。")),
                                                    Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码。")),
                                                   Length(max=128)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(message=_l("请输入当前密码。"))])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(message=_l("请输入新密码。")),
                                                        Length(max=128)])
    confirm = PasswordField(_l("确认新密码"), validators=[
        DataRequired(message=_l("请再次输入新密码。")),
        EqualTo("new_password", message=_l("两次输入的密码不一致。")),
    ])


USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.\-]{3,32}$",
                       message=_l("用户名为3至32位字母、数字、下划线、点或减号。"))


class UserForm(VersionedForm):
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名。")), USERNAME_RULE])
    display_name = StringField(_l("姓名"), validators=[DataRequired(message=_l("请输入姓名。")), Length(max=64)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=32)])
    role = SelectField(_l("角色"), choices=Role.choices(), validators=[DataRequired()])
    street_id = SelectField(_l("所属街道"), coerce=optional_int, validators=[Optional()])
    company_id = CompanyPickerField(_l("所属企业"), validators=[Optional()])
    password = PasswordField(_l("初始密码"), validators=[Optional(), Length(max=128)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新的临时密码"), validators=[DataRequired(message=_l("请输入新密码。")),
                                                         Length(max=128)])
    confirm = PasswordField(_l("确认密码"), validators=[
        DataRequired(message=_l("请再次输入密码。")),
        EqualTo("password", message=_l("两次输入的密码不一致。")),
    ])


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("关键词"), validators=[Optional(), Length(max=64)])
    role = SelectField(_l("角色"), choices=[*options(("", _l("全部角色"))), *Role.choices()], validators=[Optional()])
    status = SelectField(_l("状态"), validators=[Optional()],
                         choices=options(("", _l("全部")), ("active", _l("启用")), ("disabled", _l("停用"))))
