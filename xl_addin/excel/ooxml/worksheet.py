"""Worksheet parts around their rows: cutting an existing sheet around ``<sheetData>``,
reading the styles of its columns and first rows, and the start and end of a new sheet.

An existing sheet can be far larger than memory allows to hold twice, so
:func:`split_sheet` streams it: it keeps what comes before and after ``<sheetData>``
and the first rows (for their styles), and skips the old rows.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from .book import corrupt
from .package import Package
from .refs import CELL_REF, MAX_ROWS, col_number
from .xmltext import attr, to_int

__all__ = ["SheetSplit", "col_style", "col_styles", "head_styles", "new_sheet_prefix",
           "parse_cells", "set_row_breaks", "sheet_end", "sheet_start", "split_sheet"]

_HEAD_LIMIT = 64 * 1024**2  # how much of an old sheetData we keep to read row 1/2 styles
_CHUNK = 1 << 20  # how much of an old sheet is read at a time
_DEFAULT_WIDTH = 9.140625  # Excel's default column width (8.43 characters of Calibri 11)
_FROZEN_VIEW = ('<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
                'activeCell="A2" sqref="A2"/></sheetView>')
_PAGE_MARGINS = ('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                 'header="0.3" footer="0.3"/>')
#: elements that follow ``rowBreaks`` in a worksheet (ECMA-376 CT_Worksheet order)
_AFTER_ROW_BREAKS = ("colBreaks", "customProperties", "cellWatches", "ignoredErrors",
                     "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
                     "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
                     "extLst")


# --------------------------------------------------------------------------- existing sheets
@dataclass
class SheetSplit:
    """A worksheet cut around its sheetData: prefix + open tag + (old rows) + suffix."""

    p: str
    prefix: str  #: up to '<sheetData'
    open_tag: str  #: '<sheetData>' (or '<sheetData/>')
    head: str  #: the start of the old rows, enough to see rows 1 and 2
    suffix: str  #: after '</sheetData>' (or after '<sheetData/>')


def _read_stream(stream: IO[bytes], n: int, pkg: Package, name: str) -> bytes:
    try:
        return stream.read(n)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise corrupt(pkg.path, f"cannot unpack {name}: {exc}", f"无法解压 {name}：{exc}") from exc


def split_sheet(pkg: Package, part: str) -> SheetSplit:
    """Stream a (possibly huge) worksheet part, keeping all but the old rows."""
    assert pkg.zf is not None

    def dec(b: bytes) -> str:
        return b.decode("utf-8", "surrogateescape")

    try:
        stream = pkg.zf.open(part)
    except (zipfile.BadZipFile, NotImplementedError, OSError) as exc:
        raise corrupt(pkg.path, f"cannot unpack {part}: {exc}", f"无法解压 {part}：{exc}") from exc
    with stream:
        buf = b""
        p = None
        start = -1
        while True:
            chunk = _read_stream(stream, _CHUNK, pkg, part)
            buf += chunk
            if p is None:
                m = re.search(rb"<(?:([A-Za-z_][\w.\-]*):)?worksheet[\s>/]", buf)
                if m:
                    p = (m[1] + b":") if m[1] else b""
            if p is not None:
                start = _find_tag(buf, b"<" + p + b"sheetData", 0)
                if start >= 0 and buf.find(b">", start) >= 0:
                    break
            if not chunk:
                raise corrupt(pkg.path, f"{part} has no <sheetData>", f"{part} 缺少 <sheetData>")
            if len(buf) > _HEAD_LIMIT:
                raise corrupt(pkg.path, f"{part}: <sheetData> not found in the first 64 MB",
                              f"{part} 的前 64 MB 中找不到 <sheetData>")
        assert p is not None
        pstr = dec(p)
        gt = buf.index(b">", start)
        open_tag = buf[start:gt + 1]
        prefix = dec(buf[:start])
        rest = buf[gt + 1:]
        if open_tag.endswith(b"/>"):
            rest += _read_stream(stream, -1, pkg, part)
            return SheetSplit(pstr, prefix, dec(open_tag), "", dec(rest))
        close = b"</" + p + b"sheetData>"
        # the head: rows up to (not including) the first row numbered 3 or more
        row_rx = re.compile(rb"<" + re.escape(p) + rb"row(?=[\s/>])([^>]*)>")
        head_end = None
        pos = 0
        rown = 0
        while head_end is None:
            for m in row_rx.finditer(rest, pos):
                r = re.search(rb"""(?<![\w:.\-])r\s*=\s*["'](\d+)""", m[1])
                rown = int(r[1]) if r else rown + 1
                if rown >= 3:
                    head_end = m.start()
                    break
                pos = m.end()
            if head_end is not None:
                break
            ci = rest.find(close)
            if ci >= 0:
                head_end = ci
                break
            chunk = _read_stream(stream, _CHUNK, pkg, part)
            if not chunk or len(rest) > _HEAD_LIMIT:
                head_end = len(rest)
                if not chunk:
                    raise corrupt(pkg.path, f"{part} ends inside <sheetData>",
                                  f"{part} 在 <sheetData> 中途结束")
                break
            rest += chunk
        head = dec(rest[:head_end])
        window = rest[head_end:]
        keep = len(close) - 1
        while True:
            i = window.find(close)
            if i >= 0:
                suffix = window[i + len(close):] + _read_stream(stream, -1, pkg, part)
                break
            chunk = _read_stream(stream, _CHUNK, pkg, part)
            if not chunk:
                raise corrupt(pkg.path, f"{part} ends inside <sheetData>",
                                  f"{part} 在 <sheetData> 中途结束")
            window = window[-keep:] + chunk
    return SheetSplit(pstr, prefix, dec(open_tag), head, dec(suffix))


def _find_tag(buf: bytes, tag: bytes, start: int) -> int:
    """Position of ``tag`` followed by whitespace, '/' or '>' (or -1)."""
    while True:
        i = buf.find(tag, start)
        if i < 0 or i + len(tag) >= len(buf):  # absent, or cut off: read more first
            return -1
        if buf[i + len(tag)] in b" \t\r\n/>":
            return i
        start = i + 1


def col_styles(prefix: str, p: str) -> list[tuple[int, int, int]]:
    """(min, max, style) of each ``<col>`` with a non-default style."""
    out = []
    for m in re.finditer(rf"<{p}col(?=[\s/>])([^>]*)>", prefix):
        s = to_int(attr(m[1], "style"))
        lo, hi = to_int(attr(m[1], "min")), to_int(attr(m[1], "max"))
        if s > 0 and lo > 0:
            out.append((lo, max(hi, lo), s))
    return out


def col_style(ranges: list[tuple[int, int, int]], col: int) -> int | None:
    """The style of column ``col`` by :func:`col_styles` (None: it has none)."""
    for lo, hi, s in ranges:
        if lo <= col <= hi:
            return s
    return None


def parse_cells(inner: str, p: str) -> list[tuple[int, str, str, bool]]:
    """(column, start-tag attrs, raw element, holds a value) of each cell in a row."""
    out = []
    col = 0
    for m in re.finditer(rf"<{p}c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</{p}c>)", inner, re.S):
        r = attr(m[1], "r")
        cm = CELL_REF.match(r) if r else None
        col = col_number(cm[1]) if cm else col + 1
        has = bool(m[2]) and re.search(rf"<{p}(?:v|f|is)(?=[\s/>])", m[2]) is not None
        out.append((col, m[1], m[0], has))
    return out


def head_styles(head: str, p: str) -> dict[int, dict[int, int]]:
    """row number (1 or 2) -> column -> ``s`` of the cells in the old rows 1 and 2."""
    out: dict[int, dict[int, int]] = {}
    rown = 0
    for m in re.finditer(rf"<{p}row(?=[\s/>])([^>]*?)(?:/>|>(.*?)</{p}row>)", head, re.S):
        r = attr(m[1], "r")
        rown = int(r) if r and r.isdigit() else rown + 1
        if rown > 2:
            break
        out[rown] = {c: max(to_int(attr(a, "s")), 0)
                     for c, a, _raw, _has in parse_cells(m[2] or "", p)}
    return out


def set_row_breaks(suffix: str, p: str, breaks: Sequence[int] | None) -> str:
    """Replace the ``rowBreaks`` element of a sheet's XML after ``sheetData``."""
    if breaks is None:
        return suffix
    suffix = re.sub(rf"<{p}rowBreaks(?=[\s/>])(?:[^>]*/>|.*?</{p}rowBreaks>)", "", suffix,
                    count=1, flags=re.S)
    rows = sorted({int(r) for r in breaks if 1 <= int(r) < MAX_ROWS})
    if not rows:
        return suffix
    xml = (f'<{p}rowBreaks count="{len(rows)}" manualBreakCount="{len(rows)}">'
           + "".join(f'<{p}brk id="{r}" max="16383" man="1"/>' for r in rows)
           + f"</{p}rowBreaks>")
    for tag in _AFTER_ROW_BREAKS:
        m = re.search(rf"<{p}{tag}(?=[\s/>])", suffix)
        if m:
            return suffix[:m.start()] + xml + suffix[m.start():]
    end = suffix.rfind(f"</{p}worksheet>")
    return suffix[:end] + xml + suffix[end:]


# --------------------------------------------------------------------------- new sheets
def sheet_start(main_ns: str, rel_ns: str, dim: str, frozen: bool, cols: str) -> str:
    """A new worksheet part up to ``<sheetData>``: its extent, the view (row 1 frozen when
    ``frozen``), the default row height and the ``<cols>`` element ``cols``."""
    view = _FROZEN_VIEW if frozen else '<sheetView workbookViewId="0"/>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{main_ns}" xmlns:r="{rel_ns}"><dimension ref="{dim}"/>'
            f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>{cols}')


def sheet_end(table_rids: Sequence[str] = ()) -> str:
    """A new worksheet part after ``</sheetData>``: margins and the sheet's Tables."""
    tables = ""
    if table_rids:
        tables = (f'<tableParts count="{len(table_rids)}">'
                  + "".join(f'<tablePart r:id="{rid}"/>' for rid in table_rids)
                  + "</tableParts>")
    return f"{_PAGE_MARGINS}{tables}</worksheet>"


def new_sheet_prefix(main_ns: str, rel_ns: str, dim: str, frozen: bool,
                     widths: Sequence[float] | None, styles: Sequence[int] = ()) -> str:
    """The start of a new output sheet. Each column's number format is written as its
    column style too, so that the next run finds the column's format there and does not
    take it from a cell of row 2 (which may hold, say, a date in a number column)."""
    parts = []
    for j in range(max(len(widths or ()), len(styles))):
        w = widths[j] if widths and j < len(widths) else None
        style = styles[j] if j < len(styles) else 0
        custom = w is not None and float(w) > 0
        if not custom and not style:
            continue
        width = f'width="{float(w)!r}" customWidth="1"' if custom else (
            f'width="{_DEFAULT_WIDTH!r}"')
        parts.append(f'<col min="{j + 1}" max="{j + 1}" {width}'
                     + (f' style="{style}"' if style else "") + "/>")
    cols = "<cols>" + "".join(parts) + "</cols>" if parts else ""
    return sheet_start(main_ns, rel_ns, dim, frozen, cols)
