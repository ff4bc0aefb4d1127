"""The app factory and its configuration."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from supervision import create_app
from supervision.config import load_secret_key, normalise_database_url
from supervision.extensions import db


def test_overrides_are_applied(app):
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "test-secret-key"


def test_defaults_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/x")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "up"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/x"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "up")


def test_sqlite_in_instance_folder_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'supervision.db'}"


def test_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    second = load_secret_key(tmp_path)
    assert first == second and len(first) == 64
    assert oct(os.stat(tmp_path / "secret_key").st_mode & 0o777) == "0o600"
    other = tmp_path / "other"
    assert load_secret_key(other) != first


def test_session_cookie_flags(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    plain = create_app({"SECRET_KEY": "x"})
    assert plain.config["SESSION_COOKIE_HTTPONLY"] is True
    assert plain.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("HTTPS", "1")
    secure = create_app({"SECRET_KEY": "x"})
    assert secure.config["SESSION_COOKIE_SECURE"] is True


def test_session_cookie_is_httponly_and_lax(client, world):
    response = client.post("/login", data={"username": "admin", "password": "correct-horse-battery"})
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_login_page_is_chinese_with_local_bootstrap(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "物业监管平台" in html and "用户名" in html
    assert "cdn" not in html.lower()
    assert "/bootstrap/static/css/bootstrap.min.css" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it


def test_postgresql_connections_run_without_jit(app):
    from supervision.config import engine_options

    options = engine_options("postgresql+psycopg://db/x", {"pool_pre_ping": True})
    # ... and a connection attempt to an unreachable server gives up after 5 s (an outage answers 503).
    assert options == {"pool_pre_ping": True, "connect_args": {"options": "-c jit=off", "connect_timeout": 5}}
    assert engine_options("sqlite:///x.db", {"pool_pre_ping": True}) == {"pool_pre_ping": True}
    # A setting given by the deployment wins.
    assert engine_options("postgresql://db/x", {"connect_args": {"options": "-c jit=on"}})["connect_args"] == {
        "options": "-c jit=on", "connect_timeout": 5}
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_the_site_has_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/favicon.ico"' in client.get("/login").get_data(as_text=True)


def test_the_wsgi_app_freezes_its_start_up_heap(tmp_path):
    """A full collection walks only what came after start-up (issue 21: one took ~180 ms of some request)."""
    probe = "import gc, wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = {**os.environ, "SECRET_KEY": "test-only", "INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).parent.parent, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    frozen, tracked = int(out[-2]), int(out[-1])
    assert frozen > 100_000 and tracked < frozen / 10, (frozen, tracked)
