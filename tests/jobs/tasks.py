"""Job functions for the tests (a worker subprocess imports them through JOB_MODULES)."""
from __future__ import annotations

import time
from pathlib import Path

from supervision import jobs
from supervision.jobs.services import JobFailure


@jobs.task("test.count")
def count(ctx, payload):
    total = payload["n"]
    for done in range(0, total + 1, 10):
        ctx.progress(done, total)
    ctx.save_result(f"counted {total}".encode(), "结果.txt", suffix=".txt")
    return f"已数到 {total}"


@jobs.task("test.fail_until_marker")
def fail_until_marker(ctx, payload):
    if not Path(payload["marker"]).exists():
        raise JobFailure("缺少标记文件，任务失败")
    ctx.progress(1, 1)
    return "标记文件已就绪"


@jobs.task("test.crash")
def crash(ctx, payload):
    raise RuntimeError("boom")


@jobs.task("test.slow")
def slow(ctx, payload):
    """Steps of ``sleep`` seconds; writes ``started`` (a file) when it begins, for the kill test."""
    Path(payload["started"]).write_text("1")
    steps = payload["steps"]
    for done in range(steps):
        ctx.progress(done, steps)
        time.sleep(payload["sleep"])
    ctx.save_result(b"slow done", "slow.txt", suffix=".txt")
    return "完成"
