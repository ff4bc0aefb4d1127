#!/usr/bin/env python3
"""How many gunicorn workers and threads: measured on this machine (issue 21, item 4).

Builds the demo district in a SQLite file (``flask db upgrade``, ``flask seed demo``) or uses
``--db``, then for each ``--configs`` (workers×threads, default 2×1 2×2 2×4 4×1 4×2 4×4) starts
gunicorn with the project's gunicorn.conf.py (GUNICORN_WORKERS / GUNICORN_THREADS), logs in as the
bureau officer and requests a mix of the product's pages (lists, dashboard, ranking) from
``--clients`` keep-alive connections for ``--seconds`` seconds after a warm-up. Reports per
configuration: req/s, median and p95 latency, the workers' total resident memory, and the machine's
load average before and after (the machine may be shared).

    python bench/gunicorn_sizing.py                     # ~2 minutes
    python bench/gunicorn_sizing.py --configs 2x2,4x2 --seconds 20
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess  # nosec B404 - starts flask and gunicorn, our own programs
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import server  # noqa: E402

BIN = Path(sys.executable).parent
PAGES = ["/", "/estates/", "/estates/?q=小区", "/companies/", "/campaigns/items", "/campaigns/", "/contracts/",
         "/credit/", "/safety/lifts", "/targets/", "/reports/", "/notifications/"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def log(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def environment(url: str, work: str) -> dict:
    return dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-gunicorn-sizing-secret-key", UPLOAD_DIR=work,
                ALLOW_PER_WORKER_RATE_LIMITS="1", PYTHONPATH=str(ROOT), FLASK_APP="wsgi:app",
                RATELIMIT_ENABLED="0", GUNICORN_TIMEOUT="120")


def build(env: dict) -> None:
    for command in (["db", "upgrade"], ["seed", "demo"]):
        subprocess.run([str(BIN / "flask"), *command], env=env, cwd=ROOT, check=True,  # nosec B603
                       stdout=subprocess.DEVNULL)


def start(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(env, GUNICORN_WORKERS=str(workers), GUNICORN_THREADS=str(threads), GUNICORN_BIND=f"127.0.0.1:{port}")
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",  # nosec B603
                                "--log-level", "warning", "wsgi:app"], env=env, cwd=ROOT, start_new_session=True)
    return server.started(process, port)


stop = server.stop


def rss_mb(process: subprocess.Popen) -> float:
    """The resident memory of gunicorn's master and workers (one process group)."""
    out = subprocess.run(["ps", "-o", "rss=", "-g", str(process.pid)], capture_output=True, text=True,  # nosec
                         check=False).stdout
    return sum(int(v) for v in out.split()) / 1024


def login(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    body = urllib.parse.urlencode({"csrf_token": CSRF.search(page).group(1), "username": "officer",
                                   "password": "supervision-demo"})
    connection.request("POST", "/login", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login failed: {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def client(port: int, cookie: str, offset: int, stop_at: float, times: list, statuses: dict, lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    n = offset
    while time.perf_counter() < stop_at:
        path = PAGES[n % len(PAGES)]
        n += 1
        started = time.perf_counter()
        connection.request("GET", urllib.parse.quote(path, safe="/?=&"), headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        with lock:
            times.append(elapsed)
            statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)


def measure(port: int, cookie: str, clients: int, seconds: float) -> dict:
    times: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    threads = [threading.Thread(target=client, args=(port, cookie, i * 3, stop_at, times, statuses, lock))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    times.sort()
    return {"rps": len(times) / elapsed, "median": statistics.median(times) * 1000,
            "p95": times[int(len(times) * 0.95) - 1] * 1000, "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="2x1,2x2,2x4,4x1,4x2,4x4")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--warmup", type=float, default=4)
    parser.add_argument("--db", default=None, help="a database already built (default: the demo in a SQLite file)")
    parser.add_argument("--port", type=int, default=18321)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-gunicorn-")
    env = environment(args.db or f"sqlite:///{work}/demo.db", work)
    if not args.db:
        build(env)
    log(f"{os.cpu_count()} cores; {args.clients} clients; {len(PAGES)} pages: {' '.join(PAGES)}")
    log("| workers × threads | req/s | median ms | p95 ms | RSS MB (all) | load before → after | statuses |")
    log("|---|---|---|---|---|---|---|")
    for config in args.configs.split(","):
        workers, threads = (int(v) for v in config.split("x"))
        process = start(env, args.port, workers, threads)
        try:
            cookie = login(args.port)
            measure(args.port, cookie, args.clients, args.warmup)  # every worker's caches warm
            before = load()
            result = measure(args.port, cookie, args.clients, args.seconds)
            log(f"| {workers} × {threads} | {result['rps']:.1f} | {result['median']:.0f} | {result['p95']:.0f} | "
                f"{rss_mb(process):.0f} | {before} → {load()} | {result['statuses']} |")
        finally:
            stop(process)


if __name__ == "__main__":
    main()
