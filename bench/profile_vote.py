#!/usr/bin/env python3
"""CPU cost of one public vote (``POST /v/<code>``) in-process, through Flask's test client.

Builds a small round (SQLite file under --workdir, or --database-url), fetches the vote page once for
the CSRF cookie and token, then posts ``--votes`` votes with fresh codes and reports the CPU time
(``time.process_time``) per vote; ``--profile`` prints cProfile's top functions for the posts::

    python bench/profile_vote.py --votes 300
    python bench/profile_vote.py --votes 300 --profile --top 40
    python bench/profile_vote.py --database-url postgresql://postgres@127.0.0.1:5432/votes_profile

CPU here is the application's share only (the database server's work is not counted on PostgreSQL;
on SQLite it is, in-process).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.surveys import CSRF, SECRET, build
from supervision import create_app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=300)
    parser.add_argument("--database-url", help="default: a fresh SQLite file under --workdir")
    parser.add_argument("--workdir", default="/tmp/bench-profile-vote")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--dump", help="also write the profile to this file (pstats)")
    parser.add_argument("--cpu", action="store_true",
                        help="profile CPU time (time.process_time), not wall time: waits on the database drop out")
    args = parser.parse_args(argv)

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if url is None:
        path = workdir / "votes.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    estates = max(2, args.votes // 150 + 2)
    _total, _elapsed, codes = build(url, estates, 200)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    page = client.get(f"/v/{codes[0]}").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    form = {f"q{q}": "satisfied" for q in build.question_ids} | {"csrf_token": token}
    body = urlencode(form)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ballots = codes[1:args.votes + 11]
    for code in ballots[:10]:  # warm-up
        assert client.post(f"/v/{code}", data=body, headers=headers).status_code == 302
    profiler = None
    if args.profile:
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    statuses = []
    started, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for n, code in enumerate(ballots[10:]):
        statuses.append(client.post(f"/v/{code}", data=body, headers=headers,
                                    environ_base={"REMOTE_ADDR": f"10.0.{n // 256 % 256}.{n % 256}"}).status_code)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - started, time.perf_counter() - wall
    accepted = statuses.count(302)
    sys.stdout.write(f"{accepted} of {len(statuses)} votes accepted; CPU {cpu / len(statuses) * 1000:.2f} ms a vote, "
                     f"wall {wall / len(statuses) * 1000:.2f} ms ({url.split(':')[0]})\n")
    if profiler:
        if args.dump:
            profiler.dump_stats(args.dump)
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0 if accepted == len(statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
