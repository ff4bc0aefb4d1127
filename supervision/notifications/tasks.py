"""The digest run as a job (``flask notifications digest`` enqueues it; a worker or thread runs it)."""
from __future__ import annotations

from flask_babel import gettext as _

from ..jobs.services import task
from .delivery import send_digests


@task("notifications.digests")
def run_digests(ctx, payload):
    result = send_digests(progress=ctx.progress)
    return _("已发送 %(sent)s 份摘要；失败待重试 %(failed)s 份；放弃 %(abandoned)s 份。", sent=result.sent,
             failed=result.failed, abandoned=result.abandoned)
