"""Issue 21: the landing page, its indicator chart and the targets pages stay at a flat, small
number of SQL queries per role — warm and on the first request after a change — however many rows.

The database first gets a generation for every topic, as a production database has (a new one
computes its cached parts live), so the counts are those of a running district."""
from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import delete

from supervision.core import generations
from supervision.core.figures import StoredFigure
from supervision.core.holidays.models import HOLIDAYS_TOPIC
from supervision.extensions import db

from ..factories import gen_estate
from ..targets.factories import commit

# After a change the committing transaction has stored the scorecard's inputs (streets, targets, baselines),
# the indicators' counts and the key figures: the first request reads them in ONE query (the generations
# were read in one query up front), and the survey card of the street or district is stored likewise.
RECOMPUTE = 1


@pytest.fixture
def district(world):
    topics = {topic for names in generations._watched_tables.values() for topic in names} | {HOLIDAYS_TOPIC}
    for topic in sorted(topics):
        generations.bump(db.session.connection(), topic)
    commit()
    # The per-process caches are LRUs of a few entries shared by the whole test run: what earlier tests left
    # in them decides which entries are evicted here, and so whether a reader finds its figures in memory or
    # reads them from the store (one query). Each test starts with empty ones.
    for cache in current_app.extensions.values():
        if isinstance(cache, generations.LRUCache):
            cache.clear()
    return world


def _counts(client, url, count_queries, change):
    client.get(url)
    with count_queries() as warm:
        assert client.get(url).status_code == 200
    change()
    with count_queries() as first:
        assert client.get(url).status_code == 200
    return len(warm), len(first)


def _new_estates(world, n):
    def change():
        for index in range(n):
            gen_estate(community=world.community1, company=world.company1, name=f"新增小区{n}-{index}")
        commit()
    return change


@pytest.mark.parametrize("role", ["officer", "street_user", "company_user"])
def test_the_landing_page_is_flat_and_small_per_role(district, login_as, count_queries, role):
    client = login_as(getattr(district, role))
    warm, first = _counts(client, "/", count_queries, _new_estates(district, 1))
    warm_more, first_more = _counts(client, "/", count_queries, _new_estates(district, 8))
    assert (warm, first) == (warm_more, first_more)  # flat: more rows, the same queries
    assert max(warm, first) <= 15, (warm, first)
    assert first <= warm + RECOMPUTE


@pytest.mark.parametrize("url", ["/targets/", "/targets/coverage/gap", "/targets/staff_cert/gap",
                                 "/dashboard/charts/indicators.svg"])
@pytest.mark.parametrize("role", ["officer", "street_user"])
def test_targets_pages_and_the_indicator_chart_stay_within_15_queries(district, login_as, count_queries, url, role):
    client = login_as(getattr(district, role))
    counts = _counts(client, url, count_queries, _new_estates(district, 1))
    more = _counts(client, url, count_queries, _new_estates(district, 8))
    assert counts == more
    assert max(counts) <= 15, counts


@pytest.mark.parametrize("code", ["manager_cert", "committee", "rectification", "rectification_on_time",
                                  "campaign_closure", "report_punctuality"])
@pytest.mark.parametrize("role", ["officer", "street_user"])
def test_every_kind_of_gap_page_stays_flat(district, login_as, count_queries, code, role):
    client = login_as(getattr(district, role))
    counts = _counts(client, f"/targets/{code}/gap", count_queries, _new_estates(district, 1))
    more = _counts(client, f"/targets/{code}/gap", count_queries, _new_estates(district, 8))
    assert counts == more
    assert max(counts) <= 15, counts


def _measurements(statements) -> list[str]:
    return [statement for statement in statements if "AS denominator" in statement]


def test_a_gap_page_measures_its_own_indicator_and_the_kept_counts_serve_the_rest(district, login_as,
                                                                                  count_queries):
    client = login_as(district.officer)
    _new_estates(district, 1)()
    # The commit stored today's counts (core/figures.py): the pages read them, nothing is measured …
    for url in ("/targets/coverage/gap", "/targets/"):
        with count_queries() as stored:
            assert client.get(url).status_code == 200
        assert _measurements(stored) == [] and sum("stored_figures" in s for s in stored) <= 1, url
    # … and without them (a failed precompute, a new day) a gap page measures its own indicator only.
    db.session.execute(delete(StoredFigure))
    commit()
    for cache in current_app.extensions.values():
        if isinstance(cache, generations.LRUCache):
            cache.clear()
    with count_queries() as gap:
        assert client.get("/targets/coverage/gap").status_code == 200
    # One measurement of one indicator (no UNION ALL of every indicator), and no count of the gap's
    # rows: the cell's denominator − numerator is their number.
    (measurement,) = _measurements(gap)
    assert "UNION ALL" not in measurement and "management_mode" in measurement
    assert not [statement for statement in gap if "count(*) AS count_1" in statement]
    with count_queries() as index:
        assert client.get("/targets/").status_code == 200
    (rest,) = _measurements(index)
    assert "UNION ALL" in rest and "management_mode IN" not in rest  # the others, coverage is kept
    for url in ("/targets/", "/targets/coverage/gap", "/dashboard/charts/indicators.svg", f"/targets/?street="
                f"{district.street1.id}"):
        with count_queries() as again:
            assert client.get(url).status_code == 200
        assert _measurements(again) == [], url  # nothing changed: every figure is kept


def test_the_targets_api_stays_flat(district, app, count_queries):
    from supervision.api.services import create_token

    _token, plain = create_token(district.officer, name="测试", days=5)
    commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}

    def counts(url, change):
        client.get(url, headers=headers)
        with count_queries() as warm:
            assert client.get(url, headers=headers).status_code == 200
        change()
        with count_queries() as first:
            response = client.get(url, headers=headers)
        assert response.status_code == 200 and response.json["indicators"]
        return len(warm), len(first)

    for offset, url in enumerate(("/api/v1/targets", f"/api/v1/targets?street_id={district.street1.id}")):
        few = counts(url, _new_estates(district, 1 + 10 * offset))
        more = counts(url, _new_estates(district, 8 + 10 * offset))
        assert few == more  # flat: more rows, the same queries
        assert max(few) <= 15 and few[1] <= few[0] + RECOMPUTE, few
