"""What a worksheet part holds that a cell reader does not say, found before it reads.

A reader such as python-calamine gives a sheet's values as a dense block from its first
to its last cell, so one stray cell at the far corner (XFD1048576) asks it for a block
of 17 billion cells; it shows Excel error cells (``#N/A``), formulas without a saved
result and the hidden cells of merged ranges all as blanks. :func:`scan_sheet` reads the
part's XML once (bounded by the size it declares) and returns those facts, so that the
door can bound the block, and name what it cannot read, before any reader allocates.
:func:`trimmed_copy` writes a copy of a book whose sheet keeps only the cells inside a
bound, for the reader to read instead.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .package import read_bounded
from .refs import MAX_COLS, MAX_ROWS, col_letter, col_number

__all__ = ["CELL_BUDGET", "SheetScan", "read_sheet", "scan_bounds", "scan_facts", "scan_sheet",
           "trimmed_copy"]

#: how many cells (rows × columns of the block from the first to the last cell) a reader
#: may be asked for: a book at Excel's row limit with 30 columns fits
CELL_BUDGET = 40_000_000
#: a block this many times larger than the cells the sheet holds is mostly empty space
#: (a stray cell far from the data): it is bounded even under :data:`CELL_BUDGET`
SPARSE = 50
_SMALL_BLOCK = 2_000_000
#: empty columns between the data and a far cell that make the far cell a stray
STRAY_GAP = 8

_P = rb"(?:[A-Za-z_][\w.\-]*:)?"  # an element's namespace prefix, in the patterns that allow any
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?worksheet[\s>/]")
_MERGE = re.compile(rb"<" + _P + rb'mergeCell\s[^>]*?(?<![\w:])ref="(\$?([A-Z]{1,3})\$?([0-9]+):'
                    rb'\$?([A-Z]{1,3})\$?([0-9]+))"')
#: a row number past Excel's last (1,048,576)
_FAR = rb"(?:[0-9]{8,}|[2-9][0-9]{6}|1[1-9][0-9]{5}|10[5-9][0-9]{4}|1049[0-9]{3}|1048[6-9][0-9]{2}" \
       rb"|10485[89][0-9]|104857[7-9])"
_ROW_ANY = re.compile(rb"<" + _P + rb'row\s[^>]*?(?<![\w:])r="([0-9]+)"')
#: bytes a cell takes at the least (<c r="A1"/>): what a part of a given size can hold
_MIN_CELL_BYTES = 11


class _Patterns:
    """The patterns for one namespace prefix, as literals (fast to search for)."""

    def __init__(self, p: bytes) -> None:
        c, f, v, row = (b"<" + p + name for name in (b"c", b"f", b"v", b"row"))
        self.prefix = p
        self.wide = re.compile(re.escape(c) + rb' r="[A-Z]{2,3}[0-9]')
        self.column = re.compile(re.escape(c) + rb' r="([A-Z]{1,3})[0-9]')
        self.far_row = re.compile(re.escape(row) + rb' r="' + _FAR + rb'"')
        self.far_cell = re.compile(re.escape(c) + rb' r="[A-Z]{1,3}[0-9]{8}')
        self.row = re.compile(re.escape(row) + rb' r="([0-9]+)"')
        pf = re.escape(p)
        fml = re.escape(f) + rb"(?:\s[^>]*)?(?:/>|>[^<]*</" + pf + rb"f>)"
        self.error = re.compile(re.escape(c) + rb'\s[^>]*?t="e"[^>]*>(?:' + fml + rb")?"
                                + re.escape(v) + rb">([^<]*)</" + pf + rb"v>")
        self.error_ref = re.compile(rb'(?<![\w:])r="([A-Z]{1,3})([0-9]+)"')
        self.uncached = re.compile(re.escape(c) + rb'\s[^>]*?r="([A-Z]{1,3})([0-9]+)"[^>]*>\s*'
                                   + fml + rb"\s*</" + pf + rb"c>")
        self.formula = f  # b"<f" or b"<x:f"
        #: a value of eight digits or more before any point (see ``SheetScan.huge``)
        self.huge = re.compile(re.escape(v) + rb">-?[0-9]{8}")


_PATTERNS: dict[bytes, _Patterns] = {}


def _patterns(data: bytes) -> _Patterns:
    m = _ROOT.search(data, 0, 4096)
    p = (m[1] or b"") if m else b""
    if p not in _PATTERNS:
        _PATTERNS[p] = _Patterns(p)
    return _PATTERNS[p]


@dataclass
class SheetScan:
    """The facts of one worksheet part. Columns are 1-based (A = 1), rows as Excel numbers.

    ``errors``: (row, column) -> the error's text; ``uncached``: cells holding a formula
    and no saved value; ``merged``: (ref, first row, first column, last row, last
    column); ``columns``: the columns that hold cells (None: only A..Z, not listed);
    ``last_row``: the highest row number; ``far_row``: a row number past Excel's last;
    ``size``: the part's size in bytes; ``huge``: see below.
    """

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    uncached: list[tuple[int, int]] = field(default_factory=list)
    merged: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    columns: list[int] | None = None
    last_row: int = 0
    far_row: bool = False
    size: int = 0
    #: a number of eight digits or more, or with an exponent: a date format on it may
    #: stand for a day no date type holds (readers differ on those: some read a blank)
    huge: bool = False

    def bound(self) -> tuple[int, int] | None:
        """(last column, last row) to read when a reader would be asked for a block of
        more than :data:`CELL_BUDGET` cells, or one :data:`SPARSE` times larger than the
        part can hold (a stray cell far from the data: XFD1048576), or for a row past
        Excel's last; else None (read it all). The bound keeps the columns from the first
        up to the first gap of more than :data:`STRAY_GAP` empty columns."""
        cols = self.columns
        last_col = max(cols) if cols else 26
        rows = min(self.last_row, MAX_ROWS) or 1
        block = last_col * rows
        sparse = block > _SMALL_BLOCK and block > SPARSE * (self.size // _MIN_CELL_BYTES + 1)
        if not self.far_row and block <= CELL_BUDGET and not sparse:
            return None
        keep = last_col
        if cols:  # the block of columns from the first, up to the first wide gap
            keep = cols[0]
            for c in cols[1:]:
                if c - keep > STRAY_GAP:
                    break
                keep = c
        return keep, min(rows, max(CELL_BUDGET // max(keep, 1), 1))


def read_sheet(zf: zipfile.ZipFile, part: str) -> bytes:
    """A worksheet part's XML, never inflated past the size it declares."""
    return bytes(read_bounded(zf, part))


def scan_bounds(data: bytes) -> SheetScan:
    """How far a worksheet's cells reach (what :meth:`SheetScan.bound` needs): a few
    searches for literals, fast on a sheet of a million rows."""
    px = _patterns(data)
    scan = SheetScan(size=len(data))
    tail = data.rfind(b"sheetData>")
    last = data.rfind(b"row ", 0, tail if tail > 0 else len(data))
    m = _ROW_ANY.search(data, max(last - 1, 0)) if last >= 0 else None
    scan.last_row = int(m[1]) if m else 0  # rows in order: the last is the highest
    scan.far_row = (px.far_row.search(data) is not None or px.far_cell.search(data) is not None
                    or scan.last_row > MAX_ROWS)
    wide = px.wide.search(data) is not None  # cells beyond column Z
    if wide or scan.bound() is not None:  # the columns matter: which hold cells
        scan.columns = sorted({col_number(c) for c in set(px.column.findall(data))})
        if wide:  # do not trust the order of the rows either
            scan.last_row = max([scan.last_row, *map(int, px.row.findall(data))])
    return scan


def scan_facts(data: bytes, scan: SheetScan) -> SheetScan:
    """Add what a reader shows as blanks: error cells, formulas saved without a value,
    merged ranges; and whether a number is huge. Returns ``scan``."""
    px = _patterns(data)
    if b't="e"' in data:
        for m in px.error.finditer(data):
            ref = px.error_ref.search(m[0])
            if ref is not None:
                scan.errors[(int(ref[2]), col_number(ref[1]))] = m[1].decode("utf-8", "replace")
    if px.formula in data:
        scan.uncached = [(int(m[2]), col_number(m[1])) for m in px.uncached.finditer(data)]
    scan.huge = b"E+" in data or b"e+" in data or px.huge.search(data) is not None
    tail = data.rfind(b"sheetData>")
    for m in _MERGE.finditer(data, max(tail, 0)):
        scan.merged.append((m[1].decode("ascii").replace("$", ""), int(m[3]),
                            col_number(m[2]), int(m[5]), col_number(m[4])))
    return scan


def scan_sheet(zf: zipfile.ZipFile, part: str) -> SheetScan:
    """Every fact of one worksheet part."""
    data = read_sheet(zf, part)
    return scan_facts(data, scan_bounds(data))


_CELL = re.compile(rb"<(" + _P + rb')c\s[^>]*?r="([A-Z]{1,3})([0-9]+)"[^>]*?(?:/>|>.*?</\1c>)',
                   re.S)
_ROW_BLOCK = re.compile(rb"<(" + _P + rb')row\s[^>]*?r="([0-9]+)"[^>]*?(?:/>|>.*?</\1row>)', re.S)


def trimmed_copy(path: Path, part: str, last_col: int, last_row: int, dest: Path) -> Path:
    """A copy of the book at ``path`` whose worksheet ``part`` keeps only the cells in
    columns up to ``last_col`` and rows up to ``last_row`` (everything else as it was),
    for a reader to read instead of the original. Returns ``dest``."""
    shutil.copyfile(path, dest)
    with zipfile.ZipFile(path) as src:
        data = bytes(read_bounded(src, part))
        infos = src.infolist()
        members = {i.filename: (i, src.read(i.filename)) for i in infos if i.filename != part}

    def cell(m: re.Match[bytes]) -> bytes:
        keep = col_number(m[2]) <= last_col and int(m[3]) <= last_row
        return m[0] if keep else b""

    def row(m: re.Match[bytes]) -> bytes:
        return _CELL.sub(cell, m[0]) if int(m[2]) <= last_row else b""

    kept = _ROW_BLOCK.sub(row, data)
    kept = re.sub(rb"(<" + _P + rb'dimension\s[^>]*?ref=")[^"]*', lambda m: m[1] + (
        f"A1:{col_letter(min(last_col, MAX_COLS))}{last_row}".encode()), kept, count=1)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            if info.filename == part:
                out.writestr(info, kept)
            else:
                out.writestr(members[info.filename][0], members[info.filename][1])
    return dest
