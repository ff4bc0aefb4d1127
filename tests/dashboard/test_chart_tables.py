"""The dashboard's indicator and street charts each have a data table under them, with the figures the chart
draws (its bar labels), so screen-reader users get the numbers."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from flask import url_for

# The charts' bar labels: a rate to one place ("87.5%") or "—"; the axis ticks ("80%") have no decimals.
BAR_LABEL = re.compile(r"^(\d+\.\d%|—)$")


class _Table(HTMLParser):
    """The rows of the table with ``data-testid=testid``: a list of cell texts per row."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid, self.inside, self.caption, self.rows, self._cell = testid, False, "", [], None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("data-testid") == self.testid:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self._cell = ""
        elif self.inside and tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in_caption:
            self.caption += data


def _table(html: str, testid: str) -> _Table:
    parser = _Table(testid)
    parser.feed(html)
    return parser


def _svg_texts(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)]


def _bar_labels(svg: str) -> list[str]:
    return [t for t in _svg_texts(svg) if BAR_LABEL.match(t)]


def test_the_indicator_and_street_charts_have_tables_with_their_figures(world, login_as):
    client = login_as(world.officer)
    html = client.get(url_for("dashboard.index", chart="coverage")).get_data(as_text=True)
    for testid, chart_url in (("indicator-chart-table", url_for("dashboard.chart_indicators")),
                              ("street-chart-table", url_for("dashboard.chart_streets", indicator="coverage"))):
        table = _table(html, testid)
        header, *rows = table.rows
        assert header == ["指标" if testid.startswith("indicator") else "街道", "完成率", "目标", "状态"]
        assert table.caption.strip() and rows
        svg = client.get(chart_url).get_data(as_text=True)
        texts = _svg_texts(svg)
        # every row's name is a label of the chart, and its rate is the bar's label, in the same order
        assert all(row[0] in texts for row in rows), testid
        assert [row[1] for row in rows] == _bar_labels(svg), testid
        assert any(row[1] != "—" for row in rows), testid  # the comparison is not vacuous
    streets = [row[0] for row in _table(html, "street-chart-table").rows[1:]]
    assert streets == ["东城街道", "西城街道"]


def test_a_street_officer_sees_the_indicator_table_of_the_street_only(world, login_as):
    html = login_as(world.street_user).get(url_for("dashboard.index")).get_data(as_text=True)
    indicator = _table(html, "indicator-chart-table")
    assert "东城街道" in indicator.caption and len(indicator.rows) > 1
    assert _table(html, "street-chart-table").rows == []  # no street comparison for a street office
