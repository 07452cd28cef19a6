"""write_book as a whole: every part it does not change stays byte for byte, writing
twice is writing once, and requests that cannot be right are refused."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from decorated import ANALYSIS, SHEET_CT, members, names, outputs, outside_sheet_data, raw_member

from xl_addin.errors import BookError
from xl_addin.excel.ooxml import Append, OutputSheet, write_book

# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


# --------------------------------------------------------------------------- preservation
def test_rewrite_and_create_keep_every_other_part(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsm"
    before = members(book)
    report = write_book(book, out, outputs())
    after = members(out)

    # member order kept, the new sheet appended at the end
    assert names(out) == names(book) + ["xl/worksheets/sheet5.xml"]
    changed = {n for n in before if before[n] != after[n]}
    assert changed == set(report.parts_changed)
    assert changed == {"[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/workbook.xml",
                       "xl/worksheets/sheet3.xml", "xl/styles.xml", "xl/calcChain.xml"}
    assert report.parts_added == ["xl/worksheets/sheet5.xml"]
    assert report.parts_removed == []
    assert report.parts_copied == len(before) - len(changed)
    # unchanged members are the very same compressed bytes (raw copy, no recompression)
    for n in set(before) - changed:
        assert raw_member(out, n) == raw_member(book, n), n
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None

    # the output sheet kept everything outside sheetData (x14 data bar, sparkline, ...)
    old, new = before["xl/worksheets/sheet3.xml"], after["xl/worksheets/sheet3.xml"]
    assert b"x14:sparklineGroups" in old and b"x14:dataBar" in old
    assert outside_sheet_data(old) == outside_sheet_data(new)
    assert b'<dimension ref="A1:D4"/>' in new and b'<autoFilter ref="A1:D4"/>' in new
    assert b"<f>" not in new

    # shared parts edited by insertion only
    wbx = after["xl/workbook.xml"].decode()
    assert wbx == before["xl/workbook.xml"].decode().replace(
        "</sheets>", '<sheet name="CallList" sheetId="5" r:id="rId100"/></sheets>')  # rId99 taken
    assert after["[Content_Types].xml"].decode() == before["[Content_Types].xml"].decode().replace(
        "</Types>", f'<Override PartName="/xl/worksheets/sheet5.xml" ContentType="{SHEET_CT}"/>'
        "</Types>")
    assert after["xl/calcChain.xml"].endswith(b'<calcChain xmlns="http://schemas.openxmlformats'
                                              b'.org/spreadsheetml/2006/main"><c r="A1" i="4"/>'
                                              b"</calcChain>")
    assert any("calcChain: removed 1" in n for n in report.notes)

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Customers", "Contacts", "Analysis", "Dashboard", "CallList"]
    an = wb["Analysis"]
    assert [c.value for c in an[1]] == ANALYSIS[0]
    assert an["A1"].font.b and an["A1"].fill.fgColor.rgb == "FFDDEEFF"  # header style kept
    assert an["D1"].font.b  # a new header column takes the header style to its left
    assert an["B2"].value == 1234.5 and an["B2"].number_format == "#,##0.00"
    assert an["C2"].value == dt.datetime(2026, 3, 5) and an["C2"].number_format == "yyyy-mm-dd"
    assert an["C3"].value == dt.datetime(2026, 3, 6, 12) and an["C3"].is_date
    assert an["D2"].value == 7 and an["D2"].number_format == "0"
    assert an["A4"].value == "C002" and an["B4"].value is None
    assert an.freeze_panes == "A2"
    assert wb.defined_names["MyName"].value == "Customers!$A$1"

    cl = wb["CallList"]
    assert [[c.value for c in r] for r in cl.iter_rows()] == [
        ["Owner", "Rank", "Due", "Share"],
        ["Ann", 1, dt.datetime(2026, 3, 5), 0.25],
        ["Bob", 2, dt.datetime(2026, 3, 7), 0.5],
    ]
    assert cl.freeze_panes == "A2"
    assert cl["A1"].font.b
    assert cl["C2"].is_date and cl["D2"].number_format == "0.00%"
    assert cl.column_dimensions["A"].width == 12

    # the input sheets read back unchanged
    assert [c.value for c in wb["Customers"]["A"]] == ["CustomerID"] + [f"C{i:03}" for i in range(5)]


# --------------------------------------------------------------------------- idempotent
def test_writing_twice_equals_writing_once(book: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "once.xlsm", tmp_path / "twice.xlsm"
    write_book(book, once, outputs(), [Append("Contacts", [["C9", dt.date(2026, 1, 1)]],
                                              table="Contacts")])
    report = write_book(once, twice, outputs())
    assert report.parts_changed == [] and report.parts_added == []
    assert names(once) == names(twice)
    assert members(once) == members(twice)
    assert once.read_bytes() == twice.read_bytes()


def test_bad_requests_are_refused(book: Path) -> None:
    with pytest.raises(ValueError, match="written twice"):
        write_book(book, book, [OutputSheet("X", []), OutputSheet("x", [])])
    with pytest.raises(ValueError, match="sheet name"):
        write_book(book, book, [OutputSheet("a/b", [])])
    with pytest.raises(ValueError, match="unknown column kind"):
        write_book(book, book, [OutputSheet("X", [["a"]], ["nope"])])
    with pytest.raises(BookError) as err:
        write_book(book, book.with_suffix(".xlsx"), [])
    assert err.value.code == "unsupported_extension"


@pytest.mark.libreoffice
def test_libreoffice_opens_the_result(book: Path, tmp_path: Path) -> None:
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "out.xlsm"
    write_book(book, out, outputs(), [Append("Contacts", [["C9", dt.date(2026, 1, 1)]],
                                             table="Contacts")])
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,"
                    "false,false,false,-1", "--outdir", str(tmp_path / "csv"), str(out)],
                   check=True, capture_output=True, timeout=180)
    calls = (tmp_path / "csv" / "out-CallList.csv").read_text().splitlines()
    assert calls[0] == "Owner,Rank,Due,Share" and calls[1].startswith("Ann,1,")
    analysis = (tmp_path / "csv" / "out-Analysis.csv").read_text().splitlines()
    assert analysis[1].startswith("C000,") and "2026-03-05" in analysis[1]
    contacts = (tmp_path / "csv" / "out-Contacts.csv").read_text().splitlines()
    assert contacts[3].startswith("C9,2026-01-01")
