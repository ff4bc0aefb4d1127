#!/usr/bin/env python3
"""The public portal's benchmark (issue 19, item 7): a program, not a test.

At a given scale of the demo district (bench/generate.py) on PostgreSQL it measures:

* through Flask's test client, anonymous: the median request time and SQL statements of the public
  estate sheet and the grade list, each as users mostly get it (a page-cache hit) and as the first
  request after a publication gets it (cache cleared before every request, a different estate each
  time), of a 304 revalidation, and of the baseline routes — ``/_bench/public-baseline`` (anonymous,
  ``SELECT 1``, the portal's request hooks and rate limit) and ``/_bench/baseline`` (the same behind the
  login, as in bench/run.py). Targets: median ≤ 3× the baseline;
* under gunicorn with 4 workers (gthread, 2 threads each, as gunicorn.conf.py) on the same database:
  requests per second for estate sheets, from an asyncio HTTP/1.1 keep-alive client on the same
  machine — over a set of estates visited again and again (what public traffic mostly is), and with
  every request a different estate (each a cache miss). Target: ≥ 300 req/s.

The machine's load average is recorded with the results (other work on it slows every timing).

    python bench/portal.py --scale 10
    python bench/portal.py --scale 100 --seconds 20 --out /tmp/portal.md
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

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


def _measure(client, urls: list[str], counter: QueryCounter, requests: int, *, before=None, headers=None,
             expect: int = 200) -> dict:
    before = before or (lambda: None)
    for url in urls[:2]:  # warm-up
        before()
        client.get(url, headers=headers or {})
    times, queries = [], []
    for n in range(requests):
        url = urls[n % len(urls)]
        before()
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        response.get_data()
        times.append(time.perf_counter() - started)
        queries.append(counter.count)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url} answered {response.status_code}, not {expect}")
    return {"median": statistics.median(times), "queries": max(queries), "url": urls[0], "bytes": len(response.data)}


def in_process(app, estate_ids: list[int], requests: int) -> dict:
    from sqlalchemy import event

    from supervision.extensions import db
    from supervision.portal.cache import CACHE_NAME

    counter = QueryCounter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counter)
    client = app.test_client()
    officer = app.test_client()
    with officer.session_transaction() as session:
        session["csrf_token"] = "bench"
    from itsdangerous import URLSafeTimedSerializer

    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps("bench")
    response = officer.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login failed ({response.status_code})")

    def clear():
        app.extensions.pop(CACHE_NAME, None)

    sheet = [f"/public/estates/{i}" for i in estate_ids]
    results = {
        "public_baseline": _measure(client, ["/_bench/public-baseline"], counter, requests),
        "login_baseline": _measure(officer, ["/_bench/baseline"], counter, requests),
        "estate": _measure(client, sheet[:1], counter, requests),
        "estate_cold": _measure(client, sheet, counter, requests, before=clear),
        "grades": _measure(client, ["/public/grades"], counter, requests),
        "grades_cold": _measure(client, ["/public/grades"], counter, requests, before=clear),
    }
    etag = client.get(sheet[0]).headers["ETag"]
    results["estate_304"] = _measure(client, sheet[:1], counter, requests, headers={"If-None-Match": etag},
                                     expect=304)
    return results


# --- gunicorn and the load ------------------------------------------------------------------------

async def _connection(host: str, port: int, paths: list[str], offset: int, stop: float, tally: dict) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = offset
    try:
        while time.perf_counter() < stop:
            path = paths[n % len(paths)]
            n += 1
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n\r\n".encode())
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
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _load(host: str, port: int, paths: list[str], connections: int, seconds: float) -> dict:
    tally: dict[int, int] = {}
    started = time.perf_counter()
    stop = started + seconds
    step = max(1, len(paths) // connections)
    await asyncio.gather(*(_connection(host, port, paths, i * step, stop, tally) for i in range(connections)))
    elapsed = time.perf_counter() - started
    done = sum(tally.values())
    return {"requests": done, "seconds": elapsed, "rps": tally.get(200, 0) / elapsed, "statuses": tally}


def load(port: int, paths: list[str], *, connections: int, seconds: float, warmup: float) -> dict:
    if warmup:
        asyncio.run(_load("127.0.0.1", port, paths, connections, warmup))
    return asyncio.run(_load("127.0.0.1", port, paths, connections, seconds))


def start_gunicorn(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, BENCH_PORTAL_DATABASE_URL=database_url, ALLOW_PER_WORKER_RATE_LIMITS="1",
               PYTHONPATH=str(ROOT))
    config = Path(tempfile.mkdtemp(prefix="bench-portal-gunicorn-")) / "gunicorn.conf.py"
    config.write_text("# the benchmark's settings are on the command line\n")
    command = [str(Path(sys.executable).with_name("gunicorn")), "--config", str(config),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", "2", "--keep-alive", "30",
               "--log-level", "warning", "--chdir", str(ROOT), "bench.portal:served_app()"]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(  # nosec B310 - the local server just started
                f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            if response.status == 200:
                return process
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        time.sleep(0.5)
    stop_gunicorn(process)
    raise RuntimeError("gunicorn did not start")


def stop_gunicorn(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)


# --- the run --------------------------------------------------------------------------------------

def run(args) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from bench.generate import generate
    from supervision.estates.models import Estate
    from supervision.extensions import db
    from supervision.ops.databases import fresh_postgres_database

    database_url, drop = fresh_postgres_database(args.pg_url, f"bench_portal_{args.scale}x")
    result = {"scale": args.scale, "load_before": os.getloadavg()}
    try:
        app = bench_app(database_url)
        with app.app_context():
            with contextlib.redirect_stderr(io.StringIO()):
                upgrade()
            started = time.perf_counter()
            result["counts"] = generate(args.scale, log=lambda m: print(m, flush=True))
            result["generate_s"] = time.perf_counter() - started
            estate_ids = list(db.session.scalars(select(Estate.id).where(Estate.archived_at.is_(None))
                                                 .order_by(Estate.id)))
            db.session.remove()
        rng = random.Random(19)
        sample = rng.sample(estate_ids, min(len(estate_ids), args.estates))
        print(f"  {len(estate_ids):,} estates; timing in process …", flush=True)
        result["pages"] = in_process(app, sample, args.requests)
        for key, value in result["pages"].items():
            print(f"  {key:16} median {value['median'] * 1000:7.2f} ms  {value['queries']} queries", flush=True)
        with app.app_context():
            db.engine.dispose()

        result["load_gunicorn"] = os.getloadavg()
        process = start_gunicorn(database_url, args.port, args.workers)
        try:
            result["rps_baseline"] = load(args.port, ["/_bench/public-baseline"], connections=args.connections,
                                          seconds=args.seconds, warmup=2)
            print(f"  public baseline: {result['rps_baseline']['rps']:.0f} req/s", flush=True)
            hot = [f"/public/estates/{i}" for i in sample]
            result["rps_hot"] = load(args.port, hot, connections=args.connections, seconds=args.seconds,
                                     warmup=args.warmup)
            print(f"  estate sheets ({len(hot)} estates, revisited): {result['rps_hot']['rps']:.0f} req/s "
                  f"{result['rps_hot']['statuses']}", flush=True)
            chosen = set(sample)
            fresh = [f"/public/estates/{i}" for i in estate_ids if i not in chosen] or hot
            rng.shuffle(fresh)
            result["rps_cold"] = load(args.port, fresh, connections=args.connections, seconds=args.seconds,
                                      warmup=0)
            print(f"  estate sheets (a different estate each request): {result['rps_cold']['rps']:.0f} req/s "
                  f"{result['rps_cold']['statuses']}", flush=True)
        finally:
            stop_gunicorn(process)
    finally:
        drop()
    result["load_after"] = os.getloadavg()
    return result


def report(r: dict, args) -> str:
    pages = r["pages"]
    base = pages["public_baseline"]["median"]
    login = pages["login_baseline"]["median"]

    def ok(flag):
        return "✅ pass" if flag else "❌ fail"

    rows = (("public_baseline", "baseline, anonymous (SELECT 1)"), ("login_baseline", "baseline behind the login"),
            ("estate", "estate sheet (cache hit)"), ("estate_cold", "estate sheet, cache cleared"),
            ("estate_304", "estate sheet, 304 revalidation"), ("grades", "grade list (cache hit)"),
            ("grades_cold", "grade list, cache cleared"))
    c = r["counts"]
    lines = [
        "# Public portal benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/portal.py {' '.join(sys.argv[1:])}`; "
        f"PostgreSQL, scale {r['scale']}× ({c['estates']:,} estates, {c['companies']:,} companies); "
        f"{args.requests} timed requests a page through Flask's test client, anonymous.",
        "",
        f"Machine: {os.cpu_count()} cores, shared. Load average (1, 5, 15 min): "
        f"{'/'.join(f'{x:.1f}' for x in r['load_before'])} at the start, "
        f"{'/'.join(f'{x:.1f}' for x in r['load_gunicorn'])} before the gunicorn runs, "
        f"{'/'.join(f'{x:.1f}' for x in r['load_after'])} at the end.",
        "",
        f"| page | median ms | queries | × anonymous baseline | × login baseline | ≤ {MAX_BASELINE_RATIO:.0f}× |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for key, label in rows:
        p = pages[key]
        ratio = p["median"] / base
        judged = key in ("estate", "grades", "estate_cold", "grades_cold")
        lines.append(f"| {label} | {p['median'] * 1000:.2f} | {p['queries']} | {ratio:.1f} | {p['median'] / login:.1f} "
                     f"| {ok(ratio <= MAX_BASELINE_RATIO) if judged else ''} |")
    lines += [
        "",
        f"gunicorn, {args.workers} workers × 2 threads (gthread), {args.connections} keep-alive connections from an "
        f"asyncio client on the same machine, {args.seconds:.0f} s each (after {args.warmup:.0f} s of warm-up for "
        "the first):",
        "",
        f"| load | requests | req/s | ≥ {MIN_REQUESTS_PER_SECOND:.0f} req/s |",
        "|---|--:|--:|---|",
        f"| baseline, anonymous (SELECT 1): what the machine serves now | {r['rps_baseline']['requests']:,} | "
        f"{r['rps_baseline']['rps']:.0f} | (reference) |",
        f"| estate sheets, {args.estates} estates revisited | {r['rps_hot']['requests']:,} | "
        f"{r['rps_hot']['rps']:.0f} | {ok(r['rps_hot']['rps'] >= MIN_REQUESTS_PER_SECOND)} |",
        f"| estate sheets, a different estate each request (all cache misses) | {r['rps_cold']['requests']:,} | "
        f"{r['rps_cold']['rps']:.0f} | (not a target) |",
        "",
    ]
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
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--port", type=int, default=8919)
    parser.add_argument("--out", default=str(BENCH_DIR / "portal-results.md"))
    args = parser.parse_args(argv)
    result = run(args)
    text = report(result, args)
    Path(args.out).write_text(text, encoding="utf-8")
    sys.stdout.write(text + f"\nwrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
