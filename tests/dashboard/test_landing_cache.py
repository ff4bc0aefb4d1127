"""The landing dashboard's short-lived cache: reused within its time to live, recomputed after,
keyed by scope and day; the drill-downs stay live; the tests' default (0 s) never caches."""
from __future__ import annotations

import pytest

from supervision.dashboard.services import LandingCache, landing_cache
from supervision.estates.models import ManagementMode

from ..factories import gen_estate
from ..targets.factories import commit


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_cache_reuses_a_value_within_its_ttl_and_recomputes_after():
    clock = FakeClock()
    cache = LandingCache(clock=clock)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    value, first_at = cache.get("k", 300, compute)
    assert value == 1
    clock.now += 299
    value, at = cache.get("k", 300, compute)
    assert (value, at) == (1, first_at) and len(calls) == 1
    assert cache.get("other", 300, compute)[0] == 2  # another scope or day: its own entry
    clock.now += 2  # 301 s after the first computation
    assert cache.get("k", 300, compute)[0] == 3
    cache.clear()
    assert cache.get("k", 300, compute)[0] == 4


def test_ttl_of_zero_never_caches():
    cache = LandingCache()
    values = iter(range(10))
    assert [cache.get("k", 0, lambda: next(values))[0] for _i in range(3)] == [0, 1, 2]


def test_tests_run_without_the_cache(app):
    assert app.config["DASHBOARD_CACHE_SECONDS"] == 0


def _unmanaged(html):
    return html.split("无物业小区")[1].split('class="kpi-value">')[1].split("<")[0]


@pytest.fixture
def cached(app, monkeypatch):
    landing_cache.clear()
    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SECONDS", 300)
    yield
    landing_cache.clear()


def test_dashboard_is_served_from_the_cache_and_says_when(login_as, world, cached):
    client = login_as(world.officer)
    html = client.get("/").get_data(as_text=True)
    before = _unmanaged(html)
    assert 'data-testid="computed-at"' in html and "数据更新于" in html
    gen_estate(community=world.community2, name="新增无物业小区", management_mode=ManagementMode.NONE)
    commit()
    again = client.get("/").get_data(as_text=True)
    assert _unmanaged(again) == before  # cached: the new estate shows after the TTL
    assert "全区" in again and "物业管理覆盖率" in again  # the detached rows still render
    # The drill-down is live.
    gap = client.get("/targets/coverage/gap").get_data(as_text=True)
    assert "新增无物业小区" in gap
    landing_cache.clear()
    assert int(_unmanaged(client.get("/").get_data(as_text=True))) == int(before) + 1


def test_street_officer_gets_its_own_cached_entry(login_as, world, cached):
    district_html = login_as(world.officer).get("/").get_data(as_text=True)
    street_html = login_as(world.street_user).get("/").get_data(as_text=True)
    assert "西城街道" in district_html
    assert "西城街道" not in street_html.split('data-testid="scorecard"')[1].split("</table>")[0]
