"""An id in the URL beyond the database's integer range names nothing: 404, never a
driver overflow (SQLite raises OverflowError on integers beyond 64 bits)."""
from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import NotFound

from supervision.core.converters import MAX_ID

HUGE = "9" * 25


def _routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and any(conv.__class__.__name__ == "IdConverter"
                                         for conv in rule._converters.values()):
            yield rule


def test_every_id_route_answers_404_for_an_oversized_id(app, login_as, world):
    routes = list(_routes_with_ids(app))
    assert len(routes) > 20  # the converter really is the one behind <int:…>
    client = login_as(world.admin)
    failures = []
    for rule in routes:
        url = re.sub(r"<[^>]+>", HUGE, rule.rule)
        response = client.get(url)
        if response.status_code != 404:
            failures.append((url, response.status_code))
    assert failures == []


def test_the_converter_stops_exactly_past_the_id_range(app):
    urls = app.url_map.bind("localhost")
    assert urls.match(f"/estates/{MAX_ID}")[1] == {"estate_id": MAX_ID}
    with pytest.raises(NotFound):
        urls.match(f"/estates/{MAX_ID + 1}")


def test_a_real_id_still_routes(login_as, world):
    client = login_as(world.officer)
    assert client.get(f"/estates/{world.estate1.id}").status_code == 200
