"""Big demo workbooks at Excel's row limit, written fast.

    python -m xl_addin.bigbook OUT.xlsx --customers 100000 --orders 1048575 --contacts 200000

:func:`write_demo_book` generates the three input sheets with :func:`xl_addin.demo.make_demo`
(vectorised, deterministic) and writes an ``.xlsx`` with the sheets Customers, Orders,
Contacts and Settings (客户 / 订单 / 联系记录 / 设置 for ``zh-CN``), each an Excel Table,
ready for ``customerbook refresh``. Settings carries the demo's anchor as ``AsOfDate``,
so a refresh of the same book always gives the same result.

Why not xlsxwriter? It needs ~70 µs a row (a million-row Orders sheet takes over a
minute) and cannot add a Table in ``constant_memory`` mode, while the normal mode keeps
every cell in memory. The book is written by :mod:`xl_addin.excel.ooxml.newbook`, the
product's own SpreadsheetML writer: shared strings, one ``%``-template per pattern of
blank cells, and a second thread deflating each chunk while the next is rendered. The
zip is deterministic, so the same arguments give the same bytes.

The result opens in python-calamine (tables found by name), openpyxl (also read-only),
LibreOffice and Excel.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .demo import DEFAULT_ANCHOR, DEFAULT_SEED, make_demo
from .excel.ooxml.newbook import NewBook, NewSheet
from .excel.ooxml.refs import MAX_ROWS
from .names import CONTACTS, CUSTOMERS, ORDERS, SETTINGS_SHEET, SheetSpec

__all__ = ["MAX_ROWS", "main", "write_demo_book", "write_input_book"]

DEFAULT_LEVEL = 6  #: deflate level (zlib's default, what Excel-sized files usually get)


def _frame_sheet(spec: SheetSpec, frame: pd.DataFrame, lang: str, book: NewBook,
                 codes: list[int]) -> NewSheet:
    if len(frame) + 1 > MAX_ROWS:
        raise ValueError(f"{spec.key}: {len(frame):,} rows do not fit on a sheet "
                         f"({MAX_ROWS - 1:,} data rows at most)")
    header = [c.label(lang) for c in spec.columns]
    columns = [book.column(frame[c.key], c.kind, j) for j, c in enumerate(spec.columns)]
    widths = [max(c.width, 11.0 if c.kind == "date" else 10.0) for c in spec.columns]
    return NewSheet(spec.label(lang), spec.key, header, codes, columns, widths, len(frame))


def _settings_sheet(lang: str, as_of: dt.date | None, book: NewBook,
                    settings: dict[str, Any] | None = None) -> NewSheet:
    """Key / Value / Description: every setting at its default, AsOfDate = ``as_of``,
    the keys of ``settings`` at their values."""
    from .settings import SETTING_DOCS, Settings

    defaults = Settings(Language=lang)
    keys, values, docs = [], [], []
    for key, (en, zh) in SETTING_DOCS.items():
        value: Any = getattr(defaults, key, None)
        if key == "AsOfDate":
            value = as_of
        elif key == "RFMScheme":
            value = defaults.rfm_scheme
        if settings and key in settings:
            value = settings[key]
        keys.append(key)
        values.append(value)
        docs.append(zh if lang == "zh-CN" else en)
    desc = "说明" if lang == "zh-CN" else "Description"
    header = [SETTINGS_SHEET.columns[0].label(lang), SETTINGS_SHEET.columns[1].label(lang), desc]
    frame = pd.DataFrame({"Key": keys, "Value": values, "Doc": docs})
    cols = [book.column(frame["Key"], "text", 0), book.mixed_column(values, 1),
            book.column(frame["Doc"], "text", 2)]
    codes = [book.sst.add_one(h) for h in header]
    return NewSheet(SETTINGS_SHEET.label(lang), "Settings", header, codes, cols,
                    [24.0, 14.0, 44.0], len(frame))


def write_input_book(
    path: str | Path,
    frames: dict[str, pd.DataFrame],
    *,
    lang: str = "zh-CN",
    as_of: dt.date | None = None,
    level: int = DEFAULT_LEVEL,
    progress: Callable[[str], None] | None = None,
    settings: dict[str, Any] | None = None,
) -> Path:
    """Write ``frames`` (``"Customers"``, ``"Orders"``, ``"Contacts"``, columns named by the
    English keys of :mod:`xl_addin.names`, as :func:`~xl_addin.demo.make_demo` returns
    them) as an .xlsx workbook with the three input Tables and a Settings Table.

    Sheet and column names are in ``lang``; ``as_of`` is written as Settings
    ``AsOfDate`` (blank: the refresh uses today); ``settings`` other Settings values (e.g.
    ``{"OrdersSource": "orders.parquet"}``). ``level`` is the deflate level (0–9).
    The file is written next to ``path`` and renamed over it when complete.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: a big book is an .xlsx workbook (no VBA)")
    say = progress or (lambda _msg: None)
    book = NewBook(path)
    specs = (CUSTOMERS, ORDERS, CONTACTS)
    codes = {spec.key: [book.sst.add_one(c.label(lang)) for c in spec.columns]
             for spec in specs}
    sheets = [_frame_sheet(spec, frames[spec.key], lang, book, codes[spec.key])
              for spec in specs]
    sheets.append(_settings_sheet(lang, as_of, book, settings))
    say(f"shared strings: {book.sst.count:,} cells, {len(book.sst):,} unique")

    day = as_of or DEFAULT_ANCHOR  # the package's timestamps (never the wall clock)
    created = dt.datetime(day.year, day.month, day.day)
    tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(tmp, "wb") as fh:
            book.write(fh, sheets, created, level=level, progress=say)
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
