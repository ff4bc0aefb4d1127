"""The charts drawn with matplotlib (Agg backend, no pyplot): the weekly trend lines and the bar charts of
the dashboard's chart pages and the monthly report PDF.

Imported on first use (``charts.trend_chart`` / ``charts.bars_chart``), not when the app starts: matplotlib
and numpy are ~85 MB of every process's memory, and most processes (the web workers between chart
requests, the job workers importing a file) never draw one.
"""
from __future__ import annotations

import io
from datetime import date
from fractions import Fraction

import matplotlib
from flask_babel import gettext as _

from .charts import EMPTY_TEXT, LINE_COLOURS, SANS_FONTS, STATUS_COLOURS, _label, _pct

matplotlib.use("Agg")
# Constant settings, set once for the process (rc_context would not be thread-safe).
matplotlib.rcParams.update({
    "svg.fonttype": "none",
    "svg.hashsalt": "supervision",  # stable ids: the same data gives the same SVG
    "font.family": "sans-serif",
    "font.sans-serif": list(SANS_FONTS),
    "axes.unicode_minus": False,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
    "text.parse_math": False,  # labels are names from the data: a "$" is a dollar sign, never mathtext
})

from matplotlib.dates import DateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

PERCENT = FuncFormatter(lambda value, _pos: f"{value:.0f}%")


def _save(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue().decode("utf-8")


def _empty(axes, message: str = EMPTY_TEXT) -> None:
    axes.text(0.5, 0.5, str(message), transform=axes.transAxes, ha="center", va="center", fontsize=13, color="#7a8590")
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_visible(False)


def trend_chart(title: str, series: list[tuple[str, list[tuple[date, Fraction | None]]]], *,
                threshold: Fraction | None = None, width: float = 6.4, height: float = 3.6) -> str:
    """Weekly lines, one per (label, points); a dashed target line when ``threshold`` is given."""
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    drawn = 0
    for index, (label, points) in enumerate(series):
        shown = [(day, _pct(value)) for day, value in points if value is not None]
        if not shown:
            continue
        days, values = zip(*shown)
        axes.plot(days, values, marker="o", markersize=3, linewidth=1.8, label=label,
                  color=LINE_COLOURS[index % len(LINE_COLOURS)])
        drawn += 1
    if not drawn:
        _empty(axes, _("暂无数据（尚无周快照）"))
        return _save(figure)
    if threshold is not None:
        axes.axhline(float(threshold) * 100, color="#c62828", linestyle="--", linewidth=1,
                     label=_("目标 %(value)s", value=_label(threshold)))
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PERCENT)
    axes.set_ylabel(_("完成率"))
    axes.grid(axis="y", color="#e1e5ea", linewidth=0.8)
    axes.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    for tick in axes.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    figure.legend(loc="outside lower center", fontsize=8, ncols=min(drawn + (threshold is not None), 3),
                  frameon=False)
    return _save(figure)


def bars_chart(title: str, rows: list[dict], *, horizontal: bool = False, width: float = 6.4,
               height: float | None = None) -> str:
    """One bar per row: ``{"label", "value" (Fraction|None), "threshold" (Fraction), "status"}``.

    Bars are coloured by status; each carries its value and a short mark at its target.
    """
    if height is None:
        height = max(2.4, 0.36 * len(rows) + 1.3) if horizontal else 3.6
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    if not rows:
        _empty(axes)
        return _save(figure)
    labels = [row["label"] for row in rows]
    values = [_pct(row["value"]) or 0.0 for row in rows]
    colours = [STATUS_COLOURS.get(row["status"], "#9e9e9e") for row in rows]
    positions = list(range(len(rows)))
    if horizontal:
        axes.barh(positions, values, color=colours, height=0.6)
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        axes.set_xlim(0, 112)
        axes.xaxis.set_major_formatter(PERCENT)
        axes.grid(axis="x", color="#e1e5ea", linewidth=0.8)
        for position, row, value in zip(positions, rows, values):
            target = float(row["threshold"]) * 100
            axes.plot([target, target], [position - 0.4, position + 0.4], color="#212529", linewidth=1.6)
            axes.text(value + 1, position, _label(row["value"]), va="center", fontsize=8)
    else:
        axes.bar(positions, values, color=colours, width=0.6)
        axes.set_xticks(positions, labels)
        axes.set_ylim(0, 112)
        axes.yaxis.set_major_formatter(PERCENT)
        axes.grid(axis="y", color="#e1e5ea", linewidth=0.8)
        for position, row, value in zip(positions, rows, values):
            target = float(row["threshold"]) * 100
            axes.plot([position - 0.4, position + 0.4], [target, target], color="#212529", linewidth=1.6)
            axes.text(position, value + 1.5, _label(row["value"]), ha="center", fontsize=8)
        if len(rows) > 6:
            for tick in axes.get_xticklabels():
                tick.set_rotation(30)
                tick.set_horizontalalignment("right")
    axes.set_axisbelow(True)
    # A legend for the colours and the target mark.
    used = []
    for status, label in (("met", _("已达标")), ("on_track", _("按进度")), ("behind", _("滞后")),
                          ("no_data", _("暂无数据"))):
        if any(row["status"] == status for row in rows):
            used.append(Patch(color=STATUS_COLOURS[status], label=label))
    used.append(Line2D([0], [0], color="#212529", linewidth=1.6, label=_("目标")))
    figure.legend(handles=used, loc="outside lower center", ncols=len(used), fontsize=8, frameon=False)
    return _save(figure)
