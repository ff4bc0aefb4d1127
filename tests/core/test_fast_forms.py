"""The fast widgets (supervision/core/forms.py) draw exactly what WTForms' own widgets draw."""
from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectField as WTFormsSelectField
from wtforms import StringField
from wtforms.fields.core import Label
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import Select, TextInput
from wtforms.widgets import html_params as wtforms_html_params

from supervision.core.choices import options
from supervision.core.forms import FastLabel, FastSelect, FastTextInput, FilterForm, html_params

AWKWARD = ['a"b', "<b>&'", Markup('<i class="x">'), 0, 12, None, "", "中文"]


@pytest.mark.parametrize("value", AWKWARD + [True, False])
def test_html_params_as_wtforms(value):
    kwargs = {"class_": value, "data_x_y": value, "aria_describedby": value, "for": value, "aria-label": value,
              "id": "f", "zz": True, "aa": False}
    assert html_params(**kwargs) == wtforms_html_params(**kwargs)
    assert isinstance(html_params(**kwargs), Markup)


class _Form(FlaskForm):
    class Meta:
        csrf = False

    text = StringField(_l("名称"), validators=[Optional(), Length(min=2, max=100)],
                       render_kw={"placeholder": 'a "quoted" <hint>'})
    required = StringField("必填", validators=[DataRequired()])
    choice = WTFormsSelectField(_l("状态"), choices=options(("", _l("全部")), ("a", "<A>"), ("b", 'B"'), (1, "")),
                                validators=[Optional()])
    needed = WTFormsSelectField("必选", choices=options((True, "是"), (False, "否")), validators=[DataRequired()])


@pytest.mark.parametrize("data", [{}, {"text": 'x"<y>', "choice": "b", "needed": "True"}, {"choice": "1"}])
@pytest.mark.parametrize("kwargs", [{}, {"class_": "form-select form-select-sm"},
                                    {"class_": "c", "aria-describedby": "h-hint", "disabled": True}])
def test_fast_widgets_as_wtforms(app, data, kwargs):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context("/"):
        form = _Form(MultiDict(data))
        form.validate()
        for field in form:
            widget = {TextInput: FastTextInput(), Select: FastSelect()}[type(field.widget)]
            assert widget(field, **kwargs) == field.widget(field, **kwargs)
            fast_label = FastLabel(field.label.field_id, field.label.text)
            assert fast_label(class_="form-label small mb-0") == field.label(class_="form-label small mb-0")
            assert fast_label("<other>", for_="x") == field.label("<other>", for_="x")
            assert str(fast_label) == str(field.label)


def test_filter_forms_and_select_fields_use_the_fast_widgets(app):
    class Filters(FilterForm):
        q = StringField("关键词")
        plain = WTFormsSelectField("甲", choices=options(("", "全部")))
        several = WTFormsSelectField("丙", choices=options(("", "全部")), widget=Select(multiple=True))

    with app.test_request_context("/"):
        form = Filters()
        assert form.meta.csrf is False
        assert isinstance(form.q.widget, FastTextInput) and isinstance(form.q.label, FastLabel)
        assert isinstance(form.plain.widget, FastSelect)
        assert type(form.several.widget) is Select  # a multiple select stays WTForms'
        assert isinstance(_Form().choice.label, Label) and not isinstance(_Form().choice.label, FastLabel)


def test_fast_select_needs_only_public_wtforms_api(app, monkeypatch):
    """FastSelect reads ``iter_choices()``; WTForms' private helpers may change without notice."""
    from werkzeug.datastructures import MultiDict
    from wtforms.fields.choices import SelectFieldBase

    def private(self):
        raise AssertionError("private WTForms API used")

    monkeypatch.setattr(SelectFieldBase, "_iter_choices_normalized", private)
    with app.test_request_context("/"):
        form = _Form(MultiDict({"choice": "b"}))
        html = FastSelect()(form.choice)
        assert '<option selected value="b">' in html
        assert html.count("<option") == 4


def test_fast_select_leaves_groups_and_option_attributes_to_wtforms(app):
    from wtforms import SelectChoice

    class Grouped(FlaskForm):
        class Meta:
            csrf = False

        grouped = WTFormsSelectField("组", choices=[SelectChoice("a", "甲", optgroup="一"),
                                                   SelectChoice("b", "乙", optgroup="二")])
        marked = WTFormsSelectField("标", choices=[SelectChoice("a", "甲", render_kw={"data-x": "1"}),
                                                  SelectChoice("b", "乙")])

    with app.test_request_context("/"):
        form = Grouped()
        for field in (form.grouped, form.marked):
            assert FastSelect()(field) == field.widget(field)
        assert "<optgroup" in FastSelect()(form.grouped) and 'data-x="1"' in FastSelect()(form.marked)
