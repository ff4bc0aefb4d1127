"""Form fields that pick an estate or a company by typing.

The field renders a text box (the name, for people) and a hidden input carrying the id under the field's
own name, so links such as ``?company=3`` keep working. ``data`` is the chosen id (an int) or None;
``option`` is the chosen ``services.Option``. Without JavaScript only the text changes: it is matched on
submit, and a text that names no single estate or company gives an error listing the candidates, with
the text kept in the box.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from . import services

TEXT_SUFFIX = "_text"


class PickerWidget:
    def __call__(self, field, **kwargs):
        css = kwargs.pop("class_", None) or kwargs.pop("class", None) or "form-control"
        invalid = bool(field.errors or field.process_errors)
        if invalid and "is-invalid" not in css:
            css += " is-invalid"
        base = kwargs.setdefault("id", field.id)  # a list with one picker per row passes its own id
        chosen = kwargs.pop("chosen", None)  # (id, name) shown instead of the field's data, for such rows
        value, text = (chosen if chosen else (field.data, field.text_value()))
        if value == NO_MATCH:
            value = None
        listbox = f"{base}-listbox"
        status = f"{base}-status"
        text_params = dict(
            kwargs, type="text", name=field.text_name, value=text or "", class_=css, role="combobox",
            autocomplete="off", spellcheck="false", placeholder=field.placeholder,
            **{"aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": listbox,
               "data-picker-url": field.search_url(), "data-picker-value": f"{base}-value",
               "data-picker-status": status, "data-picker-empty": _("没有匹配的%(noun)s", noun=field.picker.noun()),
               "data-picker-count": _("{n} 项，可用上下键选择"), "maxlength": "128"})
        if invalid:
            text_params["aria-invalid"] = "true"
        hidden_params = {"type": "hidden", "name": field.name, "id": f"{base}-value",
                         "value": "" if value is None else value}
        if field.refresh:
            hidden_params.update({"data-picker-refresh": field.refresh[0], "data-picker-param": field.refresh[1]})
        hidden = html_params(**hidden_params)
        pending = Markup("")
        if field.process_errors and not field.errors:  # a filter form nobody validated: still say why
            pending = Markup("").join(
                Markup('<div class="invalid-feedback d-block" id="{}-error-{}">{}</div>').format(field.id, n, e)
                for n, e in enumerate(field.process_errors, 1))
            text_params["aria-describedby"] = " ".join(
                f"{field.id}-error-{n}" for n in range(1, len(field.process_errors) + 1))
        # html_params escapes each value; the other parts are escaped by Markup.format.
        return Markup(
            '<div class="picker{}" data-picker><input {}><input {}>'
            '<ul class="picker-list" id="{}" role="listbox" aria-label="{}" hidden></ul>'
            '<div class="visually-hidden" id="{}" role="status" aria-live="polite"></div>{}</div>'
        ).format(" is-invalid" if invalid else "", html_params(**text_params), hidden, listbox,
                 field.label.text, status, pending)


# Placeholders of ``PickerField.row_renderer``: plain words that escaping leaves alone and no name holds.
_ROW_ID, _ROW_VALUE, _ROW_TEXT = "pickerrowid7f3a", "pickerrowvalue7f3a", "pickerrowtext7f3a"
NO_MATCH = -1  # a filter's choice when what was typed names nothing: the list shows nothing, not everything


class PickerField(Field):
    """An estate or company chosen by typing. ``params`` narrow the choice (e.g. ``{"street": 3}``) on
    the server and in the search URL alike; ``active_only=False`` also accepts archived ones (filters).

    ``filtering=True`` (list filters): text or an id that names nothing the user may see sets ``data`` to
    ``NO_MATCH``, so ``where(company_id == data)`` filters the list to nothing — with the error shown —
    instead of the filter being dropped and the whole list shown as if filtered."""

    widget = PickerWidget()
    picker = None

    def __init__(self, label=None, validators=None, *, params: dict | None = None, active_only: bool = True,
                 placeholder: str | None = None, refresh: tuple[str, str] | None = None, filtering: bool = False,
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        self.filtering = filtering
        self.params = dict(params or {})
        self.active_only = active_only
        self._placeholder = placeholder
        self.refresh = refresh  # (id of an element that follows the choice, the page's URL parameter)
        self.text = None
        self.option = None

    @property
    def text_name(self) -> str:
        return self.name + TEXT_SUFFIX

    @property
    def placeholder(self) -> str:
        return str(self._placeholder) if self._placeholder else _("输入名称、地址或代码查找")

    def narrow(self, **params) -> None:
        """Restrict the choice further (views call this before ``validate``; the form re-resolves)."""
        self.params.update({key: value for key, value in params.items() if value is not None})
        if self._submitted:
            self._resolve(*self._submitted)
        else:
            self._load_default()

    def search_url(self) -> str:
        params = {key: self.params[key] for key in self.picker.params if self.params.get(key) is not None}
        return url_for(f"pickers.{self.picker.kind}", **params)

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.text = None
        self.option = None
        self._submitted = None
        self.object_data = data
        self.data = None
        if formdata is not None and (self.name in formdata or self.text_name in formdata):
            self.raw_data = formdata.getlist(self.name)
            self._submitted = (formdata.get(self.name), formdata.get(self.text_name))
            self._resolve(*self._submitted)
            return
        self.raw_data = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.data = data
        self._load_default()

    def process_formdata(self, valuelist):  # everything happens in ``process``
        pass

    def _load_default(self) -> None:
        if self.data is not None and self._submitted is None:
            self.option = services.get(self.picker, current_user, self.data, self.params, active_only=False)
            if self.option is None:
                self.data = None

    def _resolve(self, raw_id, text) -> None:
        self.process_errors = []
        self.text = text
        result = services.resolve(self.picker, current_user, raw_id, text, self.params, active_only=self.active_only)
        self.option = result.option
        self.data = result.option.id if result.option else None
        self.raw_data = [str(self.data)] if self.data is not None else []
        if result.error:
            self.process_errors.append(result.error)
            if self.filtering:
                self.data = NO_MATCH

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()

    def row_renderer(self, **kwargs):
        """The picker of a list with one per row (a queue's 指定小区), rendered once: the returned
        ``render(row_id, value, text)`` fills in the row's id, chosen id and name (escaped) — the widget's
        ``html_params`` over its dozen attributes cost ~0.5 ms a row, 50 rows a page."""
        template = str(self(id=_ROW_ID, chosen=(_ROW_VALUE, _ROW_TEXT), **kwargs))

        def render(row_id, value, text) -> Markup:
            filled = template.replace(_ROW_ID, str(escape(row_id)))
            filled = filled.replace(_ROW_VALUE, "" if value is None else str(escape(value)))
            return Markup(filled.replace(_ROW_TEXT, str(escape(text or ""))))  # nosec B704 - parts escaped above

        return render

    def text_value(self) -> str:
        if self.option is None and self.data is not None and not self.text:  # a view set ``data``
            self.option = services.get(self.picker, current_user, self.data, self.params, active_only=False)
        if self.option is not None and self.option.id == self.data:
            return self.option.name
        return self.text or ""


class EstatePickerField(PickerField):
    picker = services.PICKERS["estates"]


class CompanyPickerField(PickerField):
    picker = services.PICKERS["companies"]


class StaffPickerField(PickerField):
    picker = services.PICKERS["staff"]


class CommunityPickerField(PickerField):
    picker = services.PICKERS["communities"]
