"""Reading the app's HTML for the injection tests: the GET filter fields of a list page,
its data rows, and any markup that would run script.

The app's templates contain no inline script and no event-handler attribute (the
Content-Security-Policy forbids them), so on a page of this app any such markup can
only have come from data that was not escaped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE estates; --',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "%' AND 1=1 AND '%'='",
    "{{7*7}}",
    "99999999999999999999",
]
# A select only takes its options: any other string is refused by validation, so a
# select gets one string per kind of attack (SQL quote, HTML attribute, template).
SELECT_PAYLOADS = ["' OR 1=1 --", '"><img src=x onerror=alert(1)>', "{{7*7}}", "99999999999999999999"]
# Markup that must never reach a page unescaped, whatever the field.
RAW_MARKUP = ["<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>"]
NOTHING = "无此记录qzx"  # a search that matches nothing

_SKIP_INPUT_TYPES = {"submit", "button", "reset", "image", "file", "checkbox", "radio"}


@dataclass
class Field:
    name: str
    kind: str  # "text" (free text typed in), "select", "hidden", or the input's type (date, week, number …)


@dataclass
class _Form:
    fields: list[Field] = field(default_factory=list)


class PageReader(HTMLParser):
    """One pass over a page: GET forms and their fields, data rows, dangerous markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.get_forms: list[_Form] = []
        self._form: _Form | None = None
        self._tbody_depth = 0
        self.rows = 0
        self.dangers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.dangers.append(f"<{tag} {name}={value!r}>")
            if name.lower() in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.dangers.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            if not attributes.get("src"):
                self.dangers.append("<script> without src")
            self._in_script = True
        if tag == "form":
            self._form = _Form() if (attributes.get("method") or "get").lower() == "get" else None
            if self._form is not None:
                self.get_forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and attributes.get("name"):
            kind = attributes.get("type", "text").lower() if tag == "input" else tag
            if tag == "textarea":
                kind = "text"
            if kind in ("text", "search"):
                kind = "text"
            if kind not in _SKIP_INPUT_TYPES:
                self._form.fields.append(Field(attributes["name"], kind))
        elif tag == "tbody":
            self._tbody_depth += 1
        elif tag == "tr" and self._tbody_depth and "empty-state" not in (attributes.get("class") or "").split():
            self.rows += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "tbody":
            self._tbody_depth = max(0, self._tbody_depth - 1)
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.dangers.append(f"inline script: {data.strip()[:60]!r}")


def read(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def filter_fields(html: str) -> list[Field]:
    """The fields of the page's GET forms (its filters), each name once."""
    seen, fields = set(), []
    for form in read(html).get_forms:
        for f in form.fields:
            if f.name not in seen:
                seen.add(f.name)
                fields.append(f)
    return fields


def dangers(html: str) -> list[str]:
    """Markup that would run script, and raw payload fragments that escaped escaping."""
    found = list(read(html).dangers)
    found += [f"raw {fragment!r}" for fragment in RAW_MARKUP if fragment in html]
    return found


def rows(html: str) -> int:
    return read(html).rows


class _FormValues(HTMLParser):
    """The current values of each POST form on a page, as a browser would submit them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self._form = None
        self._select = None
        self._select_first = None
        self._select_chosen = False
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {} if (a.get("method") or "get").lower() == "post" else None
            if self._form is not None:
                self.forms.append(self._form)
            return
        if self._form is None or (tag != "option" and not a.get("name")):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.setdefault(a["name"], []).append(a.get("value") or ("y" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = a["name"], None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._form.setdefault(self._select, []).append(value)
                self._select_chosen = True
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.setdefault(self._textarea, []).append("")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form.setdefault(self._select, []).append(self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None and self._form is not None:
            self._form[self._textarea][-1] += data


def form_values(html: str, having: str) -> dict:
    """The POST form of ``html`` that has a field named ``having``, as {name: value}
    (a list when the field repeats, e.g. checked checkboxes)."""
    parser = _FormValues()
    parser.feed(html)
    for form in parser.forms:
        if having in form:
            return {name: values if len(values) > 1 else values[0] for name, values in form.items()}
    raise AssertionError(f"no POST form with a field {having!r}")
