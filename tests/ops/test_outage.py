"""A database outage mid-test: 503 with the app's own page (JSON for the API) and Retry-After,
one log line per kind of failure, /healthz truthful, and the same process recovers by itself.

PostgreSQL: the app reaches the server through a relay the test stops and starts
(``tcp_proxy.TcpProxy``), so the pooled connections die as in a real outage and new ones are
refused, while the shared server is never touched (runs when TEST_DATABASE_URL is set).
SQLite: the database file's folder is moved away and replaced by a plain file, so the path
cannot be opened, and the pool's open files are dropped as a failing disk would.
"""
from __future__ import annotations

import logging
import os
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import make_url

from supervision import create_app, outage
from supervision.api.services import create_token
from supervision.auth.roles import Role
from supervision.extensions import db
from supervision.ops.databases import fresh_postgres_database

from ..conftest import Client
from ..factories import DEFAULT_PASSWORD, gen_estate, gen_user
from .tcp_proxy import TcpProxy

RETRY_AFTER = "30"


def _outage_app(database_url: str, tmp_path):
    app = create_app({
        "TESTING": True, "PROPAGATE_EXCEPTIONS": False,  # as in production: a crash would answer 500
        "SECRET_KEY": "outage-test", "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}, "UPLOAD_DIR": str(tmp_path / "uploads"),
        "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 64, "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost", "DB_RETRY_AFTER": int(RETRY_AFTER),
    })
    app.test_client_class = Client  # adds the CSRF token to form posts
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def sqlite_outage(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    app = _outage_app(f"sqlite:///{folder / 'app.db'}", tmp_path)
    away = tmp_path / "data.away"

    def break_():
        folder.rename(away)
        folder.write_text("the database's folder is gone")
        with app.app_context():
            db.engine.dispose()  # the open files fail with the disk

    def mend():
        folder.unlink()
        away.rename(folder)

    yield SimpleNamespace(app=app, break_=break_, mend=mend)
    if away.exists():
        mend()


@pytest.fixture
def postgresql_outage(tmp_path, worker_id):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("set TEST_DATABASE_URL to run the PostgreSQL outage")
    url = make_url(base)
    database_url, drop = fresh_postgres_database(base, f"{url.database}_outage_{worker_id}")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    app = _outage_app(make_url(database_url).set(host="127.0.0.1", port=proxy.port)
                      .render_as_string(hide_password=False), tmp_path)
    yield SimpleNamespace(app=app, break_=proxy.stop, mend=proxy.start)
    proxy.stop()
    with app.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def broken(request):
    return request.getfixturevalue(f"{request.param}_outage")


def _assert_unavailable_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    html = response.get_data(as_text=True)
    assert 'data-testid="unavailable"' in html and "数据库暂时无法访问" in html and "物业监管平台" in html
    assert "Internal Server Error" not in html


def test_an_outage_answers_503_logs_once_and_recovers(broken, caplog):
    app = broken.app
    with app.app_context():
        admin = gen_user(Role.BUREAU_ADMIN, username="outage-admin")
        gen_estate(name="断线小区")
        _token, plain = create_token(admin, name="outage", days=5)
        db.session.commit()
    api = {"Authorization": f"Bearer {plain}"}
    client = app.test_client()
    assert client.post("/login", data={"username": "outage-admin", "password": DEFAULT_PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/estates", headers=api).status_code == 200

    outage.failures.reset()
    caplog.clear()
    caplog.set_level(logging.WARNING)
    broken.break_()
    for _attempt in range(5):
        _assert_unavailable_page(client.get("/"))
    _assert_unavailable_page(client.get("/estates/"))
    # The 404 page's header asks the database about the user: the outage page instead.
    _assert_unavailable_page(client.get("/no-such-page"))
    # Signing in needs the database too (a form post answers the same way).
    _assert_unavailable_page(app.test_client().post("/login", data={"username": "outage-admin",
                                                                    "password": DEFAULT_PASSWORD}))
    for _attempt in range(3):
        response = client.get("/api/v1/estates", headers=api)
        assert response.status_code == 503 and response.headers["Retry-After"] == RETRY_AFTER
        assert response.get_json() == {"code": "unavailable",
                                       "message": "数据库暂时无法访问，系统正在自动重连，请稍后再试。"}
    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"] == RETRY_AFTER
    assert health.get_json() == {"status": "error", "database": "unreachable"}

    # One line per kind of failure, no traceback, nothing from anywhere else.
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert records, "the outage was not logged"
    assert all(record.name == "supervision.database" and not record.exc_info for record in records), \
        [(record.name, record.getMessage()) for record in records]
    kinds = [record.getMessage().split(": ")[1] for record in records]
    assert len(kinds) == len(set(kinds)) <= 2, kinds

    broken.mend()
    assert client.get("/").status_code == 200  # the same process, the same pool, the same session cookie
    assert client.get("/api/v1/estates", headers=api).get_json()["total"] == 1
    assert client.get("/healthz").status_code == 200


def test_the_log_says_how_many_failures_it_left_out(monkeypatch, caplog):
    clock = [1000.0]
    monkeypatch.setattr(outage.time, "monotonic", lambda: clock[0])
    log = outage.ThrottledLog(logging.getLogger("supervision.database"))
    caplog.set_level(logging.WARNING)
    assert log.failure("OperationalError", "connection refused", 30)
    for _attempt in range(7):
        clock[0] += 2
        assert not log.failure("OperationalError", "connection refused", 30)
    assert log.failure("TimeoutError", "QueuePool limit reached", 30)  # another kind: its own line
    clock[0] += 20
    assert log.failure("OperationalError", "connection refused", 30)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "database unavailable: OperationalError: connection refused",
        "database unavailable: TimeoutError: QueuePool limit reached",
        "database unavailable: OperationalError: connection refused (7 more in the last 34 s)",
    ]


def test_a_connection_cut_after_the_page_was_drawn_is_not_a_500(world, login_as, monkeypatch, caplog):
    """Measured under gunicorn: a request whose queries had finished when the connection was cut
    failed in the session's closing ROLLBACK, outside every error handler (a bare 500 and a
    96-line traceback). The session's end now logs it as an outage and drops the connection."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import Session

    real_close = Session.close
    calls = {"n": 0}

    def close_on_a_dead_connection(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise sa_exc.OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))
        return real_close(self)

    client = login_as(world.officer)
    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)
    with caplog.at_level("ERROR", logger="supervision.database"):
        response = client.get("/notifications/")
    assert response.status_code == 200
    assert calls["n"] >= 2  # the failing close, then the clean end after invalidating
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
