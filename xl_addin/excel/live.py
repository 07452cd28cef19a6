"""The live door: a workbook open in Excel, through xlwings (Windows/macOS only).

Reads the same :class:`RawTable` shapes as the file door and writes the same output
tables, so both doors run the identical core. Everything here needs Excel; the pure
helpers (:func:`rows_from_values`, :func:`excel_safe`) are tested headless.

Excel-only behaviour (documented in the README, checked by hand in Excel):
reading ListObjects/used ranges, writing ranges, resizing the Contacts table, the
status bar and message boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..domain.schema import RawTable
from ..names import CALLLIST, CUSTOMERS, INPUT_SHEETS, ORDERS, SheetSpec, fold
from .reading import epoch, header_at, mark_unreadable
from .sheets import aligned_rows, find_sheet, input_candidates

__all__ = ["LiveBook", "excel_safe", "rows_from_values", "text_safe"]

_FORMULA_START = ("=", "+", "-", "@")
_EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                 "#CALC!", "#GETTING_DATA"}


def excel_safe(value: Any) -> Any:
    """A value that Excel will store as typed: text that looks like a formula gets the
    apostrophe prefix (Excel keeps it as text and hides the apostrophe)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def text_safe(value: Any) -> Any:
    """Text Excel must keep as text (a phone, an order number, an ID): with the
    apostrophe prefix when Excel would otherwise turn it into a number or a date
    (``13800138000``, a 19-digit order number, ``2026-03-05``) or a formula."""
    if isinstance(value, str) and value[:1] and (value[0].isdigit() or value[0] in "+-=@."):
        return "'" + value
    return value


def rows_from_values(sheet: str, top_row: int, values: Any,
                     spec: SheetSpec | None = None) -> tuple[RawTable, int]:
    """A RawTable from a 2-D block read at ``top_row``; the header is the first row that
    holds ``spec``'s required columns (title rows above it are left out), else the first
    non-empty row. Returns the table and the number of leading empty columns."""
    block = [list(r) if isinstance(r, list | tuple) else [r] for r in (values or [])]
    if block and not isinstance(values[0], list | tuple):
        block = [list(values)]
    start = next((i for i, r in enumerate(block) if any(v not in (None, "") for v in r)), None)
    if start is None:
        return RawTable(sheet, top_row, [], []), 0
    start += header_at(block[start:], spec)
    lead = min((next((j for j, v in enumerate(r) if v not in (None, "")), len(r))
                for r in block[start:] if any(v not in (None, "") for v in r)), default=0)
    body = [r[lead:] for r in block[start:]]
    return RawTable(sheet, top_row + start, body[0], body[1:]), lead


class LiveBook:
    """Adapter over ``xlwings.Book`` (from ``xw.Book.caller()``)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.sheet_names = [s.name for s in book.sheets]
        try:  # Excel's Workbook.Date1904 (old Mac workbooks count days from 1904)
            date1904 = bool(book.api.Date1904)
        except Exception:  # not Excel's COM object (macOS, a stand-in): the 1900 system
            date1904 = False
        self.epoch = epoch(date1904)
        self.tables: dict[str, Any] = {}  # input sheet key -> its ListObject (or None)
        self.left: dict[str, int] = {}  # sheet -> the column its header starts in
        try:  # the workbook's folder (Settings OrdersSource is relative to it)
            self.folder: Path | None = Path(book.fullname).parent
        except Exception:  # a stand-in without a file name
            self.folder = None

    def _read(self, name: str, spec: SheetSpec) -> tuple[RawTable, Any]:
        names = spec.names()
        sheet = self.book.sheets[name]
        tables = list(sheet.tables)
        table = next((t for t in tables if fold(t.name) in names),
                     tables[0] if len(tables) == 1 else None)
        rng = table.range if table is not None else sheet.used_range
        values = rng.options(ndim=2, err_to_str=True).value
        raw, lead = rows_from_values(name, rng.row, values, spec)
        self.left[name] = rng.column + lead  # the header's first column
        raw.epoch = self.epoch
        errors = {
            (raw.header_row + 1 + i, j): v
            for i, r in enumerate(raw.rows) for j, v in enumerate(r)
            if isinstance(v, str) and v in _EXCEL_ERRORS
        }
        mark_unreadable(raw, errors, ())
        return raw, table

    def read(self) -> tuple[dict[str, RawTable | None], RawTable | None, Any]:
        specs = {s.key: s for s in INPUT_SHEETS}
        raw: dict[str, RawTable | None] = {}
        contacts_table = None
        for key, names in input_candidates(self.sheet_names).items():
            if not names:
                raw[key] = None
                continue
            raw[key], table = self._read(names[0], specs[key])
            raw[key].also = names[1:]
            self.tables[key] = table
            if key == "Contacts":
                contacts_table = table
        calls = find_sheet(self.sheet_names, CALLLIST)
        call_raw = self._read(calls, CALLLIST)[0] if calls else None
        return raw, call_raw, contacts_table

    def read_mapping(self) -> RawTable | None:
        """The Mapping sheet (导入映射), when the book has one."""
        from ..imports.mapping import MAPPING_SHEET

        name = find_sheet(self.sheet_names, MAPPING_SHEET)
        if name is None:
            return None
        raw, self.tables["Mapping"] = self._read(name, MAPPING_SHEET)
        return raw

    @property
    def name(self) -> str:
        return str(self.book.name)

    def pick_file(self, title: str, kinds: str) -> str | None:
        """A file the user picks in Excel's own Open dialog (``Application.GetOpenFilename``;
        ``kinds`` its filter, e.g. ``"Exports (*.csv;*.xlsx),*.csv;*.xlsx"``); None when
        the dialog is closed without one."""
        try:
            got = self.book.app.api.GetOpenFilename(kinds, 1, title)
        except AttributeError:  # macOS: AppleScript's chooser through xlwings' appscript
            got = self.book.app.api.get_open_filename(file_filter=kinds, title=title)
        if got in (None, False, "False", "") or not isinstance(got, str):
            return None
        return got

    def confirm(self, text: str, title: str = "CustomerBook") -> bool:
        """An OK / Cancel message box: whether the user chose OK."""
        return str(self.book.app.alert(text, title=title, buttons="ok_cancel")).lower() == "ok"

    def append_import(self, raw: dict[str, RawTable | None], mapping: RawTable | None,
                      orders: Any, customers: Any, mapping_rows: Sequence[Sequence[Any]],
                      lang: str) -> str | None:
        """An import's new rows appended below the Customers, Orders and Mapping tables
        (each under its own header; the Mapping sheet made when the book has none).
        Returns the Mapping sheet's name when mapping rows were written."""
        import pandas as pd

        from ..imports.mapping import MAPPING_SHEET

        text = {c.key for spec in (CUSTOMERS, ORDERS) for c in spec.columns
                if c.kind in ("id", "text")} | {c.key for c in MAPPING_SHEET.columns}
        for key, spec, frame in (("Customers", CUSTOMERS, customers), ("Orders", ORDERS, orders)):
            table = raw.get(key)
            if frame is None or not len(frame) or table is None:
                continue
            cols = [i for i, h in enumerate(table.header)
                    if any(fold(h) in c.names() for c in spec.columns if c.key in text)]
            rows = aligned_rows(table.header, spec, frame)
            for r in rows:
                for i in cols:
                    r[i] = text_safe(r[i])
            self.append_rows(table, self.tables.get(key), rows)
        if not mapping_rows:
            return None
        if mapping is None:
            name = MAPPING_SHEET.label(lang)
            self.write_table(name, [[c.label(lang) for c in MAPPING_SHEET.columns],
                                    *[[text_safe(v) for v in r] for r in mapping_rows]])
            return name
        frame = pd.DataFrame([list(r) for r in mapping_rows],
                             columns=[c.key for c in MAPPING_SHEET.columns])
        rows = [[text_safe(v) for v in r] for r in aligned_rows(mapping.header, MAPPING_SHEET,
                                                                frame)]
        self.append_rows(mapping, self.tables.get("Mapping"), rows)
        return mapping.sheet

    def status(self, text: str | None) -> None:
        self.book.app.status_bar = text or False

    def alert(self, text: str, title: str = "CustomerBook") -> None:
        self.book.app.alert(text, title=title)

    def write_table(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        if name not in self.sheet_names:
            self.book.sheets.add(name, after=self.book.sheets[-1])
            self.sheet_names.append(name)
        sheet = self.book.sheets[name]
        sheet.used_range.clear_contents()
        if rows:
            sheet.range("A1").value = [[excel_safe(v) for v in r] for r in rows]

    def append_contacts(self, raw: RawTable, table: Any, rows: Sequence[Sequence[Any]]) -> None:
        self.append_rows(raw, table, rows)

    def append_rows(self, raw: RawTable, table: Any, rows: Sequence[Sequence[Any]]) -> None:
        """``rows`` below a table's data (the ListObject resized to take them)."""
        if not rows:
            return
        sheet = self.book.sheets[raw.sheet]
        if table is not None:
            top = table.range.row
            left = table.range.column
            last = top + table.range.rows.count - 1
            sheet.range((last + 1, left)).value = [[excel_safe(v) for v in r] for r in rows]
            table.resize(sheet.range((top, left),
                                     (last + len(rows), left + table.range.columns.count - 1)))
        else:
            last = raw.header_row + len(raw.rows)
            sheet.range((last + 1, self.left.get(raw.sheet, 1))).value = [[excel_safe(v) for v in r] for r in rows]
