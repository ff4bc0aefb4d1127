#!/usr/bin/env python3
"""Profile one page of the benchmark's district with cProfile (a tool for bench/run.py's findings).

    python bench/profile_page.py --scale 100 /credit/ /estates/     # builds /tmp/bench-profile/sqlite_100x.db once
    python bench/profile_page.py --scale 100 --rebuild /            # regenerate the district first

Prints the request time and the top functions by cumulative time for each URL.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import PASSWORD, _bench_app, _csrf_token


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
    args = parser.parse_args(argv)

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"sqlite_{args.scale}x.db"
    url = args.database_url or f"sqlite:///{path}"
    build = args.rebuild or (not args.database_url and not path.exists())
    if build and not args.database_url:
        path.unlink(missing_ok=True)
    app = _bench_app(url, workdir)
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
    for page in args.urls:
        client.get(page)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(page).get_data()
            times.append(time.perf_counter() - started)
        profiler = cProfile.Profile()
        profiler.enable()
        response = client.get(page)
        response.get_data()
        profiler.disable()
        print(f"\n=== {page}: {response.status_code}, best {min(times) * 1000:.1f} ms of {args.repeat}")
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
