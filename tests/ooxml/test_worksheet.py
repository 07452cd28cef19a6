"""Worksheet parts: other producers' namespace prefixes, old rows streamed in chunks,
row breaks in schema order."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from decorated import ANALYSIS, build_book, members
from support.books import rezip

from xl_addin.excel.ooxml import OutputSheet, worksheet, write_book

# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def test_prefixed_namespace_sheet(tmp_path: Path) -> None:
    """Some producers write <x:worksheet xmlns:x=...>; new cells use the same prefix."""
    book = build_book(tmp_path, "b.xlsx")
    with zipfile.ZipFile(book) as z:
        xml = z.read("xl/worksheets/sheet3.xml").decode()
    xml = re.sub(r"<(/?)([a-zA-Z]+)(?=[\s/>])", r"<\1x:\2", xml)  # not x14:..., xm:...
    xml = xml.replace('xmlns="http', 'xmlns:x="http')
    rezip(book, book, {"xl/worksheets/sheet3.xml": xml.encode()})
    write_book(book, book, [OutputSheet("Analysis", ANALYSIS)], backups=0)
    new = members(book)["xl/worksheets/sheet3.xml"].decode()
    assert "<x:sheetData><x:row r=\"1\">" in new and "<sheetData" not in new
    assert '<x:dimension ref="A1:D4"/>' in new
    ws = openpyxl.load_workbook(book)["Analysis"]
    assert ws["C2"].value == dt.datetime(2026, 3, 5) and ws["A4"].value == "C002"


def test_old_rows_are_streamed_across_chunk_boundaries(book: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The old sheetData is skipped in chunks; tags cut at any byte must still be found."""
    many = [ANALYSIS[0]] + [[f"C{i}", i * 1.5, dt.date(2026, 1, 1), i] for i in range(300)]
    ref = tmp_path / "ref.xlsm"
    write_book(book, ref, [OutputSheet("Analysis", many)])
    write_book(ref, ref, [OutputSheet("Analysis", ANALYSIS)], backups=0)
    for chunk in (1, 7, 64):
        monkeypatch.setattr(worksheet, "_CHUNK", chunk)
        out = tmp_path / f"out{chunk}.xlsm"
        write_book(book, out, [OutputSheet("Analysis", many)])
        write_book(out, out, [OutputSheet("Analysis", ANALYSIS)], backups=0)
        assert members(out) == members(ref), chunk


def test_row_breaks_are_placed_in_schema_order_and_replace_old_ones():
    suffix = ('<pageSetup orientation="landscape"/><rowBreaks count="1" manualBreakCount="1">'
              '<brk id="5" max="16383" man="1"/></rowBreaks><drawing r:id="rId1"/>'
              '<tableParts count="0"/></worksheet>')
    new = worksheet.set_row_breaks(suffix, "", [21, 41])
    assert new.index("<rowBreaks") < new.index("<drawing") and 'id="5"' not in new
    assert new.count("<brk ") == 2 and 'count="2"' in new
    assert "<rowBreaks" not in worksheet.set_row_breaks(suffix, "", [])
    assert worksheet.set_row_breaks(suffix, "", None) == suffix
    plain = worksheet.set_row_breaks("<pageMargins/></x:worksheet>", "x:", [3])
    assert plain == ('<pageMargins/><x:rowBreaks count="1" manualBreakCount="1">'
                     '<x:brk id="3" max="16383" man="1"/></x:rowBreaks></x:worksheet>')
