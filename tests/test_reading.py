"""Reading workbook files: nothing misread, nothing that makes the reader exhaust memory.

Each case is a real .xlsx; "read correctly" means the outputs equal those of the clean
book the case was made from; "refused" means exit 2 with the cell named and the file
untouched.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from support.books import AS_OF, en_sheets, member, rezip, write_book
from support.peak import run_cli

from xl_addin.cli import main
from xl_addin.macros import refresh_file

ROOT = Path(__file__).resolve().parents[1]
ORDERS_PART = "xl/worksheets/sheet2.xml"  # write_book's second sheet


def _analysis(book: Path, tmp: Path) -> pd.DataFrame:
    return refresh_file(book, tmp / f"out-{book.stem}.xlsx").outputs.analysis


def _refused(book: Path, capsys) -> str:
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    assert main(["refresh", str(book)]) == 2
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.fixture
def clean(tmp_path) -> pd.DataFrame:
    return _analysis(write_book(tmp_path / "clean.xlsx", en_sheets()), tmp_path)


# ------------------------------------------------------------------ a stale Table range
def _stale(tmp_path: Path, gap: bool) -> Path:
    """Orders written in full but its Table covering only the first three orders."""
    sheets = en_sheets()
    orders = sheets["Orders"]
    if gap:
        orders.insert(6, [None] * len(orders[0]))
    path = tmp_path / ("stale_gap.xlsx" if gap else "stale.xlsx")
    wb = xlsxwriter.Workbook(str(path))
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write_datetime(r, c, v, datef) if hasattr(v, "year") else ws.write(r, c, v)
        if name == "Orders":
            ws.add_table(0, 0, 3, len(rows[0]) - 1,
                         {"name": "Orders", "columns": [{"header": h} for h in rows[0]]})
    wb.close()
    return path


def test_a_table_that_ends_above_its_data_reads_the_rows_right_below(tmp_path, clean):
    got = _analysis(_stale(tmp_path, gap=False), tmp_path)
    pd.testing.assert_frame_equal(got, clean)


def test_data_below_a_table_after_a_blank_row_is_named_not_dropped(tmp_path, capsys):
    err = _refused(_stale(tmp_path, gap=True), capsys)
    assert "Sheet 'Orders', row 8: this row holds data below the table Orders" in err


# ------------------------------------------------------------------ merged header cells
def test_merged_header_cells_are_refused(tmp_path, capsys):
    book = write_book(tmp_path / "mh.xlsx", en_sheets(), tables=False,
                      merges={"Orders": [(0, 3, 0, 4)]})  # Amount and Cost under one header
    err = _refused(book, capsys)
    assert "Sheet 'Orders', row 1: header cells D1:E1 are merged" in err


# ------------------------------------------------------------------ formulas and errors
def _edit_orders(src: Path, dst: Path, edit) -> Path:
    xml = member(src, ORDERS_PART).decode()
    return rezip(src, dst, {ORDERS_PART: edit(xml).encode()})


@pytest.mark.parametrize("column,letter", [("Amount", "D"), ("Cost", "E")])
def test_a_formula_saved_without_its_value_is_named_in_any_column(tmp_path, capsys, column,
                                                                   letter):
    from support.books import F

    sheets = en_sheets()
    at = sheets["Orders"][0].index(column)
    sheets["Orders"][2][at] = F("=1+1", 2)
    base = write_book(tmp_path / "f.xlsx", sheets, tables=False)
    book = _edit_orders(base, tmp_path / "uncached.xlsx", lambda x: re.sub(
        rf'(<c r="{letter}3"[^>]*>)<f>([^<]*)</f><v>[^<]*</v>', r"\1<f>\2</f>", x))
    err = _refused(book, capsys)
    assert f"Sheet 'Orders', row 3, column '{column}': the cell holds a formula without" in err


def test_an_error_cell_in_a_sheet_written_with_a_namespace_prefix(tmp_path, capsys):
    base = write_book(tmp_path / "p.xlsx", en_sheets(), tables=False)

    def prefixed(xml: str) -> str:
        xml = re.sub(r"<(/?)(?!\?)([a-zA-Z])", r"<\1x:\2", xml)
        xml = xml.replace('<x:worksheet xmlns="', '<x:worksheet xmlns:x="')
        return re.sub(r'<x:c r="D3"([^>]*)>.*?</x:c>', r'<x:c r="D3" t="e"><x:v>#N/A</x:v></x:c>',
                      xml)

    err = _refused(_edit_orders(base, tmp_path / "prefixed.xlsx", prefixed), capsys)
    assert "Sheet 'Orders', row 3, column 'Amount': the cell holds the Excel error #N/A" in err


# ------------------------------------------------------------------ the 1904 date system
def test_day_numbers_in_a_1904_workbook_are_read_as_its_dates(tmp_path, clean):
    sheets = en_sheets()
    for rows in (sheets["Orders"], sheets["Contacts"]):
        at = 2 if rows is sheets["Orders"] else 1
        for r in rows[1:]:  # typed as numbers in General cells: the 1904 system's day numbers
            r[at] = (r[at] - AS_OF.__class__(1904, 1, 1)).days
    path = tmp_path / "mac.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    if hasattr(v, "year"):
                        ws.write_datetime(r, c, v, wb.add_format({"num_format": "yyyy-mm-dd"}))
                    else:
                        ws.write(r, c, v)
    wb.close()
    pd.testing.assert_frame_equal(_analysis(path, tmp_path), clean)


# ------------------------------------------------------------------ stray cells
@pytest.mark.parametrize("cell", ["AZZ30000", "XFD1048576", "Z1048576"])
def test_a_stray_cell_far_away_changes_nothing_and_costs_no_memory(tmp_path, clean, cell):
    base = write_book(tmp_path / "s.xlsx", en_sheets())
    xml = member(base, "xl/worksheets/sheet1.xml").decode()  # Customers
    row = re.fullmatch(r"[A-Z]+(\d+)", cell)[1]
    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{cell}"/>', xml)
    xml = xml.replace("</sheetData>", f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>'
                      "note</t></is></c></row></sheetData>")
    book = rezip(base, tmp_path / f"stray-{cell}.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()})
    pd.testing.assert_frame_equal(_analysis(book, tmp_path), clean)
    # in a process of its own, the refresh stays small (the reader was bounded first)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done, peak = run_cli(["refresh", str(book), "--out", str(tmp_path / "m.xlsx")],
                         tmp_path / "peak", env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 0 < peak < 600 * 1024  # KB, the child's own: under 600 MB


def test_a_cell_beyond_excels_last_row_is_damage_not_a_crash(tmp_path, capsys):
    base = write_book(tmp_path / "s.xlsx", en_sheets())
    xml = member(base, "xl/worksheets/sheet1.xml").decode()
    xml = xml.replace("</sheetData>", '<row r="99999999"><c r="A99999999"><v>1</v></c></row>'
                      "</sheetData>")
    book = rezip(base, tmp_path / "far.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()})
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    code = main(["refresh", str(book), "--out", str(tmp_path / "o.xlsx")])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
    with zipfile.ZipFile(book) as z:
        assert z.testzip() is None
