"""The import pipeline every importer uses: read the file, understand its columns, check each row,
show what would happen, and write all of it or nothing.

An importer subclasses ``SheetImport`` and declares its ``columns`` (the same ``Column``s that
write its template, each with the ``aliases`` ledgers use for it), a ``kind`` (the key its
remembered column mappings are kept under), a per-row ``check_row`` and a ``write``; ``run`` does
the rest:

1. the upload must be an .xlsx, an .xls or a .csv (UTF-8 or GB18030) by its content, at most 10 MB
   (``check_file``);
2. the first sheet is read by ``documents.ledger.read_table``: the header row is found under any
   title/unit/date lines, headers are matched to columns by header, alias, the mappings remembered
   for ``kind`` (``ImportMapping``) and the ``mapping`` given; merged cells are repeated, totals and
   notes below are skipped; values are normalised (``documents.normalise``); bounded by the sheet's
   real size (caps on rows, columns and seconds: the IMPORT_* settings);
3. a header nobody recognises stops the import with "无法识别的列" (the result's ``unrecognised``):
   the web page asks for the field, the CLI says how to pass ``--map 源列=字段``;
4. ``prepare`` loads the look-ups once, then ``check_row`` runs for every row and reports problems
   with ``row.error(key, message)`` and may mark the row ``row.update(label)`` (it changes an
   existing record) or ``row.skip(label)`` (nothing to do); every problem is kept as
   ``RowError(row, column, message)``;
5. with ``dry_run=True`` nothing is written: the result is the preview (``sources``: header → field
   with values before → after; ``counts`` of rows to create/update/skip; ``updates``; ``errors``);
6. otherwise, only if no row failed does ``write`` get the values ``check_row`` returned, in row order.

The caller commits or rolls back (services never commit). ``report_lines`` gives the report as
text (the CLI), ``instructions`` the rows of a template's 填写说明 sheet. The web pages use
``documents.preview`` (upload → preview → confirm, the file kept server-side meanwhile).
"""
from __future__ import annotations

import re
import sys
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar

import click
import xlrd
from flask_babel import gettext as _
from sqlalchemy import select

from ..attachments.services import XLSX, UploadError, validate
from ..audit.services import record
from ..extensions import db
from . import ledger, normalise
from .excel import Column, Deadline, ReadLimits, RowError, first_sheet
from .models import ImportMapping

MAX_BYTES = XLSX.max_bytes
ACCEPT = ".xlsx,.xls,.csv"


@dataclass
class ImportResult:
    created: Any = field(default_factory=list)  # what ``write`` returned: for most importers the new objects
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # data rows read
    sources: list[ledger.SourceColumn] = field(default_factory=list)  # the file's columns, as understood
    header_row: int = 1
    counts: dict[str, int] = field(default_factory=lambda: {"create": 0, "update": 0, "skip": 0})
    updates: list[tuple[int, str, str]] = field(default_factory=list)  # (row, action, what) for update/skip rows
    checked: int = 0  # rows checked (a preview of a large file checks only the first ones)
    format: str = "xlsx"
    error_count: int = 0  # all the errors found, when only the first ``errors`` are kept (``run_chunked``)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors_found(self) -> int:
        return max(self.error_count, len(self.errors))

    @property
    def unrecognised(self) -> list[str]:
        return [s.header for s in self.sources if s.how == "unknown"]

    @property
    def ignored(self) -> list[str]:
        return [s.header for s in self.sources if s.ignored]


class SheetRow:
    """One data row being checked: its number in the sheet, its parsed values, its errors."""

    def __init__(self, number: int, values: dict, headers: dict[str, str], errors: list[RowError]):
        self.number = number
        self.values = values
        self._headers = headers
        self._errors = errors
        self.reported = {e.column for e in errors}  # the columns that already have an error on this row
        self.action = "create"
        self.label = ""

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def error(self, key: str, message: str) -> None:
        """Report a problem in the column ``key`` (a column key, or a header such as "-")."""
        column = self._headers.get(key, key)
        self._errors.append(RowError(self.number, column, message))
        self.reported.add(column)

    def update(self, label: str) -> None:
        """This row changes an existing record (``label`` names it in the preview)."""
        self.action, self.label = "update", label

    def skip(self, label: str) -> None:
        """This row needs nothing written (e.g. already there, unchanged)."""
        self.action, self.label = "skip", label

    @property
    def failed(self) -> bool:
        return bool(self._errors)


def data_rows(data: bytes, filename: str | None = None) -> int:
    """About how many data rows the first sheet holds (its recorded size less the header), without
    reading it; 0 for a file that is not readable (the import then reports why)."""
    kind = ledger.file_format(data, filename)
    try:
        if kind == "csv":
            return max(0, data.count(b"\n") - 1)
        if kind == "xls":
            book = xlrd.open_workbook(file_contents=data, on_demand=True)
            try:
                return max(0, book.sheet_by_index(0).nrows - 1)
            finally:
                book.release_resources()
        found = first_sheet(data)
        if found is None:
            return 0
        declared = _declared_rows(data, found[1]) or _counted_rows(data, found[1])
        return max(0, declared - 1)
    except Exception:  # any unreadable file: the import's own checks explain it
        return 0


_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+(\d+)(?::[A-Z]+(\d+))?"')


def _declared_rows(data: bytes, path: str) -> int:
    """The last row the sheet's ``<dimension>`` declares (near the top of its XML), 0 when it has none."""
    with zipfile.ZipFile(BytesIO(data)) as archive, archive.open(path) as stream:
        head = stream.read(1 << 16)
    match = _DIMENSION.search(head.split(b"<sheetData", 1)[0])
    return int(match.group(2) or match.group(1)) if match else 0


def _counted_rows(data: bytes, path: str) -> int:
    """The ``<row`` elements of a sheet that declares no size (write-only files and other tools):
    counted in the XML as it is unzipped, without parsing it."""
    count, tail = 0, b""
    with zipfile.ZipFile(BytesIO(data)) as archive, archive.open(path) as stream:
        while block := stream.read(1 << 20):
            chunk = tail + block
            count += chunk.count(b"<row ") + chunk.count(b"<row>")
            tail = block[-5:]
            count -= tail.count(b"<row ") + tail.count(b"<row>")  # counted again with the next block
    return count + tail.count(b"<row ") + tail.count(b"<row>")


def check_file(data: bytes, filename: str | None) -> str | None:
    """None when the upload is an acceptable .xlsx, .xls or .csv (by content, ≤ 10 MB), else the message."""
    kind = ledger.file_format(data, filename)
    if kind in ("xls", "csv"):
        if len(data) > MAX_BYTES:
            return _("文件过大：%(name)s 超过 %(limit)s MB 的上限。", name=filename or "-", limit=MAX_BYTES // 2**20)
        return None
    try:
        validate(data, filename or "import.xlsx", kinds=(XLSX,))
    except UploadError as error:
        return error.message
    return None


# --- remembered mappings --------------------------------------------------------------------

def saved_mapping(kind: str | None) -> dict[str, str]:
    """header_key → column key (or ``ledger.IGNORE``) remembered for this kind of import."""
    if not kind:
        return {}
    return dict(db.session.execute(select(ImportMapping.header, ImportMapping.field)
                                   .where(ImportMapping.kind == kind)).all())


def remember_mapping(kind: str, chosen: dict[str, str], actor=None) -> int:
    """Keep the user's choices (source header → column key or IGNORE) for ``kind``; audited.
    Returns how many changed. Flushes, never commits."""
    rows = {m.header: m for m in db.session.scalars(select(ImportMapping).where(ImportMapping.kind == kind))}
    changed = 0
    for source_header, key in chosen.items():
        norm = normalise.header_key(source_header)
        if not norm:
            continue
        mapping = rows.get(norm)
        if mapping is not None and mapping.field == key:
            continue
        before = {"field": mapping.field} if mapping is not None else None
        if mapping is None:
            mapping = ImportMapping(kind=kind, header=norm[:255], source_header=source_header[:255], field=key)
            db.session.add(mapping)
            rows[norm] = mapping
        mapping.field = key
        mapping.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        record("import.mapping", mapping, before=before, after={"kind": kind, "header": source_header, "field": key},
               actor=actor, summary=_("导入列对应：%(header)s → %(field)s", header=source_header[:80], field=key))
        changed += 1
    return changed


def parse_map_options(options) -> dict[str, str]:
    """``--map 源列=字段`` options (and the lines of a mapping file) as {source header: field}; a field
    given as 忽略/ignore/- leaves the column out."""
    mapping = {}
    for option in options:
        option = option.strip()
        if not option or option.startswith("#"):
            continue
        if "=" not in option:
            raise click.BadParameter(_("应写作 源列=字段：%(text)s", text=option))
        source, target = (part.strip() for part in option.split("=", 1))
        mapping[source] = ledger.IGNORE if target in ("忽略", "ignore", "-", "") else target
    return mapping


def field_choices(columns: list[Column]) -> list[tuple[str, str]]:
    return [(c.key, c.header) for c in columns]


def translate_mapping(mapping: dict[str, str], columns: list[Column]) -> dict[str, str]:
    """A mapping whose fields may be written as a column key or as its template header: as keys."""
    by_header = {normalise.header_key(c.header): c.key for c in columns}
    keys = {c.key for c in columns}
    result = {}
    for source, target in mapping.items():
        if target == ledger.IGNORE or target in keys:
            result[source] = target
        elif normalise.header_key(target) in by_header:
            result[source] = by_header[normalise.header_key(target)]
        else:
            raise click.BadParameter(_("没有名为“%(name)s”的字段", name=target))
    return result


class SheetImport:
    """One import of one file. Subclasses set ``columns`` (or override ``get_columns``) and
    implement ``check_row`` and ``write``; ``prepare`` is optional."""

    columns: list[Column] | tuple = ()  # a class attribute, or set per instance
    kind: ClassVar[str | None] = None  # the key remembered column mappings are kept under ("estates" …)
    max_rows: ClassVar[int | None] = None  # the importer's own cap; IMPORT_MAX_ROWS applies anyway
    progress_every: ClassVar[int] = 500  # rows checked between two ``report_progress`` calls
    ignore_unknown_columns: ClassVar[bool] = False  # True: headers no column knows are left out, not asked about

    def report_progress(self, done: int, total: int) -> None:
        """Called every ``progress_every`` rows checked and once when all are (a job shows it)."""

    def get_columns(self) -> list[Column]:
        return list(self.columns)

    def prepare(self, rows: list[SheetRow]) -> None:
        """Load what the row checks look up (once, before the first row)."""

    def check_row(self, row: SheetRow) -> Any:
        """Check one row; report problems with ``row.error``; return what ``write`` needs."""
        raise NotImplementedError

    def write(self, ready: list) -> Any:
        """Add the records (every row passed); flush and audit, never commit."""
        raise NotImplementedError

    def run(self, data: bytes, filename: str | None = None, *, mapping: dict[str, str] | None = None,
            dry_run: bool = False, check_rows: int | None = None, max_seconds: float | None = None) -> ImportResult:
        """Import ``data`` (see the module docstring). ``mapping``: source header → column key or
        ``ledger.IGNORE``, over the ones remembered for ``kind``. ``dry_run``: check, count and
        report, write nothing. ``check_rows``: check only this many rows (a preview of a large file).
        ``max_seconds``: the time allowed, when not the request's ``IMPORT_MAX_SECONDS`` (a job's)."""
        limits = ReadLimits.from_config(self.max_rows)
        deadline = Deadline(max_seconds or limits.max_seconds)
        result = ImportResult()
        problem = check_file(data, filename)
        if problem:
            result.errors.append(RowError(0, _("文件"), problem))
            return result
        columns = self.get_columns()
        chosen = {**saved_mapping(self.kind), **{normalise.header_key(k): v for k, v in (mapping or {}).items()}}
        sheet = ledger.read_table(data, filename, columns, mapping=chosen, limits=limits, deadline=deadline,
                                  ignore_unknown=self.ignore_unknown_columns)
        result.rows = len(sheet.rows)
        result.sources, result.header_row, result.format = sheet.sources, sheet.header_row, sheet.format
        result.errors.extend(sheet.errors)
        if sheet.fatal or sheet.header_problem or (sheet.errors and not sheet.rows):
            return result
        if not sheet.rows:
            result.errors.append(RowError(0, "-", _("文件中没有数据行。")))
            return result
        headers = {c.key: c.header for c in columns}
        by_row: dict[int, list[RowError]] = {}
        for error in sheet.errors:
            by_row.setdefault(error.row, []).append(error)
        rows = [SheetRow(number, values, headers, by_row.setdefault(number, [])) for number, values in sheet.rows]
        if check_rows is not None:
            rows = rows[:check_rows]
        self.prepare(rows)
        ready = []
        for done, row in enumerate(rows, 1):
            if deadline.passed():
                result.errors = [deadline.error(row.number)]
                return result
            value = self.check_row(row)
            if not row.failed:
                ready.append(value)
                result.counts[row.action] += 1
                if row.action != "create":
                    result.updates.append((row.number, row.action, row.label))
            if done % self.progress_every == 0:
                self.report_progress(done, len(rows))
        result.checked = len(rows)
        self.report_progress(len(rows), len(rows))
        order = {c.header: index for index, c in enumerate(columns)}
        result.errors = sorted((e for errors in by_row.values() for e in errors),
                               key=lambda e: (e.row, order.get(e.column, -1)))
        if result.errors or dry_run:
            return result
        result.created = self.write(ready)
        return result

    # --- a large file, in chunks (a job) ------------------------------------------------------

    ERRORS_KEPT: ClassVar[int] = 500  # a chunked run keeps the first errors, and counts them all

    def write_chunk(self, ready: list) -> Any:
        """Write one chunk of checked rows (``run_chunked``); by default ``write``."""
        return self.write(ready)

    def finish(self, result: ImportResult) -> None:
        """After the last chunk is written (e.g. one audit entry for the file)."""

    def run_chunked(self, data: bytes, filename: str | None = None, *, mapping: dict[str, str] | None = None,
                    chunk_size: int = 2000, total: int | None = None,
                    max_seconds: float | None = None) -> ImportResult:
        """Import ``data`` as ``run`` does, with memory bounded by ``chunk_size`` rows: the file is read
        row by row; every ``chunk_size`` rows are checked, then written at once while no row so far
        has failed. Once one fails nothing more is written, the rest is still checked for the report,
        and the caller rolls back (all or nothing holds: one transaction). Only the first
        ``ERRORS_KEPT`` errors are kept (``error_count`` counts them all). ``prepare`` gets no rows.
        ``total``: the rows expected (for ``report_progress``)."""
        limits = ReadLimits.from_config(self.max_rows)
        deadline = Deadline(max_seconds or limits.max_seconds)
        result = ImportResult()
        problem = check_file(data, filename)
        if problem:
            result.errors.append(RowError(0, _("文件"), problem))
            return result
        columns = self.get_columns()
        headers = {c.key: c.header for c in columns}
        order = {c.header: index for index, c in enumerate(columns)}
        chosen = {**saved_mapping(self.kind), **{normalise.header_key(k): v for k, v in (mapping or {}).items()}}
        chunk: list[SheetRow] = []
        prepared = False

        def check_and_write() -> None:
            nonlocal prepared
            if not prepared:
                self.prepare([])
                prepared = True
            ready = []
            for row in chunk:
                value = self.check_row(row)
                if row.failed:
                    result.error_count += len(row._errors)
                    room = self.ERRORS_KEPT - len(result.errors)
                    if room > 0:
                        result.errors.extend(sorted(row._errors, key=lambda e: order.get(e.column, -1))[:room])
                    continue
                ready.append(value)
                result.counts[row.action] += 1
                if row.action != "create" and len(result.updates) < self.ERRORS_KEPT:
                    result.updates.append((row.number, row.action, row.label))
            result.checked += len(chunk)
            if not result.error_count and ready:
                self.write_chunk(ready)
            chunk.clear()
            self.report_progress(result.checked, max(total or 0, result.checked))

        def take(number: int, values: dict, errors: list[RowError]) -> None:
            chunk.append(SheetRow(number, values, headers, errors))
            if len(chunk) >= chunk_size:
                check_and_write()

        sheet = ledger.read_table(data, filename, columns, mapping=chosen, limits=limits, deadline=deadline,
                                  ignore_unknown=self.ignore_unknown_columns, sink=take)
        result.sources, result.header_row, result.format = sheet.sources, sheet.header_row, sheet.format
        if sheet.errors or sheet.fatal or sheet.header_problem:
            result.errors = list(sheet.errors) + result.errors
            return result
        if chunk:
            check_and_write()
        result.rows = result.checked
        if not result.checked:
            result.errors.append(RowError(0, "-", _("文件中没有数据行。")))
        if result.ok:
            self.finish(result)
        return result


# --- the parts around an import ---------------------------------------------------------

def instructions(columns: list[Column], extra: list[list] | None = None) -> list[list]:
    """The rows of a template's 填写说明 sheet: each column's rule, then the import rules."""
    rows = [["列", "是否必填", "说明"]]
    for column in columns:
        rows.append([column.header, "必填" if column.required else "", column.note or ""])
    rows.append([])
    limits = ReadLimits.from_config()
    rows.append(["导入规则", "",
                 "每一行都通过校验才会导入；任何一行有误，整个文件都不导入，并列出出错的行、列和原因。"])
    rows.append(["", "", f"每个文件最多 {limits.max_rows} 行数据；连续 {limits.blank_rows_end} 个空行视为表格结束，"
                         "其下的内容不再读取。"])
    rows.extend(extra or [])
    return rows


def report_lines(result: ImportResult, noun: str) -> list[str]:
    """The import report as text lines (the CLI prints them; the web page shows a table)."""
    if result.ok:
        if result.counts["update"] or result.counts["skip"]:
            return [_("已导入：新增 %(created)s 个%(noun)s，更新 %(updated)s 个，跳过 %(skipped)s 个。",
                      created=result.counts["create"], updated=result.counts["update"],
                      skipped=result.counts["skip"], noun=noun)]
        return [_("已导入 %(n)s 个%(noun)s。", n=len(result.created), noun=noun)]
    lines = [_("未导入：发现 %(n)s 处错误，文件中的数据均未导入。", n=result.errors_found), _("行\t列\t错误")]
    for error in result.errors:
        lines.append(f"{error.row or '-'}\t{error.column}\t{error.message}")
    return lines


def import_options(command):
    """The options every ``flask <feature> import`` takes: ``--map 源列=字段`` and ``--mapping-file``."""
    command = click.option("--mapping-file", type=click.Path(dir_okay=False),
                           help="每行一个“源列=字段”的文件 / a file of 源列=字段 lines")(command)
    return click.option("--map", "options", multiple=True, metavar="源列=字段",
                        help="表头对应的字段（可多次使用；字段写 忽略 则不导入该列）")(command)


def run_import_command(path: str, importer, noun: str, *, kind: str | None = None, columns=None,
                       options=(), mapping_file: str | None = None) -> None:
    """``flask <feature> import PATH [--map 源列=字段 …] [--mapping-file FILE]``: run
    ``importer(data, filename, mapping=...)``, print the report, commit or roll back; exit 1 on any
    error. A header nobody recognises is refused with the list of fields it could be mapped to."""
    file = Path(path)
    if not file.is_file():
        raise click.ClickException(f"找不到文件：{path}")
    lines = list(options)
    if mapping_file:
        mapping_path = Path(mapping_file)
        if not mapping_path.is_file():
            raise click.ClickException(f"找不到文件：{mapping_file}")
        lines += mapping_path.read_text(encoding="utf-8-sig").splitlines()
    mapping = parse_map_options(lines)
    if columns is not None:
        mapping = translate_mapping(mapping, columns)
    result = importer(file.read_bytes(), file.name, mapping=mapping)
    for line in report_lines(result, noun):
        click.echo(line)
    if result.unrecognised and columns is not None:
        click.echo(_("以下表头无法识别：%(headers)s。请用 --map 源列=字段 指定（可多次使用），或用 --mapping-file "
                     "指定每行一个“源列=字段”的文件；不需要的列写 源列=忽略。", headers="、".join(result.unrecognised)))
        click.echo(_("可用字段：%(fields)s", fields="、".join(c.header for c in columns)))
    if not result.ok:
        db.session.rollback()
        sys.exit(1)
    if result.ignored:
        click.echo(_("已忽略的列：%(headers)s", headers="、".join(result.ignored)))
    db.session.commit()
