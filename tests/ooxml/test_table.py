"""A Table on an output sheet follows the new rows and header texts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from decorated import build_book, members

from xl_addin.excel.ooxml import OutputSheet, inspect_book, write_book

# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def test_table_on_an_output_sheet_follows_the_rows(tmp_path: Path) -> None:
    book = build_book(tmp_path, output_table=True)
    rows = [["CustomerID", "Old", "Reason", "DueDate"]] + [
        [f"C{i}", i, "Cadence", dt.date(2026, 3, i + 1)] for i in range(5)]
    report = write_book(book, book, [OutputSheet("FollowUps", rows)], backups=0)
    table = members(book)["xl/tables/table3.xml"].decode()
    assert 'ref="A1:D6"' in table and '<autoFilter ref="A1:D6"/>' in table
    cols = re.findall(r'<tableColumn id="(\d+)" name="([^"]*)"', table)
    assert [n for _i, n in cols] == rows[0]
    assert len({i for i, _n in cols}) == 4 and ("2", "Old") in cols  # kept by name
    assert 'tableColumns count="4"' in table
    assert any("FollowUps: ref A1:C3 -> A1:D6" in n for n in report.notes)
    ws = openpyxl.load_workbook(book)["FollowUps"]
    assert ws.tables["FollowUps"].ref == "A1:D6"
    assert [c.value for c in ws[6]] == ["C4", 4, "Cadence", dt.datetime(2026, 3, 5)]

    # no data rows: the table still covers the header and one (empty) row
    write_book(book, book, [OutputSheet("FollowUps", [["CustomerID", "Reason"]])], backups=0)
    ws = openpyxl.load_workbook(book)["FollowUps"]
    assert ws.tables["FollowUps"].ref == "A1:B2"
    assert inspect_book(book).tables[-1].ref == "A1:B2"
