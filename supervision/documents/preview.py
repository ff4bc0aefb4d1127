"""The import pages: upload → preview → confirm, for every importer.

``ImportFlow`` runs a page: the upload is checked and kept server-side under a generated name
(``UPLOAD_DIR/imports/<user id>-<token>``, never a name the request chooses), a dry run shows how
the file was understood (source header → field with values before → after, the rows to create,
update and skip, every error with row and column); an unrecognised header is given a field from a
list (or left out); nothing is written until the user confirms, then all or nothing, and the
choices are remembered for the kind of import (``ImportMapping``, audited). A file over the job
threshold is previewed on its first ``PREVIEW_ROWS`` rows and imported by a job on confirm.

A feature's view builds one and returns ``flow.handle()``::

    flow = ImportFlow(kind="estates", columns=estate_columns(), template="estates/import.html",
                      run=lambda data, name, mapping, dry_run, check_rows: ...,
                      done=lambda result: redirect(...), start_job=None or (lambda data, name, mapping: job))
"""
from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from ..attachments.services import UploadError, check_filename
from ..extensions import db
from . import ledger, normalise
from .excel import Column, RowError
from .forms import ImportForm
from .imports import ImportResult, check_file, data_rows, remember_mapping, saved_mapping

PREVIEW_ROWS = 200  # rows a preview of a file bound for a job checks
PENDING_HOURS = 24  # uploads not confirmed within this are removed
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class ConfirmForm(FlaskForm):
    token = HiddenField()
    filename = HiddenField()


# --- the kept upload --------------------------------------------------------------------------

def _pending_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(data: bytes, user) -> str:
    """Keep the uploaded file until it is confirmed; the token that finds it again (for this user only)."""
    folder = _pending_dir()
    stale = time.time() - PENDING_HOURS * 3600
    for old in folder.glob("*.upload"):
        try:
            if old.stat().st_mtime < stale:
                old.unlink(missing_ok=True)
        except OSError:
            continue
    token = secrets.token_hex(16)
    fd = os.open(folder / f"{int(user.id)}-{token}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return token


def _pending_path(token: str, user) -> Path | None:
    if not token or not _TOKEN.match(token):
        return None
    return _pending_dir() / f"{int(user.id)}-{token}.upload"


def load_upload(token: str, user) -> bytes | None:
    path = _pending_path(token, user)
    return path.read_bytes() if path is not None and path.is_file() else None


def drop_upload(token: str, user) -> None:
    path = _pending_path(token, user)
    if path is not None:
        path.unlink(missing_ok=True)


# --- the page ---------------------------------------------------------------------------------

@dataclass
class Choice:
    """One column of the file on the preview: its header, the select's name and chosen value."""
    source: ledger.SourceColumn
    name: str
    value: str


@dataclass
class ImportFlow:
    kind: str
    columns: list[Column]
    template: str
    run: Callable[..., ImportResult]  # (data, filename, mapping, dry_run, check_rows) → ImportResult
    done: Callable[[ImportResult], object]  # the response after a successful import (flash + redirect)
    start_job: Callable[..., object] | None = None  # (data, filename, mapping) → Job, for large files
    context: dict = field(default_factory=dict)

    def field_choices(self) -> list[tuple[str, str]]:
        return [("", _("— 请选择字段 —")), (ledger.IGNORE, _("不导入此列"))] + [
            (c.key, c.header) for c in self.columns]

    def _large(self, data: bytes, filename: str | None) -> bool:
        return self.start_job is not None and data_rows(data, filename) > current_app.config["IMPORT_JOB_THRESHOLD"]

    def _render(self, **values):
        return render_template(self.template, **self.context, **values)

    def handle(self):
        if request.method == "POST" and "token" in request.form:
            return self._confirm()
        form = ImportForm()
        result = None
        if form.validate_on_submit():
            upload = form.file.data
            data = upload.read()
            problem = check_file(data, upload.filename)
            if problem:
                result = ImportResult(errors=[RowError(0, _("文件"), problem)])
            else:
                try:
                    filename = check_filename(upload.filename)
                except UploadError as error:
                    result = ImportResult(errors=[RowError(0, _("文件"), error.message)])
                else:
                    token = keep_upload(data, current_user)
                    return self._preview(data, filename, token, {})
        return self._render(form=form, result=result, preview=None)

    def _preview(self, data: bytes, filename: str, token: str, mapping: dict[str, str]):
        large = self._large(data, filename)
        result = self.run(data, filename, mapping, True, PREVIEW_ROWS if large else None)
        db.session.rollback()  # a dry run writes nothing; nothing it loaded may be flushed
        confirm = ConfirmForm(formdata=None, token=token, filename=filename)
        choices = [Choice(source, f"map-{source.position}", source.key or (ledger.IGNORE if source.ignored else ""))
                   for source in result.sources]
        return self._render(form=ImportForm(formdata=None), result=result, preview=result, confirm=confirm,
                            choices=choices, field_choices=self.field_choices(), large=large,
                            preview_rows=PREVIEW_ROWS, filename=filename)

    def _submitted_mapping(self) -> dict[str, str]:
        """The fields chosen on the preview for the file's headers: each select ``map-<n>`` comes with
        the header it is for (``header-<n>``); only the offered values are taken."""
        allowed = {key for key, _label in self.field_choices() if key}
        chosen = {}
        for name, header in request.form.items():
            if not name.startswith("header-"):
                continue
            value = request.form.get("map-" + name[len("header-"):], "")
            header = normalise.clean(header)[:255]
            if value in allowed and header:
                chosen[header] = value
        return chosen

    def _confirm(self):
        confirm = ConfirmForm()
        if not confirm.validate_on_submit():
            flash(_("表单已过期，请重新上传文件。"), "danger")
            return redirect(request.path)
        token = confirm.token.data or ""
        data = load_upload(token, current_user)
        if data is None:
            flash(_("上传的文件已不存在，请重新上传。"), "danger")
            return redirect(request.path)
        try:
            filename = check_filename(confirm.filename.data)
        except UploadError:
            filename = "import.xlsx"
        chosen = self._submitted_mapping()
        mapping = self._explicit(chosen)
        if request.form.get("step") != "confirm":
            return self._preview(data, filename, token, mapping)
        if self._large(data, filename):
            self._remember(chosen)
            job = self.start_job(data, filename, mapping)
            db.session.commit()
            drop_upload(token, current_user)
            return redirect(url_for("jobs.detail", job_id=job.id))
        result = self.run(data, filename, mapping, False, None)
        if not result.ok:
            db.session.rollback()
            return self._preview(data, filename, token, mapping)
        self._remember(chosen)
        db.session.commit()
        drop_upload(token, current_user)
        return self.done(result)

    def _automatic(self, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
        return {s.header: s.key or (ledger.IGNORE if s.ignored else "")
                for s in ledger.resolve(headers, self.columns, mapping)}

    def _explicit(self, chosen: dict[str, str]) -> dict[str, str]:
        """The choices that differ from what the headers and the remembered mappings already say."""
        automatic = self._automatic(list(chosen), saved_mapping(self.kind))
        return {header: key for header, key in chosen.items() if key != automatic.get(header)}

    def _remember(self, mapping: dict[str, str]) -> None:
        """Keep the choices that differ from what the headers alone say (so the next file needs no questions)."""
        automatic = self._automatic(list(mapping), {})
        chosen = {header: key for header, key in mapping.items()
                  if key != automatic.get(header) and normalise.header_key(header)}
        if chosen:
            remember_mapping(self.kind, chosen, actor=current_user)

