"""New books of Tables (the big demo books' writer): cells, Tables and text read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xl_addin.excel.ooxml import inspect_book
from xl_addin.excel.ooxml.newbook import NewBook, NewSheet


def _write(path: Path, frame: pd.DataFrame, kinds: dict[str, str]) -> Path:
    book = NewBook(path)
    header = list(frame.columns)
    codes = [book.sst.add_one(h) for h in header]
    columns = [book.column(frame[h], kinds[h], j) for j, h in enumerate(header)]
    sheet = NewSheet("Data", "Data", header, codes, columns, [12.0] * len(header), len(frame))
    with open(path, "wb") as fh:
        book.write(fh, [sheet], dt.datetime(2026, 3, 5), level=1, progress=lambda _m: None)
    return path


def test_a_new_book_reads_back(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "Name": ['say "hi"', "cr\r\nlf", "=1+1", None],
        "Day": [dt.date(2026, 3, 5), None, dt.date(1900, 3, 1), dt.date(1900, 1, 1)],
        "Amount": [1.5, None, -2.25, 0.0],
        "Count": [1, 2, 3, 4],
    })
    path = _write(tmp_path / "new.xlsx", frame,
                  {"Name": "text", "Day": "date", "Amount": "money", "Count": "int"})
    info = inspect_book(path)
    assert info.sheets == ("Data",) and info.tables[0].ref == "A1:D5"
    ws = openpyxl.load_workbook(path)["Data"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["Name", "Day", "Amount", "Count"]
    assert [r[0] for r in rows[1:]] == ['say "hi"', "cr\r\nlf", "=1+1", None]
    assert [r[1] for r in rows[1:]] == [dt.datetime(2026, 3, 5), None, dt.datetime(1900, 3, 1),
                                        dt.datetime(1900, 1, 1)]
    assert ws["B2"].number_format == "yyyy\\-mm\\-dd" and ws["C2"].number_format == "#,##0.00"
    assert [r[2] for r in rows[1:]] == [1.5, None, -2.25, 0]
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert ws["A4"].data_type == "s"  # text, never a formula


def test_dates_excel_cannot_show_are_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Day": [dt.date(1899, 12, 31)]})
    with pytest.raises(ValueError, match="before 1900-01-01"):
        _write(tmp_path / "old.xlsx", frame, {"Day": "date"})
    with pytest.raises(ValueError, match="before 1900-01-01"):
        NewBook(tmp_path / "x.xlsx").mixed_column([dt.date(1899, 12, 31)], 0)
