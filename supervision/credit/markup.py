"""The credit pages' small pieces of HTML (points, grade badge, list badges, score bar), in one place.

``templates/credit/_macros.html`` draws them through these functions (template globals ``credit_*``),
and the ranking's rows call them directly: 50 rows of Jinja macro calls cost several milliseconds
(the ranking is one of the benchmarked pages, bench/results.md). tests/credit/test_markup.py holds
the macros and the functions equal.
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape


def points(value) -> Markup:
    """``+2.00`` / ``-1.50`` / ``0.00``, coloured by sign."""
    v = float(value)
    css = "plus" if v > 0 else "minus" if v < 0 else ""
    return Markup(f'<span class="credit-points {css}">{"+" if v > 0 else ""}{v:.2f}</span>')  # nosec B704 - a number


def grade_badge(grade, total=None) -> Markup:
    """The grade as a badge (nothing without one), and the total when given."""
    html = ""
    if grade:
        html = f'<span class="badge bg-{escape(grade.badge)} credit-grade">{escape(grade.label)}</span>'
    if total is not None:
        html += f' <span class="credit-score">{float(total):.2f}</span>'
    return Markup(html)  # nosec B704 - escaped above


def lists_badges(red, black) -> Markup:
    """红名单 / 黑名单 badges."""
    html = [f'<span class="badge bg-danger">{escape(_("红名单"))}</span>' if red else "",
            f'<span class="badge bg-dark">{escape(_("黑名单"))}</span>' if black else ""]
    return Markup("\n  ".join(html))  # nosec B704 - escaped above


def score_bar(total, maximum=120) -> Markup:
    """A bar filled to ``total`` of ``maximum`` (0–100 %)."""
    pct = min(max(float(total) / maximum * 100, 0), 100)
    return Markup(  # nosec B704 - a number
        '<svg class="credit-bar" width="100" height="8" viewBox="0 0 100 8" aria-hidden="true">'
        '<rect class="credit-bar-bg" width="100" height="8" rx="2"/>'
        f'<rect class="credit-bar-fill" width="{pct:.1f}" height="8" rx="2"/></svg>')


TEMPLATE_GLOBALS = {"credit_points": points, "credit_grade_badge": grade_badge,
                    "credit_lists_badges": lists_badges, "credit_score_bar": score_bar}
