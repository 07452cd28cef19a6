"""The customer card (客户档案): its formulas, in the shipped workbooks, without Python.

The LibreOffice tests choose other customers in a copy of the shipped book (the ID cell
rewritten in the sheet's XML, as if a rep had typed it and saved), let LibreOffice
recalculate headless and compare what the card shows with the Customers, Orders and
Contacts the book holds and with Analysis and FollowUps as the refresh wrote them.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import python_calamine as pc
from support.books import rezip

from tools.build import CARD_MACRO, WORKBOOK_DIR, sheet_module, workbook_path
from tools.card import (
    CARD_ROWS,
    CONTACT_COLUMNS,
    FOLLOWUP_COLUMNS,
    HELPER_COL,
    ID_CELL,
    MARKER,
    ORDER_COLUMNS,
    field_cells,
)
from tools.libreoffice import (
    find_soffice,
    read_cells,
    recalculate_and_read,
    render,
    run_vba_sub,
)
from xl_addin.names import (
    ANALYSIS,
    CALLLIST,
    CONTACTS,
    CUSTOMERCARD,
    CUSTOMERS,
    FOLLOWUPS,
    ORDERS,
    REASONS,
    word,
)

LANGS = ("zh-CN", "en")
no_lo = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not "
                           "installed; .ci/run installs libreoffice-calc-nogui")
EPOCH = dt.date(1899, 12, 30)


# ------------------------------------------------------------------------------ helpers
def _part_of(book: Path, sheet: str) -> str:
    with zipfile.ZipFile(book) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"', wb)[1]
    return "xl/" + re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels)[1]


def _with_id(book: Path, out: Path, lang: str, customer_id: str) -> Path:
    """A copy of ``book`` whose card shows ``customer_id`` (typed into the ID cell)."""
    part = _part_of(book, CUSTOMERCARD.label(lang))
    with zipfile.ZipFile(book) as zf:
        xml = zf.read(part).decode()
    cell = re.compile(rf'<c r="{ID_CELL}"( s="\d+")?( t="\w+")?>(<v>[^<]*</v>|<is>.*?</is>)?</c>'
                      rf'|<c r="{ID_CELL}"( s="\d+")?/>')
    m = cell.search(xml)
    assert m, "the ID cell is in the sheet"
    style = m[1] or m[4] or ""
    xml = xml[:m.start()] + (f'<c r="{ID_CELL}"{style} t="inlineStr"><is><t>{customer_id}</t>'
                             "</is></c>") + xml[m.end():]
    return rezip(book, out, {part: xml.encode()})


def _sheets(book: Path) -> dict[str, list[list[Any]]]:
    wb = pc.CalamineWorkbook.from_path(str(book))
    try:
        return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    finally:
        wb.close()


def _table(rows: list[list[Any]], spec, lang: str) -> list[dict[str, Any]]:
    header = rows[0]
    at = {c.key: header.index(c.label(lang)) for c in spec.columns if c.label(lang) in header}
    return [{k: r[i] if i < len(r) else None for k, i in at.items()} for r in rows[1:]]


def _frames(book: Path, lang: str) -> dict[str, list[dict[str, Any]]]:
    sheets = _sheets(book)
    return {spec.key: _table(sheets[spec.label(lang)], spec, lang)
            for spec in (CUSTOMERS, ORDERS, CONTACTS, ANALYSIS, FOLLOWUPS)}


def _day(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, float):
        return EPOCH + dt.timedelta(days=int(v))
    return None


def _blank(v: Any) -> bool:
    return v is None or v == ""


def _same(card: Any, want: Any) -> bool:
    if _blank(want):
        return _blank(card)
    if isinstance(want, dt.date | dt.datetime):
        return _day(card) == _day(want)
    if isinstance(want, float | int) and not isinstance(want, bool):
        return isinstance(card, float) and abs(card - float(want)) < 1e-6
    return str(card) == str(want)


def _expected(frames, lang: str, cid: str) -> dict[tuple[str, str], Any]:
    """What the card must show for ``cid``: cell (sheet, ref) -> value."""
    sheet = CUSTOMERCARD.label(lang)
    cells = field_cells()
    want: dict[str, Any] = {}
    cust = next((r for r in frames["Customers"] if str(r["CustomerID"]) == cid), None)
    ana = next((r for r in frames["Analysis"] if str(r["CustomerID"]) == cid), None)
    if cust is not None:
        for key in ("Owner", "Phone", "Region", "Type", "Source", "Birthday", "Anniversary",
                    "Member", "CardBalance", "Name", "Preferences", "Notes"):
            want[key] = cust[key]
        want["Title"] = cust["Name"]
        want["Referrals"] = float(sum(str(r["ReferredBy"] or "") == cid
                                      for r in frames["Customers"]))
    if ana is not None:
        for key in ("ABCClass", "ValueTier", "RFMSegment", "KeyFace", "Dormant", "PAlive", "CLV",
                    "Revenue", "Profit", "Orders", "LastOrderDate", "RecencyDays",
                    "Outstanding", "OverdueDays", "AvgOrderValue", "Why"):
            want[key] = ana[key]
    out = {(sheet, cells[k]): v for k, v in want.items()}
    # the last 10 orders and contacts: latest date first, the later row first on a day
    for block, rows, date_key, columns in (
            ("orders", frames["Orders"], "OrderDate", ORDER_COLUMNS),
            ("contacts", frames["Contacts"], "ContactDate", CONTACT_COLUMNS)):
        mine = [(i, r) for i, r in enumerate(rows) if str(r["CustomerID"]) == cid]
        mine.sort(key=lambda p: (_day(p[1][date_key]), p[0]), reverse=True)
        first, count = CARD_ROWS[block]
        for k in range(count):
            row = mine[k][1] if k < len(mine) else None
            for j, key in enumerate(columns):
                ref = f"{'ABCDEF'[j]}{first + k}"
                if row is None:
                    out[(sheet, ref)] = None
                elif key == "Paid":
                    out[(sheet, ref)] = row["Amount"] if _blank(row["Paid"]) else row["Paid"]
                elif key == "Unpaid":
                    owed = 0.0 if _blank(row["Paid"]) or row["Amount"] <= 0 else max(
                        row["Amount"] - row["Paid"], 0.0)
                    out[(sheet, ref)] = owed
                elif key == "Promise":
                    continue  # text composed of three cells: checked in the layout test
                else:
                    out[(sheet, ref)] = row[key]
    # complaints and promises, then the other follow-ups, in the FollowUps order
    own = {word(REASONS, k, lang) for k in ("Complaint", "Promise")}
    fu = [r for r in frames["FollowUps"] if str(r["CustomerID"]) == cid]
    for block, rows in (("promises", [r for r in fu if r["Reason"] in own]),
                        ("followups", [r for r in fu if r["Reason"] not in own])):
        first, count = CARD_ROWS[block]
        for k in range(count):
            for j, key in enumerate(FOLLOWUP_COLUMNS):
                out[(sheet, f"{'ABCDE'[j]}{first + k}")] = rows[k][key] if k < len(rows) else None
    return out


def _check(book: Path, lang: str, cid: str, tmp_path: Path, frames) -> dict:
    copy = _with_id(book, tmp_path / f"{lang}-{cid}.xlsm", lang, cid)
    want = _expected(frames, lang, cid)
    got = recalculate_and_read(copy, list(want))
    wrong = {cell: (got[cell], v) for cell, v in want.items() if not _same(got[cell], v)}
    assert not wrong, f"{lang} {cid}: card shows (got, expected) {wrong}"
    return got


def _busy_customer(frames) -> str:
    """The customer with the most orders who also has open follow-ups and contacts."""
    fu = {str(r["CustomerID"]) for r in frames["FollowUps"]}
    counts: dict[str, int] = {}
    for r in frames["Orders"]:
        counts[str(r["CustomerID"])] = counts.get(str(r["CustomerID"]), 0) + 1
    return max(sorted(c for c in counts if c in fu), key=lambda c: counts[c])


# ---------------------------------------------------------------------- without LibreOffice
@pytest.mark.parametrize("lang", LANGS)
def test_the_card_is_a_sheet_of_formulas_that_all_follow_the_volatile_key(lang):
    import openpyxl

    wb = openpyxl.load_workbook(workbook_path(lang))
    ws = wb[CUSTOMERCARD.label(lang)]
    assert wb.sheetnames.index(ws.title) == wb.sheetnames.index(CALLLIST.label(lang)) + 1
    helper = openpyxl.utils.get_column_letter(HELPER_COL + 1)
    assert ws[f"{helper}1"].value == MARKER
    assert "NOW()" in ws[f"{helper}2"].value and ID_CELL in ws[f"{helper}2"].value
    formulas = []
    for row in ws.iter_rows():
        for cell in row:
            v = cell.value
            text = v.text if hasattr(v, "text") else v
            if isinstance(text, str) and text.startswith("="):
                formulas.append((cell.coordinate, text))
    assert len(formulas) > 150
    # every formula but the key itself reads the volatile key: Excel and LibreOffice
    # recalculate the card whenever the book is opened, after any headless refresh
    stale = [c for c, f in formulas if f"${helper}$2" not in f and c != f"{helper}2"]
    assert not stale
    assert not [f for _c, f in formulas if re.search(r"\b(FILTER|AGGREGATE|XLOOKUP|LET)\(", f)]


@pytest.mark.parametrize("lang", LANGS)
def test_the_card_prints_on_one_a4_page_and_offers_the_ids(lang):
    import openpyxl

    ws = openpyxl.load_workbook(workbook_path(lang))[CUSTOMERCARD.label(lang)]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # one page wide and one high (1 is the file format's default, left out when so)
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)
    assert ws.print_area == [f"'{ws.title}'!$A$1:$F$57"] or ws.print_area.endswith("$A$1:$F$57")
    (dv,) = [d for d in ws.data_validations.dataValidation if ID_CELL in str(d.sqref)]
    assert dv.type == "list" and "OFFSET" in dv.formula1 and ANALYSIS.label(lang) in dv.formula1
    assert dv.errorStyle == "information"  # an ID not in the list may be typed too


def test_the_card_reads_analysis_and_followups_by_the_contracts_columns():
    import openpyxl

    ws = openpyxl.load_workbook(workbook_path("en"))["CustomerCard"]
    cells = field_cells()
    clv = openpyxl.utils.get_column_letter([c.key for c in ANALYSIS.columns].index("CLV") + 1)
    assert f"'Analysis'!${clv}:${clv}" in ws[cells["CLV"]].value
    first, _ = CARD_ROWS["followups"]
    detail = openpyxl.utils.get_column_letter(
        [c.key for c in FOLLOWUPS.columns].index("Detail") + 1)
    assert f"'FollowUps'!${detail}:${detail}" in ws[f"E{first}"].value
    assert "Customers[Phone]" in ws[cells["Phone"]].value


def test_the_call_list_opens_the_card_without_python():
    code = (WORKBOOK_DIR / "vba" / "CustomerBook.bas").read_text(encoding="ascii")
    assert f"Public Sub {CARD_MACRO}()" in code and "RunPython" not in code.split(
        f"Public Sub {CARD_MACRO}")[1]
    assert f'CARD_MARKER As String = "{MARKER}"' in code
    assert f'CARD_ID_CELL As String = "{ID_CELL}"' in code
    sheet = sheet_module("CallList")
    ids = [c.key for c in CALLLIST.columns]
    # double-click on the CustomerID or the Name column of the call list
    assert f"Target.Column = {ids.index('CustomerID') + 1}" in sheet
    assert f"Target.Column = {ids.index('Name') + 1}" in sheet


# -------------------------------------------------------------------------- in LibreOffice
@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    out = {}
    for lang in LANGS:
        book = workbook_path(lang)
        out[lang] = (book, _frames(book, lang))
    return out


@pytest.mark.libreoffice
@no_lo
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("which", ["shipped", "busy", "prospect"])
def test_the_card_shows_the_chosen_customer_after_recalculating(lang, which, shipped,
                                                                 tmp_path):
    book, frames = shipped[lang]
    if which == "shipped":
        import openpyxl

        cid = openpyxl.load_workbook(book, read_only=False)[CUSTOMERCARD.label(lang)][
            ID_CELL].value
    elif which == "busy":
        cid = _busy_customer(frames)
    else:
        cid = next(str(r["CustomerID"]) for r in frames["Analysis"] if not r["Orders"])
    got = _check(book, lang, cid, tmp_path, frames)
    sheet = CUSTOMERCARD.label(lang)
    if which != "prospect":
        assert got[(sheet, f"A{CARD_ROWS['orders'][0]}")] is not None


@pytest.mark.libreoffice
@no_lo
@pytest.mark.parametrize("lang", LANGS)
def test_the_card_prints_on_one_page(lang, tmp_path):
    import subprocess

    [pdf] = render(workbook_path(lang), tmp_path, [CUSTOMERCARD.label(lang)], fmt="pdf")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) == 1
    assert ("最近订单" if lang == "zh-CN" else "Last 10 orders") in pages[0]


@pytest.mark.libreoffice
@no_lo
def test_an_unknown_id_shows_a_blank_card(tmp_path):
    copy = _with_id(workbook_path("en"), tmp_path / "x.xlsm", "en", "NOBODY")
    cells = field_cells()
    got = recalculate_and_read(copy, [("CustomerCard", cells[k]) for k in
                                      ("Title", "Owner", "CLV", "Why")]
                               + [("CustomerCard", f"A{CARD_ROWS['orders'][0]}")])
    assert all(_blank(v) for v in got.values()), got


@pytest.mark.libreoffice
@no_lo
def test_the_card_is_current_when_a_refreshed_book_is_opened(tmp_path):
    """A headless refresh rewrites Analysis and the Dashboard; LibreOffice opening the
    book (no recalculation asked for) shows the card with the new figures."""
    from xl_addin.macros import refresh_file

    out = tmp_path / "later.xlsm"
    refresh_file(workbook_path("en"), out, as_of=dt.date(2026, 12, 15))
    frames = _frames(out, "en")
    import openpyxl

    cid = openpyxl.load_workbook(out)["CustomerCard"][ID_CELL].value
    ana = next(r for r in frames["Analysis"] if r["CustomerID"] == cid)
    cells = field_cells()
    got = read_cells(out, [("CustomerCard", cells["AsOf"]),
                           ("CustomerCard", cells["RecencyDays"])])
    assert _day(got[("CustomerCard", cells["AsOf"])]) == dt.date(2026, 12, 15)
    assert got[("CustomerCard", cells["RecencyDays"])] == ana["RecencyDays"]


@pytest.mark.libreoffice
@no_lo
def test_the_call_list_row_opens_on_the_card(tmp_path):
    """CB_OpenCard (behind the call list's button and double-click) writes the row's ID
    into the card, and the card follows, in LibreOffice's VBA: no Python."""
    from tools.vba import build_vba_project, load_vba_sources

    book = workbook_path("zh-CN")
    with zipfile.ZipFile(book) as zf:
        n = sum(1 for x in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", x))
    probe = "Public Sub Probe()\n    CB_OpenCard ThisWorkbook.Worksheets(2), 3\nEnd Sub\n"
    vba = build_vba_project({**load_vba_sources(WORKBOOK_DIR / "vba"), "CardProbe": probe},
                            tmp_path / "vba.bin",
                            sheet_codenames=[f"Sheet{i}" for i in range(1, n + 1)],
                            document_code={"Sheet2": sheet_module("CallList")})
    copy = rezip(book, tmp_path / "probe.xlsm", {"xl/vbaProject.bin": vba.read_bytes()})
    calls = _sheets(book)[CALLLIST.label("zh-CN")]
    keys = [c.key for c in CALLLIST.columns]
    row = calls[2]  # row 3 of the call list
    cid, name = row[keys.index("CustomerID")], row[keys.index("Name")]
    got = run_vba_sub(copy, "CardProbe.Probe", [("客户档案", ID_CELL), ("客户档案", "C1")],
                      skip_modules=["xlwings"])
    assert got == {("客户档案", ID_CELL): cid, ("客户档案", "C1"): name}
