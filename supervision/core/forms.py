"""Form pieces shared by the features."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .errors import DomainError


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
