"""A big input Table typed straight from the file, a column at a time.

python-calamine hands every cell to Python as an object, which the core then types
column by column (:func:`~xl_addin.domain.schema.parse_table`). For a Table of a million
orders most of that time goes on making and sorting the objects. fastexcel reads the
same file with the same engine (calamine) into typed Arrow columns; when every column
the sheet's spec reads holds only cells of the kind it reads (text, numbers, dates)
:func:`~xl_addin.domain.schema.parse_typed_columns` types them without an object per
cell. Anything else — a number in a text column, a sheet without a Table, a reading
that fails — and the sheet is read the usual way, so that every cell is named as
always. What this reading may not see (error cells, merged cells, rows below the Table,
a stray cell far away) the refresh's own scan of the sheet sees, and then the sheet is
read the usual way too (:func:`~xl_addin.excel.files.read_book`).
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from defusedxml import ElementTree as SafeET

from ..domain.schema import (
    PY_SPACES,
    RawTable,
    TypedCells,
    columns_found,
    parse_typed_columns,
)
from ..names import SheetSpec
from . import ooxml
from .ooxml.refs import parse_ref
from .ooxml.xmltext import local
from .reading import epoch

__all__ = ["Reader", "TableCells", "read_table", "typed_table"]

# fastexcel says through Python's logging when a column holds no cell to type it by (it
# reads as blanks, as here): not something for the user's console
_quiet = logging.getLogger("fastexcel")
_quiet.addHandler(logging.NullHandler())
_quiet.setLevel(logging.ERROR)


def _table_columns(path: Path, part: str) -> list[str] | None:
    """The Table's column names as its part lists them (what calamine reads as its
    header), or None when one is escaped or missing."""
    with zipfile.ZipFile(path) as zf:
        root = SafeET.fromstring(zf.read(part))
    names = [el.get("name") for el in root.iter() if local(el.tag) == "tableColumn"]
    if any(n is None or "_x" in n for n in names):
        return None
    return names  # type: ignore[return-value]


#: a text cell that may be blank or have spaces at an end (RE2, as Arrow matches)
_ODD = "^$|^[{0}]|[{0}]$".format("".join(f"\\x{{{ord(c):04x}}}" for c in PY_SPACES))


def _filled_in(values: Any, blank: Any) -> np.ndarray:
    """A fetched column as a plain array, ``blank`` where it was NULL."""
    if not isinstance(values, np.ma.MaskedArray):
        return values
    mask = np.ma.getmaskarray(values)
    out = values.filled(np.zeros((), values.dtype)).astype(values.dtype)
    if mask.any():
        if out.dtype == object:
            out[mask] = None
        else:
            out[mask] = blank
    return out


def _columns(batch: Any, used: list[int], n: int) -> dict[int, TypedCells] | None:
    """The fetched columns as :data:`~xl_addin.domain.schema.TypedCells` (DuckDB reads
    the Arrow columns fastexcel made: no pyarrow needed); None when one is of a kind
    none reads this way."""
    import duckdb

    con = duckdb.connect(":memory:", config={"threads": 1})
    try:
        rel = con.from_arrow(batch)
        names, types = rel.columns, [str(t) for t in rel.types]
        sel, kinds = [], []
        for j, (name, t) in enumerate(zip(names, types, strict=True)):
            q = '"' + name.replace('"', '""') + '"'
            if t == "VARCHAR":
                kinds.append("text")
                sel += [f"{q} AS v{j}", f"coalesce(regexp_matches({q}, $odd), false) AS o{j}"]
            elif t in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "UBIGINT"):
                kinds.append("number")
                sel.append(f"CAST({q} AS DOUBLE) AS v{j}")
            elif t.startswith("TIMESTAMP") or t == "DATE":
                kinds.append("date")
                sel.append(f"CAST({q} AS TIMESTAMP) AS v{j}")
            elif t == '"NULL"' or t == "NULL":
                kinds.append("blank")
            else:
                return None
        data = con.execute(f"SELECT {', '.join(sel) or '1'} FROM rel", {"odd": _ODD}
                           if "text" in kinds else {}).fetchnumpy()
    finally:
        con.close()
    out: dict[int, TypedCells] = {}
    for j, (i, kind) in enumerate(zip(used, kinds, strict=True)):
        if kind == "blank":
            out[i] = ("blank", n)
            continue
        blank = {"text": None, "number": np.nan, "date": np.datetime64("NaT")}[kind]
        values = _filled_in(data[f"v{j}"], blank)
        if len(values) != n:
            return None
        if kind == "text":
            out[i] = ("text", values, _filled_in(data[f"o{j}"], False).astype(bool))
        elif kind == "date" and np.isnat(values).all():
            out[i] = ("blank", n)
        elif kind == "number" and np.isnan(values).all():
            out[i] = ("blank", n)
        else:
            out[i] = (kind, values)
    return out


@dataclass
class TableCells:
    """A Table's columns as read, typed by kind of cell (:func:`read_table`)."""

    raw: RawTable  #: its header and where it stands (no rows)
    first_col: int  #: its first column (0-based)
    name: str  #: the Table's name
    found: dict[str, int]  #: the spec's columns: key -> position in the header
    columns: dict[int, TypedCells]
    n_rows: int

    def typed(self, spec: SheetSpec, read: Collection[str] | None = None
              ) -> tuple[Any, dict[str, str]] | None:
        """:func:`~xl_addin.domain.schema.parse_table`'s result (``read``: only these
        columns), or None when the sheet is to be read the usual way."""
        found = self.found if read is None else {k: i for k, i in self.found.items()
                                                 if k in read}
        return parse_typed_columns(spec, self.raw, found, self.columns, self.n_rows)


class Reader:
    """fastexcel's reader of one workbook, opened when first needed (opening it reads
    the shared strings: once for every sheet read from it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader: Any = None

    def load(self, sheet: str, **kwargs: Any) -> Any:
        if self._reader is None:
            import fastexcel

            self._reader = fastexcel.read_excel(str(self.path))
        return self._reader.load_sheet(sheet, **kwargs)


def read_table(reader: Reader, info: ooxml.BookInfo, sheet: str, spec: SheetSpec,
               table: ooxml.TableInfo | None) -> TableCells | None:
    """The columns of ``sheet``'s ``table`` that ``spec`` reads, each typed by the kind
    of its cells, when each holds one kind (text, numbers or dates); None when the
    sheet is to be read the usual way (no Table, a column of mixed cells …)."""
    if table is None or not table.header_rows or info.date1904:
        return None
    ref = parse_ref(table.ref)
    if ref is None:
        return None
    c1, r1, c2, r2 = ref
    n_rows = r2 - table.totals_rows - r1
    header = _table_columns(reader.path, table.part)
    if header is None or len(header) != c2 - c1 + 1 or n_rows <= 0:
        return None
    raw = RawTable(sheet, r1, list(header), [], epoch(info.date1904))
    found = columns_found(spec, raw)
    if not found:
        return None
    used = sorted(found.values())
    try:
        batch = reader.load(sheet, header_row=None, skip_rows=r1, n_rows=n_rows,
                            use_columns=[c1 - 1 + i for i in used],
                            dtype_coercion="strict", schema_sample_rows=None)
        n = batch.height
        if batch.width != len(used) or not 0 < n <= n_rows:
            return None
        columns = _columns(batch, used, n)
    except Exception:  # a shape or a mix of cells it does not read: the usual way
        return None
    if columns is None:
        return None
    return TableCells(raw, c1 - 1, table.name, found, columns, n)


def typed_table(path: Path, info: ooxml.BookInfo, sheet: str, spec: SheetSpec,
                table: ooxml.TableInfo | None
                ) -> tuple[RawTable, int, str, tuple[Any, dict[str, str]]] | None:
    """``sheet``'s ``table`` read and typed as ``files._raw`` and
    :func:`~xl_addin.domain.schema.parse_table` read and type it when nothing is to be
    said — ``(raw without rows, first column, Table name, (frame, headers))`` — or
    None when it is to be read the usual way."""
    cells = read_table(Reader(path), info, sheet, spec, table)
    typed = cells.typed(spec) if cells is not None else None
    if cells is None or typed is None:
        return None
    return cells.raw, cells.first_col, cells.name, typed
