"""Driving an import page as a browser without JavaScript would: upload, read the preview, confirm."""
from __future__ import annotations

import html
import io
import re

_INPUT = re.compile(r'<input[^>]*name="(token|filename|header-\d+)"[^>]*value="([^"]*)"')
_SELECT = re.compile(r'<select[^>]*name="(map-\d+)"[^>]*>(.*?)</select>', re.S)
_SELECTED = re.compile(r'<option value="([^"]*)" selected>')


def upload(client, url: str, data: bytes, filename: str = "台账.xlsx"):
    """The upload: the preview page (200), or a report of a refused file."""
    return client.post(url, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def preview_form(page: str) -> dict[str, str]:
    """The preview's form values as the page offers them (the chosen field of every column)."""
    values = {name: html.unescape(value) for name, value in _INPUT.findall(page)}
    for name, options in _SELECT.findall(page):
        chosen = _SELECTED.search(options)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    return values


def confirm(client, url: str, page: str, step: str = "confirm", **choices):
    """Submit the preview (``step`` "confirm" or "check"); ``choices`` as header → field key override
    the preview's selections for those headers."""
    values = preview_form(page)
    for name, header in list(values.items()):
        if name.startswith("header-") and header in choices:
            values["map-" + name[len("header-"):]] = choices[header]
    return client.post(url, data={**values, "step": step})


def upload_and_confirm(client, url: str, data: bytes, filename: str = "台账.xlsx", **choices):
    page = upload(client, url, data, filename)
    assert page.status_code == 200, page.status_code
    return confirm(client, url, page.get_data(as_text=True), **choices)
