"""Form pieces shared by the features."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField, StringField, TextAreaField
from wtforms import SelectField as _SelectField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import Select

from .errors import DomainError


class FastSelect(Select):
    """WTForms' ``Select`` with a cheaper option: the same HTML, several times faster.

    WTForms builds every ``<option>`` through ``html_params`` and ``Markup.format``; a filter listing
    every community or company of a large district renders thousands of them, and that dominated the
    estate list's time (bench/results.md). Options with extra attributes still go through WTForms.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        selected = "selected " if choice.selected else ""
        return Markup('<option %svalue="%s">%s</option>') % (selected, value, label)  # % escapes each value


class SelectField(_SelectField):
    """A ``SelectField`` rendered with :class:`FastSelect`, for lists that can be long."""

    widget = FastSelect()


class ConfirmForm(FlaskForm):
    """A POST with nothing but its CSRF token: enable, disable, submit …"""


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"), validators=[DataRequired(message=_l("请填写原因。")),
                                                   Length(max=1000)])


class VersionedForm(FlaskForm):
    """Edit forms carry the version of the row they were rendered from."""

    version = HiddenField()


def apply_domain_error(form, error: DomainError) -> bool:
    """Show a service's refusal next to its field; False when it has no field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
        return True
    return False


# The largest value an integer column holds on PostgreSQL: a larger id or year in a query
# string names nothing, and would fail in the database (a 500) rather than match nothing.
MAX_INT = 2**31 - 1


def optional_int(value):
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not -MAX_INT <= number <= MAX_INT:
        raise ValueError("out of range")
    return number


def search_field(label=_l("关键词")):
    return StringField(label, validators=[Length(max=100)])
