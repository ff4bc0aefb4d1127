#!/usr/bin/env python3
"""The public portal's benchmark (issue 19, item 7): a program, not a test.

At a given scale of the demo district (bench/generate.py) on PostgreSQL it measures:

* through Flask's test client, anonymous: the median request time, the median CPU time of this process
  and the SQL statements of the public estate sheet and the grade list — as users mostly get them (a
  page-cache hit); as the first request after a publication gets them (the credit generation bumped in
  the database, so every cache keyed by it misses, the page visited before the publication); with every
  portal cache cleared (pages and kept fragments: the worst first request); a 304 revalidation; and the
  baseline routes — ``/_bench/public-baseline`` (anonymous, ``SELECT 1``, the portal's request hooks and
  rate limit) and ``/_bench/baseline`` (the same behind the login, as in bench/run.py). Target: median
  ≤ 3× the baseline;
* under gunicorn with 4 workers (gthread, 2 threads each, as gunicorn.conf.py; ``--worker-classes
  gthread,sync`` loads each in turn) on the same database: requests per second for estate sheets, from
  asyncio HTTP/1.1 keep-alive clients on the same machine (``--clients`` processes; their CPU per request
  is reported to show whether they were the bottleneck) — over a set of estates visited again and again
  (what public traffic mostly is), and with every request a different estate (each a cache miss). Target:
  ≥ 300 req/s.

The machine's load average is recorded with the results (other work on it slows every timing); the
targets are printed as PASS / FAIL lines and the exit status is 1 when one fails.

    python bench/portal.py --scale 10
    python bench/portal.py --scale 100 --seconds 20 --out /tmp/portal.md
    python bench/portal.py --scale 100 --keep-db --requests 30 --seconds 8   # reuse the generated district
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from bench import server  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "supervision-demo"
MAX_BASELINE_RATIO = 3.0
MIN_REQUESTS_PER_SECOND = 300.0
UNLIMITED = "1000000 per minute"  # the rate limit stays on (its cost is measured) but never refuses


def bench_app(database_url: str, workdir: str | None = None):
    """The product's app plus two bare routes, registered only here."""
    from flask import Blueprint
    from sqlalchemy import text

    from supervision import create_app
    from supervision.auth import scope
    from supervision.auth.roles import DISTRICT_READERS
    from supervision.extensions import db, limiter

    workdir = workdir or tempfile.mkdtemp(prefix="bench-portal-")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-only-secret-key",
        "UPLOAD_DIR": str(Path(workdir) / "uploads"), "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 8192,
        "PORTAL_RATE_LIMIT": UNLIMITED,
    })
    baseline = Blueprint("bench_portal_baseline", __name__)

    @baseline.get("/_bench/public-baseline")
    @limiter.limit(lambda: app.config["PORTAL_RATE_LIMIT"])
    def public_bare():
        return str(db.session.execute(text("SELECT 1")).scalar())

    @baseline.get("/_bench/baseline")
    @scope.role_required(DISTRICT_READERS)
    def bare():
        return str(db.session.execute(text("SELECT 1")).scalar())

    app.register_blueprint(baseline)
    return app


def served_app():
    """gunicorn's entry point: ``gunicorn 'bench.portal:served_app()'`` with BENCH_PORTAL_DATABASE_URL set."""
    return bench_app(os.environ["BENCH_PORTAL_DATABASE_URL"])


# --- in-process timings ---------------------------------------------------------------------------

class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


def publish_now(app) -> None:
    """What a credit publication does to the portal: its generation changes (committed), nothing else."""
    from supervision.core import generations
    from supervision.extensions import db
    from supervision.portal.services import CREDIT_TOPIC

    with app.app_context():
        generations.bump(db.session.connection(), CREDIT_TOPIC)
        db.session.commit()


def clear_caches(app) -> None:
    """Every cache of the portal, pages and fragments: the worst first request (e.g. after a register change)."""
    from supervision.portal.cache import CACHE_NAME, FRAGMENTS_NAME

    for name in (CACHE_NAME, FRAGMENTS_NAME):
        app.extensions.pop(name, None)


def in_process(app, estate_ids: list[int], requests: int) -> dict:
    """Median wall time, median CPU time of this process and queries of each page. The pages are timed in
    turns — one request of each, then the next round — so that they all see the same load of a shared
    machine (its load drifts over minutes)."""
    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import event

    from supervision.extensions import db

    counter = QueryCounter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counter)
    client = app.test_client()
    officer = app.test_client()
    with officer.session_transaction() as session:
        session["csrf_token"] = "bench"
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps("bench")
    response = officer.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login failed ({response.status_code})")

    sheet = [f"/public/estates/{i}" for i in estate_ids]
    # key: (client, urls, before the request: None / "clear" / "publish", headers, expected status)
    specs = {
        "public_baseline": (client, ["/_bench/public-baseline"], None, {}, 200),
        "login_baseline": (officer, ["/_bench/baseline"], None, {}, 200),
        "estate": (client, sheet[:1], None, {}, 200),
        "estate_published": (client, sheet, "publish", {}, 200),
        "estate_cold": (client, sheet, "clear", {}, 200),
        "estate_304": (client, sheet[:1], None, "revalidate", 304),
        "grades": (client, ["/public/grades"], None, {}, 200),
        "grades_cold": (client, ["/public/grades"], "clear", {}, 200),
    }
    times = {key: [] for key in specs}
    cpu = {key: [] for key in specs}
    queries = {key: [] for key in specs}
    for n in range(requests + 2):
        for key, (browser, urls, before, headers, expect) in specs.items():
            url = urls[n % len(urls)]
            if before == "clear":
                clear_caches(app)
            elif before == "publish":  # the page was visited before the publication (its fragments are kept)
                browser.get(url, headers=headers).get_data()
                publish_now(app)
            elif headers == "revalidate":  # with the ETag of the page as it is now (a publication changes it)
                headers = {"If-None-Match": browser.get(url).headers["ETag"]}
            else:  # a cold page of this round may have emptied the cache: the timed request is a hit
                browser.get(url, headers=headers).get_data()
            counter.count = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            response = browser.get(url, headers=headers)
            response.get_data()
            elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            if response.status_code != expect:
                raise RuntimeError(f"GET {url} answered {response.status_code}, not {expect}")
            if n >= 2:  # two rounds of warm-up
                times[key].append(elapsed)
                cpu[key].append(elapsed_cpu)
                queries[key].append(counter.count)
    return {key: {"median": statistics.median(times[key]), "cpu": statistics.median(cpu[key]),
                  "queries": max(queries[key])} for key in specs}


# --- CPU accounting -------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return total


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
    return found


def _backends(admin_url: str, database: str) -> list[int]:
    """The PostgreSQL server processes serving ``database`` (the server runs on this machine)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from supervision.config import normalise_database_url

    engine = create_engine(make_url(normalise_database_url(admin_url)).set(database="postgres"))
    try:
        with engine.connect() as connection:
            return list(connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                           {"d": database}))
    finally:
        engine.dispose()


# --- gunicorn and the load ------------------------------------------------------------------------

async def _connection(host: str, port: int, paths: list[str], offset: int, stop: float, tally: dict,
                      limit: int | None = None, reconnect: bool = False) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = offset
    try:
        while time.perf_counter() < stop and (limit is None or sum(tally.values()) < limit):
            path = paths[n % len(paths)]
            n += 1
            ask_close = "Connection: close\r\n" if reconnect else ""
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n{ask_close}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await reader.readexactly(length)
            tally[status] = tally.get(status, 0) + 1
            if close or reconnect:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _load(host: str, port: int, paths: list[str], connections: int, seconds: float,
                limit: int | None = None, reconnect: bool = False, offset: int = 0) -> dict:
    tally: dict[int, int] = {}
    started = time.perf_counter()
    stop = started + seconds
    step = max(1, len(paths) // connections)
    await asyncio.gather(*(_connection(host, port, paths, offset + i * step, stop, tally, limit, reconnect)
                           for i in range(connections)))
    elapsed = time.perf_counter() - started
    return {"tally": tally, "seconds": elapsed}


def _client(port: int, paths: list[str], connections: int, seconds: float, offset: int, results) -> None:
    """One client process: its connections' statuses, its wall time and its own CPU time."""
    cpu = time.process_time()
    result = asyncio.run(_load("127.0.0.1", port, paths, connections, seconds, offset=offset))
    results.put({**result, "cpu": time.process_time() - cpu})


def _clients(port: int, paths: list[str], connections: int, seconds: float, clients: int) -> dict:
    """The load from ``clients`` processes sharing ``connections`` (one process's event loop may be the
    bottleneck: its CPU time is reported)."""
    context = multiprocessing.get_context("spawn")  # not fork: the app's threads (rate-limit timers) live here
    results = context.Queue()
    shares = [connections // clients + (1 if i < connections % clients else 0) for i in range(clients)]
    step = max(1, len(paths) // clients)
    processes = [context.Process(target=_client, args=(port, paths, share, seconds, i * step, results))
                 for i, share in enumerate(shares) if share]
    for process in processes:
        process.start()
    found = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    tally: dict[int, int] = {}
    for result in found:
        for status, count in result["tally"].items():
            tally[status] = tally.get(status, 0) + count
    elapsed = max(result["seconds"] for result in found)
    done = sum(tally.values())
    return {"requests": done, "seconds": elapsed, "rps": tally.get(200, 0) / elapsed, "statuses": tally,
            "client_cpu_ms": sum(r["cpu"] for r in found) * 1000 / max(done, 1), "clients": len(processes)}


def load(port: int, paths: list[str], *, connections: int, seconds: float, warmup: float, server=None,
         clients: int = 1) -> dict:
    """req/s, and the CPU time the server (gunicorn's workers and their PostgreSQL backends) spent per
    request: ``server()`` names their pids. The cores divided by that is what the server could do on
    an otherwise idle machine (the client's own CPU not counted: real visitors are elsewhere; it is
    reported, per request, to show whether the client was the bottleneck)."""
    if warmup:  # each worker has its own cache: a new connection a request spreads the pages over the workers
        asyncio.run(_load("127.0.0.1", port, paths, connections, 300.0, limit=int(warmup * len(paths)),
                          reconnect=True))
    pids = server() if server else []
    cpu = _cpu_seconds(pids)
    load_before = os.getloadavg()[0]
    result = _clients(port, paths, connections, seconds, clients)
    result["load"] = (load_before, os.getloadavg()[0])
    if pids and result["requests"]:
        result["cpu_ms"] = (_cpu_seconds(pids) - cpu) * 1000 / result["requests"]
        result["capacity"] = (os.cpu_count() or 1) * 1000 / result["cpu_ms"] if result["cpu_ms"] else 0.0
    return result


def start_gunicorn(database_url: str, port: int, workers: int, worker_class: str = "gthread",
                   threads: int = 2) -> subprocess.Popen:
    env = dict(os.environ, BENCH_PORTAL_DATABASE_URL=database_url, ALLOW_PER_WORKER_RATE_LIMITS="1",
               PYTHONPATH=str(ROOT))
    config = Path(tempfile.mkdtemp(prefix="bench-portal-gunicorn-")) / "gunicorn.conf.py"
    config.write_text("# the benchmark's settings are on the command line\n")
    command = [str(Path(sys.executable).with_name("gunicorn")), "--config", str(config),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", worker_class, "--threads", str(threads), "--keep-alive", "30",
               "--log-level", "warning", "--chdir", str(ROOT), "bench.portal:served_app()"]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    return server.started(process, port)


stop_gunicorn = server.stop


# --- the run --------------------------------------------------------------------------------------

def _database(args) -> tuple[str, Callable[[], None], bool]:
    """The benchmark's database: ``(url, drop, generated already)``. With ``--keep-db`` a database of that name
    that holds a district is used as it is (and kept); otherwise it is created anew (and dropped at the end)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from supervision.config import normalise_database_url
    from supervision.ops.databases import fresh_postgres_database

    name = args.db_name or f"bench_portal_{args.scale}x"
    if args.keep_db:
        url = make_url(normalise_database_url(args.pg_url)).set(database=name)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                if connection.scalar(text("SELECT count(*) FROM estates")):
                    return url.render_as_string(hide_password=False), lambda: None, True
        except (OperationalError, ProgrammingError):
            pass  # no such database, or not migrated: build it
        finally:
            engine.dispose()
    url, drop = fresh_postgres_database(args.pg_url, name)
    return url, (lambda: None) if args.keep_db else drop, False


def run(args) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from bench.generate import generate
    from supervision.estates.models import Estate
    from supervision.extensions import db

    database_url, drop, generated = _database(args)
    result = {"scale": args.scale, "load_before": os.getloadavg(), "reused": generated}
    try:
        app = bench_app(database_url)
        with app.app_context():
            with contextlib.redirect_stderr(io.StringIO()):
                upgrade()
            if not generated:
                generate(args.scale, log=lambda m: print(m, flush=True))
            result["counts"] = {name: db.session.execute(select(db.func.count()).select_from(
                db.metadata.tables[name])).scalar() for name in ("estates", "companies")}
            estate_ids = list(db.session.scalars(select(Estate.id).where(Estate.archived_at.is_(None))
                                                 .order_by(Estate.id)))
            db.session.remove()
        rng = random.Random(19)
        sample = rng.sample(estate_ids, min(len(estate_ids), args.estates))
        print(f"  {len(estate_ids):,} estates; timing in process …", flush=True)
        result["pages"] = in_process(app, sample, args.requests)
        for key, value in result["pages"].items():
            print(f"  {key:18} median {value['median'] * 1000:7.2f} ms, CPU {value['cpu'] * 1000:6.2f} ms, "
                  f"{value['queries']} queries", flush=True)
        with app.app_context():
            db.engine.dispose()
        result["load_gunicorn"] = os.getloadavg()
        chosen = set(sample)
        fresh = [f"/public/estates/{i}" for i in estate_ids if i not in chosen]
        rng.shuffle(fresh)
        result["servers"] = {}
        for number, worker_class in enumerate(args.worker_classes.split(",")):
            result["servers"][worker_class] = serve(args, database_url, worker_class, sample,
                                                    fresh if number == 0 else None)
    finally:
        drop()
    result["load_after"] = os.getloadavg()
    return result


def serve(args, database_url: str, worker_class: str, sample: list[int], fresh: list[str] | None) -> dict:
    """The loads on gunicorn with ``worker_class`` workers: the baseline, the revisited estate sheets and —
    when ``fresh`` is given — estate sheets never visited before."""
    threads = args.threads if worker_class == "gthread" else 1
    process = start_gunicorn(database_url, args.port, args.workers, worker_class, threads)
    database = database_url.rsplit("/", 1)[1]
    label = f"{worker_class} ({args.workers} workers × {threads} threads)"

    def server():
        return _children(process.pid) + _backends(args.pg_url, database)

    def measured(name, paths, warmup):
        found = load(args.port, paths, connections=args.connections, seconds=args.seconds, warmup=warmup,
                     server=server, clients=args.clients)
        print(f"  {label}, {name}: {found['rps']:.0f} req/s {found['statuses']}, server "
              f"{found.get('cpu_ms', 0):.2f} ms CPU a request, client {found['client_cpu_ms']:.2f} ms "
              f"({found['clients']} processes), load {found['load'][0]:.1f}→{found['load'][1]:.1f}", flush=True)
        return found

    found = {"threads": threads}
    try:
        found["baseline"] = measured("baseline", ["/_bench/public-baseline"], 20)
        found["hot"] = measured("estate sheets revisited", [f"/public/estates/{i}" for i in sample], args.warmup)
        if fresh:
            found["cold"] = measured("estate sheets never visited", fresh, 0)
    finally:
        stop_gunicorn(process)
    return found


def _load_row(label: str, m: dict, ok) -> str:
    cpu, capacity = m.get("cpu_ms"), m.get("capacity")
    verdict = ""
    if ok is not None:
        verdict = f"{ok(m['rps'] >= MIN_REQUESTS_PER_SECOND)} / " + (
            ok(capacity >= MIN_REQUESTS_PER_SECOND) if capacity else "—")
    return (f"| {label} | {m['requests']:,} | {m['rps']:.0f} | {f'{cpu:.2f}' if cpu else '—'} "
            f"| {m['client_cpu_ms']:.2f} ({m['clients']}) | {m['load'][0]:.1f} → {m['load'][1]:.1f} "
            f"| {f'{capacity:.0f}' if capacity else '—'} | {verdict} |")


JUDGED_PAGES = (("estate", "estate sheet (cache hit)"),
                ("estate_published", "estate sheet, first request after a publication"),
                ("estate_cold", "estate sheet, every portal cache cleared"),
                ("grades", "grade list (cache hit)"),
                ("grades_cold", "grade list, first request after a publication (cache cleared)"))


def verdicts(r: dict, args) -> list[tuple[bool, str]]:
    """(passed, what) per target of issue 19 item 7."""
    pages = r["pages"]
    base = pages["public_baseline"]["median"]
    found = [(pages[key]["median"] / base <= MAX_BASELINE_RATIO,
              f"{label}: median {pages[key]['median'] * 1000:.2f} ms = {pages[key]['median'] / base:.2f}× the "
              f"baseline's {base * 1000:.2f} ms (≤ {MAX_BASELINE_RATIO:.0f}×)") for key, label in JUDGED_PAGES]
    primary = args.worker_classes.split(",")[0]
    hot = r["servers"][primary]["hot"]
    found.append((hot["rps"] >= MIN_REQUESTS_PER_SECOND,
                  f"estate sheets under gunicorn, {args.workers} {primary} workers: {hot['rps']:.0f} req/s "
                  f"(≥ {MIN_REQUESTS_PER_SECOND:.0f})"))
    return found


def report(r: dict, args) -> str:
    pages = r["pages"]
    base = pages["public_baseline"]["median"]
    login = pages["login_baseline"]["median"]

    def ok(flag):
        return "✅ pass" if flag else "❌ fail"

    rows = (("public_baseline", "baseline, anonymous (SELECT 1)"), ("login_baseline", "baseline behind the login"),
            ("estate", "estate sheet (cache hit)"),
            ("estate_published", "estate sheet, first request after a publication (generation bumped)"),
            ("estate_cold", "estate sheet, every portal cache cleared (pages and fragments)"),
            ("estate_304", "estate sheet, 304 revalidation"), ("grades", "grade list (cache hit)"),
            ("grades_cold", "grade list, cache cleared (= after a publication)"))
    judged = {key for key, _label in JUDGED_PAGES}
    c = r["counts"]
    lines = [
        "# Public portal benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/portal.py {' '.join(sys.argv[1:])}`; "
        f"PostgreSQL, scale {r['scale']}× ({c['estates']:,} estates, {c['companies']:,} companies"
        f"{', database reused' if r['reused'] else ''}); "
        f"{args.requests} timed requests a page through Flask's test client, anonymous.",
        "",
        f"Machine: {os.cpu_count()} cores, shared. Load average (1, 5, 15 min): "
        f"{'/'.join(f'{x:.1f}' for x in r['load_before'])} at the start, "
        f"{'/'.join(f'{x:.1f}' for x in r['load_gunicorn'])} before the gunicorn runs, "
        f"{'/'.join(f'{x:.1f}' for x in r['load_after'])} at the end.",
        "",
        "CPU ms: this process's CPU time for the request (the test client, Flask, the driver; not the database "
        "server's) — less sensitive than the wall time to what else the machine runs.",
        "",
        f"| page | median ms | CPU ms | queries | × anonymous baseline | CPU × baseline | × login baseline "
        f"| ≤ {MAX_BASELINE_RATIO:.0f}× |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for key, label in rows:
        p = pages[key]
        ratio = p["median"] / base
        lines.append(f"| {label} | {p['median'] * 1000:.2f} | {p['cpu'] * 1000:.2f} | {p['queries']} | {ratio:.2f} "
                     f"| {p['cpu'] / pages['public_baseline']['cpu']:.2f} | {p['median'] / login:.2f} "
                     f"| {ok(ratio <= MAX_BASELINE_RATIO) if key in judged else ''} |")
    for worker_class, found in r["servers"].items():
        lines += [
            "",
            f"gunicorn, {args.workers} {worker_class} workers × {found['threads']} threads, {args.connections} "
            f"keep-alive connections from {args.clients} asyncio client process(es) on the same machine, "
            f"{args.seconds:.0f} s each (the revisited set after {args.warmup:.0f} warm-up requests a page, spread "
            "over the workers' own caches):",
            "",
            f"| load | requests | req/s | server CPU ms / request | client CPU ms / request (processes) "
            f"| load average | req/s its CPU allows on {os.cpu_count()} idle cores "
            f"| ≥ {MIN_REQUESTS_PER_SECOND:.0f} req/s (measured / idle estimate) |",
            "|---|--:|--:|--:|--:|--:|--:|---|",
            _load_row("baseline, anonymous (SELECT 1): what the machine serves now", found["baseline"], None),
            _load_row(f"estate sheets, {args.estates} estates revisited", found["hot"], ok),
        ]
        if "cold" in found:
            lines.append(_load_row("estate sheets, a different estate each request (all cache misses)",
                                   found["cold"], None))
    lines += ["", "## Targets", ""]
    lines += [f"- {'PASS' if passed else 'FAIL'}: {what}" for passed, what in verdicts(r, args)]
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--requests", type=int, default=50, help="timed requests a page (in process)")
    parser.add_argument("--estates", type=int, default=100, help="estates in the revisited set")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=12.0,
                        help="warm-up requests per page of the revisited set (4 workers each keep their own cache)")
    parser.add_argument("--threads", type=int, default=2, help="threads of a gthread worker")
    parser.add_argument("--worker-classes", default="gthread",
                        help="comma-separated gunicorn worker classes to load in turn (the first is judged)")
    parser.add_argument("--clients", type=int, default=2, help="client processes sharing the connections")
    parser.add_argument("--db-name", help="database name (default bench_portal_<scale>x)")
    parser.add_argument("--keep-db", action="store_true",
                        help="reuse the database if it holds a district, and keep it at the end")
    parser.add_argument("--port", type=int, default=8919)
    parser.add_argument("--out", default=str(BENCH_DIR / "portal-results.md"))
    args = parser.parse_args(argv)
    result = run(args)
    text = report(result, args)
    Path(args.out).write_text(text, encoding="utf-8")
    sys.stdout.write(text + f"\nwrote {args.out}\n")
    return 0 if all(passed for passed, _what in verdicts(result, args)) else 1


if __name__ == "__main__":
    sys.exit(main())
