"""The credit recomputation as a job: automatic events, lapsed objection windows, then the score table.

``start_recompute`` is idempotent: the same day and the same generation of the credit data give the
same job (once it has run, nothing is left to recompute until the data changes).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core import generations
from ..core.timeutil import local_today
from ..extensions import db
from ..jobs import enqueue, task
from ..jobs.services import recomputation
from .automatic import run_detectors
from .models import SCORES_TOPIC
from .services import confirm_lapsed, rule_set_for
from .standings import cached_table


@recomputation("credit", _l("信用评价"))
def start_recompute(actor, day: date | None = None):
    day = day or local_today()
    generation = generations.current(SCORES_TOPIC)
    return enqueue("credit.recompute", actor, {"day": day.isoformat()},
                   idempotency_key=f"credit.recompute:{day.isoformat()}:{generation}",
                   title=_("重算信用评价（%(day)s）", day=day.isoformat()))


@task("credit.recompute")
def run_recompute(ctx, payload):
    day = date.fromisoformat(payload["day"])
    ctx.progress(0, 3)
    created = sum(result.created for result in run_detectors(on=day) if not result.error)
    ctx.progress(1, 3)
    confirmed = confirm_lapsed(on=day, actor=ctx.owner)
    db.session.flush()
    ctx.progress(2, 3)
    rule_set = rule_set_for(day)
    scored = len(cached_table(rule_set, day).by_company) if rule_set is not None else 0
    return _("已重算：新增自动记录 %(created)s 条，异议期满确认 %(confirmed)s 条，%(scored)s 家企业已评分。",
             created=created, confirmed=confirmed, scored=scored)
