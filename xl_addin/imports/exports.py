"""Read a till / online-shop export into a header and numbered rows.

:func:`read_export` takes a CSV or .xlsx file and returns an :class:`ExportTable`: the
header, the data rows and, for every row, its number **as the user sees the file** — the
Excel row. For a CSV that is the row Excel shows when it opens the file (records counted
from 1, blank lines included), which is also the line a text editor shows unless a
quoted cell above it spans several lines.

CSV
  * encoding: a UTF-8 byte-order mark, else UTF-16 with its mark, else strict UTF-8,
    else strict GB18030 (a superset of GBK and GB2312, what Chinese Excel and most
    Chinese systems write); only when none of these decodes the file is
    ``charset-normalizer`` asked (if it is installed), and its answer is used only if the
    file then decodes cleanly;
  * delimiter: ``,``, tab or ``;``, whichever gives the most rows of the same width;
  * quoted cells (with delimiters and line breaks inside) as Excel reads them; Excel's
    text-forcing ``="0123"`` cells and a leading apostrophe ``'0123`` give ``0123``.

.xlsx (also .xlsm/.xlsb) via python-calamine: the first visible worksheet whose header is
found, else the visible worksheet with the most cells; the used range is bounded.

.xls, .ods, .numbers, web pages saved as .xls, and anything else are refused with a
message saying how to save the export as .xlsx or CSV UTF-8. Files over
:data:`MAX_BYTES`, sheets over :data:`MAX_ROWS` rows or :data:`MAX_COLUMNS` columns
are refused too. Every refusal is an :class:`~.messages.ImportFileError`, never a
traceback.

The header is the first of the first :data:`HEADER_SCAN` rows that names a date, an
amount and a customer key (see :mod:`.mapping`); the rows above it (titles, notes) are
reported in ``title_rows``. Below it, blank rows are dropped, and totals rows
(合计 / 总计 / 小计 / 汇总 / Total …) and one-cell notes after the last order are skipped
and reported in ``skipped``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .mapping import ImportMapping, MappingRow
from .messages import ImportFileError, RowIssue

__all__ = [
    "HEADER_SCAN",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "SOURCE_MAX_BYTES",
    "SOURCE_MAX_ROWS",
    "ExportTable",
    "clean_cell",
    "detect_encoding",
    "header_index",
    "is_total",
    "sniff_delimiter",
    "read_export",
    "refuse_markup",
    "table_from_rows",
]

#: the largest export file read (bytes)
MAX_BYTES = 50 * 1024 * 1024
#: the most an .xlsx may unpack to (bytes): more is a damaged file or a zip bomb
MAX_UNPACKED = 1024 * 1024 * 1024
#: the most data rows read
MAX_ROWS = 200_000
#: a CSV export imported into the orders source (``--to-source``) may be this large: it
#: is read and planned by DuckDB, not row by row, and goes beside the workbook, not
#: onto a sheet with Excel's row limit
SOURCE_MAX_BYTES = 1024 * 1024 * 1024
SOURCE_MAX_ROWS = 2_000_000
#: the most columns read
MAX_COLUMNS = 500
#: how many non-empty rows at the top are searched for the header
HEADER_SCAN = 30

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_OTHER_BINARIES = ((b"%PDF", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"),
                   (b"GIF8", "GIF"), (b"Rar!", "RAR"), (b"7z\xbc\xaf", "7z"),
                   (b"\x1f\x8b", "gzip"))
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)
_TOTAL = re.compile(
    r"^\s*(?:合计|总计|小计|汇总|总合计|本页合计|共计|总额|grand\s*total|sub\s*total|totals?|sum)"
    r"(?!\w)", re.IGNORECASE)
_DELIMITERS = (",", "\t", ";")


@dataclass
class ExportTable:
    """An export as read: the header and the data rows with their row numbers.

    ``rows[i]`` is the row the user sees as ``row_numbers[i]``; every row is as long as
    ``header``. Text cells are stripped (``None`` when blank); .xlsx cells keep their
    types (numbers, dates). ``recognised`` says whether the header was found by the
    mapping (a date, an amount and a customer key); when it was not, ``header`` is the
    row that looks most like one, so the message can list it.
    """

    file: str
    format: str
    header_row: int
    header: list[str]
    rows: list[list[Any]]
    row_numbers: list[int]
    recognised: bool = True
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    title_rows: list[int] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{math.ceil(n / 1024)} KB"


def clean_cell(v: Any) -> Any:
    """A cell as the import reads it: text stripped, Excel's text forcing undone."""
    if isinstance(v, str):
        s = v.strip()
        m = _EXCEL_TEXT.match(s)
        if m:
            s = m.group(1).replace('""', '"').strip()
        elif s.startswith("'") and len(s) > 1:
            s = s[1:].strip()
        return s or None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    return str(v)


# ------------------------------------------------------------------------ the header
def header_index(scan: Sequence[Sequence[Any]], mapping: ImportMapping) -> tuple[int, bool]:
    """Which of the first non-blank rows (cells as read) is the header, and whether the
    mapping recognised it (a date, an amount and a customer key); when none is
    recognised, the first row with text in most of its cells."""
    at = next((i for i, cells in enumerate(scan) if mapping.is_header(cells)), None)
    if at is not None:
        return at, True
    counts = [sum(isinstance(c, str) and not _blank(c) for c in cells) for cells in scan]
    need = max(2, math.ceil(0.6 * max(counts)))
    return next((i for i, c in enumerate(counts) if c >= need), 0), False


def is_total(first: Any) -> bool:
    """Whether a row whose first non-blank cell is ``first`` is a totals row."""
    return isinstance(first, str) and bool(_TOTAL.match(first))


def _assemble(file: str, fmt: str, numbered: Iterable[tuple[int, list[Any]]],
              mapping: ImportMapping, max_rows: int, **facts: Any) -> ExportTable:
    """Find the header among the numbered rows and split titles, data and totals."""
    rows = [(n, cells) for n, cells in numbered if any(not _blank(c) for c in cells)]
    if not rows:
        raise ImportFileError("no_rows", file)
    at, recognised = header_index([cells for _n, cells in rows[:HEADER_SCAN]], mapping)
    header_row, header_cells = rows[at]
    body = rows[at + 1:]
    if len(body) > max_rows:
        raise ImportFileError("too_many_rows", file, limit=f"{max_rows:,}")
    width = max([len(header_cells), *(len(c) for _n, c in body)])
    if width > MAX_COLUMNS:
        raise ImportFileError("too_many_columns", file, sheet=facts.get("sheet") or file,
                              count=width, limit=MAX_COLUMNS)
    header = [_text(c).strip() for c in header_cells] + [""] * (width - len(header_cells))
    skipped: list[RowIssue] = []
    data: list[tuple[int, list[Any]]] = []
    for n, cells in body:
        cells = list(cells) + [None] * (width - len(cells))
        first = next(c for c in cells if not _blank(c))
        if is_total(first):
            skipped.append(RowIssue(n, None, "summary_row", {"value": first[:40]}))
            continue
        data.append((n, cells))
    # one-cell notes after the last order ("共 12 条", "导出时间：…")
    if sum(bool(h) for h in header) >= 3:
        notes = []
        while data and sum(not _blank(c) for c in data[-1][1]) == 1:
            n, cells = data.pop()
            value = _text(next(c for c in cells if not _blank(c)))
            notes.append(RowIssue(n, None, "note_row", {"value": value[:40]}))
        skipped.extend(reversed(notes))
    skipped.sort(key=lambda i: i.row or 0)
    return ExportTable(
        file=file, format=fmt, header_row=header_row, header=header,
        rows=[cells for _n, cells in data], row_numbers=[n for n, _c in data],
        recognised=recognised, title_rows=[n for n, _c in rows[:at]], skipped=skipped,
        **facts)


def table_from_rows(rows: Sequence[Sequence[Any]], *, file: str = "export",
                    mapping: ImportMapping | Iterable[MappingRow] | None = None,
                    first_row: int = 1, max_rows: int = MAX_ROWS) -> ExportTable:
    """An :class:`ExportTable` of rows already in memory (row ``first_row`` first)."""
    numbered = [(first_row + i, [clean_cell(c) for c in r]) for i, r in enumerate(rows)]
    return _assemble(file, "rows", numbered, ImportMapping.of(mapping), max_rows)


# --------------------------------------------------------------------------- CSV
def detect_encoding(data: bytes) -> str | None:
    """The encoding a CSV file's bytes decode with (see the module notes), or None."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            pass
    try:  # a last resort only; not a dependency
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        return None
    try:
        data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return best.encoding


def sniff_delimiter(text: str) -> str:
    """The delimiter giving the most rows of one width (at least two cells)."""
    sample = text[:65536]
    best, score = ",", (0, 0)
    for d in _DELIMITERS:
        try:
            rows = [r for _i, r in zip(range(60), csv.reader(io.StringIO(sample, newline=""),
                                                             delimiter=d), strict=False)]
        except csv.Error:
            continue
        widths = [len(r) for r in rows[:-1] or rows if any(c.strip() for c in r)]
        common = Counter(w for w in widths if w >= 2).most_common(1)
        if common:
            width, count = common[0]
            if (count, width) > score:
                best, score = d, (count, width)
    return best


def refuse_markup(text: str, file: str) -> None:
    """A "CSV" that is a web page or XML (what some shops' "Excel export" saves) is
    refused, saying what it is."""
    head = text.lstrip()[:2048].lower()
    if head.startswith("<") and ("<table" in head or "<html" in head or "<!doctype" in head):
        raise ImportFileError("html_format", file)
    if head.startswith("<?xml"):
        raise ImportFileError("unsupported_format", file, kind="XML")


def _read_csv(file: str, data: bytes, mapping: ImportMapping, max_rows: int) -> ExportTable:
    encoding = detect_encoding(data)
    if encoding is None:
        raise ImportFileError("unknown_encoding", file)
    try:  # a byte-order mark says the encoding, not that every byte after it fits
        text = data.decode(encoding).replace("\x00", "")
    except UnicodeDecodeError:
        raise ImportFileError("unknown_encoding", file) from None
    refuse_markup(text, file)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbered: list[tuple[int, list[Any]]] = []
    n = 0
    try:
        for n, record in enumerate(reader, 1):
            if n > max_rows + HEADER_SCAN + 1:
                raise ImportFileError("too_many_rows", file, limit=f"{max_rows:,}")
            numbered.append((n, [clean_cell(c) for c in record]))
    except csv.Error as exc:
        raise ImportFileError("damaged", file, kind="CSV",
                              detail=f"line {n + 1}: {exc}") from exc
    return _assemble(file, "csv", numbered, mapping, max_rows,
                     encoding=encoding, delimiter=delimiter)


# -------------------------------------------------------------------------- .xlsx
def _read_xlsx(path: Path, file: str, mapping: ImportMapping, max_rows: int) -> ExportTable:
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as exc:
        raise ImportFileError("encrypted", file) from exc
    except Exception as exc:  # calamine raises its own family for damaged parts
        raise ImportFileError("damaged", file, kind="Excel",
                              detail=f"{type(exc).__name__}: {exc}") from exc
    try:
        names = [m.name for m in wb.sheets_metadata
                 if m.visible == pc.SheetVisibleEnum.Visible
                 and m.typ == pc.SheetTypeEnum.WorkSheet]
        fallback: tuple[int, ExportTable] | None = None
        for name in names:
            sheet = wb.get_sheet_by_name(name)
            if sheet.height > max_rows + HEADER_SCAN + 1:
                raise ImportFileError("too_many_rows", file, limit=f"{max_rows:,}")
            if sheet.width > MAX_COLUMNS:
                raise ImportFileError("too_many_columns", file, sheet=name,
                                      count=sheet.width, limit=MAX_COLUMNS)
            cells = sheet.to_python(skip_empty_area=True)
            row0 = (sheet.start or (0, 0))[0] + 1
            numbered = [(row0 + i, [clean_cell(c) for c in r]) for i, r in enumerate(cells)]
            size = sum(not _blank(c) for _n, r in numbered for c in r)
            if not size:
                continue
            table = _assemble(file, "xlsx", numbered, mapping, max_rows, sheet=name)
            if table.recognised:
                return table
            if fallback is None or size > fallback[0]:
                fallback = (size, table)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError("damaged", file, kind="Excel",
                              detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        wb.close()
    if fallback is None:
        raise ImportFileError("no_rows", file)
    return fallback[1]


def _zip_kind(path: Path, file: str) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "mimetype" in names:
                if b"opendocument" in zf.read("mimetype")[:200]:
                    raise ImportFileError("ods_format", file)
            if any(n.startswith("Index/") or n.endswith(".iwa") for n in names):
                raise ImportFileError("numbers_format", file)
            if "word/document.xml" in names:
                raise ImportFileError("unsupported_format", file, kind="Word")
            if not names & {"xl/workbook.xml", "xl/workbook.bin"}:
                raise ImportFileError("damaged", file, kind="Excel",
                                      detail="no workbook part")
            unpacked = sum(i.file_size for i in infos)
            if unpacked > MAX_UNPACKED:
                raise ImportFileError("file_too_large", file, size=_size(unpacked),
                                      limit=_size(MAX_UNPACKED))
    except zipfile.BadZipFile as exc:
        raise ImportFileError("damaged", file, kind="Excel", detail=str(exc)) from exc
    return "xlsx"


def read_export(path: str | Path, *,
                mapping: ImportMapping | Iterable[MappingRow] | None = None,
                name: str | None = None, max_bytes: int = MAX_BYTES,
                max_rows: int = MAX_ROWS) -> ExportTable:
    """Read an export file (CSV or .xlsx) into an :class:`ExportTable`.

    ``mapping`` (the Mapping sheet's rows) helps find the header; ``name`` is how
    messages name the file (default: its file name). Raises
    :class:`~.messages.ImportFileError` for a file that cannot be imported.
    """
    p = Path(path)
    file = name or p.name
    mapping = ImportMapping.of(mapping)
    if p.is_dir():
        if p.suffix.lower() == ".numbers":
            raise ImportFileError("numbers_format", file)
        raise ImportFileError("unsupported_format", file, kind="folder / 文件夹")
    try:
        size = p.stat().st_size
    except FileNotFoundError as exc:
        raise ImportFileError("file_not_found", file) from exc
    except OSError as exc:
        raise ImportFileError("damaged", file, kind="", detail=str(exc)) from exc
    if size == 0:
        raise ImportFileError("file_empty", file)
    if size > max_bytes:
        raise ImportFileError("file_too_large", file, size=_size(size), limit=_size(max_bytes))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ImportFileError("damaged", file, kind="", detail=str(exc)) from exc
    ext = p.suffix.lower()
    if data.startswith(_ZIP):
        _zip_kind(p, file)
        return _read_xlsx(p, file, mapping, max_rows)
    for magic, kind in _OTHER_BINARIES:
        if data.startswith(magic):
            raise ImportFileError("unsupported_format", file, kind=kind)
    if data.startswith(_OLE):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise ImportFileError("encrypted", file)
        raise ImportFileError("xls_format", file)
    if ext == ".numbers":
        raise ImportFileError("numbers_format", file)
    if ext in (".ods", ".fods"):
        raise ImportFileError("ods_format", file)
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in data[:4096] and not utf16:
        raise ImportFileError("unsupported_format", file, kind=ext or "binary")
    return _read_csv(file, data, mapping, max_rows)
