"""Books whose orders sit in the sheet, or beside the workbook in a source, for the
source tests: the same rows both ways, and the output sheets read back as values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import python_calamine as pc
from support.books import write_book

from xl_addin.demo import make_demo
from xl_addin.names import CONTACTS, CUSTOMERS, ORDERS, SheetSpec

AS_OF = dt.date(2026, 3, 31)
OUTPUTS = ("Analysis", "FollowUps", "CallList", "Dashboard", "ModelCheck")


def demo(customers: int = 400, orders: int = 5000, contacts: int = 800,
         seed: int = 7) -> dict[str, pd.DataFrame]:
    """make_demo's data, English, dated up to :data:`AS_OF`."""
    return make_demo(customers, orders, contacts, anchor=AS_OF, seed=seed, lang="en")


def _value(v: Any) -> Any:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def rows(spec: SheetSpec, frame: pd.DataFrame, lang: str = "en") -> list[list[Any]]:
    """A frame of canonical columns as sheet rows, header first (the spec's columns the
    frame has, in the book's language)."""
    cols = [c for c in spec.columns if c.key in frame]
    out = [[c.label(lang) for c in cols]]
    for rec in frame[[c.key for c in cols]].itertuples(index=False):
        out.append([_value(v) for v in rec])
    return out


def settings_rows(lang: str = "en", **extra: Any) -> list[list[Any]]:
    head = ["键", "值"] if lang == "zh-CN" else ["Key", "Value"]
    return [head, ["Language", lang], ["AsOfDate", AS_OF], *([k, v] for k, v in extra.items())]


def book(path: Path, frames: dict[str, pd.DataFrame], *, orders: pd.DataFrame | None = None,
         contacts: pd.DataFrame | None = None, lang: str = "en",
         plans: list[list[Any]] | None = None, **settings: Any) -> Path:
    """A real workbook: Customers, Orders (``orders``: the sheet's rows, default all of
    them), Contacts and Settings (``settings`` added, e.g. OrdersSource=…)."""
    names = {"en": ("Customers", "Orders", "Contacts", "Settings"),
             "zh-CN": ("客户", "订单", "联系记录", "设置")}[lang]
    o = frames["Orders"] if orders is None else orders
    c = frames["Contacts"] if contacts is None else contacts
    sheets = {names[0]: rows(CUSTOMERS, frames["Customers"], lang),
              names[1]: rows(ORDERS, o, lang) if len(o) else [rows(ORDERS, o, lang)[0]],
              names[2]: rows(CONTACTS, c, lang) if len(c) else [rows(CONTACTS, c, lang)[0]],
              names[3]: settings_rows(lang, **settings)}
    if plans:
        sheets["Plans" if lang == "en" else "回访计划"] = plans
    return write_book(path, sheets)


def write_source(frame: pd.DataFrame, path: Path, *, columns: dict[str, str] | None = None,
                 kind: str | None = None) -> Path:
    """``frame`` as a Parquet or CSV file (by the suffix) or a DuckDB database table
    ``orders``, its columns renamed by ``columns``; written with DuckDB."""
    f = frame.rename(columns=columns or {})
    for c in f.columns:  # the demo's dates are datetime64: keep them dates
        if str(f[c].dtype).startswith("datetime64"):
            f[c] = f[c].dt.date
    kind = kind or {".parquet": "parquet", ".csv": "csv", ".duckdb": "duckdb"}[path.suffix]
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "duckdb":
        con = duckdb.connect(str(path))
        con.register("f", f)
        con.execute("CREATE TABLE orders AS SELECT * FROM f")
        con.close()
        return path
    con = duckdb.connect()
    con.register("f", f)
    fmt = "(FORMAT parquet)" if kind == "parquet" else "(FORMAT csv, HEADER true)"
    con.execute(f"COPY (SELECT * FROM f) TO '{path}' {fmt}")
    con.close()
    return path


def outputs(path: Path, sheets: Sequence[str] = OUTPUTS) -> dict[str, list[list[Any]]]:
    """The output sheets' cell values."""
    wb = pc.CalamineWorkbook.from_path(str(path))
    try:
        return {n: wb.get_sheet_by_name(n).to_python() for n in sheets}
    finally:
        wb.close()


def differences(a: dict[str, list[list[Any]]], b: dict[str, list[list[Any]]]) -> list[tuple]:
    """Every cell that differs between two books' output sheets (sheet, row, column)."""
    out = []
    for name in a:
        ra, rb = a[name], b[name]
        if len(ra) != len(rb):
            out.append((name, "rows", len(ra), len(rb)))
        for i, (x, y) in enumerate(zip(ra, rb, strict=False)):
            for j, (u, v) in enumerate(zip(x, y, strict=False)):
                if u != v:
                    out.append((name, i + 1, j + 1, u, v))
    return out
