#!/usr/bin/env python3
"""What a commit pays for the figures it stores (core/figures.py), on the benchmark's district.

    python bench/figures_write_cost.py --database-url sqlite:////tmp/x/sqlite_100x.db --workdir /tmp/x

Each kind of change is made through the ORM and committed --repeat times with the figures on and off (the
``generations.after_bump`` hook removed): the CPU time of the commit (``time.process_time``, median), its
statements, and the figures recomputed. The database is changed (a copy of a built district, not one to keep).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import QueryCounter, bench_app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    app = bench_app(args.database_url, args.workdir)
    from sqlalchemy import event, select

    from supervision.campaigns.models import RectificationItem
    from supervision.companies.models import Staff
    from supervision.core import figures, generations
    from supervision.credit.models import CreditEvent
    from supervision.estates.models import Estate
    from supervision.extensions import db
    from supervision.targets.models import Target

    def first(model):
        return db.session.scalar(select(model).order_by(model.id).limit(1))

    def toggle(text: str) -> str:
        return text[:-1] if text.endswith("·") else text + "·"

    changes = {
        "staff member's name (certification indicators)": lambda: setattr(
            first(Staff), "name", toggle(first(Staff).name)),
        "estate's households (estate indicators, key figures)": lambda: setattr(
            first(Estate), "households", (first(Estate).households or 0) ^ 1),
        "item's description (item indicators, key figures)": lambda: setattr(
            first(RectificationItem), "description", toggle(first(RectificationItem).description)),
        "credit event's description (the credit table)": lambda: setattr(
            first(CreditEvent), "description", toggle(first(CreditEvent).description or "")),
        "target's notes (nothing recounted)": lambda: setattr(
            first(Target), "notes", toggle(first(Target).notes or "")),
    }
    counter = QueryCounter()
    hook = figures._after_bump
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counter)
        print(f"{'change':55} {'figures on':>18} {'figures off':>18}")
        for label, change in changes.items():
            results = {}
            for on in (True, False):
                if on and hook not in generations.after_bump:
                    generations.after_bump.append(hook)
                if not on and hook in generations.after_bump:
                    generations.after_bump.remove(hook)
                cpu, queries = [], []
                for _ in range(args.repeat + 1):
                    change()
                    db.session.flush()
                    counter.count = 0
                    started = time.process_time()
                    db.session.commit()
                    cpu.append(time.process_time() - started)
                    queries.append(counter.count)
                results[on] = f"{statistics.median(cpu[1:]) * 1000:7.1f} ms {max(queries[1:]):3d} q"
            print(f"{label:55} {results[True]:>18} {results[False]:>18}")
        if hook not in generations.after_bump:
            generations.after_bump.append(hook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
