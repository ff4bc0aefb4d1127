"""The dashboard's charts are SVG written directly: well-formed XML carrying the values, labels, title and a
text description, every label escaped."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from fractions import Fraction

import pytest

from supervision.core.numbers import percent
from supervision.dashboard import charts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg.encode("utf-8"))  # raises on malformed XML
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def test_trend_chart_draws_each_series_with_its_points_axes_and_target():
    days = [date(2026, 1, 5) + timedelta(weeks=week) for week in range(10)]
    series = [("物业管理覆盖率", [(day, Fraction(50 + week, 100)) for week, day in enumerate(days)]),
              ("业委会组建率", [(day, None if week == 3 else Fraction(1, 4)) for week, day in enumerate(days)]),
              ("无数据指标", [(day, None) for day in days])]
    root = _parse(charts.trend_chart("全区 · 主要指标周趋势", series, threshold=Fraction(9, 10)))
    assert root.find(f"{SVG}title").text == "全区 · 主要指标周趋势"
    desc = root.find(f"{SVG}desc").text
    assert "物业管理覆盖率 2026-03-09 59.0%" in desc and "业委会组建率 2026-03-09 25.0%" in desc
    assert "目标 90.0%" in desc and "无数据指标" not in desc
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2  # the series without a value is not drawn
    assert len(lines[0].get("points").split()) == 10 and len(lines[1].get("points").split()) == 9
    assert len(list(root.iter(f"{SVG}circle"))) == 10 + 9 + 2  # the points, and the legend's two line marks
    texts = _texts(root)
    assert {"0%", "20%", "100%", "完成率", "01-05", "目标 90.0%", "物业管理覆盖率", "业委会组建率"} <= set(texts)
    assert any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line"))  # the target line


def test_trend_chart_without_values_says_so():
    root = _parse(charts.trend_chart("东城街道 · 主要指标周趋势", [("物业管理覆盖率", [(date(2026, 1, 5), None)])]))
    assert "暂无数据（尚无周快照）" in _texts(root) and not list(root.iter(f"{SVG}polyline"))


def test_bar_charts_carry_each_value_label_and_target():
    rows = [{"label": f"街道{index}", "value": Fraction(index, 10), "threshold": Fraction(1, 2),
             "status": "met" if index >= 5 else "behind"} for index in range(1, 9)]
    rows[0]["value"], rows[0]["status"] = None, "no_data"
    for horizontal in (False, True):
        root = _parse(charts.bars_chart("各街道物业管理覆盖率", rows, horizontal=horizontal))
        texts = _texts(root)
        assert "各街道物业管理覆盖率" in texts
        assert {f"街道{index}" for index in range(1, 9)} <= set(texts)
        assert {"20.0%", "80.0%", percent(None)} <= set(texts)
        assert {"已达标", "滞后", "暂无数据", "目标"} <= set(texts) and "按进度" not in texts
        sizes = [(float(rect.get("width")), float(rect.get("height"))) for rect in root.iter(f"{SVG}rect")]
        bars = [size for size in sizes if min(size) > 0 and size != (16, 12)]  # not the legend's swatches
        assert len(bars) == 7  # a bar per row with a value (the row without one has none drawn)
        assert "街道2 20.0%（目标 50.0%）" in root.find(f"{SVG}desc").text


def test_bar_charts_without_rows_say_so():
    for horizontal in (False, True):
        assert "暂无数据" in _texts(_parse(charts.bars_chart("标题", [], horizontal=horizontal)))


def test_chart_text_is_escaped():
    name = "<script>alert(1)</script>&东城"
    rows = [{"label": name, "value": Fraction(1, 2), "threshold": Fraction(1), "status": "behind"}]
    for svg in (charts.bars_chart(name, rows), charts.bars_chart(name, rows, horizontal=True),
                charts.trend_chart(name, [(name, [(date(2026, 1, 5), Fraction(1, 2))])])):
        assert "<script>" not in svg
        assert name in _texts(_parse(svg))
