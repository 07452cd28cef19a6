"""Styles: a header gets bold where the sheet has no header style; formats are added at
the end of their lists, so every existing index keeps its meaning."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from decorated import ANALYSIS

from xl_addin.excel.ooxml import OutputSheet, write_book
from xl_addin.excel.ooxml.package import NS_MAIN
from xl_addin.excel.ooxml.styles import Styles

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


def test_a_new_stylesheet_with_custom_number_formats(tmp_path: Path) -> None:
    st = Styles(None, NS_MAIN[0], tmp_path / "x.xlsx")
    assert st.created and not st.changed
    date = st.xf_for(st.numfmt("yyyy\\-mm\\-dd"))
    money = st.xf_for(st.numfmt("#,##0.00"))
    assert (date, money, st.bold(), st.xf_for(2)) == (1, 2, 3, 4)
    assert st.numfmt("#,##0.00") == 165 and st.xf_for(165) == money  # found, not added again
    assert st.is_date(date) and not st.is_date(money) and not st.is_date(4)
    text = st.render()
    assert text.index("<numFmts") < text.index("<fonts")
    assert '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>' in text
    assert '<fonts count="2">' in text and '<cellXfs count="5">' in text
    again = Styles(text, NS_MAIN[0], tmp_path / "x.xlsx")  # what was written reads back
    assert again.numfmts == {164: "yyyy\\-mm\\-dd", 165: "#,##0.00"} and again.bold() == 3


def test_number_formats_join_an_existing_list(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write(0, 0, 1, wb.add_format({"num_format": "0.000"}))
    wb.close()
    with zipfile.ZipFile(path) as z:
        st = Styles(z.read("xl/styles.xml").decode(), NS_MAIN[0], path)
    assert st.numfmts == {164: "0.000"} and st.numfmt("0.000") == 164
    n = st.numfmt('"due" d mmm')
    assert n == 165 and st.is_date(st.xf_for(n))
    text = st.render()
    assert '<numFmts count="2">' in text and 'formatCode="&quot;due&quot; d mmm"/>' in text
    assert Styles(text, NS_MAIN[0], path).numfmts[165] == '"due" d mmm'
