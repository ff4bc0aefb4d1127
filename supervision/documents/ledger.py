"""Reading the table out of a ledger (台账) as bureaus and companies keep it, not only our template.

``read_table(data, filename, columns, mapping=...)`` is what ``SheetImport`` calls. It

1. opens the first sheet of an .xlsx (python-calamine, a Rust reader, when the sheet's cells are
   few enough to hold at once; else openpyxl, read-only, unsized, streaming), an .xls (xlrd) or a
   .csv (UTF-8, with or without BOM, else GB18030), judged by content;
2. reads merged cells as their value repeated over the merged range (a street name merged down
   over its estates belongs to each of them);
3. finds the header row among the first ``HEADER_SCAN`` rows: the row where most cells name a
   known column (a column's header or one of its ``aliases``, or a header the user mapped before);
   title, 填报单位 and date lines above it are skipped;
4. maps each header to a column: the importer's own header or aliases (compared loosely by
   ``normalise.header_key``), else the saved/given ``mapping`` (header → column key, or
   ``IGNORE``), else a header every ledger carries and no importer keeps (序号 …: ignored and
   reported), else it is *unrecognised*: the import stops and asks (web: a list to choose from;
   CLI: ``--map 源列=字段``);
5. reads the rows under the header until a run of blank rows, skipping totals, notes and signature
   lines (合计, 小计, 备注：, 填表人 …) and rows whose only values come from merged cells.

The limits of ``ReadLimits`` (rows, columns, seconds, the blank run) hold for every format.
Row numbers are the sheet's own, so an error names the row the user sees in Excel.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import python_calamine
import xlrd
from flask_babel import gettext as _
from openpyxl.utils.cell import range_boundaries

from . import normalise
from .excel import CellError, Column, Deadline, ParsedSheet, ReadLimits, RowError, _open, first_sheet

HEADER_SCAN = 20  # the header is looked for in this many rows from the top
IGNORE = "__ignore__"  # a mapping's value for a column the user chose to leave out
# Headers ledgers carry that no importer keeps: ignored without asking (and reported as ignored).
ALWAYS_IGNORED = frozenset(normalise.header_key(h) for h in (
    "序号", "编号", "序", "No", "No.", "行号", "排序"))
# A row under the header whose first non-blank cell starts so is a total, a note or a signature.
FOOTER = re.compile(r"^(合计|总计|小计|共计|累计|总数|备注[:：]|注[:：]|注\d|说明|填表|制表|审核|审批|"
                    r"负责人[:：]|联系人[:：]|联系电话[:：]|填报|单位负责人|统计人|日期[:：])")
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_MERGED_CELLS = 1_000_000  # merged ranges are read up to this many cells in all
MAX_MERGE_XML = 8 * 1024 * 1024  # bytes of <mergeCells> read at most
# python-calamine holds the sheet's cells from A1 to the last one at once (32 bytes each, plus the text:
# ~100 bytes a filled cell, 60 MB for 50,000 rows of 12 columns): above this many cells the sheet is
# streamed with openpyxl instead (several times slower, memory flat).
CALAMINE_MAX_CELLS = 1_500_000


class _SinkFailed(Exception):
    """Carries an exception raised by ``read_table``'s ``sink`` past its handler of broken files."""


class TableError(Exception):
    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


@dataclass
class SourceColumn:
    """One column of the file: where it is, its header, and what the import makes of it."""
    position: int
    header: str
    key: str | None = None  # the column key it fills, None when ignored or unrecognised
    how: str = "unknown"  # "header" (our own name or an alias), "mapped" (a mapping: to a field, or left out),
    #                       "ignored" (序号 …), "unknown", "twice" (a second column for the same field)
    samples: list = field(default_factory=list)  # [(raw, parsed or error text)] from the first rows

    @property
    def ignored(self) -> bool:
        return self.key is None and self.how in ("ignored", "twice", "mapped")


@dataclass
class Table(ParsedSheet):
    header_row: int = 1
    sources: list[SourceColumn] = field(default_factory=list)
    format: str = "xlsx"
    header_problem: bool = False  # a required column missing or a header unrecognised: no row is checked

    @property
    def unrecognised(self) -> list[str]:
        return [s.header for s in self.sources if s.how == "unknown"]

    @property
    def ignored(self) -> list[str]:
        return [s.header for s in self.sources if s.ignored]


# --- the formats ------------------------------------------------------------------------

def file_format(data: bytes, filename: str | None) -> str | None:
    """"xlsx", "xls" or "csv" by content (a .csv must also be named so), else None."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(XLS_MAGIC):
        return "xls"
    if (filename or "").lower().endswith(".csv") and b"\x00" not in data[:65536] and decode_text(data) is not None:
        return "csv"
    return None


def decode_text(data: bytes) -> str | None:
    """A CSV's text: UTF-8 (with or without BOM), else GB18030; None when it is neither."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


Row = tuple[int, list, set]  # (row number, values, positions whose value came from a merged cell)


class _Merges:
    """Fills merged ranges with their top-left value while rows stream past, top to bottom."""

    def __init__(self, ranges: list[tuple[int, int, int, int]]):  # (min_col, min_row, max_col, max_row), 1-based
        cells = 0
        kept = []
        for box in sorted(ranges, key=lambda b: b[1]):
            cells += (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
            if cells > MAX_MERGED_CELLS:
                break
            kept.append(box)
        self.pending = kept
        self.active: list[tuple[tuple[int, int, int, int], object]] = []

    def fill(self, number: int, values: list) -> set:
        while self.pending and self.pending[0][1] <= number:
            box = self.pending.pop(0)
            top_left = values[box[0] - 1] if box[1] == number and box[0] - 1 < len(values) else None
            self.active.append((box, top_left))
        self.active = [(box, value) for box, value in self.active if box[3] >= number]
        filled = set()
        for (min_col, min_row, max_col, _max_row), value in self.active:
            if value is None:
                continue
            for col in range(min_col, max_col + 1):
                index = col - 1
                if index >= len(values) or (min_row == number and col == min_col):
                    continue
                values[index] = value
                filled.add(index)
        return filled


def _xlsx_merges(data: bytes, sheet) -> list[tuple[int, int, int, int]]:
    """The merged ranges of ``sheet``: its XML is streamed (a sheet may unpack to hundreds of MB) and only
    what follows ``<mergeCells`` (written after the cells) is kept, up to ``MAX_MERGE_XML`` bytes."""
    path = getattr(sheet, "_worksheet_path", None)
    if not path:
        return []
    kept, tail = b"", b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path) as stream:
        while chunk := stream.read(1 << 20):
            if kept:
                kept += chunk
            else:
                joined = tail + chunk
                start = joined.find(b"<mergeCells")
                if start >= 0:
                    kept = joined[start:]
                tail = joined[-16:]
            if len(kept) > MAX_MERGE_XML:
                break
    boxes = []
    for ref in re.findall(rb'<mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"', kept):
        try:
            boxes.append(range_boundaries(ref.decode()))
        except ValueError:
            continue
    return boxes


_ROW = re.compile(rb'<row\s[^>]*?\br="(\d+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})\d')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s>/]")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def sheet_extent(data: bytes, path: str, *, blank_rows_end: int = ReadLimits.blank_rows_end,
                 max_cells: int | None = None) -> tuple[int, int] | None:
    """The last row holding a value and (at least) the last column of the sheet at ``path``, read off its
    XML as it is unzipped (not what the file declares: a stray cell far below counts), as soon as their
    product passes ``max_cells``. None when the XML is not written the usual way (a cell or row without
    its ``r="…"``, namespace prefixes) or when ``blank_rows_end`` rows without a value end the table
    before its last value (the streaming reader stops there; no need to hold what lies below)."""
    last_row = last_col = 0
    carry = b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path) as stream:
        while True:
            block = stream.read(1 << 20)
            chunk = carry + block
            if block:  # a row never straddles two chunks: each ends after a "</row>" (or a ">")
                cut = chunk.rfind(b"</row>")
                cut = cut + 6 if cut >= 0 else chunk.rfind(b">") + 1
                chunk, carry = chunk[:cut], chunk[cut:]
            if not chunk:
                break
            cells = chunk.count(b"<c ") + chunk.count(b"<c>")
            if cells != chunk.count(b'<c r="') or chunk.count(b"<row>") or _PREFIXED.search(chunk):
                return None
            for match in _ROW.finditer(chunk):
                number = int(match.group(1))
                if last_row and number - last_row > blank_rows_end:
                    return None  # rows in order: this one lies below a run of rows without a value
                content = match.group(2)
                if content and (b"</v>" in content or b"</t>" in content):  # a value (or an inline string)
                    last_row = max(last_row, number)
            if cells:
                last_col = max(last_col, *(_column_number(c) for c in set(_CELL_COLUMN.findall(chunk))))
            if max_cells is not None and last_row * last_col > max_cells:
                return last_row, last_col
            if not block:
                break
    return last_row, last_col


def _xlsx_rows(data: bytes, limits: ReadLimits) -> Iterator[Row]:
    found = first_sheet(data)
    if found is None:
        raise TableError(RowError(0, "-", _("无法读取该 Excel 文件，请使用下载的模板。")))
    name, path = found
    extent = sheet_extent(data, path, blank_rows_end=limits.blank_rows_end, max_cells=CALAMINE_MAX_CELLS)
    sheet = None
    if extent is not None and extent[0] * extent[1] <= CALAMINE_MAX_CELLS:
        try:
            sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name)
        except Exception:  # a file calamine cannot read: openpyxl says why, or reads it
            sheet = None
    if sheet is None:
        yield from _openpyxl_rows(data, limits)
        return
    boxes = [(c0 + 1, r0 + 1, c1 + 1, r1 + 1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
    merges = _Merges(boxes)
    width = limits.max_columns + 1
    pad = [None] * (sheet.start[1] if sheet.start else 0)  # rows start at the first column holding a value
    # iter_rows gives every row from the sheet's first, as lists of values from that column on.
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        values = pad + [_calamine_value(v) for v in cells[:width]]
        del values[width:]
        yield number, values, merges.fill(number, values)


_SAFE_INT = 2**53


def _calamine_value(value):
    """A value as openpyxl gives it: None for an empty cell, whole numbers as int, dates as datetime."""
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        return int(value) if value.is_integer() and -_SAFE_INT < value < _SAFE_INT else value
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


def _openpyxl_rows(data: bytes, limits: ReadLimits) -> Iterator[Row]:
    workbook = _open(data)
    try:
        if not workbook.worksheets:
            raise TableError(RowError(0, "-", _("无法读取该 Excel 文件，请使用下载的模板。")))
        sheet = workbook.worksheets[0]
        merges = _Merges(_xlsx_merges(data, sheet))
        for number, values in enumerate(sheet.iter_rows(max_col=limits.max_columns + 1, values_only=True), start=1):
            values = list(values)
            yield number, values, merges.fill(number, values)
    finally:
        workbook.close()


def _xls_rows(data: bytes, limits: ReadLimits) -> Iterator[Row]:
    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    try:
        sheet = book.sheet_by_index(0)
        boxes = [(clo + 1, rlo + 1, chi, rhi) for rlo, rhi, clo, chi in sheet.merged_cells]
        merges = _Merges(boxes)
        width = min(sheet.ncols, limits.max_columns + 1)
        for index in range(sheet.nrows):
            values = []
            for col in range(width):
                cell = sheet.cell(index, col)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        values.append(cell.value)
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    values.append(None)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    values.append(bool(cell.value))
                else:
                    values.append(cell.value)
            yield index + 1, values, merges.fill(index + 1, values)
    finally:
        book.release_resources()


def _csv_rows(data: bytes, limits: ReadLimits) -> Iterator[Row]:
    text = decode_text(data) or ""
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    for number, values in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        yield number, [v if v != "" else None for v in values[: limits.max_columns + 1]], set()


def source_rows(data: bytes, kind: str, limits: ReadLimits) -> Iterator[Row]:
    return {"xlsx": _xlsx_rows, "xls": _xls_rows, "csv": _csv_rows}[kind](data, limits)


# --- the header ---------------------------------------------------------------------------

def known_headers(columns: list[Column]) -> dict[str, str]:
    """header_key → column key for every column's header and aliases."""
    known: dict[str, str] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            known.setdefault(normalise.header_key(name), column.key)
    return known


def _texts(values) -> list[str]:
    return [normalise.clean(v) if v is not None else "" for v in values]


def _score(values, known: dict[str, str], mapping: dict[str, str]) -> int:
    keys = {normalise.header_key(v) for v in _texts(values) if v}
    return sum(1 for k in keys if k in known or (k in mapping and mapping[k] != IGNORE))


def resolve(headers: list[str], columns: list[Column], mapping: dict[str, str]) -> list[SourceColumn]:
    """What each header of the file fills (see the module docstring, step 4)."""
    known = known_headers(columns)
    keys = {c.key for c in columns}
    sources, taken = [], {}
    for position, header in enumerate(headers):
        if not header:
            continue
        norm = normalise.header_key(header)
        source = SourceColumn(position, header)
        chosen = mapping.get(norm)
        if chosen == IGNORE:
            source.how = "mapped"  # left out by a choice
        elif chosen in keys:
            source.key, source.how = chosen, "mapped"
        elif norm in known:
            source.key, source.how = known[norm], "header"
        elif norm in ALWAYS_IGNORED:
            source.how = "ignored"
        if source.key is not None:
            if source.key in taken:
                source.key, source.how = None, "twice"
            else:
                taken[source.key] = source
        sources.append(source)
    return sources


def read_table(data: bytes, filename: str | None, columns: list[Column], *, mapping: dict[str, str] | None = None,
               limits: ReadLimits | None = None, deadline: Deadline | None = None, samples: int = 3,
               ignore_unknown: bool = False, sink: Callable[[int, dict, list[RowError]], None] | None = None) -> Table:
    """The data rows of the first sheet, parsed by ``columns`` (see the module docstring).
    ``mapping`` is header_key → column key (or ``IGNORE``). Every error is collected; a sheet over a
    limit gives one error and ``fatal``. With ``sink``, each data row goes to ``sink(number, values,
    errors)`` as it is read, and neither it nor its cell errors are kept (a large import's memory)."""
    limits = limits or ReadLimits.from_config()
    deadline = deadline or Deadline(limits.max_seconds)
    mapping = {normalise.header_key(k): v for k, v in (mapping or {}).items()}
    kind = file_format(data, filename) or "xlsx"
    table = Table(format=kind)
    unreadable = RowError(0, "-", _("无法读取该 Excel 文件，请使用下载的模板。"))
    try:
        rows = source_rows(data, kind, limits)
        top: list[Row] = []
        for row in rows:
            top.append(row)
            if len(top) >= HEADER_SCAN:
                break
    except TableError as error:
        table.errors.append(error.error)
        return table
    except Exception:  # openpyxl and xlrd raise many kinds for a broken file
        table.errors.append(unreadable)
        return table
    if deadline.passed():
        return table.fail(deadline.error())
    known = known_headers(columns)
    best, best_score = None, 0
    for index, (_number, values, _filled) in enumerate(top):
        score = _score(values, known, mapping)
        if score > best_score:
            best, best_score = index, score
    if best is None:  # nothing recognised: the row with the most different texts is the header
        counts = [len({t for t in _texts(values) if t}) for _n, values, _f in top]
        best = counts.index(max(counts)) if counts and max(counts) else 0
    if not top:
        table.errors.append(RowError(0, "-", _("文件中没有数据行。")))
        return table
    header_number, header_values, _filled = top[best]
    headers = _texts(header_values)
    while headers and headers[-1] == "":
        headers.pop()
    table.header_row = header_number
    if len(headers) > limits.max_columns:
        return table.fail(RowError(header_number, "-", _("表头超过 %(n)s 列的上限，请使用下载的模板。",
                                                         n=limits.max_columns)))
    table.sources = resolve(headers, columns, mapping)
    if ignore_unknown:  # a platform export carries many columns we do not keep (the 12345 work orders)
        for source in table.sources:
            if source.how == "unknown":
                source.how = "ignored"
    present = {s.key for s in table.sources if s.key}
    missing = [c.header for c in columns if c.required and c.key not in present]
    if missing:
        table.errors.append(RowError(header_number, "、".join(missing), _("缺少列")))
    if table.unrecognised:
        table.errors.append(RowError(header_number, "、".join(table.unrecognised), _("无法识别的列")))
    twice = [s.header for s in table.sources if s.how == "twice"]
    for header in twice:
        table.errors.append(RowError(header_number, header,
                                     _("与前面的列对应同一字段，请为其中一列另选字段或选择不导入此列")))
    if missing:
        table.header_problem = True
        return table
    table.header_problem = bool(table.unrecognised or twice)  # rows are still read: the preview shows their values
    if sink is not None and table.header_problem:
        return table  # a streamed import writes as it reads: not one row before the columns are understood
    by_key = {c.key: c for c in columns}
    positions = [(by_key[s.key], s) for s in table.sources if s.key]
    wanted = {s.position for _c, s in positions}
    blank_run = kept = 0

    def rest():
        yield from top[best + 1:]
        yield from rows

    try:
        for number, values, filled in rest():
            table.last_row = number
            if deadline.passed():
                return table.fail(deadline.error(number))
            own = [v for i, v in enumerate(values) if i not in filled and i < len(headers)]
            if _blank(own):
                blank_run += 1
                if blank_run >= limits.blank_rows_end:
                    break  # the table has ended; anything further down is not part of it
                continue
            blank_run = 0
            if _footer(values, filled) or _blank([v for i, v in enumerate(values) if i in wanted]):
                continue  # a total, a note, a signature line, or a row with nothing the import keeps
            if kept >= limits.max_rows:
                return table.fail(RowError(number, "-", _(
                    "数据超过 %(n)s 行的上限，数据均未导入。请拆分后分批导入。", n=limits.max_rows)))
            kept += 1
            parsed, row_errors = {}, []
            for column, source in positions:
                raw = values[source.position] if source.position < len(values) else None
                try:
                    parsed[column.key] = column.parse_value(raw)
                except CellError as error:
                    row_errors.append(RowError(number, column.header, str(error)))
                    parsed[column.key] = None
                    if len(source.samples) < samples:
                        source.samples.append((_shown(raw), "✗ " + str(error)))
                    continue
                if len(source.samples) < samples:
                    source.samples.append((_shown(raw), _shown(parsed[column.key])))
            if sink is not None:
                try:
                    sink(number, parsed, row_errors)
                except Exception as error:  # the importer's own failure, not the file's
                    raise _SinkFailed() from error
            else:
                table.errors.extend(row_errors)
                table.rows.append((number, parsed))
    except TableError as error:
        table.errors.append(error.error)
    except _SinkFailed as failed:
        raise failed.__cause__ from None
    except Exception:  # a file broken further down
        table.errors.append(unreadable)
    return table


def _footer(values, filled: set) -> bool:
    """A total, note or signature line: one of its first cells of its own (not repeated from a merged
    street above, as in a per-street 小计 row) starts so."""
    seen = 0
    for index, value in enumerate(values):  # only the first three: each cell is cleaned again when parsed
        if value is None or index in filled:
            continue
        text = normalise.clean(value).replace(" ", "")
        if not text:
            continue
        if FOOTER.match(text):
            return True
        seen += 1
        if seen == 3:
            return False
    return False


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not normalise.clean(v)) for v in values)


def _shown(value) -> str:
    """A value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "label") and hasattr(value, "value"):
        return str(value.label)
    return str(value)
