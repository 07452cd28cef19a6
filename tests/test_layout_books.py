"""A user's own workbook gets the finished product: the output sheets a refresh creates
in it are laid out as in the shipped workbook (from the package's layout books), and the
user's own sheets stay byte for byte as they were."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from support.books import en_sheets, write_book, zh_sheets

from tools.build import build_layout, layout_path, workbook_path
from xl_addin.excel import ooxml
from xl_addin.excel.sheets import OutputTable, follow_header, row_heights, text_lines
from xl_addin.macros import refresh_file
from xl_addin.names import CALLLIST, CUSTOMERCARD, OUTPUT_SHEETS, SheetSpec

#: the sheets a refresh creates in a user's own book: every output but the card, which is
#: a page of the shipped workbook (see tests/test_card.py)
CREATED = tuple(s for s in OUTPUT_SHEETS if s is not CUSTOMERCARD)

pytestmark = pytest.mark.filterwarnings("ignore:Print area cannot be set:UserWarning")

LANGS = ["zh-CN", "en"]
#: what a layout is made of, read from a worksheet part
_LAYOUT = {
    "view": r"<pane [^>]*/>",
    "filter": r"<autoFilter ",
    "print options": r"<printOptions[^>]*/>",
    "margins": r"<pageMargins[^>]*/>",
    "page setup": r"<pageSetup[^>]*/>",
    "fit": r"<pageSetUpPr[^>]*/>",
    "header and footer": r"<headerFooter>.*?</headerFooter>",
    "validations": r"<dataValidations.*?</dataValidations>",
    "conditional formats": r"<conditionalFormatting.*?</conditionalFormatting>",
}


def _layout(book: Path, sheet: str) -> dict[str, object]:
    info = ooxml.inspect_book(book)
    part = info.sheet_parts[sheet]
    index = info.sheets.index(sheet)
    with zipfile.ZipFile(book) as z:
        xml = z.read(part).decode()
        wbx = z.read("xl/workbook.xml").decode()
        rels_name = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
        rels = z.read(rels_name).decode() if rels_name in z.namelist() else ""
        drawings = re.findall(r'Target="\.\./drawings/(drawing\d+\.xml)"', rels)
        charts = 0
        for d in drawings:
            charts += z.read(f"xl/drawings/_rels/{d}.rels").decode().count("/chart\"")
    out: dict[str, object] = {k: re.findall(rx, xml, re.S) for k, rx in _LAYOUT.items()}
    out["widths"] = re.findall(r'<col [^>]*?width="([^"]+)"', xml)
    out["column formats"] = len(re.findall(r"<col [^>]*?style=", xml))
    out["charts"] = charts
    out["buttons"] = "<legacyDrawing" in xml
    names = re.findall(rf'<definedName name="(_xlnm\.Print_\w+)" localSheetId="{index}">'
                       r"([^<]*)</definedName>", wbx)
    out["print names"] = sorted(names)
    return out


@pytest.fixture(scope="module", params=LANGS)
def own(request, tmp_path_factory):
    """(lang, the user's book, the book after a refresh): a book with only input sheets."""
    lang = request.param
    folder = tmp_path_factory.mktemp(f"own-{lang}")
    src = write_book(folder / "own.xlsx", zh_sheets() if lang == "zh-CN" else en_sheets())
    out = folder / "own-out.xlsx"
    refresh_file(src, out)
    return lang, src, out


@pytest.mark.parametrize("lang", LANGS)
def test_committed_layout_books_equal_a_fresh_build(lang, tmp_path):
    fresh = build_layout(lang, tmp_path / "layout.xlsx")
    assert fresh.read_bytes() == layout_path(lang).read_bytes(), (
        f"rebuild with `python -m tools.build --lang {lang}`")


@pytest.mark.parametrize("spec", CREATED, ids=[s.key for s in CREATED])
def test_created_sheets_are_laid_out_as_in_the_shipped_workbook(own, spec: SheetSpec):
    lang, _src, out = own
    name = spec.label(lang)
    created, shipped = _layout(out, name), _layout(workbook_path(lang), name)
    assert shipped.pop("buttons") is (spec.key == "Dashboard")
    assert created.pop("buttons") is False  # a book without our macros gets no buttons
    assert created == shipped
    if spec.key == "CallList":  # the things the issue named, to be plain about them
        assert created["print names"] and created["validations"] and created["view"]
        assert 'orientation="landscape"' in created["page setup"][0]
    if spec.key == "Dashboard":
        assert created["charts"] == 6


def test_created_sheets_look_the_part(own):
    lang, _src, out = own
    wb = openpyxl.load_workbook(out)
    calls = wb[CALLLIST.label(lang)]
    assert calls.freeze_panes == "A2" and calls.print_title_rows == "$1:$1"
    assert calls["A1"].font.b and calls["A1"].fill.fgColor.rgb.endswith("1F4E78")
    assert calls.row_dimensions[1].height == 30
    assert all(c.alignment.vertical == "top" for c in calls[2] if c.value is not None)
    assert calls.row_breaks.brk  # one page per owner
    outcome = [dv for dv in calls.data_validations.dataValidation if dv.type == "list"]
    assert outcome and ("已接通" if lang == "zh-CN" else "Reached") in outcome[0].formula1
    dash = wb["仪表盘" if lang == "zh-CN" else "Dashboard"]
    assert len(dash._charts) == 6
    assert dash["B4"].number_format == "0" and dash["B6"].number_format == "#,##0.00"
    assert dash["B12"].number_format.endswith("%") and dash["B2"].is_date


def test_the_users_own_sheets_stay_byte_for_byte(own):
    _lang, src, out = own
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        for info in a.infolist():
            if info.filename in {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml",
                                 "xl/_rels/workbook.xml.rels"}:
                continue
            assert a.read(info) == b.read(info.filename), info.filename


def test_the_second_refresh_keeps_the_layout(own, tmp_path):
    lang, _src, out = own
    again = tmp_path / "again.xlsx"
    refresh_file(out, again)
    for spec in CREATED:
        assert _layout(again, spec.label(lang)) == _layout(out, spec.label(lang)), spec.key


def test_shipped_dashboard_cells_are_formatted_for_what_they_hold():
    wb = openpyxl.load_workbook(workbook_path("en"))
    dash = wb["Dashboard"]
    figures = {dash.cell(r, 1).value: dash.cell(r, 2) for r in range(4, 16)}
    assert figures["Customers"].number_format == "0"
    assert figures["Revenue"].number_format == "#,##0.00"
    assert figures["Share of customers making 80% of revenue"].number_format == "0.00%"
    assert dash["B2"].is_date
    assert [dash.cell(37, c).number_format for c in (1, 2, 3)] == ["0.00%"] * 3  # Pareto
    assert dash.cell(17, 2).font.b  # block headings in bold


# --------------------------------------------------------------------------- the pure parts
def test_an_existing_call_list_keeps_its_own_column_order():
    lang = "en"
    header = [c.label(lang) for c in CALLLIST.columns]
    row = [f"v{i}" for i in range(len(header))]
    table = OutputTable("CallList", "CallList", [header, row], ["text"] * len(header),
                        [c.width for c in CALLLIST.columns], row_heights=[30.0])
    older = ["Owner", "Rank", "CustomerID", *[h for h in header if h not in
                                              {"Owner", "Rank", "CustomerID"}]]
    kept = follow_header(table, older)
    assert kept.rows[0] == older
    assert kept.rows[1][2] == row[header.index("CustomerID")]
    assert kept.widths[2] == CALLLIST.col("CustomerID").width and kept.row_heights == [30.0]
    assert follow_header(table, header) is table
    assert follow_header(table, header[:-1]) is table  # another table: left as it is


def test_rows_are_as_tall_as_their_wrapped_text():
    lines, cjk = text_lines(pd.Series(["", "short", "x" * 50, "一二三四五六七八九十" * 2,
                                       "a\nb\nc", None]), 12)
    assert lines.tolist() == [1, 1, 6, 4, 3, 1] and cjk.tolist() == [
        False, False, False, True, False, False]
    frame = pd.DataFrame({c.key: [None, "一二三四五六七八九十" * 6] for c in CALLLIST.columns})
    low, high = row_heights(frame, CALLLIST)
    assert low < 20 < 4 * 15 < high


def test_analysis_rows_keep_the_default_height(own):
    lang, _src, out = own
    with zipfile.ZipFile(out) as z:
        part = ooxml.inspect_book(out).sheet_parts["客户分析" if lang == "zh-CN" else "Analysis"]
        xml = z.read(part).decode()
    assert re.findall(r'<row r="(\d+)"[^>]*customHeight', xml) == ["1"]  # the header only
