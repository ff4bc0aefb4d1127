"""Charts rendered on the server as SVG; the matplotlib ones live in ``plots`` (imported when first drawn).

Text stays text (``svg.fonttype = "none"``), in "Noto Sans CJK SC", so the Chinese
labels are searchable and print sharply; the same SVG is served to the browser (as an
``image/svg+xml`` response behind its own CSP) and embedded in the monthly PDF.

Each function takes plain data and returns the SVG as a string. Nothing is cached in
process memory. ``horizontal_bars_svg`` writes its SVG directly (the landing page's chart of every
indicator, drawn on each request); the others go through matplotlib.
"""
from __future__ import annotations

import base64
import importlib
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..core.numbers import percent

SANS_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
              "DejaVu Sans")

STATUS_COLOURS = {
    "met": "#2e7d32",
    "on_track": "#0277bd",
    "behind": "#c62828",
    "no_data": "#9e9e9e",
    "unavailable": "#bdbdbd",
}
LINE_COLOURS = ["#1f4e79", "#c0392b", "#2e7d32", "#e67e22", "#8e44ad", "#16a085", "#7f8c8d", "#d4ac0d"]
EMPTY_TEXT = _l("暂无数据")


def _pct(value: Fraction | None) -> float | None:
    return None if value is None else float(value) * 100


def _label(value: Fraction | None) -> str:
    return percent(value)  # as the pages print rates, and the data tables under the charts


def _plots():
    """matplotlib's charts, imported the first time one is drawn (see ``plots``)."""
    return importlib.import_module(".plots", __package__)


def trend_chart(*args, **kwargs) -> str:
    """Weekly lines, one per (label, points); a dashed target line when ``threshold`` is given."""
    return _plots().trend_chart(*args, **kwargs)


def bars_chart(*args, **kwargs) -> str:
    """One bar per row: ``{"label", "value" (Fraction|None), "threshold" (Fraction), "status"}``."""
    return _plots().bars_chart(*args, **kwargs)


FONT_FAMILY = ", ".join(f"'{name}'" for name in SANS_FONTS) + ", sans-serif"


def horizontal_bars_svg(title: str, rows: list[dict]) -> str:
    """``bars_chart(…, horizontal=True)`` written out as SVG directly, without matplotlib.

    The same bars (coloured by status, the value beside each, a mark at its target) and legend, in
    about a millisecond instead of a few hundred: the page's chart of every indicator is drawn on
    request. Every label is escaped XML text.
    """
    width, left, plot, top, row_height = 640, 200, 380, 44, 26
    scale = plot / 112  # 0–112 %, as bars_chart: room for a full bar's label
    body_height = max(len(rows), 1) * row_height
    height = top + body_height + 64

    def x(percent_value: float) -> str:
        return f"{left + percent_value * scale:.1f}"

    parts = [
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" font-family={quoteattr(FONT_FAMILY)} font-size="11">',
        f"<title>{escape(str(title))}</title>",
        f'<text x="{width / 2:.0f}" y="24" text-anchor="middle" font-size="13" font-weight="bold">'
        f"{escape(str(title))}</text>",
    ]
    if not rows:
        parts.append(f'<text x="{width / 2:.0f}" y="{top + body_height / 2:.0f}" text-anchor="middle" '
                     f'font-size="13" fill="#7a8590">{escape(str(EMPTY_TEXT))}</text></svg>')
        return "\n".join(parts)
    bottom = top + body_height
    for tick in range(0, 101, 20):
        parts.append(f'<line x1="{x(tick)}" y1="{top}" x2="{x(tick)}" y2="{bottom}" stroke="#e1e5ea"/>'
                     f'<text x="{x(tick)}" y="{bottom + 16}" text-anchor="middle">{tick}%</text>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#212529"/>'
                 f'<line x1="{left}" y1="{bottom}" x2="{left + plot}" y2="{bottom}" stroke="#212529"/>')
    for index, row in enumerate(rows):
        y = top + index * row_height
        middle = y + row_height / 2
        value = _pct(row["value"]) or 0.0
        target = float(row["threshold"]) * 100
        colour = STATUS_COLOURS.get(row["status"], "#9e9e9e")
        parts.append(
            f'<g><text x="{left - 6}" y="{middle:.1f}" text-anchor="end" dominant-baseline="central">'
            f'{escape(str(row["label"]))}</text>'
            f'<rect x="{left}" y="{y + 5}" width="{value * scale:.1f}" height="{row_height - 10}" fill="{colour}"/>'
            f'<line x1="{x(target)}" y1="{y + 2}" x2="{x(target)}" y2="{y + row_height - 2}" stroke="#212529" '
            f'stroke-width="1.6"/>'
            f'<text x="{left + value * scale + 4:.1f}" y="{middle:.1f}" dominant-baseline="central" font-size="9">'
            f'{escape(_label(row["value"]))}</text></g>')
    legend = [(STATUS_COLOURS[status], label) for status, label in (
        ("met", _("已达标")), ("on_track", _("按进度")), ("behind", _("滞后")), ("no_data", _("暂无数据")))
        if any(row["status"] == status for row in rows)]
    cursor, y = left, bottom + 40
    for colour, label in legend:
        parts.append(f'<rect x="{cursor}" y="{y - 6}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{cursor + 16}" y="{y}" dominant-baseline="central">{escape(label)}</text>')
        cursor += 28 + 12 * len(label)
    parts.append(f'<line x1="{cursor}" y1="{y}" x2="{cursor + 16}" y2="{y}" stroke="#212529" stroke-width="1.6"/>'
                 f'<text x="{cursor + 20}" y="{y}" dominant-baseline="central">{escape(_("目标"))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def data_uri(svg: str) -> str:
    """The SVG as a ``data:`` URI."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def inline(svg: str) -> Markup:
    """The SVG as an element to place inside HTML (for the PDF): no XML prolog or doctype.

    WeasyPrint draws inline ``<svg>`` without fetching anything, so the chart does not
    depend on the PDF's URL fetcher.
    """
    start = svg.find("<svg")
    # matplotlib writes every label as escaped XML text (tests/dashboard checks "<script>" in a
    # label comes out as "&lt;script&gt;"), and the markup only ever goes into a PDF.
    return Markup(svg[start:] if start >= 0 else svg)  # nosec B704
