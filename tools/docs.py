"""Render the README's screenshots with LibreOffice, as the sheets print on A4.

    python -m tools.docs            # writes docs/*.png (see SHOTS)

Needs LibreOffice (``libreoffice-calc-nogui``, ``python3-uno``, ``poppler-utils``,
``fonts-noto-cjk``). Each picture is the first printed page of a sheet: of the shipped
workbooks (the Dashboard with its buttons), and of the call list a refresh makes in a
user's own book (a book of their own sheets only, see :func:`own_book`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter

from tools.build import REPO, workbook_path
from tools.libreoffice import render
from xl_addin.demo import DEFAULT_ANCHOR, make_demo
from xl_addin.names import (
    CALLLIST,
    CONTACTS,
    CUSTOMERCARD,
    CUSTOMERS,
    DASHBOARD,
    FOLLOWUPS,
    ORDERS,
    SETTINGS_SHEET,
    SheetSpec,
)

__all__ = ["SHOTS", "own_book", "render_docs"]

#: file in docs/ -> (book: a language or "own", the sheet, print the buttons)
SHOTS: dict[str, tuple[str, SheetSpec, bool]] = {
    "dashboard.png": ("zh-CN", DASHBOARD, True),
    "dashboard-en.png": ("en", DASHBOARD, True),
    "calllist.png": ("zh-CN", CALLLIST, False),
    "calllist-en.png": ("en", CALLLIST, False),
    "followups.png": ("zh-CN", FOLLOWUPS, False),
    "calllist-own-book.png": ("own", CALLLIST, False),
    "card.png": ("zh-CN", CUSTOMERCARD, False),
    "card-en.png": ("en", CUSTOMERCARD, False),
}


def _cell(v: object) -> object:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v.item() if hasattr(v, "item") else v


def own_book(path: Path, lang: str = "zh-CN", customers: int = 60,
             settings: dict[str, object] | None = None) -> Path:
    """A book a user keeps themselves: only their own sheets (the demo's customers,
    orders and contacts as plain ranges, no Tables, no styles of ours) and two settings,
    in ``lang``. A refresh creates every output sheet in it."""
    frames = make_demo(customers, anchor=DEFAULT_ANCHOR, lang=lang)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for spec in (CUSTOMERS, ORDERS, CONTACTS):
        ws = wb.add_worksheet(spec.label(lang))
        ws.write_row(0, 0, [c.label(lang) for c in spec.columns])
        frame = frames[spec.key][[c.key for c in spec.columns]]
        for r, rec in enumerate(frame.itertuples(index=False), start=1):
            for c, v in enumerate(map(_cell, rec)):
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, v, date)
                elif isinstance(v, str):
                    ws.write_string(r, c, v)
                elif isinstance(v, bool):
                    ws.write_boolean(r, c, v)
                elif v is not None:
                    ws.write_number(r, c, v)
    ws = wb.add_worksheet(SETTINGS_SHEET.label(lang))
    ws.write_row(0, 0, [c.label(lang) for c in SETTINGS_SHEET.columns])
    ws.write_row(1, 0, ["Language", lang])
    ws.write_string(2, 0, "AsOfDate")
    ws.write_datetime(2, 1, dt.datetime(*DEFAULT_ANCHOR.timetuple()[:3]), date)
    for r, (key, value) in enumerate((settings or {}).items(), start=3):
        ws.write(r, 0, key)
        ws.write(r, 1, value)
    wb.close()
    return path


def render_docs(out_dir: Path | None = None, dpi: int = 110,
                shots: Sequence[str] | None = None) -> list[Path]:
    """Render the screenshots ``shots`` (default: all of :data:`SHOTS`) into ``out_dir``."""
    from xl_addin.macros import refresh_file

    out_dir = out_dir or REPO / "docs"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        own = folder / "own-refreshed.xlsx"
        refresh_file(own_book(folder / "own.xlsx"), own)
        for name in shots or SHOTS:
            which, spec, controls = SHOTS[name]
            book = own if which == "own" else workbook_path(which)
            lang = "zh-CN" if which == "own" else which
            [png] = render(book, folder / name, [spec.label(lang)], fmt="png", dpi=dpi,
                           print_controls=controls)
            shutil.copyfile(png, out_dir / name)
            written.append(out_dir / name)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--dpi", type=int, default=110)
    parser.add_argument("shots", nargs="*", help=f"some of {', '.join(SHOTS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.shots) - set(SHOTS)
    if unknown:
        parser.error(f"unknown screenshots: {', '.join(sorted(unknown))}")
    for p in render_docs(dpi=args.dpi, shots=args.shots or None):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
