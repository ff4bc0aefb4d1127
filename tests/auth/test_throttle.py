"""Login throttling per (account name, client address): growing waits, no lock-out, no username oracle."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from supervision import create_app
from supervision.audit.models import AuditLog
from supervision.auth.models import LoginThrottle
from supervision.extensions import db

from ..conftest import Client
from ..factories import DEFAULT_PASSWORD

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
HOME, ELSEWHERE = "10.1.1.1", "10.2.2.2"


def _login(client, username, password=DEFAULT_PASSWORD, address=HOME):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _flash(response) -> str:
    """The page's alert texts (the message the login answered with)."""
    return " | ".join(re.findall(r'<div class="alert[^"]*" role="alert">(.*?)</div>', response.get_data(as_text=True)))


def _fail(client, n, username="officer", address=HOME):
    return [_login(client, username, "wrong-password", address) for _ in range(n)][-1]


def test_five_failures_make_the_pair_wait_one_minute_then_doubling_up_to_fifteen(client, world):
    with time_machine.travel(T0, tick=False):
        assert "用户名或密码错误" in _fail(client, 4).get_data(as_text=True)
        text = _fail(client, 1).get_data(as_text=True)
        assert "登录失败次数过多" in text and "10:01:00" in text
        # While the pair waits, even the right password is not tried.
        assert "10:01:00" in _login(client, "officer").get_data(as_text=True)
    expected = {1: "10:01:00"}
    at = T0 + timedelta(minutes=1)
    for minutes in (2, 4, 8, 15, 15):
        with time_machine.travel(at, tick=False):
            until = (at + timedelta(minutes=minutes) + timedelta(hours=8)).strftime("%H:%M:%S")
            assert until in _fail(client, 1).get_data(as_text=True), minutes
            expected[minutes] = until
        at += timedelta(minutes=minutes)
    with time_machine.travel(at - timedelta(seconds=1), tick=False):
        assert "登录失败次数过多" in _login(client, "officer").get_data(as_text=True)
    with time_machine.travel(at + timedelta(seconds=1), tick=False):
        assert _login(client, "officer").status_code == 302
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.throttled")).all()
    assert len(row) == 6 and row[0].after["address"] == HOME


def test_the_account_stays_usable_from_another_address(client, app, world):
    with time_machine.travel(T0, tick=False):
        assert "登录失败次数过多" in _fail(client, 5).get_data(as_text=True)
        other = app.test_client()
        assert _login(other, "officer", address=ELSEWHERE).status_code == 302
        assert other.get("/").status_code == 200
        # The administrator too: nobody can lock the admin out by guessing from their own address.
        _fail(client, 5, "admin")
        assert _login(app.test_client(), "admin", address=ELSEWHERE).status_code == 302


def test_unknown_and_known_names_get_the_same_answers(client, world):
    with time_machine.travel(T0, tick=False):
        for attempt in range(1, 7):
            known = _flash(_login(client, "officer", "wrong-password"))
            unknown = _flash(_login(client, "nobody-here", "wrong-password"))
            assert known == unknown, attempt
            assert "再失败" not in known
        assert "登录失败次数过多" in known
    names = {row.username for row in db.session.scalars(select(LoginThrottle))}
    assert names == {"officer", "nobody-here"}


def test_success_clears_the_count_and_quiet_forgets_it(client, auth, world):
    with time_machine.travel(T0, tick=False):
        _fail(client, 4)
        assert _login(client, "officer").status_code == 302
        auth.logout()
        assert "用户名或密码错误" in _fail(client, 4).get_data(as_text=True)
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        # An hour without failures: the next one counts from one again.
        assert "用户名或密码错误" in _fail(client, 4).get_data(as_text=True)
        assert "登录失败次数过多" in _fail(client, 1).get_data(as_text=True)


def _another_worker(app, **extra):
    """Another app process on the same database, as a second gunicorn worker would be."""
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY",
                                               "PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_COST")}
    worker = create_app(dict(config, TESTING=True, SQLALCHEMY_ENGINE_OPTIONS={}, RATELIMIT_ENABLED=False,
                             SERVER_NAME="localhost", **extra))
    worker.test_client_class = Client
    return worker


def test_throttles_are_shared_by_every_worker(client, app, world):
    """A second app on the same database (another worker) sees the first one's count."""
    worker2 = _another_worker(app)
    try:
        with time_machine.travel(T0, tick=False):
            _fail(client, 4)
            text = worker2.test_client().post("/login", data={"username": "officer", "password": "x"},
                                              environ_base={"REMOTE_ADDR": HOME}).get_data(as_text=True)
            assert "登录失败次数过多" in text
            assert "登录失败次数过多" in _login(client, "officer").get_data(as_text=True)
    finally:
        with worker2.app_context():
            db.engine.dispose()


def test_admin_lists_and_clears_throttles(client, login_as, world):
    with time_machine.travel(T0, tick=False):
        _fail(client, 5)
        _fail(client, 2, "ghost", ELSEWHERE)
        admin = login_as(world.admin)
        page = admin.get("/admin/login-throttles").get_data(as_text=True)
        assert "officer" in page and HOME in page and "2026-03-02 10:01:00" in page
        assert "ghost" in page and ELSEWHERE in page
        row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.username == "officer"))
        assert admin.post(f"/admin/login-throttles/{row.id}/clear", csrf=False).status_code == 400
        assert admin.post(f"/admin/login-throttles/{row.id}/clear").status_code == 302
        assert db.session.scalar(select(LoginThrottle.id).where(LoginThrottle.id == row.id)) is None
        [audit] = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.throttle_clear")).all()
        assert audit.actor_id == world.admin.id and audit.before["failures"] == 5
        assert _login(client, "officer").status_code == 302


def test_only_the_admin_sees_or_clears_throttles(client, login_as, world):
    with time_machine.travel(T0, tick=False):
        _fail(client, 5)
        row = db.session.scalar(select(LoginThrottle))
        for user in (world.officer, world.leader, world.street_user, world.company_user):
            other = login_as(user)
            assert other.get("/admin/login-throttles").status_code == 403
            assert other.post(f"/admin/login-throttles/{row.id}/clear").status_code == 403
        assert db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.id == row.id)) == 5


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app, world):
    """With TRUSTED_PROXIES=1 two users behind one nginx are two addresses, not one."""
    proxied = _another_worker(app, TRUSTED_PROXIES=1)
    try:
        client = proxied.test_client()
        with time_machine.travel(T0, tick=False):
            for _ in range(5):
                client.post("/login", data={"username": "officer", "password": "wrong"},
                            headers={"X-Forwarded-For": "203.0.113.7"})
            ok = client.post("/login", data={"username": "officer", "password": DEFAULT_PASSWORD},
                             headers={"X-Forwarded-For": "203.0.113.8"})
            assert ok.status_code == 302
        [row] = db.session.scalars(select(LoginThrottle)).all()
        assert row.address == "203.0.113.7" and row.failures == 5
    finally:
        with proxied.app_context():
            db.engine.dispose()
