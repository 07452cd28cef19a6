"""Big demo workbooks at Excel's row limit, written fast.

    python -m xl_addin.bigbook OUT.xlsx --customers 100000 --orders 1048575 --contacts 200000

:func:`write_demo_book` generates the three input sheets with :func:`xl_addin.demo.make_demo`
(vectorised, deterministic) and writes an ``.xlsx`` with the sheets Customers, Orders,
Contacts and Settings (客户 / 订单 / 联系记录 / 设置 for ``zh-CN``), each an Excel Table,
ready for ``customerbook refresh``. Settings carries the demo's anchor as ``AsOfDate``,
so a refresh of the same book always gives the same result.

Why not xlsxwriter? It needs ~70 µs a row (a million-row Orders sheet takes over a
minute) and cannot add a Table in ``constant_memory`` mode, while the normal mode keeps
every cell in memory. This module writes the SpreadsheetML itself, like Excel does:

* every text cell is a shared string (``t="s"``; never a formula, never an inline
  string); the shared-string table is built with :func:`pandas.factorize` up front;
* dates are serial numbers with a ``yyyy-mm-dd`` number format, money ``#,##0.00``;
* rows and cells carry their ``r`` references, blanks are simply absent;
* the rows are rendered in chunks with one ``%``-template per pattern of blank cells
  (a C-level format call per row instead of a Python call per cell), and a second
  thread deflates and writes each chunk while the next one is rendered (zlib releases
  the GIL), so the two cores of a small machine both work;
* the zip is deterministic: fixed member order and timestamps, so the same arguments
  give the same bytes.

The result opens in python-calamine (tables found by name), openpyxl (also read-only),
LibreOffice and Excel.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import queue
import re
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from .demo import DEFAULT_ANCHOR, DEFAULT_SEED, make_demo
from .names import CONTACTS, CUSTOMERS, ORDERS, SETTINGS_SHEET, SheetSpec

__all__ = ["MAX_ROWS", "main", "write_demo_book", "write_input_book"]

MAX_ROWS = 1_048_576  #: Excel's last row (the header is row 1)
CHUNK_ROWS = 32_768  #: rows rendered (and deflated) at a time
DEFAULT_LEVEL = 6  #: deflate level (zlib's default, what Excel-sized files usually get)

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT = "application/vnd.openxmlformats-officedocument."
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# cellXfs: 0 General, 1 date, 2 money, 3 header (bold), 4 number
_STYLE = {"date": 1, "money": 2, "header": 3, "number": 4}
_STYLES_XML = (
    _XML_HEAD + f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="#,##0.00"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)

_UNIX_EPOCH_SERIAL = 25569  # Excel's serial number of 1970-01-01 (1900 date system)
_TEXT_KINDS = {"id", "text", "outcome", "yn", "abc"}
_NUMBER_KINDS = {"money", "number", "int", "percent"}
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XESC = re.compile("_(x[0-9A-Fa-f]{4}_)")


# ------------------------------------------------------------------------------ columns
@dataclass
class _Column:
    """One column ready to render: ``values`` (ints or floats) and where cells are blank."""

    letter: str
    cell: str  # %-template of one cell, e.g. '<c r="B%d" t="s"><v>%d</v></c>'
    values: np.ndarray
    missing: np.ndarray | None  # None: no blank cell in the column


@dataclass
class _Sheet:
    name: str
    table: str
    header: list[str]
    columns: list[_Column]
    widths: list[float]
    n_rows: int  # data rows


def _letter(n: int) -> str:
    """0 -> A, 26 -> AA."""
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


class _SharedStrings:
    """The shared-string table, built column by column with :func:`pandas.factorize`."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._chunks: list[np.ndarray] = []
        self.count = 0  # cells referring to the table

    def add_one(self, text: str) -> int:
        self.count += 1
        return self._add_uniques(np.array([text], dtype=object))[0]

    def add_column(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Codes into the table (``-1`` where blank) and the blank mask (None: none)."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
        empty = np.flatnonzero(uniques == "")
        if len(empty):  # empty text is no cell at all (as in Excel)
            codes = np.where(codes == empty[0], -1, codes)
        missing = codes < 0
        self.count += int(len(codes) - missing.sum())
        glob = self._add_uniques(uniques)
        out = glob[np.where(missing, 0, codes)] if len(glob) else np.zeros(len(codes), np.int64)
        return out.astype(np.int64), (missing if missing.any() else None)

    def _add_uniques(self, uniques: np.ndarray) -> np.ndarray:
        index = self._index
        known = np.fromiter((index.get(u, -1) for u in uniques), dtype=np.int64,
                            count=len(uniques))
        new = np.flatnonzero(known < 0)
        if len(new):
            start = len(index)
            fresh = uniques[new]
            index.update(zip(fresh.tolist(), range(start, start + len(new)), strict=True))
            known[new] = np.arange(start, start + len(new))
            self._chunks.append(fresh)
        return known

    def xml_chunks(self) -> Iterator[bytes]:
        n = len(self._index)
        yield (_XML_HEAD + f'<sst xmlns="{_NS}" count="{self.count}" uniqueCount="{n}">').encode()
        for chunk in self._chunks:
            for start in range(0, len(chunk), 200_000):
                part = chunk[start:start + 200_000].tolist()
                text = "\n".join(part)
                if _XML_SPECIAL.search(text):
                    part = [_escape(s) for s in part]
                plain = "<si><t>%s</t></si>"
                spaced = '<si><t xml:space="preserve">%s</t></si>'
                yield "".join([(plain if s == s.strip() else spaced) % s for s in part]).encode()
        yield b"</sst>"


def _escape(s: str) -> str:
    """Text as element content: legal XML, Excel's ``_xHHHH_`` escape kept literal."""
    if len(s) > 32_767:
        s = s[:32_767]
    s = _XESC.sub(r"_x005F_\1", _ILLEGAL.sub("", s))
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_values(series: pd.Series, kind: str) -> np.ndarray:
    """A text column as an object array of ``str`` with ``None`` for blanks."""
    values = series.to_numpy(dtype=object, copy=True)
    blank = pd.isna(values)
    if kind == "yn":
        for i in np.flatnonzero(~blank):
            v = values[i]
            if isinstance(v, bool | np.bool_):
                values[i] = "Y" if v else "N"
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        for i in np.flatnonzero(~blank):
            if not isinstance(values[i], str):
                values[i] = str(values[i])
    values[blank] = None
    return values


def _column(series: pd.Series, kind: str, j: int, sst: _SharedStrings) -> _Column:
    letter = _letter(j)
    if kind == "date":
        stamps = pd.to_datetime(series)
        missing = stamps.isna().to_numpy()
        ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        days, rest = np.divmod(ns, 86_400 * 10**9)
        serial = days + _UNIX_EPOCH_SERIAL
        serial = np.where(serial < 61, serial - 1, serial)  # Excel's phantom 1900-02-29
        if ((serial < 1) & ~missing).any():
            raise ValueError(f"{series.name}: dates before 1900-01-01 cannot be Excel dates")
        if (rest[~missing] != 0).any():  # a time of day: a fractional serial
            values = np.where(missing, 0.0, serial + rest / 86_400e9)
            cell = f'<c r="{letter}%d" s="{_STYLE["date"]}"><v>%r</v></c>'
        else:
            values = np.where(missing, 0, serial)
            cell = f'<c r="{letter}%d" s="{_STYLE["date"]}"><v>%d</v></c>'
        return _Column(letter, cell, values, missing if missing.any() else None)
    if kind in _NUMBER_KINDS:
        numbers = pd.to_numeric(series).to_numpy(dtype=float)
        missing = ~np.isfinite(numbers)
        style = _STYLE["money"] if kind == "money" else (
            _STYLE["number"] if kind == "number" else 0)
        s = f' s="{style}"' if style else ""
        integral = not missing.all() and np.array_equal(numbers[~missing],
                                                        np.round(numbers[~missing]))
        if integral and np.abs(numbers[~missing]).max(initial=0) < 2**53:
            values = np.where(missing, 0, numbers).astype(np.int64)
            cell = f'<c r="{letter}%d"{s}><v>%d</v></c>'
        else:
            values = np.where(missing, 0.0, numbers)
            cell = f'<c r="{letter}%d"{s}><v>%r</v></c>'
        return _Column(letter, cell, values, missing if missing.any() else None)
    codes, missing = sst.add_column(_text_values(series, kind))
    return _Column(letter, f'<c r="{letter}%d" t="s"><v>%d</v></c>', codes, missing)


def _frame_sheet(spec: SheetSpec, frame: pd.DataFrame, lang: str,
                 sst: _SharedStrings) -> _Sheet:
    if len(frame) + 1 > MAX_ROWS:
        raise ValueError(f"{spec.key}: {len(frame):,} rows do not fit on a sheet "
                         f"({MAX_ROWS - 1:,} data rows at most)")
    header = [c.label(lang) for c in spec.columns]
    columns = [_column(frame[c.key], c.kind, j, sst) for j, c in enumerate(spec.columns)]
    widths = [max(c.width, 11.0 if c.kind == "date" else 10.0) for c in spec.columns]
    return _Sheet(spec.label(lang), spec.key, header, columns, widths, len(frame))


def _settings_sheet(lang: str, as_of: dt.date | None, sst: _SharedStrings) -> _Sheet:
    """Key / Value / Description: every setting at its default, AsOfDate = ``as_of``."""
    from .settings import SETTING_DOCS, Settings

    defaults = Settings(Language=lang)
    keys, values, docs = [], [], []
    for key, (en, zh) in SETTING_DOCS.items():
        value: Any = getattr(defaults, key, None)
        if key == "AsOfDate":
            value = as_of
        elif key == "RFMScheme":
            value = defaults.rfm_scheme
        keys.append(key)
        values.append(value)
        docs.append(zh if lang == "zh-CN" else en)
    desc = "说明" if lang == "zh-CN" else "Description"
    header = [SETTINGS_SHEET.columns[0].label(lang), SETTINGS_SHEET.columns[1].label(lang), desc]
    frame = pd.DataFrame({"Key": keys, "Value": values, "Doc": docs})
    cols = [_column(frame["Key"], "text", 0, sst), _mixed_column(values, 1, sst),
            _column(frame["Doc"], "text", 2, sst)]
    return _Sheet(SETTINGS_SHEET.label(lang), "Settings", header, cols, [24.0, 14.0, 44.0],
                  len(frame))


def _mixed_column(values: Sequence[Any], j: int, sst: _SharedStrings) -> _Column:
    """A small column of mixed values: every cell carries its own ready-made XML."""
    letter = _letter(j)
    cells = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
            cells.append(None)
        elif isinstance(v, dt.date):
            serial = (v - dt.date(1899, 12, 30)).days
            cells.append(f' s="{_STYLE["date"]}"><v>{serial}</v>')
        elif isinstance(v, bool):
            cells.append(f' t="b"><v>{int(v)}</v>')
        elif isinstance(v, int | float):
            cells.append(f"><v>{v!r}</v>")
        else:
            cells.append(f' t="s"><v>{sst.add_one(str(v))}</v>')
    missing = np.array([c is None for c in cells])
    arr = np.array([c or "" for c in cells], dtype=object)
    return _Column(letter, f'<c r="{letter}%d"%s</c>', arr, missing if missing.any() else None)


# ------------------------------------------------------------------------------ rendering
def _render(columns: list[_Column], first: int, start: int, stop: int) -> str:
    """``<row>`` elements of data rows ``start:stop`` (Excel row ``first + start`` first)."""
    m = stop - start
    rows = np.arange(first + start, first + stop, dtype=np.int64)
    optional = [j for j, c in enumerate(columns) if c.missing is not None]
    if optional:
        code = np.zeros(m, dtype=np.int64)
        for bit, j in enumerate(optional):
            miss = columns[j].missing
            assert miss is not None
            code |= miss[start:stop].astype(np.int64) << bit
        patterns = np.unique(code)
    else:
        code, patterns = None, np.zeros(1, dtype=np.int64)
    out: list[str] | None = None if len(patterns) == 1 else [""] * m
    for p in patterns.tolist():
        skip = {j for bit, j in enumerate(optional) if p >> bit & 1}
        present = [c for j, c in enumerate(columns) if j not in skip]
        template = '<row r="%d">' + "".join(c.cell for c in present) + "</row>"
        if out is None:
            idx: Any = slice(None)
        else:
            assert code is not None
            idx = np.flatnonzero(code == p)
        rn = rows[idx].tolist()
        args: list[list[Any]] = [rn]
        for c in present:
            args += [rn, c.values[start:stop][idx].tolist()]
        texts = [template % t for t in zip(*args, strict=True)]
        if out is None:
            return "".join(texts)
        for i, t in zip(idx.tolist(), texts, strict=True):
            out[i] = t
    return "".join(out or [])


def _sheet_chunks(sheet: _Sheet, sst_codes: list[int]) -> Iterator[bytes]:
    ncols = len(sheet.columns)
    last_col = _letter(ncols - 1)
    cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w:g}" customWidth="1"/>'
                   for j, w in enumerate(sheet.widths))
    head = "".join(f'<c r="{_letter(j)}1" s="{_STYLE["header"]}" t="s"><v>{code}</v></c>'
                   for j, code in enumerate(sst_codes))
    yield (
        _XML_HEAD + f'<worksheet xmlns="{_NS}" xmlns:r="{_NS_R}">'
        f'<dimension ref="A1:{last_col}{max(sheet.n_rows + 1, 1)}"/>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
        'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f'<sheetData><row r="1">{head}</row>'
    ).encode()
    for start in range(0, sheet.n_rows, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, sheet.n_rows)
        yield _render(sheet.columns, 2, start, stop).encode("utf-8")
    yield (
        b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        b'header="0.3" footer="0.3"/><tableParts count="1"><tablePart r:id="rId1"/>'
        b"</tableParts></worksheet>"
    )


def _table_xml(sheet: _Sheet, table_id: int) -> str:
    ref = f"A1:{_letter(len(sheet.columns) - 1)}{max(sheet.n_rows + 1, 2)}"
    cols = "".join(f"<tableColumn id={quoteattr(str(j + 1))} name={quoteattr(_table_name(h))}/>"
                   for j, h in enumerate(sheet.header))
    return (
        _XML_HEAD + f'<table xmlns="{_NS}" id="{table_id}" name="{sheet.table}" '
        f'displayName="{sheet.table}" ref="{ref}" totalsRowShown="0">'
        f'<autoFilter ref="{ref}"/><tableColumns count="{len(sheet.header)}">{cols}'
        '</tableColumns><tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" '
        'showLastColumn="0" showRowStripes="1" showColumnStripes="0"/></table>'
    )


def _table_name(header: str) -> str:
    """A header as a table column name (Excel keeps line breaks out of them)."""
    return _ILLEGAL.sub("", header.replace("\n", " ").replace("\r", " "))


# ------------------------------------------------------------------------------ the package
class _ZipWriter:
    """Deterministic zip members, deflated and written by a second thread."""

    def __init__(self, path: Path, level: int, stamp: tuple[int, int, int, int, int, int]):
        self.zf = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.level, self.stamp = level, stamp
        self.q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="bigbook-zip", daemon=True)
        self.thread.start()

    def _info(self, name: str) -> zipfile.ZipInfo:
        zi = zipfile.ZipInfo(name, date_time=self.stamp)
        zi.compress_type = zipfile.ZIP_DEFLATED
        # the slot is ``compress_level`` from Python 3.13 on, ``_compresslevel`` before
        slot = "compress_level" if "compress_level" in zipfile.ZipInfo.__slots__ else (
            "_compresslevel")
        setattr(zi, slot, self.level)
        zi.external_attr = 0o600 << 16
        return zi

    def _work(self) -> None:
        stream = None
        try:
            while True:
                op, arg = self.q.get()
                if op == "open":
                    stream = self.zf.open(self._info(arg), "w")
                elif op == "data":
                    assert stream is not None
                    stream.write(arg)
                elif op == "close":
                    assert stream is not None
                    stream.close()
                    stream = None
                else:
                    return
        except BaseException as exc:  # reported to the producer on its next put
            self.error = exc
            while True:  # drain so that the producer never blocks
                if self.q.get()[0] == "stop":
                    return

    def _put(self, op: str, arg: Any = None) -> None:
        if self.error is not None:
            raise self.error
        self.q.put((op, arg))

    def member(self, name: str, chunks: Iterator[bytes] | Sequence[bytes]) -> None:
        self._put("open", name)
        for chunk in chunks:
            self._put("data", chunk)
        self._put("close")

    def close(self) -> None:
        self.q.put(("stop", None))
        self.thread.join()
        self.zf.close()
        if self.error is not None:
            raise self.error


def _package_parts(sheets: list[_Sheet], created: dt.datetime) -> dict[str, str]:
    n = len(sheets)
    ct = [
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>',
        '<Default Extension="xml" ContentType="application/xml"/>',
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}spreadsheetml.sheet.main+xml"/>',
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}spreadsheetml.styles+xml"/>',
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}spreadsheetml.'
        'sharedStrings+xml"/>',
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/>',
        f'<Override PartName="/docProps/app.xml" ContentType="{_CT}extended-properties+xml"/>',
    ]
    for i in range(1, n + 1):
        ct.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                  f'ContentType="{_CT}spreadsheetml.worksheet+xml"/>')
        ct.append(f'<Override PartName="/xl/tables/table{i}.xml" '
                  f'ContentType="{_CT}spreadsheetml.table+xml"/>')
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = {
        "[Content_Types].xml": _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types">' + "".join(ct) + "</Types>",
        "_rels/.rels": _XML_HEAD + f'<Relationships xmlns="{_NS_PR}">'
        f'<Relationship Id="rId1" Type="{_REL}officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{_REL}extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>",
        "docProps/app.xml": _XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/'
        'officeDocument/2006/extended-properties"><Application>CustomerBook</Application>'
        "</Properties>",
        "docProps/core.xml": _XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.'
        'openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/'
        'dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.'
        'org/2001/XMLSchema-instance"><dc:title>CustomerBook demo</dc:title>'
        "<dc:creator>CustomerBook</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>",
        "xl/workbook.xml": _XML_HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_NS_R}">'
        '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
        + "".join(f"<sheet name={quoteattr(s.name)} sheetId=\"{i}\" r:id=\"rId{i}\"/>"
                  for i, s in enumerate(sheets, start=1))
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": _XML_HEAD + f'<Relationships xmlns="{_NS_PR}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{_REL}worksheet" '
                  f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
        + f'<Relationship Id="rId{n + 1}" Type="{_REL}styles" Target="styles.xml"/>'
        + f'<Relationship Id="rId{n + 2}" Type="{_REL}sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": _STYLES_XML,
    }
    for i in range(1, n + 1):
        parts[f"xl/worksheets/_rels/sheet{i}.xml.rels"] = (
            _XML_HEAD + f'<Relationships xmlns="{_NS_PR}"><Relationship Id="rId1" '
            f'Type="{_REL}table" Target="../tables/table{i}.xml"/></Relationships>')
        parts[f"xl/tables/table{i}.xml"] = _table_xml(sheets[i - 1], i)
    return parts


def write_input_book(
    path: str | Path,
    frames: dict[str, pd.DataFrame],
    *,
    lang: str = "zh-CN",
    as_of: dt.date | None = None,
    level: int = DEFAULT_LEVEL,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write ``frames`` (``"Customers"``, ``"Orders"``, ``"Contacts"``, columns named by the
    English keys of :mod:`xl_addin.names`, as :func:`~xl_addin.demo.make_demo` returns
    them) as an .xlsx workbook with the three input Tables and a Settings Table.

    Sheet and column names are in ``lang``; ``as_of`` is written as Settings
    ``AsOfDate`` (blank: the refresh uses today). ``level`` is the deflate level (0–9).
    The file is written next to ``path`` and renamed over it when complete.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: a big book is an .xlsx workbook (no VBA)")
    say = progress or (lambda _msg: None)
    sst = _SharedStrings()
    specs = (CUSTOMERS, ORDERS, CONTACTS)
    headers = {spec.key: [sst.add_one(c.label(lang)) for c in spec.columns] for spec in specs}
    sheets = [_frame_sheet(spec, frames[spec.key], lang, sst) for spec in specs]
    settings = _settings_sheet(lang, as_of, sst)
    headers["Settings"] = [sst.add_one(h) for h in settings.header]
    sheets.append(settings)
    say(f"shared strings: {sst.count:,} cells, {len(sst._index):,} unique")

    day = as_of or DEFAULT_ANCHOR  # the package's timestamps (never the wall clock)
    created = dt.datetime(day.year, day.month, day.day)
    stamp = (max(created.year, 1980), created.month, created.day, 0, 0, 0)
    tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        zw = _ZipWriter(tmp, level, stamp)
        try:
            parts = _package_parts(sheets, created)
            for name in ("[Content_Types].xml", "_rels/.rels", "docProps/app.xml",
                         "docProps/core.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                         "xl/styles.xml"):
                zw.member(name, [parts[name].encode()])
            for i, sheet in enumerate(sheets, start=1):
                t0 = time.perf_counter()
                zw.member(f"xl/worksheets/sheet{i}.xml", _sheet_chunks(sheet, headers[sheet.table]))
                say(f"{sheet.name}: {sheet.n_rows:,} rows rendered in "
                    f"{time.perf_counter() - t0:.1f} s")
            for i in range(1, len(sheets) + 1):
                zw.member(f"xl/worksheets/_rels/sheet{i}.xml.rels",
                          [parts[f"xl/worksheets/_rels/sheet{i}.xml.rels"].encode()])
                zw.member(f"xl/tables/table{i}.xml", [parts[f"xl/tables/table{i}.xml"].encode()])
            zw.member("xl/sharedStrings.xml", sst.xml_chunks())
        finally:
            zw.close()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_demo_book(
    path: str | Path,
    customers: int = 100_000,
    orders: int | None = 1_048_575,
    contacts: int | None = 200_000,
    *,
    lang: str = "zh-CN",
    anchor: dt.date = DEFAULT_ANCHOR,
    seed: int = DEFAULT_SEED,
    level: int = DEFAULT_LEVEL,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Generate demo data (:func:`xl_addin.demo.make_demo`) and write it as an .xlsx
    with the input Tables and Settings (``AsOfDate`` = ``anchor``, ``Language`` = ``lang``).

    ``orders``/``contacts`` of ``None`` take make_demo's defaults (6× and 3× customers).
    The same arguments give the same bytes. Returns ``path``.
    """
    for name, n in (("customers", customers), ("orders", orders), ("contacts", contacts)):
        if n is not None and n + 1 > MAX_ROWS:  # say so before generating a million rows
            raise ValueError(f"{name}: {n:,} rows do not fit on a sheet "
                             f"({MAX_ROWS - 1:,} data rows at most)")
    t0 = time.perf_counter()
    frames = make_demo(customers, orders, contacts, anchor=anchor, seed=seed, lang=lang)
    if progress:
        progress(f"make_demo: {time.perf_counter() - t0:.1f} s")
    return write_input_book(path, frames, lang=lang, as_of=anchor, level=level,
                            progress=progress)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="customerbook demo",
        description="Write a big deterministic demo workbook (.xlsx) for CustomerBook.")
    parser.add_argument("out", help="the .xlsx to write")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_048_575,
                        help="order rows (default 1,048,575: Excel's last row)")
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--lang", choices=["zh-CN", "en"], default="zh-CN")
    parser.add_argument("--anchor", type=dt.date.fromisoformat, default=DEFAULT_ANCHOR,
                        help=f"the demo's today and the Settings AsOfDate "
                             f"(default {DEFAULT_ANCHOR.isoformat()})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--level", type=int, default=DEFAULT_LEVEL, choices=range(10),
                        metavar="0-9", help=f"deflate level (default {DEFAULT_LEVEL})")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - start:6.1f} s] {msg}", file=sys.stderr)

    try:
        path = write_demo_book(args.out, args.customers, args.orders, args.contacts,
                               lang=args.lang, anchor=args.anchor, seed=args.seed,
                               level=args.level, progress=say)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    say(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
