"""Imports of many rows as jobs: a registered ``Importer`` says how to build the feature's
``SheetImport`` for a user; a file with more than ``IMPORT_JOB_THRESHOLD`` data rows is stored and
an ``imports.run`` job imports it (the same file, mapping and options from the same user within a
minute: the same job), so no web worker is held for the length of a large import. The user follows it
on the job page; a failed import lists its rows' errors there and keeps nothing (one transaction).

Importers whose checks need only what they load themselves run in chunks (``chunked=True``:
``SheetImport.run_chunked``, memory bounded by ``IMPORT_CHUNK_ROWS``); the others check the whole
file at once, as in the request (``SheetImport.run``), because their ``prepare`` reads the rows
(duplicates within the file, repeats among the file's own tickets).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, redirect, url_for
from flask_babel import gettext as _

from ..core.timeutil import utcnow
from ..documents.imports import ImportResult, SheetImport, data_rows, report_lines
from ..documents.ledger import file_format
from ..extensions import db
from .services import JobFailure, enqueue, input_path, store_input, task

REPORT_LINES_KEPT = 500  # the failure message lists at most this many problems (a chunked run keeps 500 too)
PROGRESS_EVERY = 200  # rows checked between two progress updates of the job


@dataclass(frozen=True)
class Importer:
    name: str  # the registry key, kept in the job's payload
    title: Any  # lazy text: the job's title, e.g. 导入小区台账
    noun: Any  # lazy text: what a row is, for the error report (小区, 工单 …)
    build: Callable[[str | None, Any, dict], SheetImport]  # (filename, actor, options) → the importer
    summary: Callable[[ImportResult], str]  # the job's result line after a successful import
    chunked: bool = False


IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    IMPORTERS[importer.name] = importer
    return importer


def option_record(model, options: dict, key: str, gone_message: str):
    """The record an importer works on (a campaign, an estate), by the id the upload page put in the
    job's options; the job fails with ``gone_message`` when it has been deleted since."""
    record = db.session.get(model, options.get(key))
    if record is None:
        raise JobFailure(gone_message)
    return record


def needs_job(data: bytes, filename: str | None = None) -> bool:
    return data_rows(data, filename) > current_app.config["IMPORT_JOB_THRESHOLD"]


def start(name: str, data: bytes, filename: str | None, actor, *, mapping: dict[str, str] | None = None,
          options: dict | None = None):
    """The import job for this file (added, or the one the same user started for the same file, mapping
    and options in the same minute). ``mapping``: source header → column key, as chosen on a preview;
    ``options``: what ``build`` needs besides the user (a campaign's or an estate's id …), JSON."""
    importer = IMPORTERS[name]
    mapping, options = mapping or {}, options or {}
    fingerprint = json.dumps([name, mapping, options], sort_keys=True, ensure_ascii=False).encode()
    # The same upload twice within a minute (a double submit) is one job; later, a new one (a file that
    # failed for a reason outside it, or imported again on purpose).
    key = f"imports:{name}:{hashlib.sha256(data + fingerprint).hexdigest()[:40]}:{utcnow():%Y%m%d%H%M}"
    payload = {"importer": name, "filename": filename, "input": None, "mapping": mapping, "options": options}
    job = enqueue("imports.run", actor, payload, idempotency_key=key,
                  title=_("%(what)s（%(file)s）", what=importer.title, file=filename or "-"))
    if not job.payload.get("input"):
        suffix = {"xls": ".xls", "csv": ".csv"}.get(file_format(data, filename) or "", ".xlsx")
        job.payload = {**payload, "input": store_input(data, suffix)}
    return job


def job_page_if_large(name: str, data: bytes, filename: str | None, actor, *, options: dict | None = None):
    """For an upload page without a preview: when the file is large, its job is started (committed) and
    the response is the way to the job's page; else None, and the page imports it in the request."""
    if not needs_job(data, filename):
        return None
    job = start(name, data, filename, actor, options=options)
    db.session.commit()
    return redirect(url_for("jobs.detail", job_id=job.id))


@task("imports.run")
def run_import(ctx, payload):
    importer = IMPORTERS.get(payload.get("importer"))
    if importer is None:
        raise JobFailure(_("无法识别的导入类型。"))
    path = input_path(payload["input"])
    if not path.is_file():
        raise JobFailure(_("上传的文件已不存在，请重新上传。"))
    result = _run(ctx, importer, payload, path.read_bytes())
    if not result.ok:
        raise JobFailure(failure_message(result, importer.noun))
    path.unlink(missing_ok=True)
    return importer.summary(result)


def _run(ctx, importer: Importer, payload: dict, data: bytes) -> ImportResult:
    """One transaction (the job's), so all or nothing holds."""
    filename, mapping = payload.get("filename"), payload.get("mapping") or {}
    sheet = importer.build(filename, ctx.owner, payload.get("options") or {})
    sheet.progress_every = PROGRESS_EVERY
    sheet.report_progress = ctx.progress
    config = current_app.config
    if importer.chunked:
        result = sheet.run_chunked(data, filename, mapping=mapping, chunk_size=config["IMPORT_CHUNK_ROWS"],
                                   total=data_rows(data, filename), max_seconds=config["IMPORT_JOB_MAX_SECONDS"])
    else:
        result = sheet.run(data, filename, mapping=mapping, max_seconds=config["IMPORT_JOB_MAX_SECONDS"])
    db.session.flush()
    return result


def failure_message(result: ImportResult, noun) -> str:
    lines = report_lines(result, noun)
    message = "\n".join(lines[:2 + REPORT_LINES_KEPT])
    more = result.errors_found - REPORT_LINES_KEPT
    if more > 0:
        message += "\n" + _("……另有 %(n)s 处错误未列出。", n=more)
    return message
