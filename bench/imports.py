#!/usr/bin/env python3
"""Benchmark of a large estate import run as a job, then of the export of every estate as a job.

Builds a fresh database (SQLite file by default, ``--db postgresql://…`` for PostgreSQL) with 20
streets of 5 communities and 50 companies, writes a workbook of ``--rows`` estates (50,000 by
default), starts the ``estates.import`` job as the upload page does, then runs that job in a
child process (``--run-job``), which reports its wall time and its peak RSS (``resource.getrusage``
in the job's own process, so the workbook's generation does not count). Then exports all the estates
through ``jobs.exports`` in another child, reporting its time, its peak RSS and the RSS of the idle
process before it. Prints the machine's load.

Usage::

    python bench/imports.py                      # 50,000 rows on SQLite
    python bench/imports.py --rows 10000 --db postgresql://postgres@127.0.0.1:5432/bench_imports_$$   # created, dropped
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess  # nosec B404 - runs this script again as the job's process
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from supervision import create_app  # noqa: E402
from supervision.auth.models import User  # noqa: E402
from supervision.auth.roles import Role  # noqa: E402
from supervision.companies.credit_code import make_credit_code  # noqa: E402
from supervision.companies.models import Company  # noqa: E402
from supervision.estates import tasks  # noqa: E402
from supervision.estates.models import Estate  # noqa: E402
from supervision.estates.spreadsheet import estate_columns  # noqa: E402
from supervision.extensions import db  # noqa: E402
from supervision.jobs import exports  # noqa: E402
from supervision.jobs.models import Job  # noqa: E402
from supervision.jobs.services import run_job  # noqa: E402
from supervision.ops.databases import fresh_postgres_database  # noqa: E402
from supervision.regions.models import Community, District, Street  # noqa: E402

SECRET = "bench-secret-key-for-imports"
STREETS, COMMUNITIES, COMPANIES = 20, 5, 50


def log(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def make_app(url: str, upload_dir: str):
    # The job runs in the child process (run_job below), never on the parent's thread pool.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "UPLOAD_DIR": upload_dir,
                      "JOB_REDIS_URL": None, "IMPORT_MAX_SECONDS": 600})
    app.extensions["jobs_backend"] = KeptBackend()
    return app


class KeptBackend:
    """Jobs are not dispatched: the child process runs the one job measured."""

    name = "kept"

    def submit(self, job_id: int) -> None:
        pass


def build(app) -> User:
    with app.app_context():
        db.create_all()
        district = District(name="基准区", bureau_name="基准区住房和城乡建设局")
        db.session.add(district)
        db.session.flush()
        for s in range(STREETS):
            street = Street(district_id=district.id, name=f"第{s}街道")
            db.session.add(street)
            db.session.flush()
            db.session.add_all(Community(street_id=street.id, name=f"第{s}-{c}社区") for c in range(COMMUNITIES))
        db.session.add_all(Company(name=f"基准物业服务有限公司{n}", credit_code=make_credit_code(f"91110000MA{n:07d}"))
                           for n in range(COMPANIES))
        user = User(username="bench-admin", display_name="基准", role=Role.BUREAU_ADMIN, password_hash="-")
        db.session.add(user)
        db.session.commit()
        return user.id


def workbook(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("小区台账")
    headers = [c.header for c in estate_columns()][:12]
    sheet.append(headers)
    for n in range(rows):
        s, c, k = n % STREETS, n % COMMUNITIES, n % COMPANIES
        sheet.append([f"基准小区{n}号", f"基准路{n}号", f"第{s}街道", f"第{s}-{c}社区", "物业企业",
                      make_credit_code(f"91110000MA{k:07d}"), f"基准物业服务有限公司{k}", "多层住宅",
                      1990 + n % 30, 1 + n % 40, 100 + n % 900, 10000 + n % 50000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_child(url: str, upload_dir: str, job_id: int, idle: bool = False) -> None:
    """The job's process: run it, report seconds and peak RSS (``idle``: and the RSS before it)."""
    app = make_app(url, upload_dir)
    with app.app_context():
        if idle:
            db.session.scalar(select(func.count(Estate.id)))
            log(f"idle process: RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        idle_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, started_cpu = time.perf_counter(), time.process_time()
        run_job(job_id)
        seconds, job_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        usage = resource.getrusage(resource.RUSAGE_SELF)
        peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
        job = db.session.get(Job, job_id)
        count = db.session.scalar(select(func.count(Estate.id)))
        log(f"job {job.status}: {seconds:.1f} s wall, {cpu:.1f} s CPU (the process, start-up included; "
            f"{job_cpu:.1f} s in the job), peak RSS {peak:.0f} MB ({idle_rss:.0f} MB before the job), "
            f"{count} estates stored; "
            f"{(job.message or '')[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--db", default=None, help="PostgreSQL URL (a fresh database); default a SQLite file")
    parser.add_argument("--run-job", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--upload-dir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--idle", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_job is not None:
        run_child(args.db, args.upload_dir, args.run_job, args.idle)
        return
    work = tempfile.mkdtemp(prefix="bench-imports-")
    url, drop = f"sqlite:///{work}/bench.db", None
    if args.db:  # a fresh database of this name (a server's own: one unique to this run), dropped at the end
        name = make_url(args.db).database
        if name in (None, "", "postgres", "template0", "template1"):
            name = f"bench_imports_{os.getpid()}"
        url, drop = fresh_postgres_database(args.db, name)
    try:
        measure(args, url, work)
    finally:
        if drop is not None:
            drop()


def measure(args, url: str, work: str) -> None:
    app = make_app(url, work)
    user_id = build(app)
    started = time.perf_counter()
    data = workbook(args.rows)
    log(f"{args.rows} rows: workbook {len(data) / 2**20:.1f} MB written in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        job = tasks.start_import(data, "基准台账.xlsx", db.session.get(User, user_id))
        db.session.commit()
        job_id = job.id
    log(load())
    subprocess.run([sys.executable, __file__, "--run-job", str(job_id), "--db", url, "--upload-dir", work],
                   check=True)  # nosec B603 - this script, our arguments
    log(load())
    # Then the export of every estate as a job (jobs.exports), in a process of its own as well.
    with app.app_context():
        job = exports.start(exports.EXPORTERS["estates"], db.session.get(User, user_id), [])
        db.session.commit()
        job_id = job.id
    subprocess.run([sys.executable, __file__, "--run-job", str(job_id), "--db", url, "--upload-dir", work,
                    "--idle"], check=True)  # nosec B603 - this script, our arguments
    log(load())


if __name__ == "__main__":
    main()
