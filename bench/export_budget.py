#!/usr/bin/env python3
"""What an export costs in the request against its cells, and what its job redirect costs (EXPORT_INLINE_CELLS).

    python bench/export_budget.py --workdir /tmp/me --scale 10 --user street /_bench/list50 /estates/export.xlsx

Uses the district of ``bench/profile_page.py`` (the SQLite file under --workdir; build it there first). Per
URL, the median of --repeat requests' CPU of the request's own thread (a job started runs on another thread
and is waited for, untimed): written in the request whatever its size (the budget and the row cap raised),
with its rows × columns and CPU µs a cell (fixed costs included); then with the shipped rule, each request a
new job (a query string of its own), so the redirect pays the count, the job's insert and the commit.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import load_workbook
from sqlalchemy import event

from bench.pages import QueryCounter, _login, bench_app, drain_jobs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--workdir", default="/tmp/bench-profile")
    parser.add_argument("--user", default="officer")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    app = bench_app(f"sqlite:///{Path(args.workdir) / f'sqlite_{args.scale}x.db'}", args.workdir)
    client = _login(app, args.user)
    counter = QueryCounter()
    with app.app_context():
        from supervision.extensions import db

        event.listen(db.engine, "before_cursor_execute", counter)

    def measure(make_url):
        runs = []
        for _ in range(args.repeat):
            counter.count = 0
            url = make_url()
            started, started_wall = time.thread_time(), time.perf_counter()
            response = client.get(url)
            response.get_data()
            runs.append((time.thread_time() - started, time.perf_counter() - started_wall, counter.count))
            drain_jobs(app)
        return (statistics.median(r[0] for r in runs) * 1000, statistics.median(r[1] for r in runs) * 1000,
                max(r[2] for r in runs), response)

    shipped = {key: app.config[key] for key in ("EXPORT_INLINE_CELLS", "EXPORT_JOB_THRESHOLD")}
    for url in args.urls:
        client.get(url)
        drain_jobs(app)
        app.config.update(EXPORT_INLINE_CELLS=10**12, EXPORT_JOB_THRESHOLD=10**12)
        cpu, wall, queries, response = measure(lambda url=url: url)
        rows = columns = 0
        if response.status_code == 200 and response.data[:2] == b"PK":
            table = list(load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0].iter_rows(
                values_only=True))
            rows, columns = len(table) - 1, len(table[0]) if table else 0
        app.config.update(shipped)
        sep = "&" if "?" in url else "?"
        rule_cpu, rule_wall, rule_queries, answer = measure(lambda url=url, sep=sep: f"{url}{sep}_new={time.time_ns()}")
        per_cell = f"{cpu * 1000 / (rows * columns):6.2f}" if rows * columns else "     –"
        print(f"{args.user} {url}: in the request {cpu:.1f} ms CPU ({wall:.1f} wall, {queries} q), "
              f"{rows}×{columns} = {rows * columns} cells, {per_cell} µs/cell | shipped rule: "
              f"{answer.status_code} {rule_cpu:.1f} ms CPU ({rule_wall:.1f} wall, {rule_queries} q)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
