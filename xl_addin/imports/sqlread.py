"""A CSV export read by DuckDB, for the set-based planner (:mod:`.sqlplan`).

:func:`load_csv` reads the file :func:`~.exports.read_export` would read, with the
same results — the header found the same way, the rows numbered as the user sees
them, title rows, totals rows and notes after the last order reported the same — but
the rows go into a DuckDB table instead of Python lists:

* the encoding is found as :func:`~.exports.detect_encoding` finds it (a byte-order
  mark, else strict UTF-8, else strict GB18030, else ``charset-normalizer``), checked
  in chunks; a file that is not UTF-8 (GBK/GB18030, UTF-16 …), or that holds NUL
  characters, is transcoded into a UTF-8 copy chunk by chunk, for DuckDB reads UTF-8;
* the delimiter is sniffed, and the first rows (up to the header and a little past
  it) are parsed by Python's own ``csv`` module: the header, the title rows above it
  and the width of the rows come from there;
* DuckDB's CSV reader then reads every record, numbered in file order. It splits
  records as Python's does for ordinary exports, but not for a few shapes: blank
  lines (DuckDB skips them, Python counts them), a carriage return without a line
  feed, and a space or tab between a quoted cell and its delimiter (DuckDB drops it,
  Python keeps it). A file with one of these past its header is read by :func:`~.exports.read_export`
  instead (row by row, then loaded into the same table), and so is a file DuckDB
  refuses (a row wider than the first ones, a quote it cannot close); above the
  header, only the rows below it are given to DuckDB.

The table (or view) ``cb_export`` holds ``rn``, the row the user sees (in export
order: it only grows), and the export columns the mapping uses, as ``c<index>``: the cells as the
file holds them (``cleaned`` is False: the planner cleans them as
:func:`~.exports.clean_cell` does) or already cleaned (the row-by-row reading).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exports import (
    _OLE,
    _OTHER_BINARIES,
    _ZIP,
    HEADER_SCAN,
    MAX_COLUMNS,
    _size,
    clean_cell,
    header_index,
    is_total,
    read_export,
    refuse_markup,
    sniff_delimiter,
)
from .mapping import ImportMapping, Resolution
from .messages import ImportFileError, RowIssue

__all__ = ["CHUNK", "SQL_MACROS", "LoadedExport", "is_csv_export", "load_csv"]

#: bytes read at a time when checking and transcoding
CHUNK = 16 * 1024 * 1024
#: how much of the file's start is parsed in Python (the header and the rows near it)
HEAD_BYTES = 4 * 1024 * 1024
#: records parsed past the header to learn the rows' width
HEAD_RECORDS = 200
#: columns DuckDB is told to expect beyond the widest row seen near the header
WIDTH_SLACK = 4

#: every character Python's ``str.strip()`` removes
PY_SPACE = "".join(chr(c) for c in (
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
    *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000))
_WIDE_SPACES = ", ".join(str(ord(c)) for c in PY_SPACE if ord(c) > 127)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_SPACES = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACE) + "]"
#: a cell that is blank once cleaned (:func:`~.exports.clean_cell` gives None)
_BLANK = f'(?s){_SPACES}*(="{_SPACES}*"){{0,1}}{_SPACES}*'


#: SQL macros the reader and the planner share: Python's strip, a cell cleaned as
#: :func:`~.exports.clean_cell` cleans it, whether a cell is blank once cleaned. A cell
#: that starts and ends with no space, = or ' is as it is: the usual cell is never
#: stripped character by character (which costs a hundred times more)
SQL_MACROS = (
    "CREATE OR REPLACE TEMP MACRO cb_ws(u) AS (u BETWEEN 9 AND 13) OR (u BETWEEN 28 AND 32)"
    f" OR (u > 127 AND u IN ({_WIDE_SPACES}))",
    # a first character that is plainly no space and no = (printable ASCII, or after
    # U+3000, the last space there is)
    "CREATE OR REPLACE TEMP MACRO cb_plain(u) AS (u BETWEEN 33 AND 126 AND u <> 61) OR "
    "u > 12288",
    f"CREATE OR REPLACE TEMP MACRO cb_strip(s) AS trim(s, {_literal(PY_SPACE)})",
    # s stripped: Excel's ="…" text forcing undone, a leading apostrophe dropped
    "CREATE OR REPLACE TEMP MACRO cb_unforce(s) AS nullif(CASE "
    "WHEN regexp_full_match(s, '(?s)=\"(.*)\"') THEN "
    "cb_strip(replace(regexp_extract(s, '(?s)^=\"(.*)\"$', 1), '\"\"', '\"')) "
    "WHEN starts_with(s, '''') AND length(s) > 1 THEN cb_strip(substr(s, 2)) "
    "ELSE s END, '')",
    # a cell that starts and ends with no space and does not start with = or ' is as it is
    "CREATE OR REPLACE TEMP MACRO cb_clean(c) AS CASE WHEN c IS NULL OR c = '' THEN NULL "
    "WHEN NOT cb_ws(ord(c)) AND ord(c) <> 61 AND ord(c) <> 39 AND NOT cb_ws(ord(c[-1])) "
    "THEN c ELSE cb_unforce(cb_strip(c)) END",
    # a cell is blank once cleaned when it is spaces, or ="…" around spaces only (an
    # apostrophe leaves at least itself); a plain first character says it is not
    "CREATE OR REPLACE TEMP MACRO cb_filled(c) AS c IS NOT NULL AND (cb_plain(ord(c)) OR "
    f"NOT regexp_full_match(c, {_literal(_BLANK)}))",
)

# the words of a totals row (found anywhere: a superset of exports._TOTAL, which the rows
# found are checked with)
_TOTAL_HINT = "(?i)(合计|总计|小计|汇总|共计|总额|grand|sub|total|sum|ſum|ſub)"
# the first characters of those words (any case)
_TOTAL_FIRST = ", ".join(str(ord(c)) for c in "合总小汇本共gGsStTſ")


@dataclass
class LoadedExport:
    """An export in DuckDB: what :class:`~.exports.ExportTable` says, without the rows.

    ``table`` (``cb_export``) holds the rows; ``count`` how many; ``columns`` the export
    columns it holds; ``via`` says who read the rows: ``duckdb``, or ``python`` (the
    row-by-row reader, for the shapes DuckDB reads otherwise).
    """

    file: str
    header_row: int
    header: list[str]
    resolution: Resolution
    count: int
    columns: list[int]
    cleaned: bool
    via: str
    encoding: str | None = None
    delimiter: str | None = None
    title_rows: list[int] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)
    table: str = "cb_export"
    #: why the rows were read row by row (``via`` python)
    why: str = ""


def is_csv_export(path: str | Path) -> bool:
    """Whether ``path`` is a file :func:`~.exports.read_export` would read as CSV (no
    workbook, no other binary, not empty): the files :func:`load_csv` takes."""
    p = Path(path)
    try:
        if not p.is_file() or p.stat().st_size == 0:
            return False
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith((_ZIP, _OLE)) or any(head.startswith(m) for m, _k in _OTHER_BINARIES):
        return False
    if p.suffix.lower() in (".numbers", ".ods", ".fods"):
        return False
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return utf16 or b"\x00" not in head


# --------------------------------------------------------------------- encoding
def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes strictly (read a chunk at a time)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError:
        return False
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_file_encoding(path: Path, utf8: bool | None = None) -> str | None:
    """:func:`~.exports.detect_encoding` of a file, without holding it in memory
    (``utf8``: whether it decodes as UTF-8, when that is known already)."""
    with open(path, "rb") as fh:
        start = fh.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        if (utf8 if enc == "utf-8" and utf8 is not None else _decodes(path, enc)):
            return enc
    try:  # a last resort only; not a dependency
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    with open(path, "rb") as fh:
        best = from_bytes(fh.read(1_000_000)).best()
    if best is None or not _decodes(path, best.encoding):
        return None
    return best.encoding


def _transcode(path: Path, encoding: str, out: Path) -> None:
    """The file as UTF-8 (no byte-order mark), NUL characters dropped, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with open(path, "rb") as src, open(out, "wb") as dst:
        while chunk := src.read(CHUNK):
            dst.write(decoder.decode(chunk).replace("\x00", "").encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).replace("\x00", "").encode("utf-8"))


# ------------------------------------------------------------------- file shapes
def _chunks(path: Path, start: int):
    """The file from byte ``start`` a chunk at a time, each with the two bytes before it
    (``data``, the offset of ``data[0]``, the positions of its quotes, and how many quotes
    the file holds before ``data[0]``)."""
    with open(path, "rb") as fh:
        fh.seek(start)
        carry, at, quotes = b"", start, 0
        while chunk := fh.read(CHUNK):
            data = carry + chunk
            positions = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 34)
            yield data, at - len(carry), positions, quotes
            quotes += int(np.count_nonzero(positions < len(data) - 2))
            at += len(chunk)
            carry = data[-2:]


def _well_quoted(data: bytes, positions: np.ndarray, first: bool, last: bool,
                 delimiter: str) -> bool:
    """Every quote of the chunk opens a cell (after a delimiter or a line end), closes one
    (before either), or is half of an escaped "" — as Excel and every export quote. Only
    then do the quotes before a place say whether it lies inside a cell. The two bytes a
    chunk starts with were checked with the chunk before; its last byte is checked with
    the next."""
    arr = np.frombuffer(data, dtype=np.uint8)
    lo = 0 if first else 1
    hi = len(data) if last else len(data) - 1
    q = positions[(positions >= lo) & (positions < hi)]
    if not len(q):
        return True
    d = ord(delimiter)
    before = np.where(q > 0, arr[np.maximum(q - 1, 0)], 10)
    after = np.where(q + 1 < len(data), arr[np.minimum(q + 1, len(data) - 1)], 10)
    edge_before = (before == d) | (before == 10) | (before == 13) | (before == 34)
    edge_after = (after == d) | (after == 10) | (after == 13) | (after == 34)
    return bool(np.all(edge_before | edge_after))


def _maybe_odd(data: bytes, quotes: np.ndarray, spaces: np.ndarray) -> bool:
    """Whether ``data`` may hold an odd shape (see :func:`_odd_at`, which says exactly):
    two line ends with nothing between, a carriage return without a line feed, or a
    space beside a quote — found from the positions of the line feeds, carriage returns
    and quotes, a few vectorised passes instead of a regular expression over every
    byte."""
    arr = np.frombuffer(data, dtype=np.uint8)
    lf = np.flatnonzero(arr == 10)
    if len(lf) > 1:
        gap = np.diff(lf)
        if np.any(gap == 1) or np.any((gap == 2) & (arr[np.minimum(lf[:-1] + 1, len(arr) - 1)]
                                                   == 13)):
            return True
    if b"\r" in data:
        cr = np.flatnonzero(arr == 13)
        if np.any(arr[np.minimum(cr[cr + 1 < len(arr)] + 1, len(arr) - 1)] != 10):
            return True
    if len(quotes):
        near = np.concatenate([arr[quotes[quotes > 0] - 1],
                               arr[quotes[quotes + 1 < len(arr)] + 1]])
        if np.any(np.isin(near, spaces)):
            return True
    return False


def _odd_shapes(delimiter: str) -> re.Pattern[bytes]:
    spaces = "".join(c for c in " \t\x0b\x0c" if c != delimiter).encode()
    cls = b"[" + re.escape(spaces) + b"]"
    return re.compile(rb'\n\r?\n|' + cls + b'"|"' + cls + b'|\r(?!\n)')


def _odd_at(data: bytes, positions: np.ndarray, quotes_before: int, delimiter: str,
            end: int | None = None) -> int | None:
    """The first place in ``data`` (up to ``end``) where DuckDB splits records otherwise
    than Python: a blank line (DuckDB skips it, Python counts it) or a space or tab
    between a quote and its delimiter (DuckDB drops it, Python keeps it), outside a
    quoted cell; and a carriage return without a line feed, anywhere."""
    for m in _odd_shapes(delimiter).finditer(data, 0, len(data) if end is None else end):
        text, i = m.group(), m.start()
        if text == b"\r":
            return i
        if text.endswith(b'"'):  # a space before a quote that opens a cell
            inside = quotes_before + np.searchsorted(positions, i + 1)
        elif text.startswith(b'"'):  # a space after a quote that closes a cell
            inside = quotes_before + np.searchsorted(positions, i) + 1
        else:  # a blank line
            inside = quotes_before + np.searchsorted(positions, i)
        if inside % 2 == 0:
            return i
    return None


def _shapes(path: Path, start: int, delimiter: str, header_end: int) -> str:
    """How DuckDB may read the UTF-8 file: ``whole`` (every record as Python splits it),
    ``below`` (the records below the header only: the shapes are above it) or ``python``
    (quotes out of place, or a shape below the header other than blank lines at the
    very end)."""
    above = False
    size = path.stat().st_size
    spaces = np.array([ord(c) for c in " \t\x0b\x0c" if c != delimiter], dtype=np.uint8)
    for n, (data, base, positions, quotes) in enumerate(_chunks(path, start)):
        last = base + len(data) >= size
        if not _well_quoted(data, positions, n == 0, last, delimiter):
            return "python"
        if n == 0 and data.startswith((b"\n", b"\r\n")):
            above = True
        if not _maybe_odd(data, positions, spaces):
            continue  # nothing of the kind in this chunk (the usual case)
        keep = 1 if (data.endswith(b"\r") and not last) else 0  # its line feed may follow
        lo = 0
        while (hit := _odd_at(data[lo:], positions[positions >= lo] - lo,
                              quotes + int(np.count_nonzero(positions < lo)), delimiter,
                              len(data) - lo - keep)) is not None:
            at = base + lo + hit
            if at >= header_end - 1:  # at or after the header's own line end
                return "below" if above and _only_line_ends(path, at) else \
                    "whole" if _only_line_ends(path, at) else "python"
            above = True
            lo += hit + 1
    return "below" if above else "whole"


def _only_line_ends(path: Path, start: int) -> bool:
    with open(path, "rb") as fh:
        fh.seek(start)
        while chunk := fh.read(CHUNK):
            if chunk.strip(b"\r\n"):
                return False
    return True


def _line_feeds(src: Path, dst: Path) -> None:
    """The UTF-8 file with its records ending in LF: CRLF between records (outside quoted
    cells) becomes LF, what cells hold stays. DuckDB mistakes a CRLF file whose first
    rows hold a line feed inside a cell (as Excel writes a cell of several lines). Each
    chunk's last byte is written with the next chunk (its line feed may come there)."""
    last = b""
    with open(dst, "wb") as out:
        for data, base, positions, quotes in _chunks(src, 0):
            arr = np.frombuffer(data, dtype=np.uint8)
            lo = 0 if base == 0 else 1  # the byte held back from the chunk before
            cr = np.flatnonzero(arr[lo:len(data) - 1] == 13) + lo
            cr = cr[arr[cr + 1] == 10]
            keep = np.ones(len(data), dtype=bool)
            keep[cr[(quotes + np.searchsorted(positions, cr)) % 2 == 0]] = False
            out.write(arr[lo:len(data) - 1][keep[lo:len(data) - 1]].tobytes())
            last = data[-1:]
        out.write(last)


# -------------------------------------------------------------------- the head
def _head_records(text: str, delimiter: str, start: int, complete: bool
                  ) -> tuple[list[tuple[int, list[str], int]], bool]:
    """The first records as Python's csv module reads them, each with the byte offset
    its last line ends at; and whether they are all the file holds."""
    consumed = [start]
    buf = io.StringIO(text, newline="")

    def lines():
        for line in buf:
            consumed[0] += len(line.encode("utf-8"))
            yield line

    records: list[tuple[int, list[str], int]] = []
    filled = past = 0
    try:
        for n, record in enumerate(csv.reader(lines(), delimiter=delimiter), 1):
            records.append((n, record, consumed[0]))
            if filled < HEADER_SCAN:
                filled += any(clean_cell(c) is not None for c in record)
            else:
                past += 1
                if past >= HEAD_RECORDS:
                    return records, False
    except csv.Error as exc:
        if complete:
            raise _Fallback("the file does not parse") from exc
        complete = False
    return records, complete


# ---------------------------------------------------------------------- loading
class _Fallback(Exception):
    """The file is read row by row instead (the message says why)."""


def load_csv(con: Any, path: str | Path, mapping: ImportMapping, *, name: str | None = None,
             max_bytes: int, max_rows: int) -> LoadedExport:
    """Read the CSV export ``path`` into ``cb_export`` on ``con`` (see the module notes).

    Raises :class:`~.messages.ImportFileError` as :func:`~.exports.read_export` does.
    """
    p = Path(path)
    file = name or p.name
    size = p.stat().st_size
    if size > max_bytes:
        raise ImportFileError("file_too_large", file, size=_size(size), limit=_size(max_bytes))
    for sql in SQL_MACROS:
        con.execute(sql)
    with tempfile.TemporaryDirectory(prefix="cb-import-") as tmp:
        try:
            return _load_with_duckdb(con, p, file, mapping, Path(tmp), max_rows)
        except _Fallback as why:
            reason = str(why)
    loaded = _load_with_python(con, p, file, mapping, max_bytes, max_rows)
    loaded.why = reason
    return loaded


def _prescan(path: Path, check_utf8: bool) -> tuple[bool, bool, bool]:
    """In one pass: whether the file decodes as strict UTF-8 (when ``check_utf8``),
    holds NUL characters, and has line feeds besides CRLF ones while its records end in
    CRLF."""
    nul, crlf, lf, prev, utf8 = False, 0, 0, b"", check_utf8
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            nul = nul or b"\x00" in chunk
            data = prev[-1:] + chunk
            crlf += data.count(b"\r\n")
            lf += chunk.count(b"\n")
            prev = chunk
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return utf8, nul, 0 < crlf < lf


def _load_with_duckdb(con: Any, p: Path, file: str, mapping: ImportMapping, tmp: Path,
                      max_rows: int) -> LoadedExport:
    with open(p, "rb") as fh:
        bom = fh.read(4).startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    valid, nul, mixed = _prescan(p, check_utf8=not bom)
    encoding = detect_file_encoding(p, utf8=None if bom else valid)
    if encoding is None:
        raise ImportFileError("unknown_encoding", file)
    utf8, start = p, (3 if encoding == "utf-8-sig" else 0)
    if encoding == "utf-8-sig" and not _decodes(p, encoding):
        raise ImportFileError("unknown_encoding", file)  # a mark, then bytes that do not fit
    if encoding not in ("utf-8", "utf-8-sig") or nul:
        utf8, start = tmp / "export-utf8.csv", 0
        try:
            _transcode(p, encoding, utf8)
        except UnicodeDecodeError:
            raise ImportFileError("unknown_encoding", file) from None
    if mixed:  # CRLF records with line feeds in cells: records ending in LF for DuckDB
        lf = tmp / "export-lf.csv"
        if start:
            with open(utf8, "rb") as src, open(tmp / "export-nobom.csv", "wb") as dst:
                src.seek(start)
                shutil.copyfileobj(src, dst, CHUNK)
            utf8, start = tmp / "export-nobom.csv", 0
        _line_feeds(utf8, lf)
        utf8 = lf
    with open(utf8, "rb") as fh:
        fh.seek(start)
        raw = fh.read(HEAD_BYTES + 1)
    complete = len(raw) <= HEAD_BYTES
    if not complete:
        cut = raw.rfind(b"\n", 0, HEAD_BYTES)
        if cut < 0:
            raise _Fallback("a very long first line")
        raw = raw[:cut + 1]
    text = raw.decode("utf-8")
    refuse_markup(text, file)
    delimiter = sniff_delimiter(text)
    records, complete = _head_records(text, delimiter, start, complete)
    filled = [(n, [clean_cell(c) for c in r], end) for n, r, end in records
              if any(clean_cell(c) is not None for c in r)]
    if not filled and complete:
        raise ImportFileError("no_rows", file)
    if len(filled) < HEADER_SCAN and not complete:
        raise _Fallback("the header may lie further down")
    at, _recognised = header_index([cells for _n, cells, _e in filled[:HEADER_SCAN]], mapping)
    header_row, header_cells, header_end = filled[at]
    widths = [len(r) for _n, r, _e in records]
    if max(widths) > MAX_COLUMNS:
        raise _Fallback("too many columns")
    width = max([len(header_cells), *(len(r) for n, r, _e in records if n > header_row)])
    header = [_header_text(c) for c in header_cells] + [""] * (width - len(header_cells))
    res = mapping.resolve(header)
    needed = sorted({i for cols in res.columns.values() for i in cols}) if res.complete else []

    how = _shapes(utf8, start, delimiter, header_end)
    if how == "python":
        raise _Fallback("quotes out of place, a blank line, a space beside a quote or a lone "
                        "carriage return below the header")
    read_from, offset = utf8, 0
    if how == "below":  # DuckDB reads only the rows below the header
        read_from, offset = tmp / "export-body.csv", header_row
        with open(utf8, "rb") as src, open(read_from, "wb") as dst:
            src.seek(header_end)
            shutil.copyfileobj(src, dst, CHUNK)
    declared = min(MAX_COLUMNS, max(widths) + WIDTH_SLACK)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(declared)) + "}"
    # how many cells are not blank, as 0, 1 or 2 (two or more: what blank rows and notes
    # need); counted cell by cell only where the first cells are not plainly filled
    plain = [f"coalesce(cb_plain(ord(c{i})), FALSE)" for i in range(declared)]
    two = " OR ".join(f"({plain[i]} AND ({' OR '.join(plain[i + 1:]) or 'FALSE'}))"
                      for i in range(min(2, declared)))
    count = " + ".join(f"cb_filled(c{i})::INTEGER" for i in range(declared))
    # the first cell not blank, as the file holds it, of a row that may be a totals row
    # (合计 …) or a note: cleaned and checked in Python, for those rows only
    first_sql = "coalesce(" + ", ".join(f"CASE WHEN cb_filled(c{i}) THEN c{i} END"
                                        for i in range(declared)) + ")"
    hint = ("CASE WHEN coalesce(cb_plain(ord(c0)) AND ord(c0) <> 39, FALSE) THEN ord(c0) IN "
            f"({_TOTAL_FIRST}) ELSE TRUE END")
    keep = "".join(f", c{i}" for i in needed)
    try:
        every = ", ".join(f"c{i}" for i in range(declared))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE cb_x AS SELECT rn{keep}, nb, "
            f"CASE WHEN nb = 1 OR ({hint}) THEN {first_sql} END AS first FROM ("
            f"SELECT ordinality + {offset} AS rn, {every}, "
            f"CASE WHEN {two} THEN 2 ELSE least({count}, 2) END AS nb "
            f"FROM read_csv({_literal(str(read_from))}, header = false, "
            f"delim = {_literal(delimiter)}, quote = '\"', escape = '\"', columns = {cols}, "
            "auto_detect = false, strict_mode = true, null_padding = true, parallel = false, "
            "encoding = 'utf-8') WITH ORDINALITY)")
    except Exception as exc:  # a shape DuckDB refuses and Python reads: row by row
        raise _Fallback(f"DuckDB: {str(exc).splitlines()[0][:200]}") from exc
    _same_records(con, records, header_row, offset, needed)
    last, body = con.execute(
        f"SELECT max(rn), count(*) FILTER (WHERE rn > {header_row} AND nb > 0) "
        "FROM cb_x").fetchall()[0]
    if (last or 0) > max_rows + HEADER_SCAN + 1 or body > max_rows:
        raise ImportFileError("too_many_rows", file, limit=f"{max_rows:,}")
    skipped = _totals_and_notes(con, header_row, sum(bool(h) for h in header) >= 3)
    _register_rows(con, "cb_dropped", [i.row for i in skipped])
    con.execute(f"CREATE OR REPLACE TEMP VIEW cb_export AS SELECT rn{keep} FROM cb_x "
                f"WHERE rn > {header_row} AND nb > 0 AND rn NOT IN (SELECT rn FROM cb_dropped)")
    return LoadedExport(
        file=file, header_row=header_row, header=header, resolution=res,
        count=int(body) - len(skipped), columns=needed, cleaned=False, via="duckdb",
        encoding=encoding, delimiter=delimiter,
        title_rows=[n for n, _c, _e in filled[:at]], skipped=skipped)


def _register_rows(con: Any, name: str, rows: list[int]) -> None:
    con.register(f"{name}_frame", pd.DataFrame({"rn": pd.Series(rows, dtype="int64")}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT rn FROM {name}_frame")
    con.unregister(f"{name}_frame")


def _header_text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _same_records(con: Any, records: list[tuple[int, list[str], int]], header_row: int,
                  offset: int, needed: list[int]) -> None:
    """DuckDB's records are Python's: the header (when DuckDB read it) and the records
    parsed near it hold the same cells in the columns used."""
    # (a blank line below the header can only be at the very end: DuckDB skips it)
    near = [(n, r) for n, r, _e in records if n >= header_row and n > offset and r]
    if not near or not needed:
        return
    want = {n: tuple(clean_cell(r[i]) if i < len(r) else None for i in needed) for n, r in near}
    got = con.execute(f"SELECT rn, {', '.join(f'c{i}' for i in needed)} FROM cb_x WHERE rn "
                      f"BETWEEN {near[0][0]} AND {near[-1][0]} ORDER BY rn").fetchall()
    if {int(r[0]): tuple(clean_cell(v) for v in r[1:]) for r in got} != want:
        raise _Fallback("DuckDB's records are not Python's")


def _totals_and_notes(con: Any, header_row: int, notes: bool) -> list[RowIssue]:
    """The totals rows (合计 …) and the one-cell notes after the last order, their first
    cell cleaned and checked as :func:`~.exports.read_export` does (few rows)."""
    hints = [v for (v,) in con.execute(
        f"SELECT DISTINCT first FROM cb_x WHERE rn > {header_row} AND nb > 0 AND first IS "
        f"NOT NULL AND regexp_matches(first, {_literal(_TOTAL_HINT)})").fetchall()]
    totals = [v for v in hints if is_total(clean_cell(v))]
    con.register("cb_total_words", pd.DataFrame({"w": pd.Series(totals, dtype=object)}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE cb_totals AS SELECT rn, first FROM cb_x "
                f"WHERE rn > {header_row} AND nb > 0 AND first IN (SELECT w FROM "
                "cb_total_words)")
    con.unregister("cb_total_words")
    out = [RowIssue(int(n), None, "summary_row", {"value": clean_cell(v)[:40]})
           for n, v in con.execute("SELECT rn, first FROM cb_totals ORDER BY rn").fetchall()]
    if notes:
        rows = con.execute(
            f"SELECT rn, first FROM cb_x WHERE rn > {header_row} AND nb = 1 AND rn NOT IN "
            "(SELECT rn FROM cb_totals) AND rn > coalesce((SELECT max(rn) FROM cb_x WHERE "
            f"rn > {header_row} AND nb > 1 AND rn NOT IN (SELECT rn FROM cb_totals)), "
            f"{header_row}) ORDER BY rn").fetchall()
        out += [RowIssue(int(n), None, "note_row", {"value": str(clean_cell(v))[:40]})
                for n, v in rows]
    out.sort(key=lambda i: i.row or 0)
    return out


def _load_with_python(con: Any, p: Path, file: str, mapping: ImportMapping, max_bytes: int,
                      max_rows: int) -> LoadedExport:
    """The row-by-row reader's table, put into ``cb_export``."""
    table = read_export(p, mapping=mapping, name=file, max_bytes=max_bytes, max_rows=max_rows)
    res = mapping.resolve(table.header)
    needed = sorted({i for cols in res.columns.values() for i in cols}) if res.complete else []
    data: dict[str, Any] = {"rn": pd.Series(table.row_numbers, dtype="int64")}
    for i in needed:
        data[f"c{i}"] = pd.Series([None if r[i] is None else str(r[i]) for r in table.rows],
                                  dtype=object)
    con.register("cb_export_frame", pd.DataFrame(data))
    casts = "".join(f", CAST(c{i} AS VARCHAR) AS c{i}" for i in needed)
    con.execute("CREATE OR REPLACE TEMP TABLE cb_export AS SELECT rn"
                f"{casts} FROM cb_export_frame ORDER BY rn")
    con.unregister("cb_export_frame")
    return LoadedExport(
        file=file, header_row=table.header_row, header=list(table.header), resolution=res,
        count=len(table.rows), columns=needed, cleaned=True, via="python",
        encoding=table.encoding, delimiter=table.delimiter, title_rows=list(table.title_rows),
        skipped=list(table.skipped))


