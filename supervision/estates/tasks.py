"""The estate register's long work as a job: an import of many rows.

Below ``IMPORT_JOB_THRESHOLD`` rows the view does the work in the request; above, it starts this
job and sends the user to its page. (The export is a job of ``jobs.exports`` above its threshold.)
"""
from __future__ import annotations

import hashlib
import json

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import text

from ..documents.imports import data_rows, report_lines
from ..documents.ledger import file_format
from ..extensions import db
from ..jobs import enqueue, task
from ..jobs.services import JobFailure, input_path, store_input
from .spreadsheet import EstateImport

REPORT_LINES_KEPT = 500  # the failure message lists at most this many problems (the run keeps 500 too)


SQLITE_JOB_CACHE_KB = 256 * 1024


def keep_sqlite_pages_in_memory() -> None:
    """SQLite: let the job's transaction keep its changed pages in memory (up to 256 MB) until it
    commits. A page cache that spills to the file mid-transaction takes an exclusive lock, and every
    reader — the job's own progress page — would wait until the import ends. (Set per connection;
    ``restore_sqlite_cache`` puts the default back before the connection returns to the pool.)"""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(f"PRAGMA cache_size = -{SQLITE_JOB_CACHE_KB}"))


def restore_sqlite_cache() -> None:
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("PRAGMA cache_size = -2000"))


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
    keep_sqlite_pages_in_memory()
    try:
        result = _import_in_chunks(ctx, payload, path)
    finally:
        restore_sqlite_cache()
    if not result.ok:
        lines = report_lines(result, _("小区"))
        more = result.errors_found - REPORT_LINES_KEPT
        message = "\n".join(lines[:2 + REPORT_LINES_KEPT])
        if more > 0:
            message += "\n" + _("……另有 %(n)s 处错误未列出。", n=more)
        raise JobFailure(message)
    path.unlink(missing_ok=True)
    return _("已导入：新增 %(created)s 个小区，更新 %(updated)s 个，跳过 %(skipped)s 个。",
             created=result.counts["create"], updated=result.counts["update"], skipped=result.counts["skip"])


def _import_in_chunks(ctx, payload, path):
    """Memory bounded by the chunk; one transaction (the job's), so all or nothing holds."""
    config = current_app.config
    filename = payload.get("filename")
    data = path.read_bytes()
    importer = _JobImport(filename, ctx.owner, ctx)
    result = importer.run_chunked(data, filename, mapping=payload.get("mapping") or {},
                                  chunk_size=config["IMPORT_CHUNK_ROWS"], total=data_rows(data, filename),
                                  max_seconds=config["IMPORT_JOB_MAX_SECONDS"])
    db.session.flush()
    return result
