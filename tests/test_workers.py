"""Two app processes, one database, one Redis: the same answer from both.

Each process is ``make serve``'s gunicorn (gunicorn.conf.py, one worker) on a port of its own.
The dashboard is read from both (and cached by both), an estate is archived through one, and
the very next read of either shows the new figure; the login rate limit counts the posts made
to both processes together (flask-limiter's counts in Redis, under a key prefix of this test's).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy.engine import make_url

from supervision import create_app
from supervision.extensions import db
from supervision.ops.databases import fresh_postgres_database

from .factories import DEFAULT_PASSWORD, build_world

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"
LOGIN_LIMIT = 8


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            self.values.setdefault(attributes["name"], attributes.get("value") or "")


def _inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def _figure(html: str, label: str) -> int:
    return int(html.split(f'<div class="kpi-label">{label}</div>')[1].split('class="kpi-value">')[1]
               .split("<")[0].replace(",", ""))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"sup-workers-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def shared_database(tmp_path, worker_id):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    database_url, drop = fresh_postgres_database(base, f"{make_url(base).database}_workers_{worker_id}")
    yield database_url
    drop()


@pytest.fixture
def world_in(shared_database, tmp_path):
    """The factories' world, committed to the shared database before the processes start."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": shared_database, "SECRET_KEY": "workers-test",
                      "UPLOAD_DIR": str(tmp_path / "uploads"), "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_COST": 64})
    with app.app_context():
        db.create_all()
        world = build_world()
        db.session.commit()
        ids = {"officer": world.officer.username, "estate": world.estate2.id}
        db.session.remove()
        db.engine.dispose()
    return ids


def _start(port: int, database_url: str, prefix: str, tmp_path: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="workers-test", REDIS_URL=REDIS_URL,
               RATELIMIT_KEY_PREFIX=prefix, LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute",
               INSTANCE_PATH=str(tmp_path / "instance"), UPLOAD_DIR=str(tmp_path / "uploads"),
               GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", GUNICORN_THREADS="2")
    env.pop("RATELIMIT_STORAGE_URI", None)
    log = (tmp_path / f"gunicorn-{port}.log").open("w")
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{base} exited:\n{log.read_text()}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{base} did not start:\n{log.read_text()}")


@pytest.fixture
def two_processes(shared_database, world_in, redis_prefix, tmp_path):
    ports = [_free_port(), _free_port()]
    processes = [_start(port, shared_database, redis_prefix, tmp_path) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process, port in zip(bases, processes, ports):
            _wait_until_up(base, process, tmp_path / f"gunicorn-{port}.log")
        yield bases
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (SIGTERM waits for idle keep-alives)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _post_login(session: requests.Session, base: str, username: str, password: str) -> requests.Response:
    token = _inputs(session.get(f"{base}/login", timeout=10).text)["csrf_token"]
    return session.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=10)


def test_both_processes_show_a_change_at_once_and_share_the_login_limit(two_processes, world_in):
    first, second = two_processes
    officers = {}
    for base in (first, second):
        officers[base] = requests.Session()
        assert _post_login(officers[base], base, world_in["officer"], DEFAULT_PASSWORD).status_code == 302
    posts = 2  # the two sign-ins count against the limit too

    # Both read (and cache) the dashboard, twice.
    for _round in range(2):
        figures = [_figure(officers[base].get(f"{base}/", timeout=30).text, "小区总数") for base in (first, second)]
        assert figures == [2, 2]

    # An estate is archived through the first process ...
    url = f"{first}/estates/{world_in['estate']}/archive"
    fields = _inputs(officers[first].get(url, timeout=10).text)
    response = officers[first].post(url, data={**fields, "reason": "两进程测试"}, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    # ... and the next read of either shows it.
    assert _figure(officers[second].get(f"{second}/", timeout=30).text, "小区总数") == 1
    assert _figure(officers[first].get(f"{first}/", timeout=30).text, "小区总数") == 1

    # Wrong passwords posted to the two processes in turn: refused after LOGIN_LIMIT posts in all.
    visitors = {base: requests.Session() for base in (first, second)}
    answers = []
    for attempt in range(LOGIN_LIMIT + 2 - posts):
        base = (first, second)[attempt % 2]
        answers.append(_post_login(visitors[base], base, world_in["officer"], "wrong-password").status_code)
    assert 429 not in answers[:LOGIN_LIMIT - posts], answers
    assert answers[LOGIN_LIMIT - posts:] == [429, 429], answers  # one from each process
