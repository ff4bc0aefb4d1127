#!/usr/bin/env python3
"""Complaints benchmark (issue 18): a program, not a test.

Builds the demo district in a fresh database (SQLite file, or PostgreSQL with --pg-url), then:

1. imports a 12345 export of 10,000 work orders through ``HotlineImport`` (the same code as
   ``flask complaints import`` and the upload page), timed from the file's bytes to the commit;
   the target is under 10 s;
2. bulk-inserts ``--complaints`` more complaints and repairs (default 200,000, the issue's 100×),
   spread over 12 months, the estates and every state;
3. measures, logged in as the bureau officer, the street officer and the company user, the median
   latency and the SQL queries per request of the complaint list, its drill-down, the rates page
   and the dashboard, at 1× (the demo's ~100) and after step 2, with a bare ``SELECT 1`` route as
   the baseline.

    python bench/complaints.py                       # SQLite, 200,000 complaints
    python bench/complaints.py --complaints 20000 --requests 5
    python bench/complaints.py --pg-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/complaints.py --json /tmp/complaints.json   # also the figures as JSON (bench/run.py --owners)

Ends with a PASS/FAIL line per target (import < 10 s; every page ≤ 15 queries, as many at 200,000 as at
1×, median ≤ 10× the baseline's) and the load average at the start and the end: on a shared machine
the times rise with the load, the query counts do not.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "supervision-demo"
IMPORT_ROWS = 10_000
MAX_IMPORT_SECONDS = 10.0
MAX_QUERIES = 15
MAX_BASELINE_RATIO = 10.0


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _app(database_url: str, workdir: Path):
    from flask import Blueprint
    from sqlalchemy import text

    from supervision import create_app
    from supervision.auth import scope
    from supervision.auth.roles import ALL_ROLES
    from supervision.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-only-secret-key",
                      "UPLOAD_DIR": str(workdir / "uploads"), "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_COST": 8192, "RATELIMIT_ENABLED": False})
    baseline = Blueprint("bench_baseline", __name__)

    @baseline.get("/_bench/baseline")
    @scope.role_required(ALL_ROLES)
    def bare():
        return str(db.session.execute(text("SELECT 1")).scalar())

    app.register_blueprint(baseline)
    return app


def _export(estates: list[tuple[str, str]], rows: int) -> bytes:
    from openpyxl import Workbook

    rng = random.Random(18)
    book = Workbook()  # as Excel saves it: shared strings (a write-only book inlines them, slower to read)
    sheet = book.active
    sheet.append(["工单编号", "来电时间", "诉求内容", "诉求地址", "来电号码", "来电人", "办理时限", "诉求类别",
                  "工单状态"])
    start = datetime(2026, 1, 5, 8, 0)
    for n in range(rows):
        name, street = rng.choice(estates)
        address = f"{street}{name}{rng.randint(1, 20)}栋" if n % 5 else f"某路{rng.randint(1, 999)}号附近"
        received = start + timedelta(minutes=47 * n)
        sheet.append([f"BENCH{n:07d}", received, rng.choice(("楼道垃圾无人清运", "电梯停运", "物业费上涨未公示")),
                      address, f"139{n:08d}", "市民", received + timedelta(days=5),
                      rng.choice(("环境卫生", "电梯", "物业收费", "")), "已派单"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bulk(count: int) -> None:
    from sqlalchemy import insert, select

    from supervision.complaints.models import Channel, Complaint, Kind, MatchStatus, Satisfaction, State, Urgency
    from supervision.complaints.services import new_tracking_no
    from supervision.estates.models import Estate
    from supervision.extensions import db

    rng = random.Random(1818)
    estates = db.session.execute(select(Estate.id, Estate.street_id, Estate.company_id)).all()
    now = datetime.now(UTC)
    states = list(State)
    batch = []
    for n in range(count):
        estate = estates[n % len(estates)]
        received = now - timedelta(hours=rng.randint(1, 24 * 365))
        state = rng.choice(states)
        done = state in (State.RESOLVED, State.CALLED_BACK, State.CLOSED)
        batch.append(dict(
            kind=Kind.REPAIR if n % 5 == 4 else Kind.COMPLAINT, channel=rng.choice(list(Channel)), ticket_no=None,
            tracking_no=new_tracking_no() + f"{n % 100:02d}", received_at=received, complainant_name="业主",
            complainant_phone=f"137{n:08d}", estate_id=estate.id, street_id=estate.street_id,
            company_id=estate.company_id, match_status=MatchStatus.MATCHED, category="环境卫生",
            description="批量生成的诉求", urgency=Urgency.ORDINARY, state=state, state_since=received,
            response_due_at=received + timedelta(days=1), resolution_due_at=received + timedelta(days=5),
            responded_at=received + timedelta(hours=rng.randint(1, 40)) if state is not State.ASSIGNED else None,
            resolved_at=received + timedelta(days=rng.randint(1, 8)) if done else None,
            satisfaction=rng.choice(list(Satisfaction)) if state in (State.CALLED_BACK, State.CLOSED) else None,
            reopened_count=0, version=1, created_at=now, updated_at=now))
        if len(batch) == 5000:
            db.session.execute(insert(Complaint), batch)
            batch = []
    if batch:
        db.session.execute(insert(Complaint), batch)
    db.session.commit()


def _login(app, username: str):
    from itsdangerous import URLSafeTimedSerializer

    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = raw = os.urandom(20).hex()
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login failed for {username}")
    return client


def _measure(client, url: str, counter: list, requests: int) -> dict:
    for _ in range(2):
        client.get(url)
    times, cpu, queries = [], [], []
    for _ in range(requests):
        counter[0] = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        queries.append(counter[0])
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
    # CPU time: on a shared machine the wall time waits for a core, the CPU time much less so.
    return {"median": statistics.median(times), "cpu": statistics.median(cpu), "queries": max(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--json", default=None, help="write the figures and verdicts to this file")
    args = parser.parse_args()
    load_start = load()
    print(f"start: load average {load_start}", flush=True)

    from sqlalchemy import event, func, select

    from supervision.complaints.intake import HotlineImport
    from supervision.complaints.models import Complaint
    from supervision.estates.models import Estate
    from supervision.extensions import db
    from supervision.regions.models import Street
    from supervision.seeding import seed_demo

    workdir = Path(tempfile.mkdtemp(prefix="bench-complaints-"))
    drop = lambda: None  # noqa: E731
    if args.pg_url:
        from supervision.ops.databases import fresh_postgres_database
        database_url, drop = fresh_postgres_database(args.pg_url, "bench_complaints")
    else:
        database_url = f"sqlite:///{workdir / 'bench.db'}"
    app = _app(database_url, workdir)
    counter = [0]
    try:
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            seed_demo()
            db.session.commit()
            print(f"demo district seeded in {time.perf_counter() - started:.1f} s", flush=True)
            estates = db.session.execute(select(Estate.name, Street.name).join(Street)).all()
            data = _export([tuple(e) for e in estates], IMPORT_ROWS)
            started, cpu = time.perf_counter(), time.process_time()
            result = HotlineImport().run(data, "12345.xlsx")
            assert result.ok, result.errors[:5]
            db.session.commit()
            import_s, import_cpu = time.perf_counter() - started, time.process_time() - cpu
            outcome = result.created
            print(f"12345 import of {IMPORT_ROWS:,} tickets: {import_s:.2f} s ({import_cpu:.2f} s CPU; target < "
                  f"{MAX_IMPORT_SECONDS:.0f} s) — {outcome.created:,} new, {outcome.queued:,} to the clerk's queue, "
                  f"{outcome.repeats:,} repeats; load average {load()}", flush=True)
            started = time.perf_counter()
            again = HotlineImport().run(data, "12345.xlsx")
            db.session.commit()
            again_s = time.perf_counter() - started
            print(f"the same file again: {again_s:.2f} s, {again.created.created} new (idempotent)", flush=True)
            event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__(0, counter[0] + 1))
        month = datetime.now().strftime("%Y-%m")
        urls = {"baseline": "/_bench/baseline", "list": "/complaints/", "list_overdue": "/complaints/?overdue=1",
                "drill_down": f"/complaints/?month={month}&measure=late_resolution", "rates": "/complaints/rates",
                "rates_company": "/complaints/rates?by=company", "dashboard": "/"}
        roles = {"officer": list(urls), "street": ["baseline", "list", "rates", "dashboard"],
                 "company": ["baseline", "list", "dashboard"]}
        results = {}
        for label, extra in (("1×", 0), ("bulk", args.complaints)):
            if extra:
                with app.app_context():
                    started = time.perf_counter()
                    _bulk(extra)
                    total = db.session.scalar(select(func.count(Complaint.id)))
                    print(f"bulk-inserted {extra:,} complaints in {time.perf_counter() - started:.1f} s "
                          f"({total:,} in all)", flush=True)
            for username, keys in roles.items():
                client = _login(app, username)
                for key in keys:
                    figures = _measure(client, urls[key], counter, args.requests)
                    results[(label, username, key)] = figures
                    print(f"  {label:5} {username:8} {key:14} median {figures['median'] * 1000:7.1f} ms  "
                          f"CPU {figures['cpu'] * 1000:6.1f} ms  {figures['queries']:3} queries", flush=True)
        checks = {"import": import_s < MAX_IMPORT_SECONDS, "import idempotent": again.created.created == 0}
        rows = []
        for username, keys in roles.items():
            base = results[("bulk", username, "baseline")]["median"]
            for key in keys:
                if key == "baseline":
                    continue
                one, big = results[("1×", username, key)], results[("bulk", username, key)]
                flat = big["queries"] <= MAX_QUERIES and big["queries"] == one["queries"]
                ratio = big["median"] / base
                checks[f"{key} ({username}) queries"] = flat
                checks[f"{key} ({username}) median"] = ratio <= MAX_BASELINE_RATIO
                rows.append({"page": key, "role": username, "queries_1x": one["queries"],
                             "queries_bulk": big["queries"], "median_ms_1x": one["median"] * 1000,
                             "median_ms_bulk": big["median"] * 1000, "baseline_ms": base * 1000, "ratio": ratio,
                             "cpu_ms_bulk": big["cpu"] * 1000,
                             "baseline_cpu_ms": results[("bulk", username, "baseline")]["cpu"] * 1000,
                             "flat": flat})
        print("\n| page | role | queries 1× | queries bulk | median ms 1× | median ms bulk | × baseline (bulk) |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for row in rows:
            print(f"| {row['page']} | {row['role']} | {row['queries_1x']} | {row['queries_bulk']}"
                  f"{'' if row['flat'] else ' ⚠'} | {row['median_ms_1x']:.1f} | {row['median_ms_bulk']:.1f} | "
                  f"{row['ratio']:.1f} |")
        load_end = load()
        print(f"\nload average: {load_start} at the start, {load_end} at the end")
        for name, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
        failed = [name for name, ok in checks.items() if not ok]
        print(f"{'PASS' if not failed else 'FAIL'}: {len(checks) - len(failed)} of {len(checks)} checks pass"
              + (f" (not met: {', '.join(failed)})" if failed else ""))
        if args.json:
            Path(args.json).write_text(json.dumps({
                "backend": "postgresql" if args.pg_url else "sqlite", "complaints": args.complaints,
                "import_rows": IMPORT_ROWS, "import_seconds": import_s, "import_cpu_seconds": import_cpu,
                "import_again_seconds": again_s, "created": outcome.created, "queued": outcome.queued,
                "repeats": outcome.repeats, "pages": rows, "checks": checks, "load_start": load_start,
                "load_end": load_end, "requests": args.requests}, ensure_ascii=False))
    finally:
        drop()


if __name__ == "__main__":
    main()
