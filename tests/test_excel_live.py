"""Excel-only checks: run on Windows/macOS with Microsoft Excel and xlwings' add-in.

Everything else in CustomerBook is tested headless; these are the few behaviours only a
live Excel can show (RunPython from the buttons, Book.caller(), writing through COM/
AppleScript). They are skipped where Excel is absent — see docs/excel.md for the manual
checklist that goes with them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.excel

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook" / "CustomerBook.xlsm"


def _excel():
    if sys.platform not in ("win32", "darwin"):
        pytest.skip("Microsoft Excel runs only on Windows/macOS; this check is manual here "
                    "(docs/excel.md)")
    xw = pytest.importorskip("xlwings")
    try:
        return xw.App(visible=False, add_book=False)
    except Exception as exc:  # no Excel installed on this Windows/macOS machine
        pytest.skip(f"Excel could not be started: {exc}")


def test_refresh_button_fills_the_outputs_in_excel(tmp_path):
    app = _excel()
    book_path = tmp_path / "CustomerBook.xlsm"
    shutil.copy(WORKBOOK, book_path)
    try:
        book = app.books.open(str(book_path))
        calls = book.sheets["呼叫清单"]
        calls.range("A2").expand().clear_contents()
        contacts_before = book.sheets["联系记录"].used_range.value
        book.macro("CB_RefreshAll")()
        assert calls.range("A2").value  # the call list was rebuilt through RunPython
        assert book.sheets["联系记录"].used_range.value == contacts_before
    finally:
        app.quit()
