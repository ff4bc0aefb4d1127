"""The credit pages' small pieces of HTML (points, grade badge, list badges, score bar), in one place.

``templates/credit/_macros.html`` draws them through these functions (template globals ``credit_*``),
and the ranking's rows call them directly: 50 rows of Jinja macro calls cost several milliseconds
(the ranking is one of the benchmarked pages, bench/results.md). tests/credit/test_markup.py holds
the macros and the functions equal.
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..core.numbers import score


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


def _corrected(correction, label: str) -> str:
    return f' <span class="badge text-bg-warning">{label} {escape(correction.number)}</span>' if correction else ""


def listed_rows(items, *, black: bool) -> Markup:
    """The publication's red (black) list items: ``(row, figures, correction)`` triples as ``<li>``s, drawn here (a
    Jinja loop over 50 rows with a macro each cost more than the page's queries)."""
    label = escape(_("已更正"))
    html = []
    for row, figures, correction in items:
        head = (f'<li class="list-group-item">{escape(row.company_name)} <span class="text-muted small">'
                f'{escape(row.credit_code)}</span>{_corrected(correction, label)}')
        if black:
            html.append(f'{head}<div class="small">{escape(row.note or "")}</div></li>')
        else:
            grade = f"{escape(figures.grade_label)} {score(figures.total)}"
            html.append(f'{head} <span class="float-end">{grade}</span></li>')
    return Markup("\n".join(html))  # nosec B704 - escaped above


def result_rows(items, parts) -> Markup:
    """The publication's results (``(row, figures, correction)`` triples) as ``<tr>``s with each part's points."""
    label = escape(_("已更正"))
    badges: dict[tuple, Markup] = {}
    html = []
    for row, figures, correction in items:
        flags = (bool(figures.red), bool(figures.black))
        shown = badges.get(flags)
        if shown is None:
            shown = badges[flags] = lists_badges(*flags)
        cells = "".join(f'<td class="num">{points(row.parts.get(part.code, 0))}</td>' for part in parts)
        original = ""
        if correction:
            original = ('<div class="small text-muted">'
                        + escape(_("原发布：%(total)s %(grade)s", total=score(row.total), grade=row.grade_label))
                        + "</div>")
        html.append(f'<tr><td class="num">{row.position}</td><td>{escape(row.company_name)} {shown}</td>{cells}'
                    f'<td class="num"><strong>{score(figures.total)}</strong></td><td>{escape(figures.grade_label)}'
                    f'{_corrected(correction, label)}{original}</td>'
                    f'<td class="small">{escape(row.note or "")}</td></tr>')
    return Markup("\n".join(html))  # nosec B704 - escaped above


TEMPLATE_GLOBALS = {"credit_points": points, "credit_grade_badge": grade_badge,
                    "credit_lists_badges": lists_badges, "credit_score_bar": score_bar,
                    "credit_listed_rows": listed_rows, "credit_result_rows": result_rows}
