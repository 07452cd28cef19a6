"""Appending rows below the data of a sheet and its Table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from decorated import build_book, members
from python_calamine import CalamineWorkbook

from xl_addin.errors import BookError
from xl_addin.excel.ooxml import Append, inspect_book, write_book

# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def test_append_to_a_table_on_an_input_sheet(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsm"
    rows = [["C007", dt.date(2026, 3, 5), "phone", "=not a formula"],
            ["C008", dt.datetime(2026, 3, 6, 9, 30), None, "x & y"]]
    report = write_book(book, out, [], [Append("Contacts", rows, table="Contacts")])
    assert set(report.parts_changed) == {"xl/worksheets/sheet2.xml", "xl/tables/table2.xml"}
    table = members(out)["xl/tables/table2.xml"].decode()
    assert 'ref="A1:D5"' in table and '<autoFilter ref="A1:D5"/>' in table
    xml = members(out)["xl/worksheets/sheet2.xml"].decode()
    assert '<dimension ref="A1:G5"/>' in xml
    assert xml.count('t="inlineStr"') == 5 and "<f>" not in xml

    ws = openpyxl.load_workbook(out)["Contacts"]
    assert ws.tables["Contacts"].ref == "A1:D5"
    got = [[c.value for c in r] for r in ws.iter_rows(min_row=4, max_col=4)]
    assert got == [["C007", dt.datetime(2026, 3, 5), "phone", "=not a formula"],
                   ["C008", dt.datetime(2026, 3, 6, 9, 30), None, "x & y"]]
    assert ws["B4"].number_format == ws["B3"].number_format == "yyyy-mm-dd"  # style above
    assert ws["G1"].value == "not part of the table"
    info = inspect_book(out)
    assert [t.ref for t in info.tables if t.name == "Contacts"] == ["A1:D5"]
    t = CalamineWorkbook.from_path(str(out), load_tables=True).get_table_by_name("Contacts")
    assert [r[0] for r in t.to_python()] == ["C000", "C001", "C007", "C008"]


def test_append_fills_an_empty_placeholder_row(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    ws.add_table(0, 0, 1, 2, {"name": "Contacts", "columns": [{"header": h} for h in "ABC"]})
    wb.close()
    write_book(path, path, [], [Append("Contacts", [["x", 1, True]], table="Contacts")],
               backups=0)
    ws2 = openpyxl.load_workbook(path)["Contacts"]
    assert ws2.tables["Contacts"].ref == "A1:C2"
    assert [c.value for c in ws2[2]] == ["x", 1, True]


def test_append_without_a_table(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Contacts")
    ws.write_row(0, 0, ["CustomerID", "ContactDate"], wb.add_format({"bold": True}))
    ws.write_row(1, 0, ["C1"])
    ws.write_datetime(1, 1, dt.datetime(2026, 1, 1), wb.add_format({"num_format": "d mmm yy"}))
    ws.write(9, 5, None, wb.add_format({"border": 1}))  # a formatted blank row further down
    ws.autofilter(0, 0, 1, 1)
    wb.close()
    write_book(path, path, [], [Append("contacts", [["C2", dt.date(2026, 2, 2)]])], backups=0)
    ws2 = openpyxl.load_workbook(path)["Contacts"]
    assert [c.value for c in ws2[3]][:2] == ["C2", dt.datetime(2026, 2, 2)]
    assert ws2["B3"].number_format == "d mmm yy" and not ws2["A3"].font.b
    assert ws2.auto_filter.ref == "A1:B3"


def test_append_refused_below_a_totals_row(tmp_path: Path) -> None:
    book = build_book(tmp_path, totals=True)
    before = book.read_bytes()
    with pytest.raises(BookError) as err:
        write_book(book, book, [], [Append("Contacts", [["C9"]], table="Contacts")])
    assert err.value.code == "table_has_totals" and "Contacts" in str(err.value)
    assert book.read_bytes() == before


def test_append_refused_when_the_rows_below_are_not_empty(tmp_path: Path) -> None:
    book = build_book(tmp_path, below_contacts="C5")
    with pytest.raises(BookError, match="C5 below the data is not empty"):
        write_book(book, book, [], [Append("Contacts", [["a"], ["b"]], table="Contacts")])


def test_append_to_a_missing_sheet(book: Path) -> None:
    from xl_addin.errors import InputError

    with pytest.raises(InputError) as err:
        write_book(book, book, [], [Append("Nope", [["a"]])])
    assert err.value.code == "missing_sheet"
