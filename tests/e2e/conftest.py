"""Browser journeys: Playwright for Python driving Debian's Chromium against
the app served by a real WSGI server on 127.0.0.1.

The server runs in a thread of the test process, on a database of its own
built with ``flask seed demo``. All browser tests run on one xdist worker
(group "e2e"), so the demo district is built once.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from supervision import create_app
from supervision.extensions import db
from supervision.ops.databases import fresh_postgres_database

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEMO_PASSWORD = "supervision-demo"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" not in str(item.fspath).replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.xdist_group("e2e"))
        if CHROMIUM is None:
            item.add_marker(pytest.mark.skip(
                reason="Chromium not found: install Debian's chromium (sudo apt-get install chromium); "
                       "`make test` installs it when run as root"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


def _e2e_database(tmp_path_factory, worker_id):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path_factory.getbasetemp() / f'e2e-{worker_id}.db'}", lambda: None
    return fresh_postgres_database(base, f"{make_url(base).database}_e2e_{worker_id}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, worker_id):
    """The demo district served on http://127.0.0.1:<free port>."""
    if CHROMIUM is None:
        pytest.skip("Chromium not found")
    database_url, drop = _e2e_database(tmp_path_factory, worker_id)
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "e2e-secret",
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("e2e-uploads")),
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 64,
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        db.create_all()
        from supervision.seeding import seed_demo

        seed_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = app
    yield server
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's contexts, watched: a journey fails on a server error (5xx),
    a page asset that does not load (4xx on an image, stylesheet or script), an
    uncaught script error, or a console error such as a Content-Security-Policy
    violation."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error on {message.page.url if message.page else '?'}: {message.text}")

    def on_response(response):
        request = response.request
        # The service worker (supervision/static/js/sw.js) fetches navigations on the page's behalf: a 403 page
        # it fetches is a document, not a missing asset.
        document = request.resource_type == "document" or request.service_worker is not None
        if response.status >= 500 or (response.status >= 400 and not document):
            problems.append(f"{response.status} {request.method} {response.url} ({request.resource_type})")

    def make(**kwargs):
        context = new_context(**kwargs)
        context.on("console", on_console)
        context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
        context.on("response", on_response)
        return context

    yield make
    assert not problems, "the browser met problems:\n" + "\n".join(problems)


def sign_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.fixture
def login(page, live_server):
    """``login("officer")`` signs the page in as a demo user."""

    def sign_in_page(username: str):
        return sign_in(page, live_server, username)

    return sign_in_page


@pytest.fixture
def user_page(new_context, live_server):
    """``user_page("company")``: a page of its own browser context (its own session),
    signed in as that demo user, for a journey where two people take turns.
    pytest-playwright tracks the context, so a failure screenshots it too."""

    def open_page(username: str):
        return sign_in(new_context().new_page(), live_server, username)

    return open_page
