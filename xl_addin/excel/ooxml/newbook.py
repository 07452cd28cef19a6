"""New workbooks of Excel Tables at Excel's row limit, written fast.

A :class:`NewBook` turns columns of a data frame into sheets of one Table each and
writes them as an ``.xlsx`` in one pass, with the package's own parts (styles, table,
workbook, relationships, content types, the zip writer):

* every text cell is a shared string (``t="s"``; never a formula, never an inline
  string); the shared-string table is built with :func:`pandas.factorize` up front;
* dates are serial numbers with a ``yyyy-mm-dd`` number format, money ``#,##0.00``;
* rows and cells carry their ``r`` references, blanks are simply absent;
* the rows are rendered in chunks with one ``%``-template per pattern of blank cells
  (a C-level format call per row instead of a Python call per cell), and a second
  thread deflates and writes each chunk while the next one is rendered;
* the zip is deterministic: fixed member order and timestamps, so the same input gives
  the same bytes.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from .package import NS_DOC_REL, NS_MAIN
from .parts import (
    CT_APP,
    CT_CORE,
    CT_SHEET,
    CT_SST,
    CT_STYLES,
    CT_TABLE,
    CT_WORKBOOK,
    REL_CORE,
    XML_HEAD,
    app_props_xml,
    content_types_xml,
    core_props_xml,
    relationship,
    relationships_xml,
    workbook_xml,
)
from .refs import NEEDS_ESCAPE, col_letter, date_serial, date_serials, escape_text
from .styles import Styles
from .table import new_table_xml, table_names
from .worksheet import sheet_end, sheet_start
from .zipout import ZipOut

__all__ = ["Column", "NewBook", "NewSheet", "SharedStrings"]

_CHUNK_ROWS = 32_768  # rows rendered (and deflated) at a time
_NUMBER_KINDS = {"money", "number", "int", "percent"}


@dataclass
class Column:
    """One column ready to render: ``values`` (ints or floats) and where cells are blank."""

    letter: str
    cell: str  #: %-template of one cell, e.g. ``'<c r="B%d" t="s"><v>%d</v></c>'``
    values: np.ndarray
    missing: np.ndarray | None  #: None: no blank cell in the column


@dataclass
class NewSheet:
    """A sheet holding one Table from A1: a header row of shared strings, then the data."""

    name: str
    table: str
    header: list[str]
    codes: list[int]  #: the header texts' shared-string codes
    columns: list[Column]
    widths: list[float]
    n_rows: int  #: data rows


class SharedStrings:
    """The shared-string table, built column by column with :func:`pandas.factorize`."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._chunks: list[np.ndarray] = []
        self.count = 0  #: cells referring to the table

    def __len__(self) -> int:
        return len(self._index)

    def add_one(self, text: str) -> int:
        """The code of one cell's text (added to the table if new)."""
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
        """The sharedStrings part, in chunks of 200,000 strings."""
        n = len(self._index)
        yield (XML_HEAD + f'<sst xmlns="{NS_MAIN[0]}" count="{self.count}" '
               f'uniqueCount="{n}">').encode()
        for chunk in self._chunks:
            for start in range(0, len(chunk), 200_000):
                part = chunk[start:start + 200_000].tolist()
                text = "\n".join(part)
                if NEEDS_ESCAPE(text):
                    part = [escape_text(s) for s in part]
                plain = "<si><t>%s</t></si>"
                spaced = '<si><t xml:space="preserve">%s</t></si>'
                yield "".join([(plain if s == s.strip() else spaced) % s for s in part]).encode()
        yield b"</sst>"


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


class NewBook:
    """A new workbook being put together: the shared strings and the styles every sheet
    uses (General, date, money, bold header, number), and the columns of its sheets."""

    def __init__(self, path: Path) -> None:
        self.sst = SharedStrings()
        self.styles = Styles(None, NS_MAIN[0], path)
        st = self.styles
        self.style = {"date": st.xf_for(st.numfmt("yyyy\\-mm\\-dd")),
                      "money": st.xf_for(st.numfmt("#,##0.00")),
                      "header": st.bold(), "number": st.xf_for(2)}

    def column(self, series: pd.Series, kind: str, j: int) -> Column:
        """Column ``j`` (0: A) of values of a column kind (see :mod:`.refs`)."""
        letter = col_letter(j + 1)
        if kind == "date":
            stamps = pd.to_datetime(series)
            missing = stamps.isna().to_numpy()
            ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
            days, rest = np.divmod(ns, 86_400 * 10**9)
            serial = date_serials(days)
            if ((serial < 1) & ~missing).any():
                raise ValueError(f"{series.name}: dates before 1900-01-01 cannot be Excel dates")
            s = self.style["date"]
            if (rest[~missing] != 0).any():  # a time of day: a fractional serial
                values = np.where(missing, 0.0, serial + rest / 86_400e9)
                cell = f'<c r="{letter}%d" s="{s}"><v>%r</v></c>'
            else:
                values = np.where(missing, 0, serial)
                cell = f'<c r="{letter}%d" s="{s}"><v>%d</v></c>'
            return Column(letter, cell, values, missing if missing.any() else None)
        if kind in _NUMBER_KINDS:
            numbers = pd.to_numeric(series).to_numpy(dtype=float)
            missing = ~np.isfinite(numbers)
            style = self.style["money"] if kind == "money" else (
                self.style["number"] if kind == "number" else 0)
            s = f' s="{style}"' if style else ""
            integral = not missing.all() and np.array_equal(numbers[~missing],
                                                            np.round(numbers[~missing]))
            if integral and np.abs(numbers[~missing]).max(initial=0) < 2**53:
                values = np.where(missing, 0, numbers).astype(np.int64)
                cell = f'<c r="{letter}%d"{s}><v>%d</v></c>'
            else:
                values = np.where(missing, 0.0, numbers)
                cell = f'<c r="{letter}%d"{s}><v>%r</v></c>'
            return Column(letter, cell, values, missing if missing.any() else None)
        codes, missing = self.sst.add_column(_text_values(series, kind))
        return Column(letter, f'<c r="{letter}%d" t="s"><v>%d</v></c>', codes, missing)

    def mixed_column(self, values: Sequence[Any], j: int) -> Column:
        """A small column of mixed values: every cell carries its own ready-made XML."""
        letter = col_letter(j + 1)
        cells = []
        for v in values:
            if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
                cells.append(None)
            elif isinstance(v, dt.date):
                serial = date_serial(v)
                if serial is None:
                    raise ValueError(f"{v}: dates before 1900-01-01 cannot be Excel dates")
                cells.append(f' s="{self.style["date"]}"><v>{serial}</v>')
            elif isinstance(v, bool):
                cells.append(f' t="b"><v>{int(v)}</v>')
            elif isinstance(v, int | float):
                cells.append(f"><v>{v!r}</v>")
            else:
                cells.append(f' t="s"><v>{self.sst.add_one(str(v))}</v>')
        missing = np.array([c is None for c in cells])
        arr = np.array([c or "" for c in cells], dtype=object)
        return Column(letter, f'<c r="{letter}%d"%s</c>', arr,
                      missing if missing.any() else None)

    def write(self, fh: BinaryIO, sheets: Sequence[NewSheet], created: dt.datetime, *,
              level: int, progress: Callable[[str], None]) -> None:
        """The package of ``sheets`` onto ``fh``, stamped ``created`` (never the clock)."""
        stamp = (max(created.year, 1980), created.month, created.day, 0, 0, 0)
        out = ZipOut(fh)

        def member(name: str, chunks: Iterator[bytes] | Sequence[bytes]) -> None:
            zi = zipfile.ZipInfo(name, date_time=stamp)
            zi.external_attr = 0o600 << 16
            out.write(zi, chunks, level)

        try:
            for name, text in _package_parts(self.styles, sheets, created):
                member(name, [text.encode()])
            for i, sheet in enumerate(sheets, start=1):
                t0 = time.perf_counter()
                member(f"xl/worksheets/sheet{i}.xml", _sheet_chunks(sheet, self.style["header"]))
                progress(f"{sheet.name}: {sheet.n_rows:,} rows rendered in "
                         f"{time.perf_counter() - t0:.1f} s")
            for i, sheet in enumerate(sheets, start=1):
                member(f"xl/worksheets/_rels/sheet{i}.xml.rels", [relationships_xml(
                    [relationship("rId1", NS_DOC_REL + "/table", f"../tables/table{i}.xml")]
                ).encode()])
                member(f"xl/tables/table{i}.xml", [_table_xml(sheet, i).encode()])
            member("xl/sharedStrings.xml", self.sst.xml_chunks())
            out.close()
        except BaseException:
            out.abort()
            raise


def _package_parts(styles: Styles, sheets: Sequence[NewSheet],
                   created: dt.datetime) -> list[tuple[str, str]]:
    """The parts before the sheets, in the order they are written."""
    n, rel = len(sheets), NS_DOC_REL + "/"
    overrides = [("xl/workbook.xml", CT_WORKBOOK), ("xl/styles.xml", CT_STYLES),
                 ("xl/sharedStrings.xml", CT_SST), ("docProps/core.xml", CT_CORE),
                 ("docProps/app.xml", CT_APP)]
    for i in range(1, n + 1):
        overrides += [(f"xl/worksheets/sheet{i}.xml", CT_SHEET),
                      (f"xl/tables/table{i}.xml", CT_TABLE)]
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        ("[Content_Types].xml", content_types_xml(overrides)),
        ("_rels/.rels", relationships_xml([
            relationship("rId1", rel + "officeDocument", "xl/workbook.xml"),
            relationship("rId2", REL_CORE, "docProps/core.xml"),
            relationship("rId3", rel + "extended-properties", "docProps/app.xml")])),
        ("docProps/app.xml", app_props_xml("CustomerBook")),
        ("docProps/core.xml", core_props_xml("CustomerBook demo", "CustomerBook", stamp)),
        ("xl/workbook.xml", workbook_xml(NS_MAIN[0], [s.name for s in sheets])),
        ("xl/_rels/workbook.xml.rels", relationships_xml(
            [relationship(f"rId{i}", rel + "worksheet", f"worksheets/sheet{i}.xml")
             for i in range(1, n + 1)]
            + [relationship(f"rId{n + 1}", rel + "styles", "styles.xml"),
               relationship(f"rId{n + 2}", rel + "sharedStrings", "sharedStrings.xml")])),
        ("xl/styles.xml", styles.render()),
    ]


def _render(columns: list[Column], first: int, start: int, stop: int) -> str:
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


def _sheet_chunks(sheet: NewSheet, header_style: int) -> Iterator[bytes]:
    last_col = col_letter(len(sheet.columns))
    cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w:g}" customWidth="1"/>'
                   for j, w in enumerate(sheet.widths))
    head = "".join(f'<c r="{col_letter(j + 1)}1" s="{header_style}" t="s"><v>{code}</v></c>'
                   for j, code in enumerate(sheet.codes))
    dim = f"A1:{last_col}{max(sheet.n_rows + 1, 1)}"
    yield (sheet_start(NS_MAIN[0], NS_DOC_REL, dim, True, f"<cols>{cols}</cols>")
           + f'<sheetData><row r="1">{head}</row>').encode()
    for start in range(0, sheet.n_rows, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, sheet.n_rows)
        yield _render(sheet.columns, 2, start, stop).encode("utf-8")
    yield ("</sheetData>" + sheet_end(["rId1"])).encode()


def _table_xml(sheet: NewSheet, table_id: int) -> str:
    ref = f"A1:{col_letter(len(sheet.columns))}{max(sheet.n_rows + 1, 2)}"
    return new_table_xml(NS_MAIN[0], table_id, sheet.table, ref, table_names(sheet.header))
