"""The estate register's long work as a job: an import of many rows.

Below ``IMPORT_JOB_THRESHOLD`` rows the view does the work in the request; above, it starts this
job and sends the user to its page. (The export is a job of ``jobs.exports`` above its threshold.)
"""
from __future__ import annotations

import hashlib
import json

from flask import current_app
from flask_babel import gettext as _

from ..documents.imports import data_rows, report_lines
from ..documents.ledger import file_format
from ..extensions import db
from ..jobs import enqueue, task
from ..jobs.services import JobFailure, input_path, store_input
from .spreadsheet import EstateImport

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
    filename = payload.get("filename")
    result = importer.run_chunked(data, filename, mapping=payload.get("mapping") or {},
                                  chunk_size=config["IMPORT_CHUNK_ROWS"], total=data_rows(data, filename),
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
