"""credit/markup.py makes the HTML that credit/_macros.html's macros draw; the ranking calls it directly."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import render_template_string

from supervision.credit import markup

GRADE = SimpleNamespace(badge="success", label='A<A>"')


def macro(call: str, **values) -> str:
    return render_template_string('{% from "credit/_macros.html" import grade_badge, points, lists_badges, '
                                  'score_bar %}{{ ' + call + ' }}', **values)


@pytest.mark.parametrize("value, html", [
    (Decimal("1.5"), '<span class="credit-points plus">+1.50</span>'),
    (-2, '<span class="credit-points minus">-2.00</span>'),
    (0, '<span class="credit-points ">0.00</span>'),
    ("3.456", '<span class="credit-points plus">+3.46</span>'),
])
def test_points(app, value, html):
    with app.test_request_context("/"):
        assert markup.points(value) == html == macro("points(v)", v=value)


def test_grade_badge_escapes_and_shows_the_total(app):
    with app.test_request_context("/"):
        assert markup.grade_badge(GRADE) == '<span class="badge bg-success credit-grade">A&lt;A&gt;&#34;</span>'
        assert markup.grade_badge(GRADE, Decimal("88.5")).endswith(' <span class="credit-score">88.50</span>')
        assert markup.grade_badge(None) == ""
        for grade, total in [(GRADE, None), (GRADE, 3), (None, 3)]:
            assert macro("grade_badge(g, t)", g=grade, t=total) == markup.grade_badge(grade, total)


@pytest.mark.parametrize("red, black", [(True, False), (False, True), (True, True), (False, False)])
def test_lists_badges(app, red, black):
    with app.test_request_context("/"):
        html = markup.lists_badges(red, black)
        assert ('红名单' in html) is red and ('黑名单' in html) is black
        assert macro("lists_badges(r, b)", r=red, b=black) == html


@pytest.mark.parametrize("total, maximum, width", [(88, 120, "73.3"), (200, 150, "100.0"), (-5, 120, "0.0")])
def test_score_bar_is_clamped(app, total, maximum, width):
    with app.test_request_context("/"):
        html = markup.score_bar(total, maximum)
        assert f'<rect class="credit-bar-fill" width="{width}" height="8" rx="2"/></svg>' in html
        assert macro("score_bar(t, m)", t=total, m=maximum) == html
