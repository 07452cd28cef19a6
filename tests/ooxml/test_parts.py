"""Workbook structure parts: calcChain entries of rewritten sheets go, the part with
them when none is left."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from decorated import ANALYSIS, build_book, members

from xl_addin.excel.ooxml import OutputSheet, write_book

# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def test_calc_chain_dropped_when_it_becomes_empty(tmp_path: Path) -> None:
    book = build_book(tmp_path, calc='<c r="D2" i="3"/><c r="E2"/>')
    out = tmp_path / "out.xlsm"
    report = write_book(book, out, [OutputSheet("Analysis", ANALYSIS)])
    after = members(out)
    assert report.parts_removed == ["xl/calcChain.xml"]
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    openpyxl.load_workbook(out)


def test_calc_chain_keeps_inherited_sheet_ids(tmp_path: Path) -> None:
    # i is inherited from the previous entry: removing the first must make it explicit
    book = build_book(tmp_path, calc='<c r="D2" i="3"/><c r="A1" i="4"/><c r="A2"/>'
                                     '<c r="D3" i="3"/><c r="A3" i="4" l="1"/>')
    out = tmp_path / "out.xlsm"
    write_book(book, out, [OutputSheet("Analysis", ANALYSIS)])
    chain = members(out)["xl/calcChain.xml"].decode()
    assert re.findall(r"<c [^>]*/>", chain) == ['<c r="A1" i="4"/>', '<c r="A2"/>',
                                                '<c r="A3" i="4" l="1"/>']
