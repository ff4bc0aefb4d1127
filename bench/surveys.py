#!/usr/bin/env python3
"""Benchmark of the satisfaction surveys at scale (standalone; PostgreSQL).

1. Builds a fresh database (``--db``, default h_surveys_bench on 127.0.0.1), ``--estates`` estates of
   ``--households`` households each (100× the demo: 2,000 × 1,000 = 2 million codes), one survey round
   over all of them, and times the generation of every code (derive, hash, bulk insert).
2. Starts gunicorn (``wsgi:app``, ``--workers`` gthread workers) on that database and posts votes to the
   public endpoint ``/v/<code>`` from ``--clients`` threads for ``--seconds`` seconds, each vote from a
   different client address (X-Forwarded-For, TRUSTED_PROXIES=1), and reports votes per second.
3. Fires ``--race`` codes, each posted by 8 threads at the same instant, and checks that each was
   counted exactly once (one 302, the others refused; one row in survey_votes).

Prints the figures with the load average (the machine may be shared), the gunicorn workers' CPU
milliseconds per vote (what does not depend on the other work on the machine) and a PASS/FAIL line per
target: ≥ 200 votes/s, and no double-counted vote in the race. Usage::

    python bench/surveys.py                       # 2 million codes, 20 s of votes
    python bench/surveys.py --estates 200 --seconds 10
    python bench/surveys.py --json /tmp/surveys.json   # also the figures as JSON (bench/run.py --owners)
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess  # nosec B404 - starts gunicorn, our own server
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from supervision import create_app  # noqa: E402
from supervision.estates.models import Estate, ManagementMode  # noqa: E402
from supervision.extensions import db  # noqa: E402
from supervision.ops.databases import fresh_postgres_database  # noqa: E402
from supervision.regions.models import Community, District, Street  # noqa: E402
from supervision.surveys import services  # noqa: E402
from supervision.surveys.models import SurveyCode, SurveyQuestionSet, SurveyVote  # noqa: E402
from supervision.surveys.reference import load_reference  # noqa: E402

SECRET = "bench-secret-key-for-surveys"
MIN_VOTES_PER_SECOND = 200
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def log(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def reuse(url: str, first: int) -> list[str]:
    """The codes with serials ``first``..``first + 199`` of each estate of a database built before (``--keep``)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        survey = db.session.scalar(select(services.SurveyRound))
        build.question_ids = [q.id for q in services.questions_of(survey.question_set_id)]
        codes = []
        for round_estate in survey.estates:
            codes.extend(code for _serial, code in services.sheet_codes(round_estate)[first - 1:first + 199])
        db.engine.dispose()
    return codes


def build(url: str, estates: int, households: int) -> tuple[int, float, list[str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        db.create_all()
        load_reference()
        district = District(name="基准区", bureau_name="基准区住房和城乡建设局")
        db.session.add(district)
        db.session.flush()
        streets = [Street(district_id=district.id, name=f"基准街道{n}") for n in range(8)]
        db.session.add_all(streets)
        db.session.flush()
        communities = [Community(street_id=s.id, name=f"{s.name}社区") for s in streets]
        db.session.add_all(communities)
        db.session.flush()
        db.session.execute(insert(Estate), [
            {"name": f"基准小区{n}", "address": f"基准路{n}号", "street_id": communities[n % 8].street_id,
             "community_id": communities[n % 8].id, "management_mode": ManagementMode.NONE, "households": households,
             "is_old": False, "committee_eligible": True, "version": 1} for n in range(estates)])
        question_set = db.session.scalar(select(SurveyQuestionSet))
        survey = services.create_round(name="基准测评", opens_on=services.local_today(),
                                       closes_on=services.local_today(), question_set=question_set,
                                       estates=db.session.scalars(select(Estate)).all())
        db.session.commit()
        started = time.perf_counter()
        services.generate_round_codes(survey)
        db.session.commit()
        elapsed = time.perf_counter() - started
        total = db.session.scalar(select(func.count()).select_from(SurveyCode))
        services.open_round(survey)
        db.session.commit()
        codes = []
        for round_estate in survey.estates:
            codes.extend(code for _serial, code in services.sheet_codes(round_estate)[:200])
        answers = services.questions_of(question_set.id)
        question_ids = [q.id for q in answers]
        db.engine.dispose()
    build.question_ids = question_ids
    return total, elapsed, codes


class Voter:
    def __init__(self, port: int, question_ids: list[int]):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.token = ""
        self.question_ids = question_ids

    def request(self, method, path, body=None, address="127.0.0.1"):
        headers = {"X-Forwarded-For": address, "Cookie": self.cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data

    def prepare(self, code: str) -> None:
        _status, page = self.request("GET", f"/v/{code}")
        self.token = CSRF.search(page.decode()).group(1)

    def vote(self, code: str, n: int) -> int:
        form = {f"q{q}": "satisfied" for q in self.question_ids} | {"csrf_token": self.token}
        status, _data = self.request("POST", f"/v/{code}", urlencode(form),
                                     address=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
        return status


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, TRUSTED_PROXIES="1", GUNICORN_WORKERS=str(workers),
               GUNICORN_THREADS="4", ALLOW_PER_WORKER_RATE_LIMITS="1", SURVEY_BENCH="1")
    server = subprocess.Popen(  # nosec B603 - fixed arguments
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-b",
         f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env=env)
    for _ in range(240):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds of gunicorn's workers (children of the master), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def throughput(port: int, codes: list[str], clients: int, seconds: float, question_ids) -> tuple[int, int, float]:
    pool = iter(codes[clients:])
    lock = threading.Lock()
    done = {"ok": 0, "other": 0}
    stop = time.perf_counter() + seconds

    def run(first_code: str, number: int):
        voter = Voter(port, question_ids)
        voter.prepare(first_code)
        n = number * 1_000_000
        while time.perf_counter() < stop:
            with lock:
                code = next(pool, None)
            if code is None:
                return
            n += 1
            status = voter.vote(code, n)
            with lock:
                done["ok" if status == 302 else "other"] += 1

    threads = [threading.Thread(target=run, args=(codes[i], i)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done["ok"], done["other"], time.perf_counter() - started


def race(port: int, codes: list[str], question_ids) -> tuple[int, int]:
    """Each code posted by 8 clients at once; returns (codes, accepted posts)."""
    accepted = 0
    for code in codes:
        voters = [Voter(port, question_ids) for _ in range(8)]
        for voter in voters:
            voter.prepare(code)
        barrier = threading.Barrier(len(voters))
        results = []

        def fire(voter, n, barrier=barrier, results=results, code=code):
            barrier.wait()
            results.append(voter.vote(code, 5_000_000 + n))

        threads = [threading.Thread(target=fire, args=(v, n)) for n, v in enumerate(voters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        accepted += results.count(302)
    return len(codes), accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="h_surveys_bench")
    parser.add_argument("--estates", type=int, default=2000)
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--race", type=int, default=20)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", type=int, metavar="SERIAL", default=0,
                        help="skip the build: vote on a kept database with the codes from this serial on")
    parser.add_argument("--json", default=None, help="write the figures and verdicts to this file")
    args = parser.parse_args()
    figures = {"estates": args.estates, "households": args.households, "workers": args.workers,
               "clients": args.clients, "seconds": args.seconds, "load_start": load()}
    log(f"start: {load()}")
    if args.reuse:
        url = str(make_url(args.server).set(database=args.db).render_as_string(hide_password=False))
        codes = reuse(url, args.reuse)

        def drop():
            return None
    else:
        url, drop = fresh_postgres_database(args.server, args.db)
        total, elapsed, codes = build(url, args.estates, args.households)
        log(f"codes: {total:,} generated in {elapsed:.1f} s ({total / elapsed:,.0f}/s); {load()}")
        figures.update(codes=total, codes_seconds=elapsed)
    server = serve(url, args.port, args.workers)
    try:
        race_codes, throughput_codes = codes[:args.race], codes[args.race:]
        # Spread the votes over the estates (200 codes of each were kept, in estate order).
        throughput_codes = throughput_codes[::7] + throughput_codes[1::7]
        cpu_before = server_cpu_seconds(server.pid)
        ok, other, seconds = throughput(args.port, throughput_codes, args.clients, args.seconds, build.question_ids)
        cpu = server_cpu_seconds(server.pid) - cpu_before
        log(f"votes: {ok:,} accepted ({other} other answers) in {seconds:.1f} s = {ok / seconds:,.0f} votes/s "
            f"with {args.workers} gunicorn workers x 4 threads, {args.clients} clients; {load()}")
        figures.update(accepted=ok, other=other, vote_seconds=seconds, votes_per_second=ok / seconds,
                       load_votes=load(), worker_cpu_ms=cpu / ok * 1000 if ok else None)
        if ok:
            log(f"gunicorn workers' CPU: {cpu:.1f} s = {cpu / ok * 1000:.1f} ms a vote "
                f"(two free cores would serve about {2 / (cpu / ok):,.0f} votes/s before PostgreSQL's share)")
        raced, accepted = race(args.port, race_codes, build.question_ids)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SQLALCHEMY_ENGINE_OPTIONS": {}})
        with app.app_context():
            rows = db.session.scalar(select(func.count()).select_from(SurveyVote).join(
                SurveyCode, SurveyCode.id == SurveyVote.code_id).where(
                SurveyCode.code_hash.in_([services.codes.code_hash(c) for c in race_codes])))
            counted = db.session.scalar(select(func.count()).select_from(SurveyVote))
            db.engine.dispose()
        log(f"race: {raced} codes x 8 simultaneous posts: {accepted} accepted, {rows} votes stored "
            f"({'no double count' if accepted == rows == raced else 'DOUBLE COUNT OR LOSS'}); "
            f"all votes stored {counted:,} = accepted {ok + accepted:,}")
        figures.update(race_codes=raced, race_accepted=accepted, race_rows=rows, stored=counted, load_end=load())
        checks = {f"votes/s >= {MIN_VOTES_PER_SECOND}": ok / seconds >= MIN_VOTES_PER_SECOND,
                  "no double count under concurrent use of one code": accepted == rows == raced,
                  "every accepted vote stored": counted == ok + accepted}
        figures["checks"] = checks
        log(f"load average: {figures['load_start']} at the start, {figures['load_end']} at the end")
        for name, passed in checks.items():
            log(f"{'PASS' if passed else 'FAIL'}  {name}")
        failed = [name for name, passed in checks.items() if not passed]
        log(f"{'PASS' if not failed else 'FAIL'}: {len(checks) - len(failed)} of {len(checks)} checks pass"
            + (f" (not met: {', '.join(failed)})" if failed else ""))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, ensure_ascii=False))
    finally:
        server.terminate()
        try:
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep:
            drop()


if __name__ == "__main__":
    main()
