"""The complaints' long work as jobs: counting many open complaints' deadlines again."""
from __future__ import annotations

from flask_babel import gettext as _

from ..jobs import task
from .deadlines import JOB_KIND, Scope, count, recompute


@task(JOB_KIND)
def run_recompute_deadlines(ctx, payload):
    scope = Scope(**payload["scope"])
    # Progress is written in a session of its own: only before this one writes (SQLite holds one writer).
    ctx.progress(0, count(scope))
    moved = recompute(scope, actor=ctx.owner, reason=payload.get("reason") or "")
    return _("已重新计算办理时限，%(n)s 件诉求的时限有变动。", n=moved)
