"""The landing dashboard's figures: kept per process under the "dashboard" data generation, so
they are reused while nothing changes and a change shows on the very next request, in every
process (tests/test_workers.py runs two); keyed by scope and day; the drill-downs stay live."""
from __future__ import annotations

import pytest

from supervision import create_app
from supervision.dashboard import services
from supervision.estates.models import ManagementMode
from supervision.extensions import db

from ..factories import DEFAULT_PASSWORD, gen_estate
from ..targets.factories import commit


def _unmanaged(html):
    return html.split("无物业小区")[1].split('class="kpi-value">')[1].split("<")[0]


@pytest.fixture
def computations(monkeypatch):
    """How many times the key figures were computed."""
    calls = []
    real = services.key_figures

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "key_figures", counted)
    return calls


def test_dashboard_is_reused_until_its_data_changes_and_says_when(login_as, world, computations):
    client = login_as(world.officer)
    html = client.get("/").get_data(as_text=True)
    before = int(_unmanaged(html))
    assert 'data-testid="computed-at"' in html and "数据更新于" in html
    again = client.get("/").get_data(as_text=True)
    assert len(computations) == 1 and int(_unmanaged(again)) == before  # nothing changed: reused
    assert "全区" in again and "物业管理覆盖率" in again  # the detached rows still render
    computed = len(computations)
    gen_estate(community=world.community2, name="新增无物业小区", management_mode=ManagementMode.NONE)
    commit()
    # The change shows on the very next request (no time to live to wait for).
    assert int(_unmanaged(client.get("/").get_data(as_text=True))) == before + 1
    assert len(computations) == computed + 1
    # The drill-down is live.
    assert "新增无物业小区" in client.get("/targets/coverage/gap").get_data(as_text=True)


def test_every_process_sees_a_change_at_once(app, login_as, world):
    """Two apps on one database keep caches of their own, keyed by the same generation."""
    other = create_app({**app.config, "SERVER_NAME": "localhost"})
    other.test_client_class = app.test_client_class
    first, second = login_as(world.officer), other.test_client()
    second.post("/login", data={"username": world.officer.username, "password": DEFAULT_PASSWORD})
    before = int(_unmanaged(first.get("/").get_data(as_text=True)))
    assert int(_unmanaged(second.get("/").get_data(as_text=True))) == before
    gen_estate(community=world.community1, name="又一个无物业小区", management_mode=ManagementMode.NONE)
    commit()
    assert int(_unmanaged(second.get("/").get_data(as_text=True))) == before + 1
    assert int(_unmanaged(first.get("/").get_data(as_text=True))) == before + 1
    with other.app_context():
        db.engine.dispose()


def test_a_size_of_zero_never_caches(app, login_as, world, computations, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SIZE", 0)
    client = login_as(world.officer)
    for _attempt in range(3):
        client.get("/")
    assert len(computations) == 3


def test_street_officer_gets_its_own_cached_entry(login_as, world):
    district_html = login_as(world.officer).get("/").get_data(as_text=True)
    street_html = login_as(world.street_user).get("/").get_data(as_text=True)
    assert "西城街道" in district_html
    assert "西城街道" not in street_html.split('data-testid="scorecard"')[1].split("</table>")[0]
