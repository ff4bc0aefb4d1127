#!/usr/bin/env python3
"""The complaint pages at 200,000 complaints, for before/after comparisons (issue 18): a tool, not a test.

Builds once (``--build``) the demo district plus ``--complaints`` bulk complaints (bench/complaints.py's
``_bulk``) in a database that is kept, then measures each complaint page per role: SQL statements per
request, and the medians of CPU time (``time.process_time``), wall time and time inside SQL. Run it
from a checkout of the code to measure (e.g. ``git archive main | tar -x -C /tmp/main`` for "before"),
against the same database, with the indexes of that code.

    python bench/complaint_pages.py --build                      # SQLite file /tmp/bench-complaint-pages/c200k.db
    python bench/complaint_pages.py --db postgresql://postgres@127.0.0.1:5432/my_db --build
    python bench/complaint_pages.py --profile officer:/complaints/?overdue=1   # cProfile one request
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, os.getcwd())  # the checkout being measured

from bench.complaints import _app, _bulk, _login


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite:////tmp/bench-complaint-pages/c200k.db")
    parser.add_argument("--build", action="store_true", help="seed the demo and bulk-insert the complaints first")
    parser.add_argument("--complaints", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--profile", help="ROLE:URL: cProfile one request and list its SQL")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    from sqlalchemy import event, text

    from supervision.extensions import db

    workdir = Path("/tmp/bench-complaint-pages")
    workdir.mkdir(exist_ok=True)
    app = _app(args.db, workdir)
    if args.build:
        from supervision.seeding import seed_demo

        with app.app_context():
            db.create_all()
            seed_demo()
            db.session.commit()
            _bulk(args.complaints)
            if args.db.startswith("postgresql"):
                db.session.execute(text("ANALYZE"))
                db.session.commit()
    counter, statements = [0], []
    with app.app_context():
        def before(conn, cursor, statement, parameters, context, many):
            counter[0] += 1
            context.bench_started = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, many):
            statements.append((time.perf_counter() - context.bench_started, statement, parameters))

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    month = datetime.now().strftime("%Y-%m")
    urls = {"baseline": "/_bench/baseline", "list": "/complaints/", "list_overdue": "/complaints/?overdue=1",
            "drill_down": f"/complaints/?month={month}&measure=late_resolution", "rates": "/complaints/rates",
            "rates_company": "/complaints/rates?by=company", "list_repairs_p3": "/complaints/?page=3&kind=repair",
            "drill_company": f"/complaints/?month={month}&measure=unsatisfied&company=1"}
    roles = {"officer": list(urls), "street": ["baseline", "list", "list_overdue", "rates"],
             "company": ["baseline", "list", "list_overdue"]}
    if args.profile:
        role, url = args.profile.split(":", 1)
        client = _login(app, role)
        for _ in range(3):
            client.get(url)
        counter[0] = 0
        statements.clear()
        profiler = cProfile.Profile()
        profiler.enable()
        response = client.get(url)
        response.get_data()
        profiler.disable()
        print(response.status_code, counter[0], "queries")
        for seconds, statement, parameters in statements:
            print(f"  SQL {seconds * 1000:6.2f} ms: {' '.join(statement.split())[:200]} {parameters}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
        return
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start")
    print("| role | page | queries | CPU ms | wall ms | SQL ms | HTML KB |\n|---|---|--:|--:|--:|--:|--:|")
    for role, keys in roles.items():
        client = _login(app, role)
        for key in keys:
            for _ in range(2):
                client.get(urls[key])
            cpu, wall, queries, sql = [], [], [], []
            for _ in range(args.requests):
                counter[0] = 0
                statements.clear()
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(urls[key])
                response.get_data()
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                queries.append(counter[0])
                sql.append(sum(s[0] for s in statements))
                assert response.status_code == 200, (key, response.status_code)
            print(f"| {role} | {key} | {max(queries)} | {statistics.median(cpu) * 1000:.1f} | "
                  f"{statistics.median(wall) * 1000:.1f} | {statistics.median(sql) * 1000:.1f} | "
                  f"{len(response.data) // 1024} |", flush=True)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
