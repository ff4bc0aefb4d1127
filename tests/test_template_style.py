"""Templates stay readable: no line over 200 characters, no link made by cutting up url_for's output
(use ``url_template``, supervision/core/urls.py)."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
URL_SURGERY = re.compile(r"url_for\([^)]*\)[^}]*?(\.rsplit|\.split|\.replace|\[[-0-9]*:[-0-9]*\])")


def templates():
    return sorted(p for p in TEMPLATES.rglob("*.html"))


def test_no_template_line_is_over_200_characters():
    long = [f"{p.relative_to(TEMPLATES)}:{n}" for p in templates()
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if len(line) > 200]
    assert long == []


def test_no_template_cuts_up_a_url():
    cut = [f"{p.relative_to(TEMPLATES)}:{n}" for p in templates()
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if URL_SURGERY.search(line)]
    assert cut == []
    assert URL_SURGERY.search("{% set b = url_for('credit.company', company_id=1).rsplit('/', 1)[0] %}")
    assert URL_SURGERY.search("{{ url_for('x.y', id=1)[:-1] }}")
