"""The scorecard's cells as HTML, written in Python: the landing page's street × indicator table has a cell per
street and indicator (144 at 8 streets), which a template macro per cell made the largest part of rendering it
(templates/targets/_macros.html ``scorecard_table``; ``score_cell`` there is the same cell as a macro)."""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..core.numbers import number


def score_cell(cell, href: str) -> Markup:
    """One cell: the value (a link to the drill-down at ``href``), numerator/denominator, the status."""
    status = cell.status
    if cell.counts is None:
        body = f'<span class="text-muted">{escape(_("未接入"))}</span>'
    elif cell.counts.denominator == 0:
        body = (f'<span class="text-muted" title="{escape(_("分母为 0"))}">—</span>'
                f'<div class="score-sub">{escape(_("暂无数据"))}</div>')
    else:
        counts = cell.counts
        target = (f" · {escape(_('目标'))} {escape(cell.threshold_percent)}"
                  if not cell.threshold.inherited and cell.street_id else "")
        title = _("差额 %(n)s%(u)s，查看明细", n=cell.gap, u=cell.indicator.unit_word)
        body = (f'<a class="score-value" data-testid="score-{escape(cell.indicator.code)}" href="{escape(href)}" '
                f'title="{escape(title)}">{escape(cell.percent)}</a>'
                f'<div class="score-sub">{escape(number(counts.numerator))}/{escape(number(counts.denominator))}'
                f'{target}</div>'
                f'<span class="badge target-status target-status-{escape(status.value)}">{escape(status.label)}</span>')
    return Markup(f'<td class="score-cell score-{escape(status.value)}">{body}</td>')  # nosec B704 - escaped
