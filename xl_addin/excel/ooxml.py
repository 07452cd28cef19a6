"""Surgical writing of workbook files: change only the worksheet parts that change.

Loading a workbook with openpyxl and saving it again silently drops what openpyxl does
not model (shapes, form-control buttons, ribbon customisations, x14 validation and
conditional-format extensions, slicers, sparklines, threaded comments, cached values)
and needs minutes and gigabytes for a million-row sheet. This module never does that.
:func:`write_book` copies every zip member it does not need to touch *as compressed
bytes* (no inflate, no deflate), rewrites only ``<sheetData>`` (plus ``<dimension>`` and
``<autoFilter ref>``) of each output sheet by string splicing, appends rows to an input
table, and makes the few small edits that creating a sheet requires. The new package is
built in a temporary file next to the destination and moved over it atomically.

XML that has to be understood as a tree (workbook, relationships, content types, table
and style parts) is parsed with :mod:`defusedxml`; parts that are written back are edited
as text, so everything not edited stays byte-for-byte as it was.

Public API: :func:`inspect_book`, :func:`fingerprint`, :func:`write_book` and the
dataclasses :class:`TableInfo`, :class:`BookInfo`, :class:`OutputSheet`, :class:`Append`,
:class:`WriteReport`. Every problem with the file raises
:class:`~xl_addin.errors.BookError`; mistakes by the calling code raise ``ValueError`` or
``TypeError``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import posixpath
import queue
import re
import shutil
import struct
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..errors import BookError, InputError

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "Append",
    "BookInfo",
    "OutputSheet",
    "TableInfo",
    "WriteReport",
    "fingerprint",
    "inspect_book",
    "write_book",
]

# --------------------------------------------------------------------------- limits
MAX_ROWS = 1_048_576  #: Excel's last row
MAX_COLS = 16_384  #: Excel's last column (XFD)
MAX_TEXT = 32_767  #: longest text a cell can hold
_MAX_PARTS = 10_000
_MAX_PART_BYTES = 2 * 1024**3
_MAX_TOTAL_BYTES = 6 * 1024**3
_MAX_TREE_BYTES = 256 * 1024**2  # largest part we agree to parse as a tree
# A part unpacking to more than _RATIO_FROM bytes must not be packed tighter than
# _MAX_RATIO:1. Real sheet XML packs 5-30:1 (a million styled empty rows ~30:1); a zip
# bomb packs ~1000:1 and makes a reader spend seconds and gigabytes on whitespace.
_MAX_RATIO = 200
_RATIO_FROM = 16 * 1024**2
_TMP_SUFFIX = ".customerbook-tmp"  # documented: .<file name>.<random>.customerbook-tmp
_HEAD_LIMIT = 64 * 1024**2  # how much of an old sheetData we keep to read row 1/2 styles
_CHUNK = 1 << 20
_LEVEL = 3  # deflate level for parts we write: ~10% larger than 6, half the time

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NS_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
}

#: number format used for a column kind when the sheet has no style for the column
_KIND_NUMFMT = {
    "text": 0, "id": 0, "yn": 0, "abc": 0, "outcome": 0,
    "int": 1, "number": 2, "money": 4, "percent": 10, "date": 14,
}
_NUMFMT_DATETIME = 22  # m/d/yyyy h:mm, for datetimes with a time in a non-date column
_BUILTIN_DATE_FMTS = frozenset(
    [*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)]
)

_ORD_1900 = _dt.date(1899, 12, 30).toordinal()
_ORD_1904 = _dt.date(1904, 1, 1).toordinal()


# --------------------------------------------------------------------------- public types
@dataclass(frozen=True)
class TableInfo:
    """An Excel Table (ListObject) as stored in the file."""

    name: str  #: displayName (what Excel shows)
    sheet: str  #: the sheet it lives on
    ref: str  #: e.g. ``"A1:N201"`` (header and totals rows included)
    header_rows: int  #: 0 or 1 (``headerRowCount``)
    totals_rows: int  #: 0 or 1 (``totalsRowCount``)
    part: str  #: zip member, e.g. ``"xl/tables/table1.xml"``


@dataclass(frozen=True)
class BookInfo:
    """What :func:`inspect_book` learnt about a workbook without reading any sheet."""

    path: Path
    sheets: tuple[str, ...]  #: in workbook (tab) order
    sheet_parts: dict[str, str]  #: sheet name -> zip member
    tables: tuple[TableInfo, ...]
    date1904: bool
    macro_enabled: bool  #: has a VBA project / macro-enabled content type


@dataclass
class OutputSheet:
    """A sheet that :func:`write_book` (re)writes from A1.

    ``rows`` holds row 1 first (the header when ``header`` is true). Values may be
    ``None``/NaN/NaT (empty cell), ``str`` (always stored as text, never as a formula),
    ``bool``, ``int``, ``float``, numpy scalars, ``Decimal``, ``datetime.date``,
    ``datetime.datetime`` or pandas ``Timestamp``. ``kinds`` (per column: ``text``,
    ``id``, ``int``, ``number``, ``money``, ``percent``, ``date``; ``yn``/``abc``/
    ``outcome`` count as text) chooses the number format where the sheet has no style of
    its own for the column. ``widths`` are used only when the sheet is created.
    """

    name: str
    rows: Iterable[Sequence[Any]]
    kinds: Sequence[str] | None = None
    widths: Sequence[float] | None = None
    header: bool = True
    #: manual page breaks: a new printed page starts after each of these Excel rows;
    #: None keeps the sheet's own breaks, [] removes them
    row_breaks: Sequence[int] | None = None
    #: height in points of every data row (None: the default height)
    row_height: float | None = None


#: elements that follow ``rowBreaks`` in a worksheet (ECMA-376 CT_Worksheet order)
_AFTER_ROW_BREAKS = ("colBreaks", "customProperties", "cellWatches", "ignoredErrors",
                     "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
                     "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
                     "extLst")


def _set_row_breaks(suffix: str, p: str, breaks: Sequence[int] | None) -> str:
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


@dataclass
class Append:
    """Rows to add below the data of an existing sheet (and its Table, if named).

    Each row's values are aligned to the sheet's columns starting at the table's first
    column (column A when there is no table).
    """

    sheet: str
    rows: Sequence[Sequence[Any]]
    table: str | None = None


@dataclass
class WriteReport:
    """What :func:`write_book` did to the package.

    ``parts_changed`` lists members whose bytes differ from the source (a regenerated
    sheet that came out identical is copied instead and not listed); ``parts_copied``
    counts members copied unchanged. ``notes`` says in words what was done to shared
    parts (styles added, calcChain entries removed, tables resized, ...).
    """

    path: Path
    parts_changed: list[str] = field(default_factory=list)
    parts_added: list[str] = field(default_factory=list)
    parts_removed: list[str] = field(default_factory=list)
    parts_copied: int = 0
    backup: Path | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- small helpers
def _col_letter(n: int) -> str:
    """1 -> A, 27 -> AA."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")
_CELL_REF_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _parse_ref(ref: str) -> tuple[int, int, int, int] | None:
    """``"B2:D9"`` -> (2, 2, 4, 9) as (first col, first row, last col, last row)."""
    m = _REF_RE.match(ref.strip())
    if not m:
        return None
    c1, r1 = _col_number(m[1]), int(m[2])
    if m[3]:
        return c1, r1, _col_number(m[3]), int(m[4])
    return c1, r1, c1, r1


def _ref(c1: int, r1: int, c2: int, r2: int, *, single: bool = True) -> str:
    if single and c1 == c2 and r1 == r2:
        return f"{_col_letter(c1)}{r1}"
    return f"{_col_letter(c1)}{r1}:{_col_letter(c2)}{r2}"


_ATTR_RX: dict[str, re.Pattern[str]] = {}


def _attr_rx(name: str) -> re.Pattern[str]:
    rx = _ATTR_RX.get(name)
    if rx is None:
        rx = re.compile(r"(?<![\w:.\-])" + re.escape(name) + r"\s*=\s*([\"'])(.*?)\1", re.S)
        _ATTR_RX[name] = rx
    return rx


def _attr(attrs: str, name: str) -> str | None:
    """The raw value of attribute ``name`` in the text of a start tag (or None)."""
    m = _attr_rx(name).search(attrs)
    return m[2] if m else None


def _set_attr(tag: str, name: str, value: str) -> str:
    """Set attribute ``name`` in the text of one start tag, keeping everything else."""
    rx = _attr_rx(name)
    m = rx.search(tag)
    if m:
        return f"{tag[:m.start(2)]}{value}{tag[m.end(2):]}"
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end]} {name}="{value}"{tag[end:]}'


def _drop_attr(tag: str, name: str) -> str:
    return re.sub(r"\s+(?<![\w:.\-])" + re.escape(name) + r"\s*=\s*([\"']).*?\1", "", tag,
                  count=1, flags=re.S)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _attr_local(el: Element, name: str) -> str | None:
    """Attribute by local name, whatever its namespace (r:id in either OOXML flavour)."""
    for k, v in el.attrib.items():
        if _local(k) == name:
            return v
    return None


def _truthy(v: str | None) -> bool:
    return (v or "").strip().lower() in {"1", "true", "on"}


def _root_prefix(text: str, local: str) -> str:
    """``"x:"`` when the root element is written ``<x:local``, else ``""``."""
    m = re.search(r"<(?:([A-Za-z_][\w.\-]*):)?" + local + r"(?=[\s>/])", text)
    return f"{m[1]}:" if m and m[1] else ""


# --- text escaping -------------------------------------------------------------------
# Characters XML 1.0 forbids (removed), CR (kept as &#13; so parsers do not turn it into
# LF), the XML specials, and literal _xHHHH_ sequences that Excel would decode.
_NEEDS_ESC = re.compile(
    '[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_'
).search
_NEEDS_CHARS = re.compile('[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]').search
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XESC = re.compile("_(x[0-9A-Fa-f]{4}_)")


def _escape_text(s: str) -> str:
    """Cell text as element content: truncated, legal, Excel-escaped, XML-escaped."""
    if len(s) > MAX_TEXT:
        s = s[:MAX_TEXT]
    if _ILLEGAL.search(s):
        s = _ILLEGAL.sub("", s)
    if "_x" in s:
        s = _XESC.sub(r"_x005F_\1", s)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")
    return s


def _escape_attr(s: str) -> str:
    """Text as an attribute value (sheet names, table column names)."""
    s = _XESC.sub(r"_x005F_\1", _ILLEGAL.sub("", s))
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
            .replace("\r", "&#13;"))


# --- number formats ------------------------------------------------------------------
def _is_date_code(code: str) -> bool:
    """Whether a custom number format shows a date or time."""
    c = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    if re.search(r"\[(?:h+|m+|s+)\]", c, re.I):
        return True
    c = re.sub(r"\[[^\]]*\]", "", c).split(";")[0]
    c = re.sub(r"(?i)general|e[+-]", "", c)
    return bool(re.search(r"[dmyhs]", c, re.I))


def _date_serial(d: _dt.date, date1904: bool) -> int | None:
    """Excel's day number for a date (None if Excel cannot show it)."""
    o = d.toordinal()
    if date1904:
        n = o - _ORD_1904
        return n if n >= 0 else None
    n = o - _ORD_1900
    if n < 61:  # Excel counts the non-existent 1900-02-29, so before March we are one off
        n -= 1
    return n if n >= 1 else None


# --------------------------------------------------------------------------- errors
def _corrupt(path: Path | str, detail: str) -> BookError:
    return BookError("corrupt", path=str(path), detail=detail)


def _too_large(path: Path | str, detail: str) -> BookError:
    return BookError("too_large", path=str(path), detail=detail)


def _classify_ole(path: Path) -> BookError:
    """An OLE compound file: a password-protected OOXML package or a legacy .xls/.doc."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size <= 64 * 1024**2:
            data = fh.read()
        else:
            data = fh.read(8 * 1024**2)
            fh.seek(-8 * 1024**2, os.SEEK_END)
            data += fh.read()

    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage"):
        return BookError("encrypted", path=str(path))
    if has("Workbook") or has("Book") or has("WordDocument") or has("PowerPoint Document"):
        return BookError("not_a_workbook", path=str(path))
    return BookError("encrypted", path=str(path))


# --------------------------------------------------------------------------- the package
@dataclass
class _Sheet:
    name: str
    sheet_id: int
    rid: str
    part: str | None
    kind: str  # worksheet, chartsheet, dialogsheet, macrosheet, ...
    index: int


@dataclass
class _Table:
    info: TableInfo
    sheet_part: str


class _Package:
    """An open workbook zip with its structure parsed (no worksheet is read)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zf: zipfile.ZipFile | None = None

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> _Package:
        pkg = cls(Path(path))
        try:
            pkg._open()
        except BaseException:
            pkg.close()
            raise
        return pkg

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()
            self.zf = None

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        path = self.path
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise BookError("file_not_found", path=str(path)) from None
        if not path.is_file():
            raise BookError("not_a_workbook", path=str(path))
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head == _OLE_MAGIC:
            raise _classify_ole(path)
        try:
            self.zf = zipfile.ZipFile(path)
        except Exception as exc:  # BadZipFile, OSError, struct.error, ... on damage
            if head[:2] == b"PK" and st.st_size > 0:
                raise _corrupt(path, "the zip directory is missing or damaged "
                                     "(the file may be truncated)") from None
            raise BookError("not_a_workbook", path=str(path)) from exc
        infos = self.zf.infolist()
        self.infos = infos
        if len(infos) > _MAX_PARTS:
            raise _too_large(path, f"{len(infos):,} parts in the zip (limit {_MAX_PARTS:,})")
        total = 0
        for i in infos:
            if i.file_size > _MAX_PART_BYTES:
                raise _too_large(path, f"part {i.filename} unpacks to {i.file_size:,} bytes "
                                       "(limit 2 GiB)")
            if i.file_size > _RATIO_FROM and i.file_size > _MAX_RATIO * max(i.compress_size, 1):
                raise _too_large(path, f"part {i.filename} unpacks to {i.file_size:,} bytes "
                                       f"from {i.compress_size:,}, a compression ratio above "
                                       f"{_MAX_RATIO}:1 (a zip bomb?)")
            total += i.file_size
            if i.flag_bits & 0x1:
                raise BookError("encrypted", path=str(path))
        if total > _MAX_TOTAL_BYTES:
            raise _too_large(path, f"the parts unpack to {total:,} bytes (limit 6 GiB)")
        self.lower: dict[str, str] = {}
        for i in infos:
            key = i.filename.lower()
            if key in self.lower:
                raise _corrupt(path, f"the zip holds {i.filename} twice")
            self.lower[key] = i.filename
        self.info_by_name = {i.filename: i for i in infos}

        # the workbook part, via the package relationships
        wb_part = None
        if self.has("_rels/.rels"):
            for rtype, target, _rid in self.rels("_rels/.rels", ""):
                if rtype.endswith("/officeDocument"):
                    wb_part = target
                    break
        if wb_part is None and self.has("xl/workbook.xml"):
            wb_part = "xl/workbook.xml"
        if wb_part is None or not self.has(wb_part):
            raise BookError("not_a_workbook", path=str(path))
        self.wb_part = self.real(wb_part)
        if not self.has("[Content_Types].xml"):
            raise _corrupt(path, "[Content_Types].xml is missing")
        self.ct_part = self.real("[Content_Types].xml")
        self.ct_text = self.text(self.ct_part)
        ct = self.tree(self.ct_part)
        self.ct_overrides: dict[str, str] = {}
        self.ct_defaults: dict[str, str] = {}
        for el in ct:
            if _local(el.tag) == "Override":
                self.ct_overrides[(el.get("PartName") or "").lstrip("/").lower()] = (
                    el.get("ContentType") or "")
            elif _local(el.tag) == "Default":
                self.ct_defaults[(el.get("Extension") or "").lower()] = (
                    el.get("ContentType") or "")
        self.main_ct = self.content_type(self.wb_part)
        if self.main_ct not in _WORKBOOK_TYPES:
            raise BookError("not_a_workbook", path=str(path))

        # workbook.xml
        self.wb_text = self.text(self.wb_part)
        wb = self.tree(self.wb_part)
        if _local(wb.tag) != "workbook":
            raise BookError("not_a_workbook", path=str(path))
        self.main_ns = _ns(wb.tag) or _NS_MAIN[0]
        self.date1904 = False
        sheets_el = None
        for el in wb:
            if _local(el.tag) == "workbookPr":
                self.date1904 = _truthy(el.get("date1904"))
            elif _local(el.tag) == "sheets":
                sheets_el = el
        if sheets_el is None:
            raise _corrupt(path, f"{self.wb_part} lists no sheets")
        wb_dir, wb_base = posixpath.split(self.wb_part)
        self.wb_rels_part = posixpath.join(wb_dir, "_rels", wb_base + ".rels")
        self.wb_rels: dict[str, tuple[str, str]] = {}
        self.rel_ns = _NS_DOC_REL
        if self.has(self.wb_rels_part):
            self.wb_rels_part = self.real(self.wb_rels_part)
            for rtype, target, rid in self.rels(self.wb_rels_part, self.wb_part):
                self.wb_rels[rid] = (rtype, target)
        self.sheets: list[_Sheet] = []
        for k, el in enumerate(s for s in sheets_el if _local(s.tag) == "sheet"):
            rid = ""
            for key, val in el.attrib.items():
                if _local(key) == "id" and key.startswith("{"):
                    rid = val
                    self.rel_ns = _ns(key)
            rtype, target = self.wb_rels.get(rid, ("", ""))
            kind = rtype.rsplit("/", 1)[-1] or "unknown"
            part = self.real(target) if target and self.has(target) else None
            try:
                sheet_id = int(el.get("sheetId") or 0)
            except ValueError:
                sheet_id = 0
            self.sheets.append(_Sheet(el.get("name") or "", sheet_id, rid, part, kind, k))
        self.styles_part = self.calc_part = None
        self.calc_rid = None
        for rid, (rtype, target) in self.wb_rels.items():
            if rtype.endswith("/styles") and self.has(target):
                self.styles_part = self.real(target)
            elif rtype.endswith("/calcChain") and self.has(target):
                self.calc_part, self.calc_rid = self.real(target), rid
        self.macro_enabled = "macroEnabled" in self.main_ct or any(
            n.endswith("vbaproject.bin") for n in self.lower)

        # tables, via each worksheet's relationships
        self.tables: list[_Table] = []
        for sh in self.sheets:
            if sh.part is None or sh.kind != "worksheet":
                continue
            for rtype, target, _rid in self.rels(self.rels_part_of(sh.part), sh.part):
                if not rtype.endswith("/table") or not self.has(target):
                    continue
                tpart = self.real(target)
                t = self.tree(tpart)
                try:
                    info = TableInfo(
                        name=t.get("displayName") or t.get("name") or "",
                        sheet=sh.name,
                        ref=t.get("ref") or "",
                        header_rows=int(t.get("headerRowCount") or 1),
                        totals_rows=int(t.get("totalsRowCount") or 0),
                        part=tpart,
                    )
                except ValueError:
                    raise _corrupt(path, f"{tpart} has a bad row count") from None
                self.tables.append(_Table(info, sh.part))

    # -- reading parts -------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name.lower() in self.lower

    def real(self, name: str) -> str:
        return self.lower[name.lower()]

    def content_type(self, part: str) -> str:
        ct = self.ct_overrides.get(part.lower())
        if ct is None:
            ct = self.ct_defaults.get(part.rsplit(".", 1)[-1].lower(), "")
        return ct

    def read(self, name: str, limit: int = _MAX_TREE_BYTES) -> bytes:
        assert self.zf is not None
        name = self.real(name)
        info = self.info_by_name[name]
        if info.file_size > limit:
            raise _too_large(self.path, f"part {name} is {info.file_size:,} bytes")
        try:
            return self.zf.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError, ValueError) as exc:
            raise _corrupt(self.path, f"cannot unpack {name}: {exc}") from exc

    def text(self, name: str, limit: int = _MAX_TREE_BYTES) -> str:
        data = self.read(name, limit)
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise _corrupt(self.path, f"{name} is UTF-16; only UTF-8 parts can be edited")
        return data.decode("utf-8", "surrogateescape")

    def tree(self, name: str) -> Element:
        data = self.read(name)
        try:
            return SafeET.fromstring(data)
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise _corrupt(self.path, f"{name} is not valid XML ({exc})") from exc

    def rels_part_of(self, part: str) -> str:
        d, b = posixpath.split(part)
        return posixpath.join(d, "_rels", b + ".rels")

    def rels(self, rels_part: str, source: str) -> list[tuple[str, str, str]]:
        """(type, resolved target, id) of the internal relationships in ``rels_part``."""
        if not self.has(rels_part):
            return []
        out = []
        base = posixpath.dirname(source)
        for el in self.tree(rels_part):
            if _local(el.tag) != "Relationship" or el.get("TargetMode") == "External":
                continue
            target = el.get("Target") or ""
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(base, target))
            out.append((el.get("Type") or "", resolved, el.get("Id") or ""))
        return out

    def sheet_by_name(self, name: str) -> _Sheet | None:
        key = name.casefold()
        for sh in self.sheets:
            if sh.name.casefold() == key:
                return sh
        return None

    def tables_on(self, part: str) -> list[_Table]:
        return [t for t in self.tables if t.sheet_part == part]

    def book_info(self) -> BookInfo:
        return BookInfo(
            path=self.path,
            sheets=tuple(s.name for s in self.sheets),
            sheet_parts={s.name: s.part for s in self.sheets if s.part},
            tables=tuple(t.info for t in self.tables),
            date1904=self.date1904,
            macro_enabled=self.macro_enabled,
        )


def inspect_book(path: str | os.PathLike[str]) -> BookInfo:
    """Sheets, their zip parts, Tables, date system and macro flag of a workbook file.

    Reads only the zip directory and the small structural parts, never a worksheet.
    Raises :class:`BookError` ``file_not_found``; ``encrypted`` (an OLE compound file,
    which is how Excel stores a password-protected workbook); ``not_a_workbook`` (not a
    zip, or a zip without a SpreadsheetML workbook part); ``corrupt`` (damaged or
    truncated zip, invalid XML; the detail says what); ``too_large`` (more than 10,000
    parts, a part unpacking to more than 2 GiB, or more than 6 GiB in all).
    """
    with _Package.open(path) as pkg:
        return pkg.book_info()


def fingerprint(path: str | os.PathLike[str]) -> tuple[int, int, str]:
    """``(size, mtime_ns, sha256 hex)`` of a file, to notice that someone saved it."""
    path = Path(path)
    try:
        st = path.stat()
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
    except (FileNotFoundError, NotADirectoryError):
        raise BookError("file_not_found", path=str(path)) from None
    except IsADirectoryError:
        raise BookError("not_a_workbook", path=str(path)) from None
    return st.st_size, st.st_mtime_ns, h.hexdigest()


# --------------------------------------------------------------------------- styles
_MIN_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="{ns}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
    "<border><left/><right/><top/><bottom/><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>'
)


class _Styles:
    """cellXfs of styles.xml: what each ``s`` index shows, and appending plain xfs."""

    def __init__(self, text: str | None, main_ns: str, path: Path) -> None:
        self.original = text
        self.created = text is None
        self.text = text if text is not None else _MIN_STYLES.format(ns=main_ns)
        self.path = path
        try:
            root = SafeET.fromstring(self.text.encode("utf-8", "surrogateescape"))
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise _corrupt(path, f"styles are not valid XML ({exc})") from exc
        self.p = _root_prefix(self.text, "styleSheet")
        self.numfmts: dict[int, str] = {}
        self.xfs: list[tuple[int, int, int, int, str | None, bool]] = []
        fonts: list[Element] = []
        for sect in root:
            name = _local(sect.tag)
            if name == "numFmts":
                for nf in sect:
                    try:
                        self.numfmts[int(nf.get("numFmtId") or -1)] = nf.get("formatCode") or ""
                    except ValueError:
                        pass
            elif name == "fonts":
                fonts = list(sect)
            elif name == "cellXfs":
                for xf in sect:
                    self.xfs.append((
                        _int(xf.get("numFmtId")), _int(xf.get("fontId")),
                        _int(xf.get("fillId")), _int(xf.get("borderId")),
                        xf.get("xfId"), len(xf) > 0,
                    ))
        self.n_fonts = len(fonts)

        def sig(el: Element) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
            return sorted((_local(c.tag), tuple(sorted(c.attrib.items())))
                          for c in el if _local(c.tag) != "b")

        base = sig(fonts[0]) if fonts else []
        self.bold_fonts = [
            k for k, f in enumerate(fonts)
            if any(_local(c.tag) == "b" and (c.get("val") is None or _truthy(c.get("val")))
                   for c in f) and sig(f) == base
        ]
        self.new_fonts: list[str] = []
        self.new_xfs: list[str] = []
        self.notes: list[str] = []
        self._date_cache: dict[int, bool] = {}

    def is_date(self, s: int) -> bool:
        r = self._date_cache.get(s)
        if r is None:
            r = False
            if 0 <= s < len(self.xfs):
                nf = self.xfs[s][0]
                r = nf in _BUILTIN_DATE_FMTS or (
                    nf in self.numfmts and _is_date_code(self.numfmts[nf]))
            self._date_cache[s] = r
        return r

    def _plain(self, k: int, numfmt: int, font: int) -> bool:
        nf, fo, fi, bo, xfid, kids = self.xfs[k]
        return (nf, fo, fi, bo) == (numfmt, font, 0, 0) and xfid in (None, "0") and not kids

    def xf_for(self, numfmt: int) -> int:
        """A cellXfs index with this number format and the default look; added if absent."""
        for k in range(len(self.xfs)):
            if self._plain(k, numfmt, 0):
                return k
        self.xfs.append((numfmt, 0, 0, 0, "0", False))
        self.new_xfs.append(f'<{self.p}xf numFmtId="{numfmt}" fontId="0" fillId="0" '
                            f'borderId="0" xfId="0" applyNumberFormat="1"/>')
        self.notes.append(f"styles: added cell format {len(self.xfs) - 1} "
                          f"(number format {numfmt})")
        return len(self.xfs) - 1

    def bold(self) -> int:
        """A cellXfs index showing the default font in bold; font and xf added if absent."""
        for font in self.bold_fonts:
            for k in range(len(self.xfs)):
                if self._plain(k, 0, font):
                    return k
        if self.bold_fonts:
            font = self.bold_fonts[0]
        else:
            p = self.p
            m = re.search(rf"<{p}fonts(?=[\s/>])[^>]*>\s*(<{p}font(?=[\s/>])[^>]*?"
                          rf"(?:/>|>.*?</{p}font>))", self.text, re.S)
            if m is None:
                raw = f"<{p}font/>"
            else:
                raw = m[1]
            if raw.endswith("/>"):
                new = raw[:-2] + f"><{p}b/></{p}font>"
            else:
                i = raw.index(">") + 1
                new = raw[:i] + f"<{p}b/>" + raw[i:]
            self.new_fonts.append(new)
            font = self.n_fonts + len(self.new_fonts) - 1
            self.bold_fonts.append(font)
            self.notes.append(f"styles: added bold font {font}")
        self.xfs.append((0, font, 0, 0, "0", False))
        self.new_xfs.append(f'<{self.p}xf numFmtId="0" fontId="{font}" fillId="0" '
                            f'borderId="0" xfId="0" applyFont="1"/>')
        self.notes.append(f"styles: added bold cell format {len(self.xfs) - 1}")
        return len(self.xfs) - 1

    @property
    def changed(self) -> bool:
        return bool(self.new_fonts or self.new_xfs)

    def render(self) -> str:
        text = self.text
        if self.new_fonts:
            text = _append_children(text, self.p, "fonts", self.new_fonts,
                                    self.n_fonts + len(self.new_fonts), self.path)
        if self.new_xfs:
            text = _append_children(text, self.p, "cellXfs", self.new_xfs, len(self.xfs),
                                    self.path)
        return text


def _int(v: str | None) -> int:
    try:
        return int(v or 0)
    except ValueError:
        return -1


def _append_children(text: str, p: str, tag: str, items: list[str], count: int,
                     path: Path) -> str:
    """Insert ``items`` at the end of the first ``<tag>`` and set its ``count``."""
    m = re.search(rf"<{p}{tag}(?=[\s/>])[^>]*>", text)
    if m is None:
        raise _corrupt(path, f"styles have no <{tag}> list")
    open_tag = _set_attr(m[0], "count", str(count))
    if open_tag.endswith("/>"):
        return (text[:m.start()] + open_tag[:-2].rstrip() + ">" + "".join(items)
                + f"</{p}{tag}>" + text[m.end():])
    close = text.find(f"</{p}{tag}>", m.end())
    if close < 0:
        raise _corrupt(path, f"styles: <{tag}> is not closed")
    return text[:m.start()] + open_tag + text[m.end():close] + "".join(items) + text[close:]


# --------------------------------------------------------------------------- cells
class _Columns:
    """Precomputed XML pieces for one block of columns with fixed styles."""

    def __init__(self, p: str, first_col: int, styles: list[int], book: _Styles,
                 date1904: bool) -> None:
        self.p = p
        self.s = styles
        self.book = book
        self.date1904 = date1904
        self.letters = [_col_letter(first_col + j) for j in range(len(styles))]
        sat = [f' s="{s}"' if s else "" for s in styles]
        self.pre = [f'<{p}c r="{L}' for L in self.letters]
        self.smid = [f'"{a} t="inlineStr"><{p}is><{p}t xml:space="preserve">' for a in sat]
        self.nmid = [f'"{a}><{p}v>' for a in sat]
        self.blank: list[str | None] = [f'"{a}/>' if a else None for a in sat]
        self.send = f"</{p}t></{p}is></{p}c>"
        self.vend = f"</{p}v></{p}c>"
        self._date_s: dict[tuple[int, bool], int] = {}
        # '" s="N"><v>' for dates and datetimes in each column, filled on first use
        self.dmid: list[str | None] = [None] * len(styles)
        self.dtmid: list[str | None] = [None] * len(styles)
        # day numbers from this ordinal on need no 1900 leap-year correction
        self.ord0 = _ORD_1904 if date1904 else _ORD_1900
        self.day_min = 0 if date1904 else 61

    def date_mid(self, j: int, with_time: bool) -> str:
        s = self._date_style(j, with_time)
        a = f' s="{s}"' if s else ""
        mid = f'"{a}><{self.p}v>'
        (self.dtmid if with_time else self.dmid)[j] = mid
        return mid

    def _date_style(self, j: int, with_time: bool) -> int:
        key = (j, with_time)
        s = self._date_s.get(key)
        if s is None:
            s = self.s[j]
            if not self.book.is_date(s):
                s = self.book.xf_for(_NUMFMT_DATETIME if with_time else 14)
            self._date_s[key] = s
        return s

    def other(self, j: int, v: Any, rn: str) -> str | None:
        """The cell for a value that is not a plain str/float/int/None (None: empty)."""
        tn = type(v).__name__
        if tn in ("NaTType", "NAType"):
            return None
        if isinstance(v, (bool, np.bool_)):
            a = f' s="{self.s[j]}"' if self.s[j] else ""
            return f'{self.pre[j]}{rn}"{a} t="b"><{self.p}v>{int(bool(v))}{self.vend}'
        if isinstance(v, str):
            return self.text(j, str(v), rn)
        if isinstance(v, np.datetime64):
            if np.isnat(v):
                return None
            v = v.astype("datetime64[us]").item()
            if not isinstance(v, _dt.date):
                return None
        if isinstance(v, _dt.date):
            if isinstance(v, _dt.datetime):
                _DATETIME_TYPES.add(type(v))  # e.g. pandas Timestamp: use the fast path
            return self.date(j, v, rn)
        if isinstance(v, (int, np.integer)):
            return f"{self.pre[j]}{rn}{self.nmid[j]}{int(v)}{self.vend}"
        if isinstance(v, (float, np.floating)):
            f = float(str(v)) if isinstance(v, np.float32 | np.float16) else float(v)
            if f - f != 0.0:
                return None
            return f"{self.pre[j]}{rn}{self.nmid[j]}{f!r}{self.vend}"
        if isinstance(v, Decimal):
            if not v.is_finite():
                return None
            return f"{self.pre[j]}{rn}{self.nmid[j]}{float(v)!r}{self.vend}"
        raise TypeError(f"cannot write a {type(v).__name__} ({v!r}) to a cell")

    def text(self, j: int, v: str, rn: str) -> str | None:
        if not v:
            return None
        if len(v) > MAX_TEXT or _NEEDS_ESC(v) is not None:
            v = _escape_text(v)
        return f"{self.pre[j]}{rn}{self.smid[j]}{v}{self.send}"

    def date(self, j: int, v: _dt.date, rn: str) -> str | None:
        day = _date_serial(v, self.date1904)
        if day is None:  # before 1900 (or 1904): Excel has no such date; keep it as text
            return self.text(j, v.isoformat(), rn)
        if isinstance(v, _dt.datetime):
            us = ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
            serial: float | int = day + us / 86_400_000_000 if us else day
            s = self._date_style(j, bool(us))
        else:
            serial = day
            s = self._date_style(j, False)
        a = f' s="{s}"' if s else ""
        return f'{self.pre[j]}{rn}"{a}><{self.p}v>{serial!r}{self.vend}'


_DATETIME_TYPES: set[type] = {_dt.datetime}
_DATE = _dt.date
_F64 = np.float64
_I64 = np.int64


def _emit_cells(row: Sequence[Any], rn: str, cols: _Columns, out: list[str]) -> None:
    """Append the ``<c>`` elements of one row to ``out`` (the hot loop).

    Common types are handled inline; anything else goes through ``cols.other``.
    """
    pre, smid, nmid, blank = cols.pre, cols.smid, cols.nmid, cols.blank
    dmid, dtmid, ord0, day_min = cols.dmid, cols.dtmid, cols.ord0, cols.day_min
    send, vend = cols.send, cols.vend
    dtypes = _DATETIME_TYPES
    needs = _NEEDS_CHARS
    append = out.append
    for j, v in enumerate(row):
        t = type(v)
        if t is str:
            if v:
                if len(v) > MAX_TEXT or needs(v) is not None or "_x" in v:
                    v = _escape_text(v)
                append(f"{pre[j]}{rn}{smid[j]}{v}{send}")
                continue
        elif t is float:
            if v - v == 0.0:
                append(f"{pre[j]}{rn}{nmid[j]}{v!r}{vend}")
                continue
        elif t is int:
            append(f"{pre[j]}{rn}{nmid[j]}{v}{vend}")
            continue
        elif v is None:
            pass
        elif t in dtypes:
            n = v.toordinal() - ord0
            if n >= day_min:
                us = ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
                if us:
                    m = dtmid[j] or cols.date_mid(j, True)
                    append(f"{pre[j]}{rn}{m}{n + us / 86_400_000_000!r}{vend}")
                else:
                    m = dmid[j] or cols.date_mid(j, False)
                    append(f"{pre[j]}{rn}{m}{n}{vend}")
                continue
            cell = cols.other(j, v, rn)
            if cell is not None:
                append(cell)
                continue
        elif t is _DATE:
            n = v.toordinal() - ord0
            if n >= day_min:
                m = dmid[j] or cols.date_mid(j, False)
                append(f"{pre[j]}{rn}{m}{n}{vend}")
                continue
            cell = cols.date(j, v, rn)
            if cell is not None:
                append(cell)
                continue
        elif t is _F64:
            f = float(v)
            if f - f == 0.0:
                append(f"{pre[j]}{rn}{nmid[j]}{f!r}{vend}")
                continue
        elif t is _I64:
            append(f"{pre[j]}{rn}{nmid[j]}{int(v)}{vend}")
            continue
        else:
            cell = cols.other(j, v, rn)
            if cell is not None:
                append(cell)
                continue
        b = blank[j]
        if b is not None:
            append(f"{pre[j]}{rn}{b}")


def _rows_xml(rows: Sequence[Sequence[Any]], first_row: int, cols: _Columns,
              batch: int = 2000, height: float | None = None) -> Iterator[str]:
    """``<row>`` elements for ``rows`` numbered from ``first_row``, in text chunks;
    ``height`` (points) fixes every row's height (wrapped text shows without autofit)."""
    p = cols.p
    row_open, row_close = f'<{p}row r="', f"</{p}row>"
    tail = f'" ht="{height:g}" customHeight="1">' if height else '">'
    out: list[str] = []
    for i, row in enumerate(rows):
        rn = str(first_row + i)
        k = len(out)
        out.append(f"{row_open}{rn}{tail}")
        _emit_cells(row, rn, cols, out)
        if len(out) == k + 1:
            out.pop()
        else:
            out.append(row_close)
        if i % batch == batch - 1:
            yield "".join(out)
            out.clear()
    if out:
        yield "".join(out)


# --------------------------------------------------------------------------- sheet XML
@dataclass
class _SheetSplit:
    """A worksheet cut around its sheetData: prefix + open tag + (old rows) + suffix."""

    p: str
    prefix: str  # up to '<sheetData'
    open_tag: str  # '<sheetData>' (or '<sheetData/>')
    head: str  # the start of the old rows, enough to see rows 1 and 2
    suffix: str  # after '</sheetData>' (or after '<sheetData/>')


def _read_stream(stream: IO[bytes], n: int, pkg: _Package, name: str) -> bytes:
    try:
        return stream.read(n)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise _corrupt(pkg.path, f"cannot unpack {name}: {exc}") from exc


def _split_sheet(pkg: _Package, part: str) -> _SheetSplit:
    """Stream a (possibly huge) worksheet part, keeping all but the old rows."""
    assert pkg.zf is not None

    def dec(b: bytes) -> str:
        return b.decode("utf-8", "surrogateescape")

    try:
        stream = pkg.zf.open(part)
    except (zipfile.BadZipFile, NotImplementedError, OSError) as exc:
        raise _corrupt(pkg.path, f"cannot unpack {part}: {exc}") from exc
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
                raise _corrupt(pkg.path, f"{part} has no <sheetData>")
            if len(buf) > _HEAD_LIMIT:
                raise _corrupt(pkg.path, f"{part}: <sheetData> not found in the first 64 MB")
        assert p is not None
        pstr = dec(p)
        gt = buf.index(b">", start)
        open_tag = buf[start:gt + 1]
        prefix = dec(buf[:start])
        rest = buf[gt + 1:]
        if open_tag.endswith(b"/>"):
            rest += _read_stream(stream, -1, pkg, part)
            return _SheetSplit(pstr, prefix, dec(open_tag), "", dec(rest))
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
                    raise _corrupt(pkg.path, f"{part} ends inside <sheetData>")
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
                raise _corrupt(pkg.path, f"{part} ends inside <sheetData>")
            window = window[-keep:] + chunk
    return _SheetSplit(pstr, prefix, dec(open_tag), head, dec(suffix))


def _find_tag(buf: bytes, tag: bytes, start: int) -> int:
    """Position of ``tag`` followed by whitespace, '/' or '>' (or -1)."""
    while True:
        i = buf.find(tag, start)
        if i < 0 or i + len(tag) >= len(buf):  # absent, or cut off: read more first
            return -1
        if buf[i + len(tag)] in b" \t\r\n/>":
            return i
        start = i + 1


def _col_styles(prefix: str, p: str) -> list[tuple[int, int, int]]:
    """(min, max, style) of each ``<col>`` with a non-default style."""
    out = []
    for m in re.finditer(rf"<{p}col(?=[\s/>])([^>]*)>", prefix):
        s = _int(_attr(m[1], "style"))
        lo, hi = _int(_attr(m[1], "min")), _int(_attr(m[1], "max"))
        if s > 0 and lo > 0:
            out.append((lo, max(hi, lo), s))
    return out


def _col_style(ranges: list[tuple[int, int, int]], col: int) -> int | None:
    for lo, hi, s in ranges:
        if lo <= col <= hi:
            return s
    return None


def _parse_cells(inner: str, p: str) -> list[tuple[int, str, str, bool]]:
    """(column, start-tag attrs, raw element, holds a value) of each cell in a row."""
    out = []
    col = 0
    for m in re.finditer(rf"<{p}c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</{p}c>)", inner, re.S):
        ref = _attr(m[1], "r")
        cm = _CELL_REF_RE.match(ref) if ref else None
        col = _col_number(cm[1]) if cm else col + 1
        has = bool(m[2]) and re.search(rf"<{p}(?:v|f|is)(?=[\s/>])", m[2]) is not None
        out.append((col, m[1], m[0], has))
    return out


def _head_styles(head: str, p: str) -> dict[int, dict[int, int]]:
    """row number (1 or 2) -> column -> ``s`` of the cells in the old rows 1 and 2."""
    out: dict[int, dict[int, int]] = {}
    rown = 0
    for m in re.finditer(rf"<{p}row(?=[\s/>])([^>]*?)(?:/>|>(.*?)</{p}row>)", head, re.S):
        r = _attr(m[1], "r")
        rown = int(r) if r and r.isdigit() else rown + 1
        if rown > 2:
            break
        out[rown] = {c: max(_int(_attr(a, "s")), 0)
                     for c, a, _raw, _has in _parse_cells(m[2] or "", p)}
    return out


def _sub_first(pattern: str, text: str, repl: Any, stop: int | None = None) -> str:
    """Replace the first start tag matching ``pattern`` (before ``stop``) via ``repl``."""
    m = re.compile(pattern, re.S).search(text, 0, len(text) if stop is None else stop)
    if not m:
        return text
    return text[:m.start()] + repl(m[0]) + text[m.end():]


# --------------------------------------------------------------------------- zip writing
@dataclass
class _Blob:
    """Deflated member data: in memory (``data``) or in the side file."""

    crc: int
    size: int
    csize: int
    data: bytes | None = None
    fh: IO[bytes] | None = None
    offset: int = 0


def _deflate(data: bytes) -> _Blob:
    co = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    c = co.compress(data) + co.flush()
    return _Blob(zlib.crc32(data), len(data), len(c), data=c)


class _SideWriter:
    """Deflates generated parts into an anonymous temp file, remembering CRC and sizes."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh

    def write(self, chunks: Iterable[bytes]) -> _Blob:
        """Deflate ``chunks`` in a worker thread (zlib releases the GIL) while the
        caller's generator builds the next ones."""
        fh = self.fh
        fh.seek(0, os.SEEK_END)
        offset = fh.tell()
        q: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        state: dict[str, Any] = {"crc": 0, "size": 0, "error": None}

        def work() -> None:
            co = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
            crc = size = 0
            try:
                while (chunk := q.get()) is not None:
                    crc = zlib.crc32(chunk, crc)
                    size += len(chunk)
                    fh.write(co.compress(chunk))
                fh.write(co.flush())
            except BaseException as exc:  # re-raised in the calling thread
                state["error"] = exc
                while q.get() is not None:  # drain so the producer never blocks
                    pass
            state["crc"], state["size"] = crc, size

        worker = threading.Thread(target=work, name="ooxml-deflate", daemon=True)
        worker.start()
        try:
            for chunk in chunks:
                if state["error"] is not None:
                    break
                q.put(chunk)
        finally:
            q.put(None)
            worker.join()
        if state["error"] is not None:
            raise state["error"]
        return _Blob(state["crc"], state["size"], fh.tell() - offset, fh=fh, offset=offset)


def _strip_zip64_extra(extra: bytes) -> bytes:
    out = []
    i = 0
    while i + 4 <= len(extra):
        hid, n = struct.unpack("<HH", extra[i:i + 4])
        if hid != 1:
            out.append(extra[i:i + 4 + n])
        i += 4 + n
    return b"".join(out)


def _clone_info(src: zipfile.ZipInfo) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(src.filename, src.date_time)
    zi.compress_type = src.compress_type
    zi.comment = src.comment
    zi.extra = _strip_zip64_extra(src.extra)
    zi.create_system = src.create_system
    zi.create_version = src.create_version
    zi.extract_version = src.extract_version
    zi.flag_bits = src.flag_bits & 0x06  # keep the deflate option bits only
    zi.internal_attr = src.internal_attr
    zi.external_attr = src.external_attr
    return zi


class _ZipOut:
    """Writes members as ready-made compressed bytes (no inflate/deflate on the way).

    Uses ZipFile for the central directory. Raw writing relies on ZipFile's writer
    attributes (stable since Python 3.6); if they are absent, members are inflated and
    written through ``ZipFile.open(..., "w")`` instead (slower, same content).
    """

    def __init__(self, fh: IO[bytes], comment: bytes) -> None:
        self.zf = zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.zf.comment = comment
        self.raw_ok = all(hasattr(self.zf, a) for a in
                          ("fp", "start_dir", "filelist", "NameToInfo", "_didModify"))
        self.recompressed = 0

    def put(self, zi: zipfile.ZipInfo, src: IO[bytes], offset: int, crc: int, size: int,
            csize: int) -> None:
        zi.CRC, zi.file_size, zi.compress_size = crc, size, csize
        if self.raw_ok:
            zf = self.zf
            fp = zf.fp
            assert fp is not None
            zip64 = size > zipfile.ZIP64_LIMIT or csize > zipfile.ZIP64_LIMIT
            fp.seek(zf.start_dir)
            zi.header_offset = fp.tell()
            fp.write(zi.FileHeader(zip64))
            src.seek(offset)
            left = csize
            while left:
                chunk = src.read(min(left, _CHUNK))
                if not chunk:
                    raise EOFError(f"{zi.filename}: compressed data ends early")
                fp.write(chunk)
                left -= len(chunk)
            zf.start_dir = fp.tell()
            zf.filelist.append(zi)
            zf.NameToInfo[zi.filename] = zi
            zf._didModify = True
            return
        self.recompressed += 1
        src.seek(offset)
        with self.zf.open(zi, "w", force_zip64=size > zipfile.ZIP64_LIMIT * 0.9) as w:
            if zi.compress_type == zipfile.ZIP_STORED:
                left = csize
                while left:
                    chunk = src.read(min(left, _CHUNK))
                    w.write(chunk)
                    left -= len(chunk)
            else:
                d = zlib.decompressobj(-15)
                left = csize
                while left:
                    chunk = src.read(min(left, _CHUNK))
                    left -= len(chunk)
                    w.write(d.decompress(chunk))
                w.write(d.flush())

    def put_blob(self, zi: zipfile.ZipInfo, blob: _Blob) -> None:
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.flag_bits = 0
        if blob.data is not None:
            import io

            self.put(zi, io.BytesIO(blob.data), 0, blob.crc, blob.size, blob.csize)
        else:
            assert blob.fh is not None
            self.put(zi, blob.fh, blob.offset, blob.crc, blob.size, blob.csize)

    def close(self) -> None:
        self.zf.close()

    def abort(self) -> None:
        """Forget the half-written zip without writing a central directory."""
        try:
            self.zf._didModify = False
            self.zf._writing = False
            self.zf.close()
        except Exception:  # the temp file is being deleted anyway
            pass


def _data_offset(fh: IO[bytes], info: zipfile.ZipInfo, path: Path) -> int:
    """Where a member's compressed bytes start (after its local header)."""
    fh.seek(info.header_offset)
    h = fh.read(30)
    if len(h) != 30 or h[:4] != b"PK\x03\x04":
        raise _corrupt(path, f"bad local header for {info.filename}")
    n, m = struct.unpack("<HH", h[26:30])
    return info.header_offset + 30 + n + m


def _copy_member(out: _ZipOut, fh: IO[bytes], info: zipfile.ZipInfo, path: Path) -> None:
    """Copy one member unchanged: its compressed bytes, verbatim."""
    offset = _data_offset(fh, info, path)
    out.put(_clone_info(info), fh, offset, info.CRC, info.file_size, info.compress_size)


# --------------------------------------------------------------------------- the writer
_KINDS_HELP = ", ".join(sorted(_KIND_NUMFMT))
_BAD_SHEET_CHARS = re.compile(r"[\\/?*\[\]:]")


def _check_sheet_name(name: str) -> None:
    if (not name or len(name) > 31 or _BAD_SHEET_CHARS.search(name)
            or name.startswith("'") or name.endswith("'") or name.casefold() == "history"):
        raise ValueError(f"{name!r} cannot be an Excel sheet name")


def _layout(path: Path, detail: str) -> BookError:
    """A sheet laid out in a way CustomerBook cannot write into (not a damaged file)."""
    return BookError("unsupported_layout", path=str(path), detail=detail)


@dataclass
class _Build:
    changed: dict[str, _Blob | bytes] = field(default_factory=dict)
    added: list[tuple[str, _Blob | bytes]] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


class _Writer:
    """One write_book run: plans, generates parts into a side file, assembles the zip."""

    def __init__(self, pkg: _Package, side: IO[bytes]) -> None:
        self.pkg = pkg
        self.side = _SideWriter(side)
        self.b = _Build()
        self.styles_ = _Styles(pkg.text(pkg.styles_part) if pkg.styles_part else None,
                               pkg.main_ns, pkg.path)
        self.table_text: dict[str, str] = {}  # table part -> edited XML
        self.sheet_regen: dict[str, _Blob] = {}  # sheet part -> regenerated data

    # -- helpers ---------------------------------------------------------------------
    def table_xml(self, part: str) -> str:
        if part not in self.table_text:
            self.table_text[part] = self.pkg.text(part)
        return self.table_text[part]

    def kind_styles(self, kinds: Sequence[str] | None, ncols: int) -> list[int]:
        out = []
        for j in range(ncols):
            kind = kinds[j] if kinds is not None and j < len(kinds) else None
            nf = _KIND_NUMFMT.get(kind or "text")
            if nf is None:
                raise ValueError(f"unknown column kind {kind!r}; expected one of {_KINDS_HELP}")
            out.append(self.styles_.xf_for(nf) if nf else 0)
        return out

    # -- output sheets ---------------------------------------------------------------
    def output(self, o: OutputSheet, sheet: _Sheet | None, new_part: str | None) -> None:
        pkg = self.pkg
        rows = list(o.rows)
        for r in rows:
            if isinstance(r, (str, bytes)) or not isinstance(r, Sequence):
                raise TypeError(f"sheet {o.name}: each row must be a sequence of values, "
                                f"not {type(r).__name__}")
        nrows = len(rows)
        ncols = max(map(len, rows), default=0)
        if nrows > MAX_ROWS:
            raise _too_large(pkg.path, f"sheet {o.name} would have {nrows:,} rows "
                                       f"(Excel's limit is {MAX_ROWS:,})")
        if ncols > MAX_COLS:
            raise _too_large(pkg.path, f"sheet {o.name} would have {ncols:,} columns "
                                       f"(Excel's limit is {MAX_COLS:,}, column XFD)")
        kinds_s = self.kind_styles_lazy(o.kinds, ncols)
        st = self.styles_
        if sheet is None:  # a new sheet
            assert new_part is not None
            p = ""
            split = None
            head_s = [st.bold()] * ncols if o.header and nrows else []
            data_s = kinds_s()
            tables: list[_Table] = []
        else:
            assert sheet.part is not None
            split = _split_sheet(pkg, sheet.part)
            p = split.p
            ranges = _col_styles(split.prefix, p)
            probe = _head_styles(split.head, p)
            first_data = 2 if o.header else 1
            row1, rowd = probe.get(1, {}), probe.get(first_data, {})
            head_s = []
            if o.header:
                last = None
                for j in range(ncols):
                    s = row1.get(j + 1)
                    if s is None:
                        s = last if last is not None else (st.bold() if not row1 else 0)
                    head_s.append(s)
                    last = s
            data_s = []
            ks: list[int] | None = None
            for j in range(ncols):
                s = _col_style(ranges, j + 1)
                if s is None:
                    s = rowd.get(j + 1) or None  # a cell without a style has none to keep
                if s is None:
                    ks = ks if ks is not None else kinds_s()
                    s = ks[j]
                data_s.append(s)
            tables = pkg.tables_on(sheet.part)

        # an Excel Table on the sheet follows the new extent
        if tables:
            if len(tables) > 1:
                raise _layout(pkg.path, f"sheet {o.name} holds {len(tables)} tables; "
                                        "an output sheet may hold at most one")
            t = tables[0].info
            pr = _parse_ref(t.ref)
            if pr is None or pr[:2] != (1, 1):
                raise _layout(pkg.path, f"table {t.name} on sheet {o.name} starts at "
                                        f"{t.ref.split(':')[0]}; it must start at A1")
            if t.totals_rows:
                raise BookError("table_has_totals", path=str(pkg.path), table=t.name)
            if bool(t.header_rows) != bool(o.header) or not rows or not ncols:
                raise _layout(pkg.path, f"table {t.name} on sheet {o.name} needs a header "
                                        "row and CustomerBook writes one only with header=True")
            header = list(rows[0]) + [None] * (ncols - len(rows[0]))
            names = _table_names(header)
            rows[0] = names
            end = max(nrows, 2)
            new_ref = _ref(1, 1, ncols, end, single=False)
            self.table_text[t.part] = _update_table(self.table_xml(t.part), new_ref, names,
                                                    pkg.path, t.part)
            self.b.notes.append(f"table {t.name}: ref {t.ref} -> {new_ref}")
            last_row = end
        else:
            last_row = nrows
        dim = _ref(1, 1, max(ncols, 1), max(last_row, 1))

        cols_h = _Columns(p, 1, head_s, st, pkg.date1904) if head_s else None
        cols_d = _Columns(p, 1, data_s, st, pkg.date1904)

        def body() -> Iterator[str]:
            if o.header and rows:
                assert cols_h is not None
                yield from _rows_xml(rows[:1], 1, cols_h)
                yield from _rows_xml(rows[1:], 2, cols_d, height=o.row_height)
            else:
                yield from _rows_xml(rows, 1, cols_d, height=o.row_height)

        if split is None:
            prefix = _new_sheet_prefix(pkg.main_ns, pkg.rel_ns, dim, o.header and nrows > 0,
                                       o.widths, data_s)
            suffix = ('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                      'header="0.3" footer="0.3"/></worksheet>')
            open_tag = "<sheetData>"
        else:
            prefix = _sub_first(rf"<{p}dimension(?=[\s/>])[^>]*>", split.prefix,
                                lambda tag: _set_attr(tag, "ref", dim))
            suffix = split.suffix
            if not tables:
                stop = suffix.find(f"<{p}extLst")
                suffix = _sub_first(rf"<{p}autoFilter(?=[\s/>])[^>]*>", suffix,
                                    lambda tag: _set_attr(
                                        tag, "ref", _ref(1, 1, max(ncols, 1), max(nrows, 1),
                                                         single=False)),
                                    None if stop < 0 else stop)
            open_tag = split.open_tag
            if open_tag.endswith("/>"):
                open_tag = open_tag[:-2].rstrip() + ">"
        suffix = _set_row_breaks(suffix, p if split is not None else "", o.row_breaks)

        def chunks() -> Iterator[bytes]:
            if nrows == 0:
                yield (prefix + f"<{p}sheetData/>" + suffix).encode("utf-8", "surrogateescape")
                return
            yield (prefix + open_tag).encode("utf-8", "surrogateescape")
            for text in body():
                yield text.encode("utf-8", "surrogateescape")
            yield (f"</{p}sheetData>" + suffix).encode("utf-8", "surrogateescape")

        blob = self.side.write(chunks())
        if sheet is None:
            assert new_part is not None
            self.b.added.append((new_part, blob))
        else:
            assert sheet.part is not None
            self.sheet_regen[sheet.part] = blob

    def kind_styles_lazy(self, kinds: Sequence[str] | None, ncols: int) -> Any:
        if kinds is not None:
            for k in kinds:
                if (k or "text") not in _KIND_NUMFMT:
                    raise ValueError(f"unknown column kind {k!r}; expected one of {_KINDS_HELP}")
        cache: list[list[int]] = []

        def get() -> list[int]:
            if not cache:
                cache.append(self.kind_styles(kinds, ncols))
            return cache[0]

        return get

    # -- appends -----------------------------------------------------------------------
    def append(self, text: str, ap: Append, sheet: _Sheet) -> str:
        pkg = self.pkg
        p = _root_prefix(text, "worksheet")
        rows = [list(r) for r in ap.rows]
        for r in ap.rows:
            if isinstance(r, (str, bytes)):
                raise TypeError(f"append to {ap.sheet}: each row must be a sequence of values")
        if not rows:
            return text
        assert sheet.part is not None
        table = None
        if ap.table is not None:
            key = ap.table.casefold()
            for t in pkg.tables_on(sheet.part):
                if t.info.name.casefold() == key:
                    table = t.info
            if table is None:
                raise _layout(pkg.path, f"sheet {sheet.name} has no table named {ap.table}")
            if table.totals_rows:
                raise BookError("table_has_totals", path=str(pkg.path), table=table.name)
        m_open = re.search(rf"<{p}sheetData(?=[\s/>])[^>]*?(/?)>", text)
        if m_open is None:
            raise _corrupt(pkg.path, f"{sheet.part} has no <sheetData>")
        if m_open[1]:
            body_start = body_end = m_open.end()
        else:
            body_start = m_open.end()
            body_end = text.find(f"</{p}sheetData>", body_start)
            if body_end < 0:
                raise _corrupt(pkg.path, f"{sheet.part}: <sheetData> is not closed")
        body = text[body_start:body_end]
        found = []  # (row number, start, end, start-tag attrs, inner or None)
        n = 0
        for m in re.finditer(rf"<{p}row(?=[\s/>])([^>]*?)(?:/>|>(.*?)</{p}row>)", body, re.S):
            r = _attr(m[1], "r")
            n = int(r) if r and r.isdigit() else n + 1
            found.append((n, m.start(), m.end(), m[1], m[2]))
        cells_of: dict[int, list[tuple[int, str, str, bool]]] = {}

        def cells(k: int) -> list[tuple[int, str, str, bool]]:
            if k not in cells_of:
                cells_of[k] = _parse_cells(found[k][4] or "", p)
            return cells_of[k]

        width = max(len(r) for r in rows)
        if table is not None:
            pr = _parse_ref(table.ref)
            if pr is None:
                raise _corrupt(pkg.path, f"table {table.name} has a bad ref {table.ref!r}")
            c1, tr1, c2, tr2 = pr
            if width > c2 - c1 + 1:
                raise ValueError(f"append to table {table.name}: rows have {width} values "
                                 f"but the table has {c2 - c1 + 1} columns")
            width = c2 - c1 + 1
            first_data = tr1 + table.header_rows
            last_val = first_data - 1
            for k in range(len(found) - 1, -1, -1):
                rn = found[k][0]
                if rn > tr2:
                    continue
                if rn < first_data:
                    break
                if any(h and c1 <= c <= c2 for c, _a, _r, h in cells(k)):
                    last_val = rn
                    break
            style_row = max(last_val, first_data)
        else:
            c1 = 1
            if width > MAX_COLS:
                raise _too_large(pkg.path, f"append to {sheet.name}: {width:,} columns")
            def valued(k: int) -> bool:
                return any(h for *_x, h in cells(k))

            last_k = next((k for k in range(len(found) - 1, -1, -1) if valued(k)), None)
            first_k = next((k for k in range(len(found)) if valued(k)), None)
            last_val = found[last_k][0] if last_k is not None else 0
            header_row = found[first_k][0] if first_k is not None else 0
            style_row = last_val if last_val > header_row else 0
        start = last_val + 1
        end = start + len(rows) - 1
        if end > MAX_ROWS:
            raise _too_large(pkg.path, f"appending {len(rows):,} rows to {sheet.name} would "
                                       f"pass Excel's last row ({MAX_ROWS:,})")
        cl = c1 + width - 1
        # the rows we fill must be empty where we write
        in_range = [k for k in range(len(found)) if start <= found[k][0] <= end]
        for k in in_range:
            for c, _a, _raw, has in cells(k):
                if has and c1 <= c <= cl:
                    raise _layout(pkg.path, f"cannot append to {sheet.name}: cell "
                                            f"{_col_letter(c)}{found[k][0]} below the data is "
                                            "not empty")
        # styles: the cell above (the last data row), else the column style
        above: dict[int, int] = {}
        for k in range(len(found)):
            if found[k][0] == style_row:
                above = {c: max(_int(_attr(a, "s")), 0) for c, a, _r, _h in cells(k)}
        ranges = _col_styles(text[:m_open.start()], p)
        styles = []
        for j in range(width):
            s = above.get(c1 + j)
            if s is None:
                s = _col_style(ranges, c1 + j) or 0
            styles.append(s)
        cols = _Columns(p, c1, styles, self.styles_, pkg.date1904)
        existing = {found[k][0]: k for k in in_range}
        pieces = []
        for i, vals in enumerate(rows):
            rnum = start + i
            rn = str(rnum)
            out: list[str] = []
            _emit_cells(list(vals) + [None] * (width - len(vals)), rn, cols, out)
            k = existing.get(rnum)
            left: list[str] = []
            right: list[str] = []
            attrs = f' r="{rn}"'
            if k is not None:
                attrs = _drop_attr(found[k][3], "spans")
                for c, a, raw, _h in cells(k):
                    if c1 <= c <= cl:
                        continue
                    if _attr(a, "r") is None:
                        raw = f'<{p}c r="{_col_letter(c)}{rn}"' + raw[len(p) + 2:]
                    (left if c < c1 else right).append(raw)
            pieces.append(f"<{p}row{attrs}>{''.join(left)}{''.join(out)}{''.join(right)}"
                          f"</{p}row>")
        new_rows = "".join(pieces)
        if in_range:
            a, z = found[in_range[0]][1], found[in_range[-1]][2]
        else:
            after = [found[k][1] for k in range(len(found)) if found[k][0] > end]
            a = z = after[0] if after else len(body)
        body = body[:a] + new_rows + body[z:]

        prefix = text[:m_open.start()]
        dm = re.search(rf"<{p}dimension(?=[\s/>])[^>]*>", prefix)
        if dm:
            old = _parse_ref(_attr(dm[0], "ref") or "") or (c1, start, cl, end)
            new_dim = _ref(min(old[0], c1), min(old[1], start), max(old[2], cl), max(old[3], end))
            prefix = prefix[:dm.start()] + _set_attr(dm[0], "ref", new_dim) + prefix[dm.end():]
        if m_open[1]:
            suffix = text[m_open.end():]
        else:
            suffix = text[body_end + len(f"</{p}sheetData>"):]
        if table is not None:
            pr = _parse_ref(table.ref)
            assert pr is not None
            new_ref = _ref(pr[0], pr[1], pr[2], max(pr[3], end), single=False)
            self.table_text[table.part] = _update_table(self.table_xml(table.part), new_ref,
                                                        None, pkg.path, table.part)
            self.b.notes.append(f"table {table.name}: ref {table.ref} -> {new_ref} "
                                f"({len(rows)} row(s) appended at row {start})")
            # later appends in the same run see the new extent
            idx = pkg.tables.index(next(t for t in pkg.tables if t.info.part == table.part))
            pkg.tables[idx] = _Table(
                TableInfo(table.name, table.sheet, new_ref, table.header_rows,
                          table.totals_rows, table.part), pkg.tables[idx].sheet_part)
        else:
            stop = suffix.find(f"<{p}extLst")

            def grow(tag: str) -> str:
                r = _parse_ref(_attr(tag, "ref") or "")
                if r is None:
                    return tag
                return _set_attr(tag, "ref", _ref(r[0], r[1], r[2], max(r[3], end),
                                                  single=False))

            suffix = _sub_first(rf"<{p}autoFilter(?=[\s/>])[^>]*>", suffix, grow,
                                None if stop < 0 else stop)
            self.b.notes.append(f"sheet {sheet.name}: {len(rows)} row(s) appended at row "
                                f"{start}")
        return f"{prefix}<{p}sheetData>{body}</{p}sheetData>{suffix}"


def _table_names(header: list[Any]) -> list[str]:
    """Header texts made valid as table column names: non-empty and unique."""
    out: list[str] = []
    seen: set[str] = set()
    for j, v in enumerate(header):
        name = "" if v is None or (isinstance(v, float) and v != v) else str(v)
        name = _ILLEGAL.sub("", name)[:255].strip() or f"Column{j + 1}"
        base, k = name, 2
        while name.casefold() in seen:
            name = f"{base}{k}"
            k += 1
        seen.add(name.casefold())
        out.append(name)
    return out


def _update_table(text: str, ref: str, names: list[str] | None, path: Path, part: str) -> str:
    """A table part with a new ``ref`` (and autoFilter), and column names if given."""
    p = _root_prefix(text, "table")
    m = re.search(rf"<{p}table(?=[\s/>])[^>]*>", text)
    if m is None:
        raise _corrupt(path, f"{part} is not a table part")
    text = text[:m.start()] + _set_attr(m[0], "ref", ref) + text[m.end():]
    text = _sub_first(rf"<{p}autoFilter(?=[\s/>])[^>]*>", text,
                      lambda tag: _set_attr(tag, "ref", ref))
    if names is None:
        return text
    # a rewritten table: forget the last sort, drop filters on columns that are gone
    text = re.sub(rf"<{p}sortState(?=[\s/>])[^>]*?(?:/>|>.*?</{p}sortState>)", "", text,
                  flags=re.S)

    def keep_filter(fm: re.Match[str]) -> str:
        return fm[0] if _int(_attr(fm[1], "colId")) < len(names) else ""

    text = re.sub(rf"<{p}filterColumn(?=[\s/>])([^>]*?)(?:/>|>.*?</{p}filterColumn>)",
                  keep_filter, text, flags=re.S)
    bm = re.search(rf"(<{p}tableColumns(?=[\s/>])[^>]*?)(/?)>", text)
    if bm is None:
        raise _corrupt(path, f"{part} has no tableColumns")
    if bm[2]:
        inner_start = inner_end = bm.end()
        close_end = bm.end()
    else:
        inner_start = bm.end()
        inner_end = text.find(f"</{p}tableColumns>", inner_start)
        if inner_end < 0:
            raise _corrupt(path, f"{part}: tableColumns is not closed")
        close_end = inner_end + len(f"</{p}tableColumns>")
    items = re.findall(rf"<{p}tableColumn(?=[\s/>])[^>]*?(?:/>|>.*?</{p}tableColumn>)",
                       text[inner_start:inner_end], re.S)
    try:
        tree = SafeET.fromstring(text.encode("utf-8", "surrogateescape"))
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise _corrupt(path, f"{part} is not valid XML ({exc})") from exc
    old_names = [el.get("name") or "" for el in tree.iter() if _local(el.tag) == "tableColumn"]
    ids = [_int(_attr(re.match(r"<[^>]*>", it)[0], "id")) for it in items]  # type: ignore[index]
    if len(old_names) != len(items):
        raise _corrupt(path, f"{part}: cannot read its columns")

    def renamed(item: str, name: str) -> str:
        tag = re.match(r"<[^>]*>", item)[0]  # type: ignore[index]
        return _set_attr(tag, "name", _escape_attr(name)) + item[len(tag):]

    if len(items) == len(names):
        new_items = [renamed(it, nm) for it, nm in zip(items, names, strict=True)]
    else:
        free = {nm.casefold(): k for k, nm in reversed(list(enumerate(old_names)))}
        next_id = max(ids, default=0) + 1
        new_items = []
        for nm in names:
            k = free.pop(nm.casefold(), None)
            if k is not None:
                new_items.append(renamed(items[k], nm))
            else:
                new_items.append(f'<{p}tableColumn id="{next_id}" name="{_escape_attr(nm)}"/>')
                next_id += 1
    open_tag = _set_attr(bm[1] + ">", "count", str(len(names)))
    return (text[:bm.start()] + open_tag + "".join(new_items) + f"</{p}tableColumns>"
            + text[close_end:])


_DEFAULT_WIDTH = 9.140625  # Excel's default column width (8.43 characters of Calibri 11)


def _new_sheet_prefix(main_ns: str, rel_ns: str, dim: str, frozen: bool,
                      widths: Sequence[float] | None, styles: Sequence[int] = ()) -> str:
    """The start of a new worksheet part. Each column's number format is written as its
    column style too, so that the next run finds the column's format there and does not
    take it from a cell of row 2 (which may hold, say, a date in a number column)."""
    if frozen:
        view = ('<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
                'activeCell="A2" sqref="A2"/></sheetView>')
    else:
        view = '<sheetView workbookViewId="0"/>'
    cols = ""
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
    if parts:
        cols = "<cols>" + "".join(parts) + "</cols>"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{main_ns}" xmlns:r="{rel_ns}"><dimension ref="{dim}"/>'
            f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>{cols}')


def _filter_calc_chain(text: str, sheet_ids: set[int]) -> tuple[str, int, int]:
    """calcChain without the cells of ``sheet_ids``: (text, removed, kept)."""
    p = _root_prefix(text, "calcChain")
    state = {"cur": None, "last_kept": None, "removed": 0, "kept": 0}

    def one(m: re.Match[str]) -> str:
        i = _attr(m[1], "i")
        if i is not None:
            state["cur"] = _int(i)
        cur = state["cur"]
        if cur in sheet_ids:
            state["removed"] += 1  # type: ignore[operator]
            return ""
        state["kept"] += 1  # type: ignore[operator]
        out = m[0]
        if i is None and state["last_kept"] != cur and cur is not None:
            out = f'<{p}c i="{cur}"' + out[len(p) + 2:]
        state["last_kept"] = cur
        return out

    new = re.sub(rf"<{p}c(?=[\s/>])([^>]*?)(?:/>|>\s*</{p}c>)", one, text)
    return new, int(state["removed"]), int(state["kept"])  # type: ignore[arg-type]


def _remove_elements(text: str, tag: str, attr: str, values: set[str]) -> str:
    """Drop every ``<tag>`` whose ``attr`` (case-insensitive) is in ``values``."""

    def one(m: re.Match[str]) -> str:
        v = _attr(m[1], attr)
        return "" if v is not None and v.lower() in values else m[0]

    return re.sub(rf"<(?:[\w.\-]+:)?{tag}(?=[\s/>])([^>]*?)(?:/>|>.*?</(?:[\w.\-]+:)?{tag}>)",
                  one, text, flags=re.S)


def _insert_before_close(text: str, tag: str, items: str, path: Path, part: str) -> str:
    closes = list(re.finditer(rf"</(?:[\w.\-]+:)?{tag}\s*>", text))
    m = closes[-1] if closes else None
    if m is None:
        sm = re.search(rf"<((?:[\w.\-]+:)?{tag})(?=[\s/>])[^>]*?/>", text)
        if sm is None:
            raise _corrupt(path, f"{part} has no <{tag}>")
        opened = sm[0][:-2].rstrip() + ">"
        return text[:sm.start()] + opened + items + f"</{sm[1]}>" + text[sm.end():]
    return text[:m.start()] + items + text[m.start():]


def _new_rid(existing: Iterable[str]) -> Iterator[str]:
    taken = set(existing)
    n = max((int(r[3:]) for r in taken if re.fullmatch(r"rId\d+", r)), default=0)
    while True:
        n += 1
        rid = f"rId{n}"
        if rid not in taken:
            taken.add(rid)
            yield rid


def _relative(target: str, source_dir: str) -> str:
    return posixpath.relpath(target, source_dir or ".")


# --------------------------------------------------------------------------- backups
_STAMP = "%Y%m%d-%H%M%S"


def _backup(path: Path) -> Path:
    """Copy ``path`` into the backups folder: to a temporary name first, so that a
    backup under its final name is always complete."""
    folder = path.parent / "CustomerBook backups"
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(folder, f".{path.stem}.")
    stamp = _dt.datetime.now().strftime(_STAMP)
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    k = 2
    while target.exists():
        target = folder / f"{path.stem}.{stamp}-{k}{path.suffix}"
        k += 1
    fd, tmp = _temp_file(folder, f".{path.stem}.")
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(path, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _temp_file(folder: Path, prefix: str) -> tuple[int, Path]:
    """A new ``<prefix><random>.customerbook-tmp`` in ``folder``, open and locked while
    this process lives (so that another run can tell it from a leftover)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=_TMP_SUFFIX, dir=folder)
    try:
        import fcntl
    except ImportError:  # Windows: an open file cannot be deleted, which is the lock
        return fd, Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass
    return fd, Path(name)


def _remove_stale_temps(folder: Path, prefix: str) -> list[Path]:
    """Delete ``<prefix>*.customerbook-tmp`` files that no running process holds: what a
    run killed mid-write (power cut, kill -9) left behind. Returns what was removed."""
    try:
        import fcntl
    except ImportError:
        fcntl = None  # type: ignore[assignment]
    gone = []
    try:
        found = [p for p in folder.iterdir()
                 if p.name.startswith(prefix) and p.name.endswith(_TMP_SUFFIX)]
    except OSError:
        return gone
    for p in found:
        try:
            if fcntl is not None:
                fd = os.open(p, os.O_RDONLY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: a live writer
                except OSError:
                    continue
                finally:
                    os.close(fd)
            p.unlink()
            gone.append(p)
        except OSError:  # in use (Windows), gone meanwhile, or not ours to delete
            continue
    return gone


def _prune_backups(path: Path, keep: int) -> list[Path]:
    folder = path.parent / "CustomerBook backups"
    rx = re.compile(re.escape(path.stem) + r"\.(\d{8}-\d{6})(?:-(\d+))?" + re.escape(path.suffix)
                    + "$")
    found = []
    for f in folder.iterdir() if folder.is_dir() else []:
        m = rx.match(f.name)
        if m and f.is_file():
            found.append(((m[1], int(m[2] or 1)), f))
    found.sort()
    gone = [f for _k, f in found[:max(len(found) - keep, 0)]]
    for f in gone:
        f.unlink(missing_ok=True)
    return gone


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


# --------------------------------------------------------------------------- write_book
def write_book(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    outputs: Sequence[OutputSheet],
    appends: Sequence[Append] = (),
    *,
    expect: tuple[int, int, str] | None = None,
    backups: int = 5,
) -> WriteReport:
    """Write ``outputs`` (and ``appends``) into a copy of ``src`` and move it onto ``dst``.

    Only the parts that must change are rewritten; every other zip member is copied
    verbatim (same name, same order, same compressed bytes). An existing output sheet
    keeps everything except the contents of ``<sheetData>``, its ``<dimension ref>`` and
    its ``<autoFilter ref>``; a missing one is created at the end of the workbook (that
    edits ``workbook.xml``, its relationships and ``[Content_Types].xml`` by inserting
    one element each). ``styles.xml`` changes only when a default cell format (a number
    format for a column kind, a date format, a bold header) is not there yet. calcChain
    entries of rewritten sheets are removed (the part goes when it becomes empty). An
    Excel Table on an output sheet is resized to the new rows and its column names set
    to the header texts.

    The package is built in a temporary file in ``dst``'s folder
    (``.<name>.<random>.customerbook-tmp``, locked while this run lives; one that a
    killed run left behind is deleted by the next write to ``dst``), flushed and fsynced,
    then moved over ``dst`` with :func:`os.replace`; on any error the temporary file is
    deleted and ``src``/``dst`` are left as they were. When ``expect`` (a
    :func:`fingerprint` of ``src``) is given and ``src`` no longer matches it just before
    the move, :class:`BookError` ``changed_on_disk`` is raised and nothing is written.

    When ``dst`` is ``src`` the current file is first copied to
    ``<folder>/CustomerBook backups/<stem>.<YYYYmmdd-HHMMSS><suffix>`` (``-2``, ``-3`` …
    added before the suffix if that name exists) and only the newest ``backups`` copies
    of that workbook are kept; ``backups=0`` disables this.

    Raises :class:`BookError` (``file_not_found``, ``not_a_workbook``, ``encrypted``,
    ``corrupt``, ``too_large``, ``changed_on_disk``, ``table_has_totals``,
    ``unsupported_extension``); :class:`~xl_addin.errors.InputError` ``missing_sheet``
    for an append to a sheet that does not exist; ``ValueError``/``TypeError`` for
    calls that cannot be right (duplicate or invalid sheet names, unknown kinds, rows
    wider than the table).
    """
    t0 = time.perf_counter()
    src, dst = Path(src), Path(dst)
    outputs, appends = list(outputs), list(appends)
    if backups < 0:
        raise ValueError("backups must be 0 or more")
    if not dst.parent.is_dir():
        raise BookError("file_not_found", path=str(dst.parent))
    in_place = dst.exists() and _same_file(src, dst)
    report = WriteReport(path=dst)
    with _Package.open(src) as pkg:
        if expect is not None:
            st = src.stat()
            if (st.st_size, st.st_mtime_ns) != tuple(expect)[:2]:
                raise BookError("changed_on_disk", path=str(src))
        if not in_place and dst.suffix.lower() != src.suffix.lower() and (
                _WORKBOOK_TYPES.get(pkg.main_ct) != dst.suffix.lower()):
            raise BookError("unsupported_extension", path=str(dst))
        for stale in _remove_stale_temps(dst.parent, f".{dst.name}."):
            report.notes.append(f"removed {stale.name}, left by an interrupted run")
        fd, tmp = _temp_file(dst.parent, f".{dst.name}.")
        # POSIX: a second descriptor keeps the temp file's lock until it is moved
        hold = os.dup(fd) if os.name == "posix" else None
        try:
            with os.fdopen(fd, "wb") as fh:
                _build(pkg, fh, dst.parent, outputs, appends, report)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            if hold is not None:
                os.close(hold)
            raise
    try:
        if expect is not None and fingerprint(src) != tuple(expect):
            raise BookError("changed_on_disk", path=str(src))
        try:
            shutil.copymode(dst if dst.exists() else src, tmp)
        except OSError:
            pass
        if in_place and backups > 0:
            report.backup = _backup(dst)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if hold is not None:
            os.close(hold)
    _fsync_dir(dst.parent)
    if report.backup is not None:
        for gone in _prune_backups(dst, backups):
            report.notes.append(f"backup pruned: {gone.name}")
    report.seconds = time.perf_counter() - t0
    return report


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _build(pkg: _Package, out_fh: IO[bytes], side_dir: Path, outputs: list[OutputSheet],
           appends: list[Append], report: WriteReport) -> None:
    # -- validate the request ------------------------------------------------------------
    seen: set[str] = set()
    plan: list[tuple[OutputSheet, _Sheet | None]] = []
    for o in outputs:
        key = o.name.casefold()
        if key in seen:
            raise ValueError(f"sheet {o.name!r} is written twice")
        seen.add(key)
        sheet = pkg.sheet_by_name(o.name)
        if sheet is None:
            _check_sheet_name(o.name)
        elif sheet.kind != "worksheet" or sheet.part is None:
            raise _layout(pkg.path, f"sheet {sheet.name} is a {sheet.kind}, not a worksheet")
        plan.append((o, sheet))
    by_sheet: dict[str, list[Append]] = {}
    for ap in appends:
        sheet = pkg.sheet_by_name(ap.sheet)
        if sheet is None:
            raise InputError(ap.sheet, None, None, "missing_sheet", expected=ap.sheet)
        if sheet.kind != "worksheet" or sheet.part is None:
            raise _layout(pkg.path, f"sheet {sheet.name} is a {sheet.kind}, not a worksheet")
        if sheet.name.casefold() in seen:
            raise ValueError(f"sheet {sheet.name!r} is both rewritten and appended to")
        by_sheet.setdefault(sheet.name, []).append(ap)

    with tempfile.TemporaryFile(dir=side_dir) as side:
        w = _Writer(pkg, side)
        b = w.b
        wb_dir = posixpath.dirname(pkg.wb_part)
        # -- new sheets: names, ids, parts --------------------------------------------
        sheet_dir = next((posixpath.dirname(s.part) for s in pkg.sheets
                          if s.part and s.kind == "worksheet"),
                         posixpath.join(wb_dir, "worksheets"))
        used = set(pkg.lower)
        next_id = max((s.sheet_id for s in pkg.sheets), default=0) + 1
        rids = _new_rid(pkg.wb_rels)
        new_sheets: list[tuple[str, int, str, str]] = []  # name, id, rid, part
        for o, sheet in plan:
            if sheet is not None:
                w.output(o, sheet, None)
                continue
            n = 1
            while posixpath.join(sheet_dir, f"sheet{n}.xml").lower() in used:
                n += 1
            part = posixpath.join(sheet_dir, f"sheet{n}.xml")
            used.add(part.lower())
            new_sheets.append((o.name, next_id, next(rids), part))
            next_id += 1
            w.output(o, None, part)
            b.notes.append(f"sheet {o.name} created as {part}")
        # -- appends -------------------------------------------------------------------
        for name, aps in by_sheet.items():
            sheet = pkg.sheet_by_name(name)
            assert sheet is not None and sheet.part is not None
            text = pkg.text(sheet.part, limit=_MAX_PART_BYTES)
            for ap in aps:
                text = w.append(text, ap, sheet)
            b.changed[sheet.part] = text.encode("utf-8", "surrogateescape")
        # -- shared parts -----------------------------------------------------------------
        for part, text in w.table_text.items():
            b.changed[part] = text.encode("utf-8", "surrogateescape")
        rewritten = {s.sheet_id for o, s in plan if s is not None}
        ct_text, rels_text, wb_text = pkg.ct_text, None, pkg.wb_text
        if pkg.calc_part and rewritten:
            calc, removed, kept = _filter_calc_chain(pkg.text(pkg.calc_part), rewritten)
            if removed:
                if kept:
                    b.changed[pkg.calc_part] = calc.encode("utf-8", "surrogateescape")
                    b.notes.append(f"calcChain: removed {removed} entries of rewritten sheets")
                else:
                    b.removed.add(pkg.calc_part)
                    rels_text = _remove_elements(pkg.text(pkg.wb_rels_part), "Relationship",
                                                 "Id", {pkg.calc_rid.lower()}
                                                 if pkg.calc_rid else set())
                    ct_text = _remove_elements(ct_text, "Override", "PartName",
                                               {"/" + pkg.calc_part.lower()})
                    b.notes.append(f"calcChain: all {removed} entries were on rewritten "
                                   "sheets; part, relationship and content type removed")
        st = w.styles_
        if new_sheets or (st.created and st.changed):
            if rels_text is None:
                rels_text = (pkg.text(pkg.wb_rels_part) if pkg.has(pkg.wb_rels_part) else
                             '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                             '<Relationships xmlns="http://schemas.openxmlformats.org/'
                             'package/2006/relationships"></Relationships>')
            sheet_type = next((t for t, _x in pkg.wb_rels.values() if t.endswith("/worksheet")),
                              _NS_DOC_REL + "/worksheet")
            new_rels, new_ct, new_entries = [], [], []
            p = _root_prefix(wb_text, "workbook")
            rel_prefix = re.search(r'xmlns:([\w.\-]+)\s*=\s*["\']' + re.escape(pkg.rel_ns)
                                   + r'["\']', wb_text[:wb_text.find(">", wb_text.find(
                                       f"<{p}workbook")) + 1])
            for name, sid, rid, part in new_sheets:
                new_rels.append(f'<Relationship Id="{rid}" Type="{sheet_type}" '
                                f'Target="{_relative(part, wb_dir)}"/>')
                new_ct.append(f'<Override PartName="/{part}" ContentType="{_CT_SHEET}"/>')
                if rel_prefix:
                    rattr = f'{rel_prefix[1]}:id="{rid}"'
                else:
                    rattr = f'xmlns:r="{pkg.rel_ns}" r:id="{rid}"'
                new_entries.append(f'<{p}sheet name="{_escape_attr(name)}" sheetId="{sid}" '
                                   f"{rattr}/>")
            if st.created and st.changed:
                spart = posixpath.join(wb_dir, "styles.xml")
                n = 1
                while spart.lower() in used:
                    spart = posixpath.join(wb_dir, f"styles{n}.xml")
                    n += 1
                styles_type = sheet_type.rsplit("/", 1)[0] + "/styles"
                new_rels.append(f'<Relationship Id="{next(rids)}" Type="{styles_type}" '
                                f'Target="{_relative(spart, wb_dir)}"/>')
                new_ct.append(f'<Override PartName="/{spart}" ContentType="{_CT_STYLES}"/>')
                b.added.append((spart, st.render().encode("utf-8")))
                b.notes.append(f"styles: workbook had no styles part; created {spart}")
            rels_text = _insert_before_close(rels_text, "Relationships", "".join(new_rels),
                                             pkg.path, pkg.wb_rels_part)
            ct_text = _insert_before_close(ct_text, "Types", "".join(new_ct), pkg.path,
                                           pkg.ct_part)
            if new_entries:
                wb_text = _insert_before_close(wb_text, "sheets", "".join(new_entries),
                                               pkg.path, pkg.wb_part)
        if st.changed and not st.created:
            assert pkg.styles_part is not None
            b.changed[pkg.styles_part] = st.render().encode("utf-8", "surrogateescape")
        b.notes.extend(st.notes)
        if ct_text != pkg.ct_text:
            b.changed[pkg.ct_part] = ct_text.encode("utf-8", "surrogateescape")
        if wb_text != pkg.wb_text:
            b.changed[pkg.wb_part] = wb_text.encode("utf-8", "surrogateescape")
        if rels_text is not None:
            if pkg.has(pkg.wb_rels_part):
                b.changed[pkg.wb_rels_part] = rels_text.encode("utf-8", "surrogateescape")
            else:
                b.added.append((pkg.wb_rels_part, rels_text.encode("utf-8")))
        _assemble(pkg, out_fh, w, report)


def _assemble(pkg: _Package, out_fh: IO[bytes], w: _Writer, report: WriteReport) -> None:
    """Write the new zip: every source member in order, then the added ones."""
    out = _ZipOut(out_fh, pkg.zf.comment if pkg.zf is not None else b"")
    try:
        _assemble_into(pkg, out, w, report)
    except BaseException:
        out.abort()
        raise
    out.close()
    if out.recompressed:
        report.notes.append(f"{out.recompressed} part(s) were recompressed (raw copy "
                            "unavailable in this Python)")
    report.notes[:0] = w.b.notes


def _assemble_into(pkg: _Package, out: _ZipOut, w: _Writer, report: WriteReport) -> None:
    b = w.b
    with open(pkg.path, "rb") as src:
        for info in pkg.infos:
            name = info.filename
            if name in b.removed:
                report.parts_removed.append(name)
                continue
            new = b.changed.get(name)
            regen = w.sheet_regen.get(name)
            if regen is not None:
                if (regen.crc, regen.size) == (info.CRC, info.file_size):
                    _copy_member(out, src, info, pkg.path)
                    report.parts_copied += 1
                    report.notes.append(f"{name}: regenerated identical; original kept")
                else:
                    out.put_blob(_clone_info(info), regen)
                    report.parts_changed.append(name)
                continue
            if new is not None:
                data = new if isinstance(new, bytes) else None
                if data is not None and zlib.crc32(data) == info.CRC and len(data) == (
                        info.file_size) and data == pkg.read(name, limit=_MAX_PART_BYTES):
                    _copy_member(out, src, info, pkg.path)
                    report.parts_copied += 1
                    continue
                out.put_blob(_clone_info(info), _deflate(data) if data is not None else new)
                report.parts_changed.append(name)
                continue
            _copy_member(out, src, info, pkg.path)
            report.parts_copied += 1
        now = time.localtime()[:6]
        for name, blob in b.added:
            zi = zipfile.ZipInfo(name, now)
            zi.external_attr = 0o644 << 16
            out.put_blob(zi, _deflate(blob) if isinstance(blob, bytes) else blob)
            report.parts_added.append(name)
