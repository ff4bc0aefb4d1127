"""Fixtures shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is
set. Under pytest-xdist each worker gets a database of its own. The schema is
created once per worker; after each test every table is emptied.
"""
from __future__ import annotations

import contextvars
import os
import threading
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event
from sqlalchemy.engine import make_url

from supervision import create_app
from supervision.extensions import db
from supervision.ops.databases import fresh_postgres_database

from . import factories

DEMO_PASSWORD = factories.DEFAULT_PASSWORD


def _worker_database_url(worker_id: str, tmp_path_factory) -> tuple[str, callable]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.getbasetemp() / f"test-{worker_id}.db"
        return f"sqlite:///{path}", lambda: None
    database = make_url(base).database
    name = f"{database}_{worker_id}" if worker_id != "master" else database
    return fresh_postgres_database(base, name)


class Client(FlaskClient):
    """A test client that adds a valid CSRF token to every form POST.

    Pass ``csrf=False`` to send a request without one. Each request runs in a
    fresh context, as in production: it does not share the test's app context
    (and so neither its ``g`` nor its database session).
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        return contextvars.Context().run(self._open, *args, csrf=csrf, **kwargs)

    def _open(self, *args, csrf: bool = True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        data = kwargs.get("data")
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"} and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if not raw:
                raw = os.urandom(20).hex()
                session["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(raw)


def _test_app(database_url: str, upload_dir):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "UPLOAD_DIR": str(upload_dir),
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 64,
        "RATELIMIT_ENABLED": False,
        # A generation-cached computation that reads a table its topic does not watch fails.
        "CHECK_CACHE_INPUTS": True,
        "SERVER_NAME": "localhost",
        # The session's "last seen" write comes once a minute of wall-clock time: a slow run would cross the
        # minute inside a query-count test. tests/auth/test_sessions.py puts the shipped value back.
        "SESSION_TOUCH_SECONDS": 24 * 3600,
        # The test district's reports and bulletins run a few pages over the shipped PDF_JOB_PAGES (3): the tests
        # of their content read them from the request. tests/jobs/test_pdf_jobs.py tests the shipped value.
        "PDF_JOB_PAGES": 10,
    })
    app.test_client_class = Client
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(scope="session")
def app(tmp_path_factory, worker_id):
    database_url, drop = _worker_database_url(worker_id, tmp_path_factory)
    app = _test_app(database_url, tmp_path_factory.mktemp("uploads"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def table_counts() -> dict[str, int]:
    from sqlalchemy import func, select

    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name != "audit_log"}


@pytest.fixture(scope="session")
def demo(tmp_path_factory, worker_id):
    """The demo district, built once per worker by ``flask seed demo`` run twice, in a
    database of its own. Read it inside ``with demo.app.app_context():``; do not change it.

    ``first`` / ``second`` are the two CLI results, ``counts_first`` / ``counts_second``
    the row counts of every table after each run (idempotence).
    """
    from types import SimpleNamespace

    database_url, drop = _worker_database_url(f"{worker_id}_demo", tmp_path_factory)
    demo_app = _test_app(database_url, tmp_path_factory.mktemp("demo-uploads"))
    with demo_app.app_context():
        runner = demo_app.test_cli_runner()
        first = runner.invoke(args=["seed", "demo"])
        counts_first = table_counts()
        second = runner.invoke(args=["seed", "demo"])
        counts_second = table_counts()
        db.session.remove()
    yield SimpleNamespace(app=demo_app, first=first, second=second, counts_first=counts_first,
                          counts_second=counts_second)
    with demo_app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def _empty_all_tables() -> None:
    # DELETE in reverse dependency order: on small tables it is much faster
    # than TRUNCATE, whose cost is per table whether or not it holds rows.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _app_context(app):
    """Every test runs inside an app context and starts with empty tables."""
    with app.app_context():
        yield
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Log a client in as a user (flaskr's ``auth`` helper, for any user)."""

    def __init__(self, client: Client):
        self.client = client

    def login(self, user_or_name, password: str = DEMO_PASSWORD):
        username = getattr(user_or_name, "username", user_or_name)
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture
def login_as(app):
    """``login_as(user)`` returns a fresh client logged in as ``user``."""

    def make(user) -> Client:
        client = app.test_client()
        response = Auth(client).login(user)
        assert response.status_code == 302, f"login failed for {user.username}"
        return client

    return make


@pytest.fixture
def sqlite_only():
    """Skips the test on another backend: for the tests of SQLite's query plans (``tests/plans.py``)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner")


@pytest.fixture
def world():
    """A small district: two streets, two companies, an estate each, a user per role."""
    return factories.build_world()


@contextmanager
def _counting():
    # Only this thread's statements: a job of an earlier test may still be running on the in-process
    # backend's thread, and its statements are not the measured request's.
    statements: list[str] = []
    thread = threading.get_ident()

    def before(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == thread:
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def count_queries():
    """``with count_queries() as q: ...`` then ``len(q)`` is the number of SQL statements."""
    return _counting


def pytest_configure(config):
    """Compile the translation catalogues when a .po is newer than its .mo (``make test`` does too)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (Path(__file__).parent.parent / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


def pytest_collection_modifyitems(config, items):
    # Tests reading the shared demo district run on one xdist worker, so it is built once.
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("demo"))
