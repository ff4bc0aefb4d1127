"""Excel exports of the lists, one mechanism for all: small ones in the request, large ones as jobs.

A feature registers an ``Exporter``: its name, the file's name and sheet title, its ``Column``s, and
``statement()``, the list's scoped, filtered ``select`` built from ``request.args`` for
``current_user`` — the very function its list page uses. ``export_response(name)`` (the view's whole
body) writes the workbook in the request only when it is cheap: at most ``inline_rows`` rows, i.e.
``EXPORT_INLINE_CELLS`` cells (rows × columns: a cell costs ~1.5–8 µs, so the default 750 cells is
≤ ~6 ms over the export's fixed cost) and never more than ``EXPORT_JOB_THRESHOLD`` rows. Anything larger
is an ``exports.run`` job (the same user and the same filters within one minute: the same job) and the
user is sent to its page, with its progress bar and download link. Deciding takes one count that stops
after ``inline_rows() + 1`` rows (``count(..., up_to=…)``), so it does not grow with the list either.

The job rebuilds the statement in a request context of its own carrying the same query string and
the job's owner as ``current_user``, so the owner's scope applies again (a street office's export
holds its street's rows only). Either way rows stream from the cursor (``yield_per``; a server-side
cursor on PostgreSQL) into a constant-memory XlsxWriter workbook (``documents.excel``), so memory does not
grow with the row count. A large export selects plain columns (``select_rows``) rather than ORM objects,
and looks its relations up in a fixed number of bulk queries (``rows``).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..core.timeutil import local_today, utcnow
from ..documents.excel import Column, write_workbook, xlsx_response
from ..extensions import db
from ..i18n import DEFAULT_LOCALE
from .services import JobFailure, enqueue, task

BATCH = 500  # rows fetched from the cursor at a time
PROGRESS_EVERY = 1000


@dataclass
class Exporter:
    name: str
    filename: str  # the download's name before its date, e.g. 物业企业
    columns: Callable[[], list[Column]]
    statement: Callable[[], Any]  # the scoped, filtered select of the list (reads request.args, current_user)
    title: str = ""  # the sheet's title (default: filename)
    options: Callable[[], tuple] = field(default=lambda: ())  # loader options (many-to-one joins only: yield_per)
    # The statement streamed instead of ``statement`` itself (which is still what is counted): its
    # columns as plain rows, relations joined, so no ORM object is built per row.
    select_rows: Callable[[Any], Any] | None = None
    # Turns the streamed rows into the rows written; gets ``statement`` too, for a fixed number of bulk
    # look-ups over the same rows (never one query per batch).
    rows: Callable[[Iterable[Any], Any], Iterable[Any]] | None = None
    limit: int | None = None
    rows_not_objects: bool = False  # the statement selects columns (a union …): rows, not ORM objects
    # ``statement()`` returns the rows themselves, computed in memory (a ranking from its cached table,
    # a bulletin's streets): counted with len(), written as they are.
    in_memory: bool = False
    # The rows' number when it is known without building ``statement`` (None when it is not, then the statement
    # is counted): the request decides "job or not" without computing an in-memory list.
    count: Callable[[], int | None] | None = None
    download: Callable[[], str] | None = None  # the file's name (default: filename-YYYYMMDD.xlsx)
    sheet_title: Callable[[], str] | None = None  # the sheet's title when it depends on the request
    extra_sheets: Callable[[], dict[str, list[list]]] | None = None

    def download_name(self) -> str:
        return self.download() if self.download else f"{self.filename}-{local_today():%Y%m%d}.xlsx"


def memo(key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per request (or job): an exporter's columns, rows and name may all need the same
    work (a ranking, a bulletin)."""
    cache = request.environ.setdefault("supervision.exports", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    EXPORTERS[exporter.name] = exporter
    return exporter


def count(exporter: Exporter, statement, up_to: int | None = None) -> int:
    """The rows the export will hold (at most the exporter's limit); with ``up_to``, counted no further than
    that (the count stops there: whether an export is small enough for the request costs the same for
    24,000 rows as for 50)."""
    limit = exporter.limit if up_to is None else up_to if exporter.limit is None else min(up_to, exporter.limit)
    if exporter.in_memory:
        total = len(statement)
    else:
        statement = statement.order_by(None)
        if limit is not None:
            statement = statement.limit(max(limit, 0))
        total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    return total if limit is None else min(total, max(limit, 0))


def inline_rows(columns: int) -> int:
    """The most rows of ``columns`` columns written in the request (``EXPORT_INLINE_CELLS`` cells, never
    over ``EXPORT_JOB_THRESHOLD`` rows); a larger export is a job."""
    config = current_app.config
    return min(config["EXPORT_JOB_THRESHOLD"], config["EXPORT_INLINE_CELLS"] // max(columns, 1))


def _stream(exporter: Exporter, statement, progress: Callable[[int], None] | None = None) -> Iterator[Any]:
    if exporter.in_memory:
        objects = statement[:exporter.limit] if exporter.limit is not None else statement
    else:
        if exporter.limit is not None:
            statement = statement.limit(exporter.limit)
        if exporter.select_rows is not None:
            objects = db.session.execute(exporter.select_rows(statement).execution_options(yield_per=BATCH))
        elif exporter.rows_not_objects:
            objects = db.session.execute(statement.execution_options(yield_per=BATCH))
        else:
            objects = db.session.scalars(statement.options(*exporter.options()).execution_options(yield_per=BATCH))
    for done, obj in enumerate(objects, 1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
        yield obj


def write(exporter: Exporter, statement, progress: Callable[[int], None] | None = None,
          columns: list[Column] | None = None) -> bytes:
    objects = _stream(exporter, statement, progress)
    rows = exporter.rows(objects, statement) if exporter.rows else objects
    title = exporter.sheet_title() if exporter.sheet_title else exporter.title or exporter.filename
    extra = exporter.extra_sheets() if exporter.extra_sheets else None
    return write_workbook(exporter.columns() if columns is None else columns, rows, title=title, extra_sheets=extra)


def request_args() -> list[tuple[str, str]]:
    """The request's query string as sorted pairs (a job's payload, and part of its key)."""
    return sorted((key, value) for key, values in request.args.lists() for value in values)


@contextmanager
def as_request(owner, args):
    """A request context with this query string and ``owner`` as ``current_user``: the view's own
    functions (forms bound to ``request.args``, ``scope.visible``) run in a job as in the request. In
    Chinese whatever the owner's language, as the views' ``@in_chinese``: the files are official documents."""
    with (current_app.test_request_context("/", query_string=[tuple(pair) for pair in args or ()]),
          force_locale(DEFAULT_LOCALE)):
        g._login_user = owner
        yield


def start(exporter: Exporter, owner, args: list[tuple[str, str]], view_args: dict | None = None):
    """The export job of ``owner`` for these filters (the same within a minute: the same job); ``view_args``: the
    URL's arguments (e.g. a filing type's id), set again in the job's request as ``jobs.pdfs`` does."""
    key = [exporter.name, args] + ([view_args] if view_args else [])
    digest = hashlib.sha256(json.dumps(key, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]
    payload = {"exporter": exporter.name, "args": args} | ({"view_args": view_args} if view_args else {})
    return enqueue("exports.run", owner, payload, idempotency_key=f"exports:{digest}:{utcnow():%Y%m%d%H%M}",
                   title=_("导出%(what)s", what=exporter.filename))


def export_response(name: str):
    """The view of an export: the file when it is small enough to write in the request (``inline_rows``),
    else a redirect to the job making it."""
    exporter = EXPORTERS[name]
    columns = exporter.columns()
    most = inline_rows(len(columns))
    known = exporter.count() if exporter.count is not None else None
    statement = None
    if known is not None:
        total = known if exporter.limit is None else min(known, max(exporter.limit, 0))
    else:
        statement = exporter.statement()
        total = count(exporter, statement, up_to=most + 1)
    if total > most:
        # (the id read before the commit expires the job)
        job_id = start(exporter, current_user, request_args(), dict(request.view_args or {})).id
        db.session.commit()
        return redirect(url_for("jobs.detail", job_id=job_id))
    data = write(exporter, exporter.statement() if statement is None else statement, columns=columns)
    db.session.commit()  # what the export recorded (a full export of complaints' contacts is logged)
    return xlsx_response(data, exporter.download_name())


@task("exports.run")
def run_export(ctx, payload):
    exporter = EXPORTERS.get(payload.get("exporter"))
    if exporter is None:
        raise JobFailure(_("该导出已不再提供。"))
    with as_request(ctx.owner, payload.get("args")):
        request.view_args = payload.get("view_args") or {}
        statement = exporter.statement()
        total = count(exporter, statement)
        ctx.progress(0, total)
        data = write(exporter, statement, progress=lambda done: ctx.progress(done, total))
        name = exporter.download_name()
    ctx.save_result(data, name)
    return _("已导出 %(n)s 行。", n=total)
