"""The English catalogue is complete and in step with the code.

When a test here fails: run ``make messages`` and translate the listed msgids in
translations/en/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalogue(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file)


def _messages(catalogue):
    return [message for message in catalogue if message.id]


@pytest.fixture(scope="module")
def english():
    return _catalogue(ENGLISH)


def test_every_msgid_is_translated(english):
    untranslated = [message.id for message in _messages(english) if not message.string or message.fuzzy]
    assert not untranslated, f"{len(untranslated)} msgids without an English translation: {untranslated[:30]}"


def test_translations_keep_the_placeholders(english):
    broken = [
        (message.id, message.string)
        for message in _messages(english)
        if message.string and sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))
    ]
    assert not broken, broken[:20]


def test_translations_are_english(english):
    still_chinese = [message.id for message in _messages(english) if CJK.search(message.string or "")]
    assert not still_chinese, still_chinese[:20]


def test_catalogue_is_in_step_with_the_code(tmp_path, english):
    template = tmp_path / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
        "-k", "_l", "-k", "lazy_gettext", "-k", "pgettext:1c,2", "-k", "lazy_pgettext:1c,2",
        "-o", str(template), str(ROOT / "supervision"), str(ROOT / "templates"),
    ])
    in_code = {(message.context, message.id) for message in _messages(_catalogue(template))}
    in_catalogue = {(message.context, message.id) for message in _messages(english)}
    missing = sorted(in_code - in_catalogue, key=str)
    stale = sorted(in_catalogue - in_code, key=str)
    assert not missing, f"not in the catalogue (run make messages): {missing[:20]}"
    assert not stale, f"in the catalogue but no longer in the code (run make messages): {stale[:20]}"


def test_every_template_with_texts_is_extracted():
    """A template Babel cannot parse (a tag of a Jinja extension babel.cfg does not name) yields no messages
    and no error: its texts would silently stay untranslated."""
    from configparser import ConfigParser

    from babel.messages.extract import extract_from_file

    config = ConfigParser()
    config.read(ROOT / "babel.cfg")
    options = dict(config["jinja2: **.html"])
    silent = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        has_texts = re.search(r"\b_\(['\"]", path.read_text(encoding="utf-8"))
        if has_texts and not list(extract_from_file("jinja2", str(path), options=options)):
            silent.append(str(path.relative_to(ROOT)))
    assert not silent, f"no message extracted from: {silent}"
