"""Shared by both doors (live Excel and files): which sheet is which, and the
output tables as header + rows in the workbook's language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..domain.pipeline import JOBS, Outputs
from ..names import (
    ANALYSIS,
    CALLLIST,
    CONTACTS,
    DASHBOARD,
    FOLLOWUPS,
    INPUT_SHEETS,
    MODELCHECK,
    OUTCOMES,
    SheetSpec,
    fold,
    word,
)
from .dashboard import dashboard_layout
from .modelcheck import KINDS, WIDTHS, modelcheck_rows

__all__ = ["OutputTable", "aligned_rows", "contact_rows", "find_sheet", "follow_header",
           "input_candidates", "input_sheets", "output_tables", "row_heights", "text_lines"]

_OUTPUT_SPECS = {s.key: s for s in (ANALYSIS, FOLLOWUPS, CALLLIST, DASHBOARD, MODELCHECK)}


def find_sheet(sheet_names: Iterable[str], spec: SheetSpec) -> str | None:
    """The workbook's sheet for ``spec`` (English, Chinese or alias name), or None."""
    wanted = spec.names()
    for name in sheet_names:
        if fold(name) in wanted:
            return name
    return None


def input_sheets(sheet_names: Sequence[str]) -> dict[str, str | None]:
    """Each input sheet's sheet in the workbook (None: missing)."""
    return {key: hits[0] if hits else None for key, hits in input_candidates(sheet_names).items()}


def input_candidates(sheet_names: Sequence[str]) -> dict[str, list[str]]:
    """Every sheet that could be each input sheet, in tab order. A door reads the first
    and tells the core about the others (``RawTable.also``), which refuses the book
    rather than guess between ``Customers`` and ``客户``."""
    return {spec.key: [name for name in sheet_names if fold(name) in spec.names()]
            for spec in INPUT_SHEETS}


@dataclass
class OutputTable:
    key: str                 # canonical sheet key
    name: str                # sheet name to write (existing or new, in the book's language)
    rows: list[list[Any]]    # header first (except Dashboard)
    kinds: list[str]
    widths: list[float]
    header: bool = True
    row_breaks: list[int] | None = None
    row_height: float | None = None
    #: height in points of each data row (None: the default height)
    row_heights: list[float] | None = None
    #: the number format of single cells (row by row; None: the column's)
    cell_kinds: list[list[str | None]] | None = None
    #: rows used by each block a chart reads: {first row: rows}
    chart_rows: dict[int, int] | None = None


def _cell(v: Any) -> Any:
    """A value as a cell takes it: None for missing, plain Python scalars, dates."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().date() if v == v.normalize() else v.to_pydatetime()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else _cell(pd.Timestamp(v))
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def column_cells(series: pd.Series) -> list[Any]:
    """``_cell`` of every value of a column, a column at a time for the common dtypes."""
    kind = series.dtype.kind
    numpy_dtype = isinstance(series.dtype, np.dtype)
    if kind == "f":
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
        cells = x.tolist()
        for i in np.flatnonzero(~np.isfinite(x)):
            cells[i] = None
        return cells
    if kind in "iub" and numpy_dtype:
        return series.to_numpy().tolist()
    if kind == "M":
        stamps = series.dt.tz_localize(None) if series.dt.tz is not None else series
        missing = stamps.isna().to_numpy()
        midnight = (stamps == stamps.dt.normalize()).to_numpy() | missing
        if midnight.all():  # dates: what nearly every date column holds
            cells = stamps.dt.date.to_numpy(dtype=object).tolist()
        else:
            cells = [_cell(v) for v in stamps]
        for i in np.flatnonzero(missing):
            cells[i] = None
        return cells
    return [v if v.__class__ is str else _cell(v) for v in series.tolist()]


def frame_rows(frame: pd.DataFrame, spec: SheetSpec, lang: str) -> list[list[Any]]:
    header = [c.label(lang) for c in spec.columns]
    cols = [column_cells(frame[c.key]) for c in spec.columns]
    body = list(map(list, zip(*cols, strict=True))) if len(frame) else []
    return [header, *body]


def output_tables(outputs: Outputs, job: str, sheet_names: Sequence[str]) -> list[OutputTable]:
    """The sheets ``job`` writes, each matched to an existing sheet or named anew."""
    lang = outputs.lang
    frames = {"Analysis": outputs.analysis, "FollowUps": outputs.followups,
              "CallList": outputs.calllist}
    tables = []
    for key in JOBS[job]:
        spec = _OUTPUT_SPECS[key]
        name = find_sheet(sheet_names, spec) or spec.label(lang)
        if key == "Dashboard":
            layout = dashboard_layout(outputs.dashboard, lang)
            rows = [[_cell(v) for v in r] for r in layout.rows]
            # row 1 is the title: it keeps the style the sheet gives it, like a header
            tables.append(OutputTable(key, name, rows, ["text", "number", "money", "percent"],
                                      [40, 24, 24, 15], cell_kinds=layout.kinds,
                                      chart_rows=layout.chart_rows))
            continue
        if key == "ModelCheck":
            rows = [[_cell(v) for v in r] for r in modelcheck_rows(outputs.modelcheck, lang)]
            tables.append(OutputTable(key, name, rows, KINDS, WIDTHS))
            continue
        breaks = owner_page_breaks(outputs.calllist["Owner"]) if key == "CallList" else None
        # the call list and follow-ups wrap their text: each row as tall as its text (the
        # analysis, up to Excel's row limit, keeps one line a row)
        heights = row_heights(frames[key], spec) if key in _WRAPPED else None
        tables.append(OutputTable(key, name, frame_rows(frames[key], spec, lang),
                                  [c.kind if c.kind != "outcome" else "text" for c in spec.columns],
                                  [c.width for c in spec.columns], row_breaks=breaks,
                                  row_heights=heights))
    return tables


_WRAPPED = {"CallList", "FollowUps"}
#: characters drawn two columns wide: CJK ideographs and symbols, kana, hangul, full-width
_WIDE = ("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
         "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60"
         "\uffe0-\uffe6]")
_LINE_PT = {False: 15.0, True: 15.5}  #: one line of 11 pt text: Latin, with CJK glyphs
_PAD_PT = 3.0


def text_lines(values: pd.Series, width: float) -> tuple[np.ndarray, np.ndarray]:
    """How many lines each text takes wrapped in a column ``width`` characters wide, and
    whether it holds CJK text: a column at a time (CJK characters count double, Latin
    text a little more than its length for the words that do not fill a line)."""
    # each distinct text measured once (a column repeats its reasons, owners, names)
    codes, uniques = pd.factorize(values.astype("string").fillna(""))
    text = pd.Series(uniques, dtype="string")
    n = text.str.len().to_numpy(dtype=float, na_value=0.0)
    wide = text.str.count(_WIDE).to_numpy(dtype=float, na_value=0.0)
    breaks = text.str.count("\n").to_numpy(dtype=float, na_value=0.0)
    units = (n - wide - breaks) * 1.1 + wide * 2.1
    per_line = max(float(width) - 1.5, 1.0)
    lines = np.maximum(np.ceil(units / per_line), 1.0) + breaks
    return lines[codes], (wide > 0)[codes]


def row_heights(frame: pd.DataFrame, spec: SheetSpec) -> list[float]:
    """Each row's height in points, from the wrapped text of its text columns: Excel
    does not grow a row for wrapped text written to a file, so the writer sets it."""
    lines = np.ones(len(frame))
    cjk = np.zeros(len(frame), dtype=bool)
    for c in spec.columns:
        if c.kind != "text" or c.key not in frame:
            continue
        n, wide = text_lines(frame[c.key], c.width)
        lines = np.maximum(lines, n)
        cjk |= wide
    line = np.where(cjk, _LINE_PT[True], _LINE_PT[False])
    return (np.round((lines * line + _PAD_PT) * 4) / 4).tolist()


def follow_header(table: OutputTable, header: Sequence[Any] | None) -> OutputTable:
    """``table`` in the column order of an existing sheet's ``header`` when that header
    holds the same columns in another order (an older layout, or one the user arranged):
    the sheet's widths, formats, dropdowns and the user's formulas stay on their columns."""
    if not header or not table.header or not table.rows:
        return table
    ours = [fold(h) for h in table.rows[0]]
    theirs = [fold(h) for h in header]
    if theirs == ours or sorted(theirs) != sorted(ours) or len(set(ours)) != len(ours):
        return table
    order = [ours.index(h) for h in theirs]
    return OutputTable(table.key, table.name, [[r[i] for i in order] for r in table.rows],
                       [table.kinds[i] for i in order], [table.widths[i] for i in order],
                       table.header, table.row_breaks, table.row_height, table.row_heights,
                       table.cell_kinds, table.chart_rows)


def owner_page_breaks(owners: pd.Series) -> list[int]:
    """Excel rows after which a printed page ends: the last row of each owner's block
    (row 1 is the header, repeated on every page), so each owner gets their own pages."""
    values = owners.fillna("").tolist()
    return [i + 2 for i in range(len(values) - 1) if values[i] != values[i + 1]]


def contact_rows(new_contacts: pd.DataFrame, header: Sequence[Any], lang: str) -> list[list[Any]]:
    """New Contacts rows aligned to the Contacts sheet's own header (any order/names)."""
    if new_contacts is None or not len(new_contacts):
        return []
    where = {}
    for i, h in enumerate(header):
        for c in CONTACTS.columns:
            if fold(h) in c.names() and c.key not in where:
                where[c.key] = i
    rows = []
    for rec in new_contacts.to_dict("records"):
        row: list[Any] = [None] * len(header)
        for key, i in where.items():
            v = rec.get(key)
            if key == "Outcome" and isinstance(v, str):
                v = word(OUTCOMES, v, lang)
            row[i] = _cell(v)
        rows.append(row)
    return rows


def aligned_rows(header: list[Any], spec: SheetSpec, frame: Any) -> list[list[Any]]:
    """The rows of ``frame`` (canonical column names) under a sheet's own header: each
    value in the column whose header names it (any of its names, case and spaces
    ignored); the sheet's other columns blank. A column the sheet lacks is left out."""
    where: dict[str, int] = {}
    for i, h in enumerate(header):
        for c in spec.columns:
            if fold(h) in c.names() and c.key not in where:
                where[c.key] = i
    width = max(len(header), 1)
    rows = [[None] * width for _ in range(len(frame))]
    for key, i in where.items():
        if key in frame:
            for row, v in zip(rows, column_cells(frame[key]), strict=True):
                row[i] = v
    return rows
