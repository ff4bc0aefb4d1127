#!/usr/bin/env python3
"""The PDF downloads at scale (issue 21): queries, CPU seconds, pages and where the time goes.

    python bench/pdfs.py --workdir /tmp/me --scale 100 /dashboard/report.pdf /reports/bulletin.pdf
    python bench/pdfs.py --workdir /tmp/me --user street --profile 25 /dashboard/report.pdf

Uses the district of ``bench/profile_page.py`` (the SQLite file under --workdir, built when missing).
Per URL: the status, the SQL queries, the process CPU seconds and wall seconds of the request, the
PDF's pages and size, and the CPU split between SQL, WeasyPrint and matplotlib (cProfile cumulative
times; with --profile N the top N functions too). A URL that answers with a redirect to a job is run
as the job (in-process) and measured the same way.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench.run import PASSWORD, _bench_app, _csrf_token

# (label, predicate on a cProfile function key) for the CPU split.
PARTS = (
    ("sql", lambda key: (key[2] == "execute" and "sqlite3" in key[0]) or key[2] == "do_execute"),
    ("weasyprint", lambda key: key[2] == "write_pdf" and "weasyprint" in key[0]),
    ("matplotlib", lambda key: key[2] == "savefig" and "matplotlib" in key[0]),
    ("template", lambda key: key[2] == "render_template" and "flask" in key[0]),
)


def _pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _split(profiler: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profiler).stats
    split = {}
    for label, matches in PARTS:
        split[label] = max((entry[3] for key, entry in stats.items() if matches(key)), default=0.0)
    return split


class _Held:
    """A job backend that runs nothing: the bench runs the job itself."""

    name = "held"

    def submit(self, job_id: int) -> None:
        pass


def _run_job(app, location: str) -> tuple[bytes, int]:
    """Run the job a PDF view redirected to, in this process; its PDF and the queries it made."""
    from supervision.extensions import db
    from supervision.jobs import services as jobs
    from supervision.jobs.models import Job

    job_id = int(location.rstrip("/").rsplit("/", 1)[-1])
    with app.app_context():
        jobs.run_job(job_id)
        job = db.session.get(Job, job_id)
        if job.result_path is None:
            return (job.message or "").encode(), job.status
        return (jobs.result_dir() / job.result_path).read_bytes(), job.status


RUNS = itertools.count()


def _once(app, client, url: str, queries: list[int], profiler: cProfile.Profile | None = None):
    """One request (and the job it started, if any): status, job note, queries, CPU s, wall s, body."""
    queries[0] = 0
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    # A distinct query string per run: the same one within a minute would give the same (finished) job.
    response = client.get(f"{url}{'&' if '?' in url else '?'}_run={next(RUNS)}")
    data = response.get_data()
    job = ""
    if response.status_code == 302 and "/jobs/" in response.location:
        request_queries, request_cpu = queries[0], time.process_time() - cpu
        data, status = _run_job(app, response.location)
        job = (f" (a job: the request {request_queries} queries, CPU {request_cpu:.2f} s; the job {status}, "
               f"{queries[0] - request_queries} queries; below: both)")
    if profiler is not None:
        profiler.disable()
    return response.status_code, job, queries[0], time.process_time() - cpu, time.perf_counter() - wall, data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--workdir", default="/tmp/bench-profile")
    parser.add_argument("--user", default="officer")
    parser.add_argument("--profile", type=int, nargs="?", const=0, default=None,
                        help="a second, profiled request: the CPU split, and the top N functions by cumulative time")
    parser.add_argument("--dump", help="write the profile's stats to this file (pstats)")
    parser.add_argument("--repeat", type=int, default=1, help="requests per URL; the last one is reported")
    parser.add_argument("--save", help="write the (last) PDF to this file")
    args = parser.parse_args(argv)

    workdir = Path(args.workdir)
    path = workdir / f"sqlite_{args.scale}x.db"
    if not path.exists():
        raise SystemExit(f"{path} is missing: build it with bench/profile_page.py --scale {args.scale}")
    app = _bench_app(f"sqlite:///{path}", workdir)
    app.extensions["jobs_backend"] = _Held()  # a PDF job is run below, in this thread, measured
    queries = [0]
    with app.app_context():
        from supervision.extensions import db

        event.listen(db.engine, "before_cursor_execute", lambda *_a, **_k: queries.__setitem__(0, queries[0] + 1))
    client = app.test_client()
    response = client.post("/login", data={"username": args.user, "password": PASSWORD,
                                           "csrf_token": _csrf_token(client, app)})
    assert response.status_code == 302, response.status_code
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; scale {args.scale}×; user {args.user}")
    for url in args.urls:
        runs = [_once(app, client, url, queries) for _ in range(args.repeat)]
        status, job, queries_made, cpu, wall, data = runs[-1]
        pages = _pages(data) if data[:4] == b"%PDF" else 0
        if args.save:
            Path(args.save).write_bytes(data)
        if len(runs) > 1:
            print("  each run (queries, CPU s): " + ", ".join(f"{run[2]}, {run[3]:.2f}" for run in runs))
        print(f"{url}: {status}{job}, {queries_made} queries, CPU {cpu:.2f} s, wall {wall:.2f} s, "
              f"{pages} pages, {len(data) / 1024:.0f} KB; load {os.getloadavg()[0]:.2f}")
        if args.profile is not None:
            profiler = cProfile.Profile()
            _status, _job, again, _cpu, _wall, _data = _once(app, client, url, queries, profiler)
            split = " ".join(f"{label} {seconds:.2f}" for label, seconds in _split(profiler).items())
            print(f"  again, profiled: {again} queries; cumulative s: {split}")
            if args.dump:
                profiler.dump_stats(args.dump)
            if args.profile:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
