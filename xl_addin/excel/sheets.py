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
from .dashboard import dashboard_rows
from .modelcheck import KINDS, WIDTHS, modelcheck_rows

__all__ = ["OutputTable", "aligned_rows", "contact_rows", "find_sheet", "input_candidates", "input_sheets",
           "output_tables"]

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
            rows = [[_cell(v) for v in r] for r in dashboard_rows(outputs.dashboard, lang)]
            # row 1 is the title: it keeps the style the sheet gives it, like a header
            tables.append(OutputTable(key, name, rows, ["text", "number", "money", "percent"],
                                      [22, 16, 14, 12]))
            continue
        if key == "ModelCheck":
            rows = [[_cell(v) for v in r] for r in modelcheck_rows(outputs.modelcheck, lang)]
            tables.append(OutputTable(key, name, rows, KINDS, WIDTHS))
            continue
        breaks = owner_page_breaks(outputs.calllist["Owner"]) if key == "CallList" else None
        tables.append(OutputTable(key, name, frame_rows(frames[key], spec, lang),
                                  [c.kind if c.kind != "outcome" else "text" for c in spec.columns],
                                  [c.width for c in spec.columns], row_breaks=breaks,
                                  # three lines: the wrapped script shows in full
                                  row_height=45.0 if key == "CallList" else None))
    return tables


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
