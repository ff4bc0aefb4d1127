"""The indicators' recomputation as a job: this week's snapshot of every indicator (``take_snapshot``,
itself idempotent per ISO week). The same day within one minute: the same job."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.timeutil import local_today, utcnow
from ..jobs import enqueue, task
from ..jobs.services import recomputation
from .services import take_snapshot


@recomputation("indicators", _l("考核指标"))
def start_snapshot(actor, day: date | None = None):
    day = day or local_today()
    return enqueue("targets.snapshot", actor, {"day": day.isoformat()},
                   idempotency_key=f"targets.snapshot:{day.isoformat()}:{utcnow():%Y%m%d%H%M}",
                   title=_("重算考核指标（%(day)s）", day=day.isoformat()))


@task("targets.snapshot")
def run_snapshot(ctx, payload):
    ctx.progress(0, 1)
    result = take_snapshot(date.fromisoformat(payload["day"]), actor=ctx.owner)
    return _("指标快照：新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s。", created=result.created,
             updated=result.updated, unchanged=result.unchanged)
