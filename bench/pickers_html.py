"""HTML size of the pages whose estate and company drop-downs became pickers (issue 17 item 6, issue 21).

Builds a district at ``--scale`` (bench/generate.py) in a temporary SQLite database and prints the size
of each page's HTML for the officer, and its count of ``<option`` elements. Run it on two checkouts to
compare (the result is in bench/README.md)::

    python -m bench.pickers_html --scale 10
"""
from __future__ import annotations

import argparse
import contextlib
import io
import re
import tempfile
from pathlib import Path

from bench.run import PASSWORD, _bench_app, _csrf_token

PAGES = {
    "items list": "/campaigns/items",
    "credit event, choose the company": "/credit/events/new",
    "spot check form": "/campaigns/spot-checks/new",
    "complaint form": "/complaints/new",
    "new user form": "/admin/users/new",
}


def measure(scale: int) -> dict[str, tuple[int, int]]:
    from flask_migrate import upgrade

    from bench.generate import generate

    workdir = Path(tempfile.mkdtemp(prefix=f"pickers-html-{scale}x-"))
    app = _bench_app(f"sqlite:///{workdir / 'bench.db'}", workdir)
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade()
        generate(scale, log=lambda message: None)
    sizes = {}
    for user in ("officer", "admin"):
        client = app.test_client()
        client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": _csrf_token(client, app)})
        for label, url in PAGES.items():
            if (label == "new user form") is (user == "admin"):
                body = client.get(url).get_data()
                sizes[label] = (len(body), len(re.findall(rb"<option", body)))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    for label, (size, options) in measure(args.scale).items():
        print(f"{label:36} {size / 1024:8.1f} KB  {options:6d} <option>")


if __name__ == "__main__":
    main()
