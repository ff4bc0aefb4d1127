"""The estate register's long work as a job: an import of many rows (``jobs.imports``, in chunks).

Below ``IMPORT_JOB_THRESHOLD`` rows the view does the work in the request; above, it starts the job
and sends the user to its page. (The export is a job of ``jobs.exports`` above its threshold.)
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..jobs import imports as import_jobs
from ..jobs import task
from .spreadsheet import EstateImport

IMPORTER = import_jobs.register(import_jobs.Importer(
    name="estates", title=_l("导入小区台账"), noun=_l("小区"), chunked=True,
    build=lambda filename, actor, options: EstateImport(filename, actor),
    summary=lambda result: _("已导入：新增 %(created)s 个小区，更新 %(updated)s 个，跳过 %(skipped)s 个。",
                             created=result.counts["create"], updated=result.counts["update"],
                             skipped=result.counts["skip"])))


def start_import(data: bytes, filename: str | None, actor, mapping: dict[str, str] | None = None):
    """The import job for this file and column mapping (the same file and mapping from the same user:
    the same job). ``mapping``: source header → column key, as chosen on the preview."""
    return import_jobs.start(IMPORTER.name, data, filename, actor, mapping=mapping)


@task("estates.import")
def run_earlier_import(ctx, payload):
    """Jobs queued before imports had one job kind (``imports.run``): retried the same way."""
    return import_jobs.run_import(ctx, {**payload, "importer": IMPORTER.name})
