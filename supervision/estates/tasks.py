"""The estate register's long work as jobs: an import of many rows and a large Excel export.

Below ``IMPORT_JOB_THRESHOLD`` / ``EXPORT_JOB_THRESHOLD`` rows the views do the work in the
request as before; above, they start one of these jobs and send the user to its page.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..auth import scope
from ..core.timeutil import local_today, utcnow
from ..documents.excel import write_workbook
from ..documents.imports import data_rows, report_lines
from ..documents.ledger import file_format
from ..extensions import db
from ..jobs import enqueue, task
from ..jobs.services import JobFailure, input_path, store_input
from . import services
from .models import Estate
from .spreadsheet import EstateImport, estate_columns

EXPORT_BATCH = 500
EXPORT_PROGRESS_EVERY = 1000
REPORT_LINES_KEPT = 500  # the failure message lists at most this many problems (the run keeps 500 too)


# --- import ---------------------------------------------------------------------------------

def import_needs_job(data: bytes, filename: str | None = None) -> bool:
    return data_rows(data, filename) > current_app.config["IMPORT_JOB_THRESHOLD"]


def start_import(data: bytes, filename: str | None, actor, mapping: dict[str, str] | None = None):
    """The import job for this file and column mapping (the same file and mapping from the same user:
    the same job). ``mapping``: source header → column key, as chosen on the preview."""
    mapping = mapping or {}
    digest = hashlib.sha256(data + json.dumps(mapping, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    key = "estates.import:" + digest
    existing_or_new = enqueue("estates.import", actor, {"filename": filename, "input": None, "mapping": mapping},
                              idempotency_key=key, title=_("导入小区台账（%(file)s）", file=filename or "-"))
    if not existing_or_new.payload.get("input"):
        suffix = {"xls": ".xls", "csv": ".csv"}.get(file_format(data, filename) or "", ".xlsx")
        existing_or_new.payload = {"filename": filename, "input": store_input(data, suffix), "mapping": mapping}
    return existing_or_new


class _JobImport(EstateImport):
    progress_every = 200

    def __init__(self, filename, actor, ctx):
        super().__init__(filename, actor)
        self.ctx = ctx

    def report_progress(self, done: int, total: int) -> None:
        self.ctx.progress(done, total)


@task("estates.import")
def run_import(ctx, payload):
    path = input_path(payload["input"])
    if not path.is_file():
        raise JobFailure(_("上传的文件已不存在，请重新上传。"))
    importer = _JobImport(payload.get("filename"), ctx.owner, ctx)
    data = path.read_bytes()
    config = current_app.config
    # In chunks: memory bounded by the chunk, one transaction (the job's) so all or nothing holds.
    result = importer.run_chunked(data, payload.get("filename"), mapping=payload.get("mapping") or {},
                                  chunk_size=config["IMPORT_CHUNK_ROWS"], total=data_rows(data, payload.get("filename")),
                                  max_seconds=config["IMPORT_JOB_MAX_SECONDS"])
    del data
    if not result.ok:
        lines = report_lines(result, _("小区"))
        more = result.errors_found - REPORT_LINES_KEPT
        text = "\n".join(lines[:2 + REPORT_LINES_KEPT])
        if more > 0:
            text += "\n" + _("……另有 %(n)s 处错误未列出。", n=more)
        raise JobFailure(text)
    db.session.flush()
    path.unlink(missing_ok=True)
    return _("已导入：新增 %(created)s 个小区，更新 %(updated)s 个，跳过 %(skipped)s 个。",
             created=result.counts["create"], updated=result.counts["update"], skipped=result.counts["skip"])


# --- export ---------------------------------------------------------------------------------

def export_count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


def export_needs_job(statement) -> bool:
    return export_count(statement) > current_app.config["EXPORT_JOB_THRESHOLD"]


def start_export(filters: services.EstateFilters, actor):
    """The export job for these filters (the same request within a minute: the same job)."""
    payload = asdict(filters)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    return enqueue("estates.export", actor, payload, idempotency_key=f"estates.export:{digest}:{utcnow():%Y%m%d%H%M}",
                   title=_("导出小区台账"))


@task("estates.export")
def run_export(ctx, payload):
    statement = services.list_estates(scope.visible(Estate, ctx.owner), services.EstateFilters(**payload))
    total = export_count(statement)
    ctx.progress(0, total)
    # Rows stream from the cursor in batches (the many-to-one joins need no de-duplication), so the
    # job's memory does not grow with the row count; the workbook itself is written in write-only mode.
    estates = db.session.scalars(statement.options(
        joinedload(Estate.street), joinedload(Estate.community), joinedload(Estate.company))
        .execution_options(yield_per=EXPORT_BATCH))

    def counted():
        for done, estate in enumerate(estates, 1):
            if done % EXPORT_PROGRESS_EVERY == 0:
                ctx.progress(done, total)
            yield estate

    data = write_workbook(estate_columns(), counted(), title="小区台账")
    ctx.save_result(data, f"小区台账-{local_today():%Y%m%d}.xlsx")
    return _("已导出 %(n)s 个小区。", n=total)
