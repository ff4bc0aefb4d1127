"""Form pieces shared by the features."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Choice, HiddenField, StringField, TextAreaField
from wtforms.fields.core import Label
from wtforms.validators import DataRequired, Length
from wtforms.widgets import Select, TextInput

from .errors import DomainError


def html_params(**kwargs) -> Markup:
    """WTForms' ``html_params``, the same output without a ``Markup`` operation per attribute.

    Attributes sorted by keyword; ``class_`` → ``class``, ``data_x_y``/``aria_x_y`` → ``data-x-y``;
    ``True`` gives the bare attribute, ``False`` none; values escaped, ``"`` of a ``Markup`` value
    as ``&quot;``. tests/core/test_fast_forms.py compares both on awkward values.
    """
    params = []
    for key, value in sorted(kwargs.items()):
        key = key.rstrip("_")
        if key.startswith(("data_", "aria_")):
            key = key.replace("_", "-")
        if value is True:
            params.append(str(escape(key)))
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # nosec B704 - every name and value escaped above


def _validation_flags(widget, field, kwargs: dict) -> None:
    """What WTForms' widgets add from ``field.flags`` (``required``, ``maxlength`` …) without ``dir()``."""
    flags = vars(getattr(field, "flags", None) or _NO_FLAGS)
    for key in widget.validation_attrs:
        if key in flags and key not in kwargs:
            kwargs[key] = flags[key]


class _NoFlags:
    pass


_NO_FLAGS = _NoFlags()


class FastSelect(Select):
    """WTForms' ``Select``, the same HTML several times faster.

    WTForms builds every attribute and every ``<option>`` through ``Markup.format``; a filter bar of
    ten fields took ~2 ms of the estate list, and the staff list's estate filter (thousands of options
    at 100×) 1.1 s (bench/results.md). A multiple select, option groups, options with extra attributes
    and fields whose ``iter_choices()`` does not yield ``Choice`` still go through WTForms. Only
    WTForms' public API is used (``iter_choices``, ``has_groups``, ``Choice``).
    """

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        choices = list(field.iter_choices())
        if not all(type(choice) is Choice for choice in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        _validation_flags(self, field, kwargs)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        render = type(self).render_option
        html.extend(render(choice) for choice in choices)
        html.append("</select>")
        return Markup("".join(html))  # nosec B704 - escaped attributes and options

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        value = str(escape(value)).replace('"', "&quot;")
        selected = "selected " if choice.selected else ""
        label = choice.label
        if isinstance(label, LazyString):  # translated once, not twice (``or`` and escape())
            label = Markup(label.__html__())  # nosec B704 - what escape() makes of it (WTForms too)
        label = escape(label or choice.value)
        return Markup(f'<option {selected}value="{value}">{label}</option>')  # nosec B704 - value and label escaped


class FastTextInput(TextInput):
    """WTForms' ``TextInput`` with the faster :func:`html_params` (the same HTML)."""

    html_params = staticmethod(html_params)


class FastLabel(Label):
    """WTForms' ``Label`` with the faster :func:`html_params` (the same HTML)."""

    def __call__(self, text=None, **kwargs):
        if "for_" in kwargs:
            kwargs["for"] = kwargs.pop("for_")
        else:
            kwargs.setdefault("for", self.field_id)
        attributes = html_params(**kwargs)
        attributes = f" {attributes}" if attributes else ""
        return Markup(f"<label{attributes}>{escape(text or self.text)}</label>")  # nosec B704 - escaped


def faster_widgets(field):
    """``field`` rendered by the fast widgets above where they give the same HTML (its label, a
    text input, a single select); other widgets are left alone."""
    if type(field.label) is Label:
        field.label = FastLabel(field.label.field_id, field.label.text)
    if type(field.widget) is TextInput:
        field.widget = FastTextInput()
    elif type(field.widget) is Select and not field.widget.multiple:
        field.widget = FastSelect()
    return field


class FilterForm(FlaskForm):
    """A list page's filter bar (a GET form, no CSRF token), its fields drawn by the fast widgets.

    For the lists where the benchmark showed WTForms' widgets to matter (40–200 µs a field, more with
    long option lists): the estate list, the credit ranking and the staff list. Other filter bars are
    plain ``FlaskForm``s with ``Meta: csrf = False``."""

    class Meta:
        csrf = False

        def bind_field(self, form, unbound_field, options):
            return faster_widgets(super().bind_field(form, unbound_field, options))


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


_SEARCH_LABEL = _l("关键词")


def search_field(label=_SEARCH_LABEL):
    return StringField(label, validators=[Length(max=100)])
