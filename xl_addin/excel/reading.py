"""What both doors do to cells before the core reads them: Excel's cell semantics.

A door reads a sheet into a :class:`~xl_addin.domain.schema.RawTable`. What only a
spreadsheet knows is settled here, so that the core sees plain values:

* **date system** — a number typed in a date column is a day number counted from the
  workbook's epoch: 1899-12-30 in the 1900 system (Windows Excel, LibreOffice), 1904-01-01
  in the 1904 system (old Mac workbooks). The table's ``epoch`` says which.
* **title rows** — a sheet without a Table may have a title or a note above its header:
  the header is the first row holding the sheet's required columns (:func:`header_at`).
* **error cells** (``#N/A``, ``#REF!`` …, which calamine shows as blanks) and the hidden
  cells of **merged ranges** (blank but for the first) become
  :class:`~xl_addin.domain.schema.Unreadable` values in place, so that the core names
  them wherever it reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from ..domain.schema import RawTable, Unreadable, blank
from ..errors import Reason
from ..names import SheetSpec, fold

__all__ = ["EPOCH_1900", "EPOCH_1904", "epoch", "header_at", "mark_unreadable"]

#: the day a day number counts from, in Excel's two date systems
EPOCH_1900 = dt.date(1899, 12, 30)
EPOCH_1904 = dt.date(1904, 1, 1)


def epoch(date1904: bool) -> dt.date:
    """The epoch of a workbook's date system."""
    return EPOCH_1904 if date1904 else EPOCH_1900


def mark_unreadable(table: RawTable, errors: Mapping[tuple[int, int], str],
                    merged: Iterable[tuple[str, int, int, int, int]],
                    uncached: Iterable[tuple[int, int]] = ()) -> RawTable:
    """Put :class:`Unreadable` values into ``table`` where its cells hold an Excel error
    (``errors``: (Excel row, index into the header) -> the error's text), a formula saved
    without its value (``uncached``: (Excel row, index)), or are hidden by a merged range
    (``merged``: (ref, first row, first index, last row, last index), Excel rows: whatever
    a hidden cell holds is out of sight; in the header row too). Returns ``table``."""
    rows, first = table.rows, table.header_row + 1
    marks = [((r, c), Unreadable(Reason.ERROR_VALUE, text)) for (r, c), text in errors.items()]
    marks += [((r, c), Unreadable(Reason.UNCACHED_FORMULA)) for r, c in uncached]
    for (r, c), mark in marks:
        i = r - first
        if i < 0 or c < 0:
            continue
        while len(rows) <= i:  # a cell below the last row with a value
            rows.append([])
        _put(rows[i], c, mark)
    header = table.header
    for ref, r1, c1, r2, c2 in merged:
        mark = Unreadable(Reason.MERGED_CELLS, ref, r1)
        if r1 <= table.header_row <= r2:  # a header cell hidden by the merge
            for c in range(max(c1, 0), min(c2, len(header) - 1) + 1):
                if (table.header_row, c) != (r1, c1):
                    header[c] = mark
        for r in range(max(r1, first), min(r2, first + len(rows) - 1) + 1):
            row = rows[r - first]
            for c in range(max(c1, 0), c2 + 1):
                if (r, c) != (r1, c1):
                    _put(row, c, mark)
    return table


def _put(row: list, c: int, value: Unreadable) -> None:
    if c >= len(row):
        row.extend([None] * (c + 1 - len(row)))
    row[c] = value


#: how far down a header row is looked for (title and note rows above it)
HEADER_SEARCH_ROWS = 30


def header_at(rows: Sequence[Sequence[object]], spec: SheetSpec | None) -> int:
    """The index of the header among ``rows`` (a sheet's first rows, top down): the first
    row that names every required column of ``spec`` (in any of their names), else the
    first row that holds anything."""
    first = next((i for i, r in enumerate(rows) if any(not blank(v) for v in r)), 0)
    required = [c.names() for c in spec.columns if c.required] if spec is not None else []
    if not required:
        return first
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {fold(v) for v in row if not blank(v)}
        if all(names & wanted for wanted in required):
            return i
    return first
