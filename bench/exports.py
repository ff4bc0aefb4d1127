#!/usr/bin/env python3
"""Benchmark of the Excel exports (issue 21 item 4): time, CPU, SQL queries and memory of each.

Each URL is fetched by a logged-in user through the Flask test client in a process of its own, with
``EXPORT_JOB_THRESHOLD`` raised so that the workbook is written in the request (a job runs the same
``exports.write``). The idle figure is the process's RSS after logging in and opening the estate list;
the peak is its high-water mark (``ru_maxrss``) after the export. Prints one line per URL and the load.

    python bench/exports.py --workdir /tmp/me --scale 100 /estates/export.xlsx /complaints/export.xlsx
    python bench/exports.py --database-url postgresql://postgres@127.0.0.1:5432/exports_me /estates/export.xlsx
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import subprocess  # nosec B404 - runs this script again, one process per URL
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import PASSWORD, _bench_app, _csrf_token


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(url: str, page: str, user: str, workdir: Path, profile: int) -> None:
    from sqlalchemy import event

    from supervision.extensions import db

    app = _bench_app(url, workdir)
    app.config["EXPORT_JOB_THRESHOLD"] = 10**9
    client = app.test_client()
    response = client.post("/login", data={"username": user, "password": PASSWORD,
                                           "csrf_token": _csrf_token(client, app)})
    assert response.status_code == 302, response.status_code
    client.get("/estates/").get_data()
    idle = _rss_mb()
    queries = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: queries.append(1))
    profiler = cProfile.Profile() if profile else None
    cpu, started = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    response = client.get(page)
    data = response.get_data()
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    one, five, _fifteen = os.getloadavg()
    sys.stdout.write(f"| {page} | {user} | {response.status_code} | {len(data) / 1024:.0f} KB | {wall:.2f} | {cpu:.2f} "
                     f"| {len(queries)} | {idle:.0f} | {peak - idle:+.0f} | {one:.2f} {five:.2f} |\n")
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(profile)
    sys.stdout.flush()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--database-url", help="default: the SQLite file sqlite_<scale>x.db under --workdir")
    parser.add_argument("--workdir", default="/tmp/bench-profile")
    parser.add_argument("--user", default="officer")
    parser.add_argument("--profile", type=int, default=0, help="print this many functions of a cProfile")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    url = args.database_url or f"sqlite:///{workdir / f'sqlite_{args.scale}x.db'}"
    if args.one:
        measure(url, args.urls[0], args.user, workdir, args.profile)
        return 0
    sys.stdout.write("| export | user | status | size | wall s | CPU s | queries | idle RSS MB | peak above idle MB "
                     "| load 1/5 min |\n|---|---|---|---|---|---|---|---|---|---|\n")
    sys.stdout.flush()
    for page in args.urls:
        subprocess.run([sys.executable, __file__, "--one", "--workdir", str(workdir), "--database-url", url,  # nosec B603
                        "--user", args.user, "--profile", str(args.profile), page], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
