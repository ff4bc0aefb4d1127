#!/usr/bin/env python3
"""Profile one page of the benchmark's district with cProfile (a tool for bench/run.py's findings).

    python bench/profile_page.py --scale 100 /credit/ /estates/     # builds /tmp/bench-profile/sqlite_100x.db once
    python bench/profile_page.py --scale 100 --rebuild /            # regenerate the district first
    python bench/profile_page.py --scale 100 --first --top 0 /credit/companies/1   # first request after a change

Prints, for each URL, the wall and CPU time (median of --repeat requests), the SQL statements per request and
the top functions by cumulative time. ``--first`` measures the first request after a change (every data
generation bumped and every generation cache dropped before each request, as bench/pages.py does);
``/_bench/list50``, the tuned list page the targets are ratios of, is there to compare with.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import QueryCounter, bench_app, first_request_after_a_change
from bench.run import PASSWORD, _csrf_token


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--database-url", help="default: a SQLite file under --workdir, kept between runs")
    parser.add_argument("--workdir", default="/tmp/bench-profile")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--user", default="officer")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests after one warm-up")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--first", action="store_true", help="each request the first after a change")
    parser.add_argument("--sql", action="store_true",
                        help="print the profiled request's SQL statements, each SELECT timed again on its own with "
                             "its rows fetched (SQL_CHARS: characters printed, 300)")
    args = parser.parse_args(argv)

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"sqlite_{args.scale}x.db"
    url = args.database_url or f"sqlite:///{path}"
    build = args.rebuild or (not args.database_url and not path.exists())
    if build and not args.database_url:
        path.unlink(missing_ok=True)
    app = bench_app(url, str(workdir))
    if build:
        from flask_migrate import upgrade

        from bench.generate import generate

        with app.app_context():
            with contextlib.redirect_stderr(io.StringIO()):
                upgrade()
            generate(args.scale, log=print)
    client = app.test_client()
    response = client.post("/login", data={"username": args.user, "password": PASSWORD,
                                           "csrf_token": _csrf_token(client, app)})
    assert response.status_code == 302, response.status_code
    counter = QueryCounter()
    with app.app_context():
        from sqlalchemy import event

        from supervision.extensions import db

        event.listen(db.engine, "before_cursor_execute", counter)
        statements: list[tuple] = []  # (statement, parameters) of the last request
        if args.sql:
            event.listen(db.engine, "before_cursor_execute",
                         lambda _conn, _cursor, statement, params, *_rest: statements.append((statement, params)))
    with app.app_context():
        from supervision.api.services import create_token
        from supervision.auth.models import User

        user = db.session.scalar(db.select(User).where(User.username == args.user))
        _token, secret = create_token(user, name="profile", days=1)
        db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    before = first_request_after_a_change if args.first else (lambda _app: None)
    for page in args.urls:
        headers = bearer if page.startswith("/api/") else {}
        client.get(page, headers=headers)
        times, cpu, queries = [], [], []
        for _ in range(args.repeat):
            before(app)
            counter.count = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(page, headers=headers).get_data()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            queries.append(counter.count)
        before(app)
        statements.clear()
        profiler = cProfile.Profile()
        profiler.enable()
        response = client.get(page, headers=headers)
        response.get_data()
        profiler.disable()
        with open("/proc/loadavg") as loadavg:
            load = loadavg.read().split()[0]
        print(f"\n=== {page} ({args.user}{', first after a change' if args.first else ''}): {response.status_code}, "
              f"wall median {statistics.median(times) * 1000:.1f} ms, "
              f"CPU median {statistics.median(cpu) * 1000:.1f} ms (best {min(cpu) * 1000:.1f}) of {args.repeat}, "
              f"queries {max(queries)}, "
              f"{len(response.get_data()) // 1024} KB, load {load}")
        shown = int(os.environ.get("SQL_CHARS", 300))  # characters of each statement printed
        captured = list(statements)
        with app.app_context():
            for number, (statement, parameters) in enumerate(captured, 1):
                print(f"--- SQL {number} ({_database_ms(db, statement, parameters)}): "
                      f"{' '.join(statement.split())[:shown]}")
        if args.top:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


def _database_ms(db, statement: str, parameters) -> str:
    """A SELECT run again on its own, all its rows fetched (the database's whole work, which SQLite does as the
    rows are fetched): the best of 3, in ms."""
    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
        return "not a SELECT"
    connection = db.session.connection()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        connection.exec_driver_sql(statement, parameters).fetchall()
        best = min(best, time.perf_counter() - started)
    db.session.rollback()
    return f"{best * 1000:.1f} ms"


if __name__ == "__main__":
    sys.exit(main())
