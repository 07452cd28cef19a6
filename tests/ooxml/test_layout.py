"""A created sheet gets the layout of a layout book's sheet: styles added and remapped,
charts copied and pointed at the new sheet, print titles as defined names; nothing of the
target book changes but what creating a sheet changes."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from decorated import members, raw_member

from xl_addin.excel.ooxml import LayoutBook, OutputSheet, write_book
from xl_addin.excel.ooxml.charts import cut_chart_ranges, repoint, sheet_ref
from xl_addin.excel.ooxml.styles import Styles

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


def _layout_book(path: Path) -> Path:
    """One sheet "Calls" laid out: a styled header, money and wrapped text columns, a
    frozen header, a dropdown, a conditional format, print setup and a chart over A2:B11."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Calls")
    head = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                          "border": 1})
    money = wb.add_format({"num_format": "#,##0.000", "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top", "border": 2})
    ws.set_column(0, 0, 17, wrap)
    ws.set_column(1, 1, 13, money)
    ws.write_row(0, 0, ["Who", "Amount"], head)
    ws.set_row(0, 33)
    ws.freeze_panes(1, 0)
    ws.data_validation(1, 0, 500, 0, {"validate": "list", "source": ["Ann", "Bob"]})
    ws.conditional_format("B2:B500", {"type": "cell", "criteria": ">", "value": 100,
                                      "format": wb.add_format({"bg_color": "#FFEB9C"})})
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": ["Calls", 1, 0, 10, 0], "values": ["Calls", 1, 1, 10, 1]})
    ws.insert_chart("D2", chart)
    wb.close()
    return path


def test_a_created_sheet_gets_the_layout(book: Path, tmp_path: Path) -> None:
    layout = LayoutBook.open(_layout_book(tmp_path / "layout.xlsx")).sheet("calls")
    assert layout is not None
    out = tmp_path / "out.xlsm"
    before = members(book)
    rows = [["Who", "Amount"], ["Ann", 120.5], ["Bob", 7.0], ["Cy", 3.25]]
    report = write_book(book, out, [OutputSheet("My calls", rows, ["text", "money"],
                                                layout=layout, chart_rows={2: 3})])
    after = members(out)
    # the book's own parts: the same compressed bytes; only the shared structure edited
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/workbook.xml",
                       "xl/styles.xml"}
    for n in set(before) - changed:
        assert raw_member(out, n) == raw_member(book, n), n
    # the book had two drawings and a chart: the copies take the next free names
    added = set(report.parts_added)
    assert {"xl/drawings/drawing3.xml", "xl/charts/chart2.xml",
            "xl/drawings/_rels/drawing3.xml.rels"} <= added
    sheet = next(n for n in added if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    xml = after[sheet].decode()
    assert "tabSelected" not in xml and 'state="frozen"' in xml
    assert 'orientation="landscape"' in xml and 'paperSize="9"' in xml
    assert '<formula1>"Ann,Bob"</formula1>' in xml and "<cfRule" in xml
    assert '<row r="1" ht="33" customHeight="1">' in xml
    chart = after["xl/charts/chart2.xml"].decode()
    assert "<c:f>'My calls'!$A$2:$A$4</c:f>" in chart  # pointed at the sheet, cut to 3 rows
    types = after["[Content_Types].xml"].decode()
    assert '/xl/charts/chart2.xml" ContentType="application/vnd.openxmlformats-' in types
    wbx = after["xl/workbook.xml"].decode()
    index = len(openpyxl.load_workbook(book).sheetnames)
    assert (f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
            "'My calls'!$1:$1</definedName>") in wbx
    # the styles show what the layout book's show, under the target's own indexes
    wb = openpyxl.load_workbook(out)
    ws = wb["My calls"]
    assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    assert ws.column_dimensions["A"].width == pytest.approx(17.71, abs=0.01)
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("1F4E78")
    assert ws["B2"].number_format == "#,##0.000" and ws["B2"].alignment.vertical == "top"
    assert ws["A2"].alignment.wrap_text and ws["A2"].border.left.style == "medium"
    assert len(ws._charts) == 1
    rule = ws.conditional_formatting._cf_rules
    assert rule and next(iter(rule.values()))[0].dxf.fill.bgColor.rgb.endswith("FFEB9C")
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None


def test_writing_twice_is_writing_once(book: Path, tmp_path: Path) -> None:
    layout = LayoutBook.open(_layout_book(tmp_path / "layout.xlsx")).sheet("Calls")
    rows = [["Who", "Amount"], ["Ann", 1.0]]
    once, twice = tmp_path / "once.xlsm", tmp_path / "twice.xlsm"
    write_book(book, once, [OutputSheet("Calls", rows, layout=layout, chart_rows={2: 1})])
    report = write_book(once, twice, [OutputSheet("Calls", rows, layout=layout,
                                                  chart_rows={2: 1})])
    assert report.parts_changed == [] and report.parts_added == []
    assert members(once) == members(twice)


def test_an_existing_sheets_charts_are_cut_to_the_rows_written(tmp_path: Path) -> None:
    src = _layout_book(tmp_path / "book.xlsx")
    out = tmp_path / "out.xlsx"
    write_book(src, out, [OutputSheet("Calls", [["Who", "Amount"], ["Ann", 1.0], ["Bob", 2.0]],
                                      chart_rows={2: 2})])
    chart = members(out)["xl/charts/chart1.xml"].decode()
    assert "<c:f>Calls!$A$2:$A$3</c:f>" in chart and "<c:f>Calls!$B$2:$B$3</c:f>" in chart
    # and grown back when the block fills again
    again = tmp_path / "again.xlsx"
    write_book(out, again, [OutputSheet("Calls", [["Who"]] + [["x"]] * 10, chart_rows={2: 10})])
    assert "<c:f>Calls!$A$2:$A$11</c:f>" in members(again)["xl/charts/chart1.xml"].decode()


@pytest.mark.parametrize(("formula", "expected"), [
    ("仪表盘!$A$59:$A$68", "仪表盘!$A$59:$A$62"),
    ("'仪表盘'!$B$59:$B$60", "'仪表盘'!$B$59:$B$62"),
    ("仪表盘!$B$58", "仪表盘!$B$58"),  # a series name: one cell, as it is
    ("仪表盘!$A$37:$A$56", "仪表盘!$A$37:$A$56"),  # another block
    ("Other!$A$59:$A$68", "Other!$A$59:$A$68"),  # another sheet
], ids=["cut", "grown", "name", "other-block", "other-sheet"])
def test_cut_chart_ranges(formula: str, expected: str) -> None:
    assert cut_chart_ranges(formula, "仪表盘", {59: 4}) == expected


def test_repoint_and_sheet_ref() -> None:
    assert repoint("'Call List'!$1:$1", "call list", "呼叫清单") == "呼叫清单!$1:$1"
    assert repoint("Dash!$A$1:$A$2,Dash!$C$3", "Dash", "My dash") == (
        "'My dash'!$A$1:$A$2,'My dash'!$C$3")
    assert [sheet_ref(n) for n in ("Calls", "A1", "it's", "2024")] == [
        "Calls", "'A1'", "'it''s'", "'2024'"]


def test_adopted_formats_are_not_added_twice(tmp_path: Path) -> None:
    src = Styles(None, "http://schemas.openxmlformats.org/spreadsheetml/2006/main", tmp_path)
    k = src.bold()
    src = Styles(src.render(), src.text.split('xmlns="')[1].split('"')[0], tmp_path)
    dst = Styles(None, "http://schemas.openxmlformats.org/spreadsheetml/2006/main", tmp_path)
    bold = dst.adopt(src, k)
    assert bold == dst.adopt(src, k) == 1 and dst.adopt(src, 0) == 0
    assert len(dst.new_fonts) == 1 and len(dst.new_xfs) == 1
    assert "<b/>" in dst.new_fonts[0]
