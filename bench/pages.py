#!/usr/bin/env python3
"""Every page at scale (issue 21): the page list from the URL map, timed and counted at each scale.

For each backend and scale (a child process each, a database of its own: ``bench_<pid>_<scale>x``):

1. migrate, generate the district (bench/generate.py: the audit log and notifications grow with it);
2. build the page list (bench/pagelist.py): every GET route × each role that opens it, its ids from
   the role's scope, plus each list page's filters and searches taken from its own filter form;
   probe each once and keep those that answer 200;
3. Flask's test client: per page the median and p95 (warm), the same for the first request after a
   change (a committed write to every watched table, then every generation cache dropped), SQL
   statements per request (a ``before_cursor_execute`` listener) and the response size; and the floor in
   the same run: ``/_bench/baseline`` (one query behind the login) and ``/_bench/list50`` (a tuned
   50-row list: one joined query and a count, in the layout);
4. gunicorn (2 gthread workers × 2 threads) with concurrent clients, each logged in through the real
   login form with a session of its own: req/s, median and p95 per page for a subset (``--gunicorn``).

The report (``--out``, default bench/results.md) judges every page against the targets of issue 21,
each as a ratio within the same run. See bench/README.md.

    python bench/pages.py --scales 1,10 --backends sqlite
    python bench/run.py --pages --scales 1,10,100     # the same, through make bench BENCH_ARGS=--pages
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from bench import pagelist, server  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "supervision-demo"
ROLES = ("admin", "officer", "street", "company")

# Targets of issue 21, each a ratio within one run.
MAX_QUERIES = 15
MAX_FLOOR_RATIO = 3.0  # median / the tuned 50-row list's median (a PDF: / the tuned one-page PDF's median)
MAX_P95_GROWTH = 1.5  # p95 at the largest scale / p95 at 1×
MAX_HTML_KB = 150

# The rate limits stay on (their cost is part of each page) but never refuse the benchmark's one address.
UNLIMITED = "1000000 per minute"


# --- the app ---------------------------------------------------------------------------------------

LIST50 = """{% extends 'base.html' %}{% block content %}
<h1>基准列表</h1><p>共 {{ total }} 个</p>
<table class="table"><thead><tr><th>小区</th><th>地址</th><th>社区</th><th>街道</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/estates/{{ row.id }}">{{ row.name }}</a></td><td>{{ row.address }}</td>
<td>{{ row.community }}</td><td>{{ row.street }}</td></tr>{% endfor %}
</tbody></table>{% endblock %}"""

# A one-page PDF through the product's document pipeline (pdf/base.html, pdf.css, WeasyPrint): the tuned list's
# first 20 rows. The floor a PDF download is compared with: a document's fixed cost (fonts, layout) dwarfs a page's.
PDF20 = """{% extends 'pdf/base.html' %}{% block title %}基准列表{% endblock %}{% block body %}
<h1>基准列表</h1><p>共 {{ total }} 个</p>
<table><thead><tr><th>小区</th><th>地址</th><th>社区</th><th>街道</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.name }}</td><td>{{ row.address }}</td><td>{{ row.community }}</td>
<td>{{ row.street }}</td></tr>{% endfor %}
</tbody></table>{% endblock %}"""


def bench_app(database_url: str, workdir: str):
    """The product's app plus the floor routes, registered only here."""
    from flask import Blueprint, render_template, request
    from sqlalchemy import func, select, text

    from supervision import create_app, freeze_startup_heap
    from supervision.auth import scope
    from supervision.auth.roles import DISTRICT_READERS
    from supervision.documents.pdf import html_to_pdf, pdf_response
    from supervision.estates.models import Estate
    from supervision.extensions import db
    from supervision.regions.models import Community, Street

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-only-secret-key",
        "UPLOAD_DIR": str(Path(workdir) / "uploads"), "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 8192, "PORTAL_RATE_LIMIT": UNLIMITED, "LOGIN_RATE_LIMIT": UNLIMITED,
        "SURVEY_PAGE_RATE_LIMIT": UNLIMITED, "SURVEY_VOTE_RATE_LIMIT": UNLIMITED,
        # A session's "last seen" write happens once a minute, not once a page: left at 60 s it lands on
        # whichever page is measured when the minute is up (the longer run at 100× meets it more often).
        "SESSION_TOUCH_SECONDS": 24 * 3600,
    })
    floor = Blueprint("bench_floor", __name__)
    list_page = app.jinja_env.from_string(LIST50)
    pdf_page = app.jinja_env.from_string(PDF20)

    @floor.get("/_bench/baseline")
    @scope.role_required(DISTRICT_READERS)
    def bare():
        return str(db.session.execute(text("SELECT 1")).scalar())

    def fifty_rows():
        page = max(1, request.args.get("page", 1, type=int))
        rows = db.session.execute(
            select(Estate.id, Estate.name, Estate.address, Community.name.label("community"),
                   Street.name.label("street"))
            .join(Community, Community.id == Estate.community_id).join(Street, Street.id == Estate.street_id)
            .order_by(Estate.id).limit(50).offset((page - 1) * 50)).all()
        return rows, db.session.scalar(select(func.count(Estate.id)))

    @floor.get("/_bench/list50")
    @scope.role_required(DISTRICT_READERS)
    def list50():
        """A tuned list page: 50 rows of one joined query on the primary-key order, and a count."""
        rows, total = fifty_rows()
        return render_template(list_page, rows=rows, total=total)

    @floor.get("/_bench/pdf20.pdf")
    @scope.role_required(DISTRICT_READERS)
    def pdf20():
        """A one-page PDF (the tuned list's first 20 rows) through the product's document pipeline."""
        rows, total = fifty_rows()
        return pdf_response(html_to_pdf(pdf_page.render(rows=rows[:20], total=total)), "基准列表.pdf")

    app.register_blueprint(floor)
    freeze_startup_heap()  # as wsgi.py does before gunicorn forks: full collections walk what came since
    return app


def served_app():
    """gunicorn's entry point: ``bench.pages:served_app()`` with BENCH_PAGES_DATABASE_URL set."""
    return bench_app(os.environ["BENCH_PAGES_DATABASE_URL"], os.environ["BENCH_PAGES_WORKDIR"])


FLOOR = (
    pagelist.Page("_bench.baseline", "officer", "/_bench/baseline", kind="floor"),
    pagelist.Page("_bench.list50", "officer", "/_bench/list50", kind="floor"),
    pagelist.Page("_bench.pdf20", "officer", "/_bench/pdf20.pdf", kind="floor"),
)


# The floor is measured again after every FLOOR_EVERY pages (and at the end) and pooled (``pooled``).
FLOOR_EVERY = 50

# --- measuring -------------------------------------------------------------------------------------

class QueryCounter:
    """Statements run by the measuring thread: a job a page started runs on the in-process backend's own
    threads, and its statements are not the page's."""

    def __init__(self):
        self.count = 0
        self.totals = 0  # of which a list's total (``SELECT count(…``), see ``flatness``
        self.thread = threading.get_ident()

    def reset(self) -> None:
        self.count = self.totals = 0

    def __call__(self, *args, **kwargs):
        if threading.get_ident() == self.thread:
            self.count += 1
            statement = args[2] if len(args) > 2 else ""  # before_cursor_execute(conn, cursor, statement, …)
            if statement.lstrip().startswith("SELECT count("):
                self.totals += 1


def is_job_redirect(response) -> bool:
    return response.status_code == 302 and "/jobs/" in response.headers.get("Location", "")


def drain_jobs(app) -> None:
    """Wait, untimed, for the jobs a page handed to the in-process backend (an export or PDF over its
    threshold at 100×): left running, they would share the interpreter with the next pages measured."""
    backend = app.extensions.get("jobs_backend")
    if backend is not None and hasattr(backend, "wait"):
        backend.wait(timeout=600)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))]


def _login(app, username: str):
    from itsdangerous import URLSafeTimedSerializer

    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "bench"
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps("bench")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not log in ({response.status_code})")
    return client


def first_request_after_a_change(app) -> None:
    """A real change that commits, then the per-process generation caches dropped: the next request is the
    first after a change.

    One transaction writes one row of every watched table through the ORM session (an ``UPDATE`` setting a
    column to itself, so the district stays the same): every data generation changes, and the committing
    transaction does what it does in production (bumps the generations, stores the figures registered in
    ``core.figures`` for the new ones, recomputing every entry since every table was written). Each worker
    then holds only what the database holds: the request pays what a worker's first request after any change
    pays."""
    from sqlalchemy import select, update

    from supervision.core import generations
    from supervision.extensions import db

    with app.app_context():
        for cls in sorted(generations._watched_classes, key=lambda cls: cls.__table__.name):
            table = cls.__table__
            column = next((c for c in table.columns if not c.primary_key), None)
            keys = db.session.execute(select(*table.primary_key.columns).limit(1)).first()
            if column is None or keys is None:
                continue
            condition = [c == value for c, value in zip(table.primary_key.columns, keys, strict=True)]
            db.session.execute(update(table).where(*condition).values({column.name: column}))
        db.session.commit()
        db.session.remove()
    for name, value in list(app.extensions.items()):
        if isinstance(value, generations.LRUCache):
            app.extensions.pop(name, None)


class Bench:
    def __init__(self, app, counter, tokens):
        self.app, self.counter, self.tokens = app, counter, tokens
        self.clients = {"anonymous": app.test_client()}
        for role in ROLES:
            self.clients[role] = _login(app, role)

    def get(self, page):
        headers = {"Authorization": f"Bearer {self.tokens[page.role]}"} if page.api else {}
        client = self.clients["anonymous" if page.api else page.role]
        return client.get(page.url, headers=headers)

    def once(self, page) -> tuple[float, int, object]:
        self.counter.reset()
        started = time.perf_counter()
        response = self.get(page)
        data = response.get_data()
        elapsed = time.perf_counter() - started
        response.close()
        drain_jobs(self.app)
        return elapsed, self.counter.count, (response.status_code, len(data), response.mimetype)

    def measure(self, page, requests: int, cold_requests: int) -> dict:
        self.once(page)  # warm-up
        times, queries, totals = [], [], []
        for _ in range(requests):
            elapsed, count, (status, size, _mimetype) = self.once(page)
            if status != 200 and not (status == 302 and page.kind == "job"):
                raise RuntimeError(f"GET {page.url} as {page.role} answered {status}")
            times.append(elapsed)
            queries.append(count)
            totals.append(self.counter.totals)
        result = {"median": statistics.median(times), "p95": _percentile(times, 0.95), "queries": max(queries),
                  "queries_min": min(queries), "totals": max(totals), "bytes": size, "times": times}
        cold_times, cold_queries = [], []
        for _ in range(cold_requests):
            first_request_after_a_change(self.app)
            elapsed, count, _info = self.once(page)
            cold_times.append(elapsed)
            cold_queries.append(count)
        if cold_times:
            result.update(cold_median=statistics.median(cold_times), cold_p95=_percentile(cold_times, 0.95),
                          cold_queries=max(cold_queries), cold_times=cold_times)
        return result


def pooled(rows: list[dict]) -> dict:
    """One floor page's measurements taken at intervals through the run, as one row: its medians and p95 over
    every sample. Every page's ratio divides by the floor, so a floor measured once, at a lucky or an unlucky
    moment, would move all of them; sampled through the run it follows the machine's drift as the pages do."""
    pooled_row = dict(rows[0])
    times = [t for row in rows for t in row["times"]]
    pooled_row.update(median=statistics.median(times), p95=_percentile(times, 0.95), times=times,
                      queries=max(row["queries"] for row in rows), samples=len(rows))
    cold = [t for row in rows for t in row.get("cold_times", [])]
    if cold:
        pooled_row.update(cold_median=statistics.median(cold), cold_p95=_percentile(cold, 0.95), cold_times=cold,
                          cold_queries=max(row["cold_queries"] for row in rows if "cold_queries" in row))
    return pooled_row


def measure_page(bench: Bench, page, args) -> dict:
    download = page.kind in pagelist.DOWNLOAD_KINDS
    requests = min(args.requests, 2) if download else args.requests
    # The floor pages are measured after a change too: the first request after a change also pays the
    # database's own cost of the change (SQLite rereads its pages after any commit), with no cache involved.
    pdf_floor = page.kind == "floor" and page.url.endswith(".pdf")
    cold = 0 if page.variant else (1 if download or pdf_floor else args.cold_requests)
    return {**page.__dict__, **bench.measure(page, requests, cold)}


def _users_and_tokens():
    from sqlalchemy import select

    from supervision.api.services import create_token
    from supervision.auth.models import User
    from supervision.extensions import db

    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(ROLES)))}
    tokens = {}
    for role in pagelist.API_ROLES:
        _token, tokens[role] = create_token(users[role], name="bench", days=5)
    db.session.commit()
    return users, tokens


def _seed_jobs(users):
    """The demo has no background jobs: one finished job of the officer's, for the job pages."""
    from supervision.extensions import db
    from supervision.jobs.models import Job

    db.session.add(Job(kind="estates.export", user_id=users["officer"].id, title="导出小区台账", status="finished"))
    db.session.commit()


def page_list(app, bench: Bench, log, only: str | None = None) -> tuple[list, list[str]]:
    """The planned pages that answer 200, with each list page's filter variants; the rest, with why."""
    from supervision.extensions import db

    planned, _left_out = pagelist.plan(app)
    with app.app_context():
        users = {name: db.session.merge(user) for name, user in bench.users.items()}
        pages, dropped = pagelist.build(app, planned, users)
        db.session.remove()
    if only:
        pages = [page for page in pages if re.search(only, page.url)]
    kept, variants = [], []
    for page in pages:
        response = bench.get(page)
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if is_job_redirect(response):
            # A download over its threshold starts a job and sends the user to it: that answer is the page.
            page.kind = "job"
            kept.append(page)
            drain_jobs(app)
            continue
        if response.status_code != 200:
            dropped.append(f"{page.endpoint} as {page.role} ({page.url}): answered {response.status_code}")
            continue
        page.kind = pagelist.kind_of(response.mimetype)
        kept.append(page)
        drain_jobs(app)
        if html:
            for label, url in pagelist.filter_variants(html, page.url):
                variants.append(pagelist.Page(page.endpoint, page.role, url, variant=label, api=page.api,
                                              kind=page.kind))
    for page in variants:
        response = bench.get(page)
        response.close()
        drain_jobs(app)
        if response.status_code == 200:
            kept.append(page)
        else:
            dropped.append(f"{page.endpoint} as {page.role} ({page.url}): answered {response.status_code}")
    log(f"  {len(kept)} pages ({len(variants)} filter variants), {len(dropped)} dropped")
    return kept, dropped


# --- gunicorn with logged-in clients ------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, workdir: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, BENCH_PAGES_DATABASE_URL=database_url, BENCH_PAGES_WORKDIR=str(workdir),
               PYTHONPATH=str(ROOT), ALLOW_PER_WORKER_RATE_LIMITS="1", LOGIN_RATE_LIMIT=UNLIMITED,
               PORTAL_RATE_LIMIT=UNLIMITED)
    config = workdir / "gunicorn.conf.py"  # removed with the run's folder
    config.write_text("# the benchmark's settings are on the command line\n")
    command = [str(Path(sys.executable).with_name("gunicorn")), "--config", str(config),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread",
               "--threads", str(threads), "--keep-alive", "30", "--log-level", "warning", "--chdir", str(ROOT),
               "bench.pages:served_app()"]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    return server.started(process, port)


stop_gunicorn = server.stop


def login_over_http(port: int, username: str) -> str:
    """A session logged in through the real login form (GET the form, POST it with its CSRF token):
    the Cookie header to send with it."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    html = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    opener.open(urllib.request.Request(f"{base}/login", data=data.encode()), timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = urllib.request.Request(f"{base}/_bench/baseline" if username == "officer" else f"{base}/",
                                   headers={"Cookie": cookie})
    with urllib.request.urlopen(check, timeout=30) as response:  # nosec B310 - the local server
        if response.status != 200 or "/login" in response.url:
            raise RuntimeError(f"{username} did not log in over HTTP")
    return cookie


async def _read_response(reader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _client(port: int, request: bytes, stop: float, times: list, statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            times.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load_page(port: int, requests: list[bytes], seconds: float) -> dict:
    times, statuses = [], {}
    started = time.perf_counter()
    await asyncio.gather(*(_client(port, r, started + seconds, times, statuses) for r in requests))
    elapsed = time.perf_counter() - started
    return {"rps": statuses.get(200, 0) / elapsed, "median": statistics.median(times) if times else 0.0,
            "p95": _percentile(times, 0.95) if times else 0.0, "requests": len(times), "statuses": statuses}


def gunicorn_run(database_url: str, workdir: Path, pages: list, tokens: dict, args, log) -> dict:
    port = _free_port()
    process = start_gunicorn(database_url, workdir, port, args.workers, args.threads)
    results = {}
    try:
        roles = sorted({p.role for p in pages if not p.api and p.role != "anonymous"})
        cookies = {role: [login_over_http(port, role) for _ in range(args.clients)] for role in roles}
        for page in pages:
            if page.api:
                auth = [f"Authorization: Bearer {tokens[page.role]}\r\n"] * args.clients
            elif page.role == "anonymous":
                auth = [""] * args.clients
            else:
                auth = [f"Cookie: {cookie}\r\n" for cookie in cookies[page.role]]
            requests = [f"GET {page.url} HTTP/1.1\r\nHost: 127.0.0.1\r\n{a}\r\n".encode() for a in auth]
            asyncio.run(_load_page(port, requests[:1], 0.2))  # each worker's first request aside
            results[page.key] = asyncio.run(_load_page(port, requests, args.gunicorn_seconds))
        log(f"  gunicorn: {len(results)} pages, {args.clients} clients")
    finally:
        stop_gunicorn(process)
    return results


def gunicorn_subset(pages: list, mode: str) -> list:
    if mode == "none":
        return []
    if mode == "all":
        return list(FLOOR) + pages
    # The representative subset: each route once (as opened, its first role), HTML and JSON only.
    seen, subset = set(), list(FLOOR)
    for page in pages:
        if page.variant or page.kind not in ("html", "json") or page.endpoint in seen:
            continue
        seen.add(page.endpoint)
        subset.append(page)
    return subset


# --- one scale on one backend (a child process) --------------------------------------------------------

def _database(backend: str, scale: int, pg_url: str, workdir: Path):
    name = f"bench_{os.getpid()}_{scale}x"
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        return f"sqlite:///{path}", name, lambda: path.unlink(missing_ok=True)
    from supervision.ops.databases import fresh_postgres_database

    url, drop = fresh_postgres_database(pg_url, name)
    return url, name, drop


def worker(args) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import event

    from bench.generate import generate
    from supervision.extensions import db

    def log(message):
        print(message, flush=True)

    scale, backend = args.scale, args.backend
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-pages-{backend}-{scale}x-"))
    database_url, name, drop = _database(backend, scale, args.pg_url, workdir)
    result = {"scale": scale, "backend": backend, "database": name, "load_start": os.getloadavg()}
    try:
        app = bench_app(database_url, str(workdir))
        with app.app_context():
            with contextlib.redirect_stderr(io.StringIO()):
                upgrade()
            started = time.perf_counter()
            result["counts"] = generate(scale, log=log)
            result["generate_s"] = time.perf_counter() - started
            users, tokens = _users_and_tokens()
            _seed_jobs(users)
            counter = QueryCounter()
            event.listen(db.engine, "before_cursor_execute", counter)
            db.session.remove()
        bench = Bench(app, counter, tokens)
        bench.users = users
        pages, dropped = page_list(app, bench, log, args.only)
        result["dropped"] = dropped
        measured, floor_samples = {}, {page.key: [] for page in FLOOR}
        for n, page in enumerate(pages):
            if n % FLOOR_EVERY == 0:
                log(f"  {n} of {len(pages)} pages measured")
                for floor_page in FLOOR:
                    floor_samples[floor_page.key].append(measure_page(bench, floor_page, args))
            try:
                measured[page.key] = measure_page(bench, page, args)
            except RuntimeError as error:
                result["dropped"].append(str(error))
        for floor_page in FLOOR:
            floor_samples[floor_page.key].append(measure_page(bench, floor_page, args))
        result["pages"] = {key: pooled(rows) for key, rows in floor_samples.items()} | measured
        floor = result["pages"]["officer /_bench/list50"]
        log(f"  floor: baseline {result['pages']['officer /_bench/baseline']['median'] * 1000:.1f} ms, "
            f"list50 {floor['median'] * 1000:.1f} ms ({floor['samples']} samples)")
        result["load_flask"] = os.getloadavg()
        if args.gunicorn != "none":
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            subset = gunicorn_subset(pages, args.gunicorn)
            try:
                result["gunicorn"] = gunicorn_run(database_url, workdir, subset, tokens, args, log)
            except Exception as error:  # the Flask figures are kept; the report says why gunicorn's are missing
                result["gunicorn_error"] = f"{type(error).__name__}: {error}"
                log(f"  gunicorn run failed: {result['gunicorn_error']}")
        result["load_end"] = os.getloadavg()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


# --- the report ------------------------------------------------------------------------------------

def _ok(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def _ms(seconds) -> str:
    return "" if seconds is None else f"{seconds * 1000:.1f}"


def _speed(row: dict, floor: dict) -> dict:
    """A page's medians as multiples of the floor's in the same run: warm against the floor's warm median, the
    first request after a change against the floor's own first request after the same change (when the run
    measured it), so both sides pay the database's cost of the change and the ratio is the page's own.
    ``cold_vs_warm`` keeps the stricter comparison with the floor's warm median, for the report."""
    ratio = row["median"] / floor["median"]
    cold_ratio = cold_vs_warm = None
    if "cold_median" in row:
        cold_vs_warm = row["cold_median"] / floor["median"]
        cold_ratio = row["cold_median"] / floor.get("cold_median", floor["median"])
    return {"ratio": ratio, "cold_ratio": cold_ratio, "cold_vs_warm": cold_vs_warm,
            "speed": max(ratio, cold_ratio or 0.0) <= MAX_FLOOR_RATIO,
            "speed_strict": max(ratio, cold_vs_warm or 0.0) <= MAX_FLOOR_RATIO}


def flatness(rows: dict) -> tuple[bool, str]:
    """Whether a page's warm query count stays the same from scale to scale (``rows``: scale → its row), and
    why when the counts differ for a reason that does not grow with the data: a download over its threshold
    answers with a job at the larger scales (each answer's own count must stay the same), or a capped list
    counts its total only once its first page is full (the same statements apart from that count)."""
    measured = [row for _scale, row in sorted(rows.items()) if row]
    if len({row["queries"] for row in measured}) <= 1:
        return True, ""
    by_kind: dict[str, list] = {}
    for row in measured:
        by_kind.setdefault(row["kind"], []).append(row)
    if len(by_kind) > 1:
        verdicts = {kind: flatness(dict(enumerate(group))) for kind, group in by_kind.items()}
        if all(ok for ok, _reason in verdicts.values()):
            return True, "flat per answer: " + ", ".join(
                f"{kind} {group[0]['queries']}" for kind, group in by_kind.items())
        return False, ""
    if all("totals" in row for row in measured):
        others = {row["queries"] - row["totals"] for row in measured}
        totals = [row["totals"] for row in measured]
        if len(others) == 1 and max(totals) - min(totals) == 1 and totals == sorted(totals):
            return True, "flat but for the total, counted once the first page is full"
    return False, ""


def judge(results: list[dict]) -> dict:
    """Per backend: per page key, its rows per scale and verdicts."""
    verdicts = {}
    for backend in sorted({r["backend"] for r in results}):
        runs = sorted((r for r in results if r["backend"] == backend), key=lambda r: r["scale"])
        first, last = runs[0], runs[-1]
        keys = list(dict.fromkeys(k for r in runs for k in r["pages"]))
        table = {}
        for key in keys:
            rows = {r["scale"]: r["pages"].get(key) for r in runs}
            counts = [row["queries"] for row in rows.values() if row]
            page = rows[last["scale"]] or next(row for row in rows.values() if row)
            # A PDF is compared with the tuned PDF (its fixed cost is WeasyPrint's), every other page with the
            # tuned list page.
            floor_key = "officer /_bench/pdf20.pdf" if page["kind"] == "pdf" else "officer /_bench/list50"
            floor = {r["scale"]: r["pages"][floor_key] for r in runs}
            per_scale = {}
            for scale, row in rows.items():
                if not row:
                    continue
                per_scale[scale] = _speed(row, floor[scale])
            growth = None
            if len(runs) > 1 and rows[first["scale"]] and rows[last["scale"]]:
                growth = rows[last["scale"]]["p95"] / rows[first["scale"]]["p95"]
            all_counts = counts + [row["cold_queries"] for row in rows.values() if row and "cold_queries" in row]
            flat, flat_reason = flatness(rows)
            table[key] = {
                "page": page, "rows": rows, "per_scale": per_scale, "growth": growth,
                "queries_ok": max(all_counts) <= MAX_QUERIES, "flat": flat, "flat_reason": flat_reason,
                "speed_ok": all(s["speed"] for s in per_scale.values()),
                "speed_strict_ok": all(s["speed_strict"] for s in per_scale.values()),
                "growth_ok": growth is None or growth <= MAX_P95_GROWTH,
                "size_ok": page["kind"] != "html" or page["bytes"] <= MAX_HTML_KB * 1024,
            }
        verdicts[backend] = {"runs": runs, "table": table}
    return verdicts


def report(results: list[dict], args, elapsed: float, jobs: list[dict] | None = None) -> str:
    verdicts = judge(results)
    lines = [
        "# Every page at scale (issue 21)",
        "",
        f"Run {args.finished} UTC by `python bench/pages.py {args.command}`"
        f" in {elapsed / 60:.1f} min; {args.requests} timed requests a page after one warm-up "
        f"(2 for downloads), {args.cold_requests} first requests after a change (1 for downloads; none for "
        "filter variants), through Flask's test client; see bench/README.md for how to read this.",
        "",
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; load average (1/5/15 min) "
        f"{'/'.join(f'{x:.1f}' for x in args.load_before)} at the start, "
        f"{'/'.join(f'{x:.1f}' for x in getattr(args, 'load_after', None) or os.getloadavg())} at the end. "
        "Timings are wall-clock on a shared "
        "machine; query counts are exact.",
        "",
        "| backend | scale | database | estates | staff | audit rows | notifications | load at start / after Flask "
        "run / end |",
        "|---|--:|---|--:|--:|--:|--:|---|",
    ]
    for r in results:
        c = r["counts"]
        loads = " / ".join(f"{r[k][0]:.1f}" for k in ("load_start", "load_flask", "load_end") if k in r)
        lines.append(f"| {r['backend']} | {r['scale']}× | `{r['database']}` | {c['estates']:,} | {c['staff']:,} "
                     f"| {c['audit_log']:,} | {c['notifications']:,} | {loads} |")
    for backend, verdict in verdicts.items():
        runs, table = verdict["runs"], verdict["table"]
        scales = [r["scale"] for r in runs]
        last = scales[-1]
        floor = {r["scale"]: r["pages"]["officer /_bench/list50"] for r in runs}
        base = {r["scale"]: r["pages"]["officer /_bench/baseline"] for r in runs}
        pdf = {r["scale"]: r["pages"]["officer /_bench/pdf20.pdf"] for r in runs}
        lines += ["", f"## {backend}", "", "Floor (same run): " + "; ".join(
            f"{s}×: baseline {_ms(base[s]['median'])} ms ({base[s]['queries']} queries), tuned 50-row list "
            f"{_ms(floor[s]['median'])} ms ({floor[s]['queries']} queries"
            + (f"; {_ms(floor[s]['cold_median'])} ms the first request after a change" if "cold_median" in floor[s]
               else "") + f"), tuned one-page PDF {_ms(pdf[s]['median'])} ms (the floor of PDF downloads)"
            for s in scales) + ".", ""]
        bad = [(k, v) for k, v in table.items() if not (v["queries_ok"] and v["flat"])]
        lines += ["### Pages with more than 15 queries or a count that grows with the data", ""]
        if bad:
            lines += ["| page | role | variant | queries per scale (warm; first after a change) |", "|---|---|---|---|"]
            for _key, v in sorted(bad, key=lambda kv: -max(r["queries"] for r in kv[1]["rows"].values() if r)):
                counts = ", ".join(f"{s}×: {r['queries']}" + (f"; {r['cold_queries']}" if "cold_queries" in r else "")
                                   for s, r in v["rows"].items() if r)
                lines.append(f"| `{v['page']['url']}` ({v['page']['endpoint']}) | {v['page']['role']} | "
                             f"{v['page']['variant']} | {counts} |")
        else:
            lines.append("None.")
        explained = [(k, v) for k, v in table.items() if v["flat_reason"]]
        if explained:
            lines += ["", "Counts that differ between scales for a reason that does not grow with the data (judged "
                      "flat):", "", "| page | role | variant | queries per scale | why |", "|---|---|---|---|---|"]
            for _key, v in explained:
                counts = ", ".join(f"{s}×: {r['queries']} ({r['kind']})" for s, r in v["rows"].items() if r)
                lines.append(f"| `{v['page']['url']}` | {v['page']['role']} | {v['page']['variant']} | {counts} | "
                             f"{v['flat_reason']} |")
        judged = [v for v in table.values() if v["page"]["kind"] != "floor"]
        totals = {name: sum(1 for v in judged if not v[name])
                  for name in ("queries_ok", "flat", "speed_ok", "speed_strict_ok", "growth_ok", "size_ok")}
        lines += ["", f"{len(judged)} pages; failing: ≤15 queries {totals['queries_ok']}, flat "
                  f"{totals['flat']}, median ≤3× list {totals['speed_ok']}, p95 growth ≤1.5× {totals['growth_ok']}, "
                  f"HTML ≤150 KB {totals['size_ok']}. Median ≤3× list with the first request after a change "
                  f"compared with the list's warm median instead of its own first request: "
                  f"{totals['speed_strict_ok']} failing.", ""]
        growth = {name: table[f"officer /_bench/{name}"]["growth"] for name in ("baseline", "list50")}
        if all(growth.values()):
            lines += [f"The floor's own p95 growth {scales[-1]}×/{scales[0]}×: baseline {growth['baseline']:.2f}, "
                      f"tuned list {growth['list50']:.2f}.", ""]
        gun = {r["scale"]: r.get("gunicorn", {}) for r in runs}
        for r in runs:
            if r.get("gunicorn_error"):
                lines += [f"The gunicorn run at {r['scale']}× failed: {r['gunicorn_error']}", ""]
        head = ("| page | role | variant | kind | queries " + " ".join(f"{s}×" for s in scales) + " | median ms "
                f"{last}× | first after change ms {last}× | × floor (warm / first (vs warm floor)) | p95 ms "
                f"{last}× | p95 {last}×/{scales[0]}× | KB | gunicorn {last}× req/s · median · p95 ms | ≤15 q & flat | "
                "≤3× list | p95 ≤1.5× | ≤150 KB |")
        lines += ["### Every page", "", head, "|" + "---|" * (head.count("|") - 1)]
        for key, v in table.items():
            page, row = v["page"], v["rows"].get(last)
            counts = " ".join(str(r["queries"]) if r else "–" for r in v["rows"].values())
            ratio = v["per_scale"].get(last, {})
            ratios = (f"{ratio['ratio']:.1f}" + (f" / {ratio['cold_ratio']:.1f} ({ratio['cold_vs_warm']:.1f})"
                                                  if ratio.get("cold_ratio") else "") if ratio else "")
            g = gun.get(last, {}).get(key)
            gtext = f"{g['rps']:.0f} · {_ms(g['median'])} · {_ms(g['p95'])}" if g else ""
            refused = ", ".join(f"{n}× {status}" for status, n in (g or {}).get("statuses", {}).items()
                                if str(status) != "200")
            gtext += f" ({refused})" if refused else ""
            floor_row = page["kind"] == "floor"
            growth = f"{v['growth']:.2f}" if v["growth"] else ""
            lines.append(
                f"| `{page['url']}` | {page['role']} | {page['variant']} | {page['kind']} | {counts} | "
                f"{_ms(row['median']) if row else ''} | {_ms(row.get('cold_median')) if row else ''} | {ratios} | "
                f"{_ms(row['p95']) if row else ''} | {growth} | "
                f"{page['bytes'] / 1024:.0f} | {gtext} | "
                + (" | | | |" if floor_row else
                   f"{_ok(v['queries_ok'] and v['flat'])} | {_ok(v['speed_ok'])} | {_ok(v['growth_ok'])} | "
                   f"{_ok(v['size_ok']) if page['kind'] == 'html' else ''} |"))
        dropped = sorted({d for r in runs for d in r.get("dropped", [])})
        if dropped:
            lines += ["", "<details><summary>Planned pages not measured (no data, or not 200 for the role)"
                      "</summary>", "", *[f"- {d}" for d in dropped], "", "</details>"]
    if jobs:
        lines += jobs_report(jobs)
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--requests", type=int, default=5, help="timed warm requests a page")
    parser.add_argument("--cold-requests", type=int, default=3, help="timed first requests after a change")
    parser.add_argument("--gunicorn", choices=("subset", "all", "none"), default="subset")
    parser.add_argument("--gunicorn-seconds", type=float, default=1.5, help="load per page")
    parser.add_argument("--clients", type=int, default=4, help="concurrent logged-in clients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--out", default=str(BENCH_DIR / "results.md"))
    parser.add_argument("--jobs", action="store_true",
                        help="then the job benchmarks: a 50,000-row import (bench/imports.py) and the 24,000-row "
                        "estate export at 100× (bench/exports.py), their output in the report")
    parser.add_argument("--only", help="measure only the pages whose URL matches this regular expression "
                        "(the floor is always measured); for checking a change, not for results.md")
    parser.add_argument("--report-from", help="rewrite the report from a run's saved results (<out>.json)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        Path(args.json).write_text(json.dumps(worker(args), default=str))
        return 0
    saved = Path(args.out).with_suffix(".json")
    if args.report_from:
        stored = json.loads(Path(args.report_from).read_text())
        for name in ("load_before", "load_after", "command", "finished", "requests", "cold_requests"):
            setattr(args, name, stored.get(name, getattr(args, name, "")))
        Path(args.out).write_text(report(stored["results"], args, stored["elapsed"], stored.get("jobs")),
                                  encoding="utf-8")
        return 0
    args.load_before = os.getloadavg()
    args.command = " ".join(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    results = []
    for backend in args.backends.split(","):
        for scale in (int(s) for s in args.scales.split(",")):
            print(f"{backend} {scale}×", flush=True)
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--scale", str(scale),
                           "--backend", backend, "--pg-url", args.pg_url, "--requests", str(args.requests),
                           "--cold-requests", str(args.cold_requests), "--gunicorn", args.gunicorn,
                           "--gunicorn-seconds", str(args.gunicorn_seconds), "--clients", str(args.clients),
                           "--workers", str(args.workers), "--threads", str(args.threads), "--json", out.name]
                if args.only:
                    command += ["--only", args.only]
                subprocess.run(command, check=True, cwd=ROOT)
                results.append(json.loads(Path(out.name).read_text()))
            # Each scale's results are kept as they come: a long run stopped half-way still reports.
            elapsed = time.perf_counter() - started
            args.finished = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
            args.load_after = os.getloadavg()
            saved.write_text(json.dumps({"load_before": args.load_before, "elapsed": elapsed, "results": results,
                                         **{name: getattr(args, name) for name in (
                                             "load_after", "command", "finished", "requests", "cold_requests")}}))
            Path(args.out).write_text(report(results, args, elapsed), encoding="utf-8")
    if args.jobs:
        jobs = job_benchmarks(args.pg_url)
        stored = json.loads(saved.read_text())
        stored["jobs"] = jobs
        stored["load_after"] = args.load_after = os.getloadavg()  # the report rewritten later keeps it
        saved.write_text(json.dumps(stored))
        Path(args.out).write_text(report(results, args, stored["elapsed"], jobs), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


def job_benchmarks(pg_url: str) -> list[dict]:
    """The import and export benchmarks, each in processes of its own (they report their own memory)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-jobs-"))
    pg_database = urllib.parse.urlsplit(pg_url)._replace(path=f"/bench_imports_{os.getpid()}").geturl()
    commands = [
        ("50,000-row estate import, then the export of every estate, as jobs (SQLite)",
         [sys.executable, "bench/imports.py", "--rows", "50000"]),
        ("50,000-row estate import, then the export of every estate, as jobs (PostgreSQL)",
         [sys.executable, "bench/imports.py", "--rows", "50000", "--db", pg_database]),
        ("the 24,000-row estate export in a request at 100× (SQLite)",
         [sys.executable, "bench/exports.py", "--workdir", str(workdir), "--scale", "100", "/estates/export.xlsx"]),
    ]
    runs = []
    try:
        # bench/exports.py measures a prebuilt district: bench/profile_page.py builds it (sqlite_100x.db).
        subprocess.run([sys.executable, "bench/profile_page.py", "--scale", "100", "--workdir", str(workdir),  # nosec B603
                        "--rebuild", "--repeat", "1", "--top", "0", "/_bench/baseline"],
                       cwd=ROOT, check=True, capture_output=True)
        for title, command in commands:
            print(title, flush=True)
            load = os.getloadavg()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # nosec B603
            runs.append({"title": title, "command": " ".join(["python", *command[1:]]).replace(str(workdir), "DIR"),
                         "load": load, "returncode": done.returncode,
                         "output": (done.stdout + (done.stderr if done.returncode else "")).strip()[-4000:]})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return runs


def jobs_report(jobs: list[dict]) -> list[str]:
    lines = ["", "## Jobs, exports and imports (same run, after the pages)", "",
             "Targets (issue 21, item 4): a 50,000-row import in a job ≤ 15 s with ≤ 300 MB peak; the 24,000-row "
             "estate export ≤ 2 s with ≤ 100 MB above an idle worker. Each benchmark's own output:"]
    for run in jobs:
        lines += ["", f"### {run['title']}", "",
                  f"`{run['command']}` — load average {run['load'][0]:.1f} at the start"
                  + ("" if run["returncode"] == 0 else f"; **failed** (exit {run['returncode']})"), "",
                  "```", run["output"], "```"]
    return lines


if __name__ == "__main__":
    sys.exit(main())
