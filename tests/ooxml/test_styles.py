"""Styles: a header gets bold where the sheet has no header style."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from decorated import ANALYSIS

from xl_addin.excel.ooxml import OutputSheet, write_book

# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def test_existing_output_sheet_without_header_styles_gets_bold(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Analysis")
    wb.close()
    report = write_book(path, path, [OutputSheet("Analysis", ANALYSIS)], backups=0)
    assert "xl/styles.xml" in report.parts_changed
    ws = openpyxl.load_workbook(path)["Analysis"]
    assert ws["A1"].font.b and not ws["A2"].font.b

