"""xl_addin.excel.ooxml: surgical workbook writing, on real files built in tmp_path.

The fixture workbook is made with xlsxwriter and carries what openpyxl would lose: a
VBA project, a form-control button with a macro, a chart, a picture, a comment, data
validation, x14 conditional formatting (2010 data bar), a sparkline, defined names,
Tables, frozen panes, column formats; a calcChain part is added afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from support.books import png

from xl_addin.errors import BookError
from xl_addin.excel import ooxml
from xl_addin.excel.ooxml import Append, OutputSheet, fingerprint, inspect_book, write_book

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


# --------------------------------------------------------------------------- fixtures
def _vba_project() -> bytes:
    """A real vbaProject.bin (xlwings ships one); any OLE-looking bytes otherwise."""
    try:
        import xlwings

        path = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
        with zipfile.ZipFile(path) as z:
            return z.read("xl/vbaProject.bin")
    except Exception:  # pragma: no cover - xlsxwriter copies the bytes verbatim anyway
        return OLE_MAGIC + bytes(504)


def _rezip(path: Path, edit: dict[str, bytes], add: dict[str, bytes] | None = None) -> None:
    """Rewrite a zip with some members replaced and some appended (fixture surgery)."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, edit.get(info.filename, data))
        for name, data in (add or {}).items():
            z.writestr(name, data)


def _add_calc_chain(path: Path, entries: str) -> None:
    with zipfile.ZipFile(path) as z:
        ct = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    ct = ct.replace("</Types>", '<Override PartName="/xl/calcChain.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
    rels = rels.replace("</Relationships>", '<Relationship Id="rId99" Type="http://schemas.'
                        'openxmlformats.org/officeDocument/2006/relationships/calcChain" '
                        'Target="calcChain.xml"/></Relationships>')
    chain = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="http:'
             f'//schemas.openxmlformats.org/spreadsheetml/2006/main">{entries}</calcChain>')
    _rezip(path, {"[Content_Types].xml": ct.encode(), "xl/_rels/workbook.xml.rels": rels.encode()},
           {"xl/calcChain.xml": chain.encode()})


def build_book(folder: Path, name: str = "book.xlsm", *, calc: str | None = None,
               totals: bool = False, output_table: bool = False,
               below_contacts: str | None = None, date_1904: bool = False) -> Path:
    """The decorated test workbook. Sheet ids: Customers 1, Contacts 2, Analysis 3,
    Dashboard 4 (and FollowUps 5 with ``output_table``)."""
    path = folder / name
    (folder / "img.png").write_bytes(png())
    (folder / "vbaProject.bin").write_bytes(_vba_project())
    wb = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    if name.endswith(".xlsm"):
        wb.add_vba_project(str(folder / "vbaProject.bin"))
    head = wb.add_format({"bold": True, "bg_color": "#DDEEFF"})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00"})

    cust = wb.add_worksheet("Customers")
    cols = ["CustomerID", "Name", "Birthday", "Region"]
    data = [[f"C{i:03}", f"Name {i}", dt.datetime(1990, 1, i + 1), "East"] for i in range(5)]
    cust.add_table(0, 0, 5, 3, {"name": "Customers", "data": data,
                                "columns": [{"header": h} for h in cols[:2]]
                                + [{"header": "Birthday", "format": datef}, {"header": "Region"}]})
    cust.freeze_panes(1, 0)
    cust.data_validation(1, 3, 100, 3, {"validate": "list", "source": ["East", "West"]})
    cust.write_comment("B2", "a comment")
    cust.insert_button("F2", {"macro": "SampleCall", "caption": "Run"})
    cust.insert_image("F6", str(folder / "img.png"))

    cont = wb.add_worksheet("Contacts")
    cont.add_table(0, 0, 2, 3, {
        "name": "Contacts", "total_row": totals,
        "data": [["C000", dt.datetime(2025, 1, 2), "phone", "hi"]],
        "columns": [{"header": "CustomerID", "total_function": "count" if totals else None},
                    {"header": "ContactDate", "format": datef},
                    {"header": "Channel"}, {"header": "Notes"}],
    } if totals else {
        "name": "Contacts", "data": [["C000", dt.datetime(2025, 1, 2), "phone", "hi"],
                                     ["C001", dt.datetime(2025, 1, 3), "visit", "ok"]],
        "columns": [{"header": "CustomerID"}, {"header": "ContactDate", "format": datef},
                    {"header": "Channel"}, {"header": "Notes"}],
    })
    if below_contacts:
        cont.write(below_contacts, "in the way")
    cont.write("G1", "not part of the table")

    an = wb.add_worksheet("Analysis")
    an.write_row(0, 0, ["CustomerID", "Revenue", "LastOrderDate"], head)
    an.write_row(1, 0, ["C000", 12.5])
    an.write_formula(1, 3, "=B2*2", None, 25)
    an.set_column(1, 1, 12, money)
    an.set_column(2, 2, 14, datef)
    an.freeze_panes(1, 0)
    an.autofilter(0, 0, 1, 2)
    an.data_validation(1, 2, 1000, 2, {"validate": "date", "criteria": ">",
                                       "value": dt.date(2000, 1, 1)})
    an.conditional_format(1, 1, 1000, 1, {"type": "data_bar", "data_bar_2010": True})
    an.conditional_format(1, 1, 1000, 1, {"type": "cell", "criteria": ">", "value": 5,
                                          "format": head})
    an.add_sparkline("F2", {"range": "Analysis!B2:B10"})

    dash = wb.add_worksheet("Dashboard")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Customers!$A$2:$A$6"})
    dash.insert_chart("B2", chart)
    dash.write_formula("A1", "=SUM(Analysis!B:B)", None, 12.5)

    if output_table:
        fu = wb.add_worksheet("FollowUps")
        fu.add_table(0, 0, 2, 2, {"name": "FollowUps", "data": [["a", 1, "x"], ["b", 2, "y"]],
                                  "columns": [{"header": "CustomerID"}, {"header": "Old"},
                                              {"header": "Gone"}]})
    wb.define_name("MyName", "=Customers!$A$1")
    wb.close()
    if calc is not None:
        _add_calc_chain(path, calc)
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def raw_member(path: Path, name: str) -> bytes:
    """A member's compressed bytes as stored."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        head = fh.read(30)
        n, m = struct.unpack("<HH", head[26:30])
        fh.seek(info.header_offset + 30 + n + m)
        return fh.read(info.compress_size)


def outside_sheet_data(xml: bytes) -> bytes:
    """A worksheet with sheetData, dimension ref and autoFilter ref blanked."""
    xml = re.sub(rb'(<dimension ref=")[^"]*"', rb'\1"', xml)
    xml = re.sub(rb'(<autoFilter ref=")[^"]*"', rb'\1"', xml)
    return re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", b"<sheetData/>", xml, flags=re.S)


ANALYSIS = [
    ["CustomerID", "Revenue", "LastOrderDate", "Orders"],
    ["C000", 1234.5, dt.date(2026, 3, 5), 7],
    ["C001", 0.1, dt.datetime(2026, 3, 6, 12, 0), 0],
    ["C002", None, None, None],
]
CALLLIST = [
    ["Owner", "Rank", "Due", "Share"],
    ["Ann", 1, dt.date(2026, 3, 5), 0.25],
    ["Bob", 2, pd.Timestamp("2026-03-07"), np.float64(0.5)],
]


def outputs() -> list[OutputSheet]:
    return [
        OutputSheet("Analysis", ANALYSIS, ["id", "money", "date", "int"]),
        OutputSheet("CallList", CALLLIST, ["text", "int", "date", "percent"], [12, 6, 11, 8]),
    ]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return build_book(tmp_path, calc='<c r="D2" i="3"/><c r="A1" i="4"/>')


# --------------------------------------------------------------------------- 1. preservation
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


# --------------------------------------------------------------------------- 2. text is text
FORMULA_LIKE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-1+2",
                "=1+1", "'quoted", "<b>&amp;</b>"]


def test_formula_looking_strings_stay_text(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsm"
    write_book(book, out, [OutputSheet("CallList", [["Text"]] + [[s] for s in FORMULA_LIKE])])
    xml = members(out)["xl/worksheets/sheet5.xml"]
    assert b"<f>" not in xml and b"<f " not in xml
    ws = openpyxl.load_workbook(out)["CallList"]
    for row, s in enumerate(FORMULA_LIKE, start=2):
        assert ws.cell(row, 1).data_type == "s" and ws.cell(row, 1).value == s
    got = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("CallList").to_python()
    assert [r[0] for r in got[1:]] == FORMULA_LIKE


# --------------------------------------------------------------------------- 3. idempotent
def test_writing_twice_equals_writing_once(book: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "once.xlsm", tmp_path / "twice.xlsm"
    write_book(book, once, outputs(), [Append("Contacts", [["C9", dt.date(2026, 1, 1)]],
                                              table="Contacts")])
    report = write_book(once, twice, outputs())
    assert report.parts_changed == [] and report.parts_added == []
    assert names(once) == names(twice)
    assert members(once) == members(twice)
    assert once.read_bytes() == twice.read_bytes()


# --------------------------------------------------------------------------- 4. atomicity
def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_failure_midway_leaves_everything_untouched(book: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    original = book.read_bytes()
    listing = _listing(tmp_path)
    real_copy = ooxml._copy_member
    calls = []

    def failing_copy(*args: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            tmps = [p for p in tmp_path.iterdir() if p.name.endswith(".customerbook-tmp")]
            assert len(tmps) == 1 and tmps[0].stat().st_size > 0  # the temp file exists
            raise OSError("disk full")
        real_copy(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ooxml, "_copy_member", failing_copy)
    with pytest.raises(OSError, match="disk full"):
        write_book(book, book, outputs())
    assert book.read_bytes() == original
    assert _listing(tmp_path) == listing  # no temp file, no backup folder


def test_failure_at_replace_leaves_everything_untouched(book: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    original = book.read_bytes()
    out = tmp_path / "out.xlsm"
    out.write_bytes(b"previous output")

    def boom(*_a: object) -> None:
        raise PermissionError("the file is open in Excel")

    monkeypatch.setattr(ooxml.os, "replace", boom)
    with pytest.raises(PermissionError):
        write_book(book, out, outputs())
    assert book.read_bytes() == original and out.read_bytes() == b"previous output"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".customerbook-tmp")]


def test_changed_on_disk_before_the_write(book: Path) -> None:
    fp = fingerprint(book)
    st = book.stat()
    os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # "touch"
    data = book.read_bytes()
    with pytest.raises(BookError) as err:
        write_book(book, book, outputs(), expect=fp)
    assert err.value.code == "changed_on_disk"
    assert book.read_bytes() == data
    assert not (book.parent / "CustomerBook backups").exists()


def test_changed_on_disk_during_the_write(book: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone saves (same size, same mtime, new bytes) while the package is built."""
    fp = fingerprint(book)
    real = ooxml._assemble

    def saved_meanwhile(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        data = bytearray(book.read_bytes())
        data[10] ^= 0x01  # the first member's modification time: still a valid zip
        st = book.stat()
        book.write_bytes(bytes(data))
        os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns))

    monkeypatch.setattr(ooxml, "_assemble", saved_meanwhile)
    listing = _listing(tmp_path)
    with pytest.raises(BookError) as err:
        write_book(book, book, outputs(), expect=fp)
    assert err.value.code == "changed_on_disk"
    assert fingerprint(book)[2] != fp[2]  # their save survives
    assert _listing(tmp_path) == listing


def test_expect_matching_writes(book: Path) -> None:
    report = write_book(book, book, outputs(), expect=fingerprint(book))
    assert "xl/worksheets/sheet3.xml" in report.parts_changed


# --------------------------------------------------------------------------- 5. append
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


# --------------------------------------------------------------------------- 6. bad files
def _truncated(folder: Path) -> Path:
    good = build_book(folder, "good.xlsx")
    bad = folder / "cut.xlsx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return bad


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda d: d / "missing.xlsx", "file_not_found"),
        (lambda d: (d / "text.xlsx").write_text("just text") and d / "text.xlsx",
         "not_a_workbook"),
        (lambda d: (d / "empty.xlsx").write_bytes(b"") is not None and d / "empty.xlsx",
         "not_a_workbook"),
        (_truncated, "corrupt"),
        (lambda d: (d / "locked.xlsx").write_bytes(OLE_MAGIC + bytes(4088)) and d / "locked.xlsx",
         "encrypted"),
        (lambda d: d, "not_a_workbook"),
    ],
    ids=["missing", "text", "empty", "truncated", "ole-encrypted", "folder"],
)
def test_inspect_book_errors(tmp_path: Path, make, code: str) -> None:
    path = make(tmp_path)
    with pytest.raises(BookError) as err:
        inspect_book(path)
    assert err.value.code == code
    assert str(path) in str(err.value)


def test_not_a_workbook_zip_and_zip_bomb(tmp_path: Path) -> None:
    docx = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(BookError) as err:
        inspect_book(docx)
    assert err.value.code == "not_a_workbook"

    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(10_001):
            z.writestr(f"x/{i}", b"")
    with pytest.raises(BookError, match="10,001 parts") as err:
        inspect_book(many)
    assert err.value.code == "too_large"


def test_inspect_book(book: Path) -> None:
    info = inspect_book(book)
    assert info.sheets == ("Customers", "Contacts", "Analysis", "Dashboard")
    assert info.sheet_parts["Analysis"] == "xl/worksheets/sheet3.xml"
    assert info.macro_enabled and not info.date1904
    t = {t.name: t for t in info.tables}
    assert t["Contacts"] == ooxml.TableInfo("Contacts", "Contacts", "A1:D3", 1, 0,
                                            "xl/tables/table2.xml")
    assert t["Customers"].sheet == "Customers"


def test_too_many_rows_or_columns(book: Path) -> None:
    with pytest.raises(BookError, match="1,048,577 rows") as err:
        write_book(book, book, [OutputSheet("Analysis", [[1]] * (ooxml.MAX_ROWS + 1))])
    assert err.value.code == "too_large"
    with pytest.raises(BookError, match="column XFD"):
        write_book(book, book, [OutputSheet("Analysis", [[None] * (ooxml.MAX_COLS + 1)])])


# --------------------------------------------------------------------------- 7. backups
def test_in_place_writes_keep_pruned_backups(book: Path) -> None:
    folder = book.parent / "CustomerBook backups"
    previous = []
    reports = []
    for k in range(3):
        previous.append(book.read_bytes())
        rows = [["n"], [k]]
        reports.append(write_book(book, book, [OutputSheet("CallList", rows)], backups=2))
    kept = sorted(folder.iterdir())
    assert len(kept) == 2
    pattern = re.compile(r"book\.\d{8}-\d{6}(-\d+)?\.xlsm$")
    assert all(pattern.match(p.name) for p in kept)
    assert all(r.backup is not None and r.backup.parent == folder for r in reports)
    assert reports[-1].backup is not None and reports[-1].backup.read_bytes() == previous[-1]
    assert {p.read_bytes() for p in kept} == set(previous[1:])
    # other workbooks' backups are never pruned
    (folder / "other.20200101-000000.xlsm").write_bytes(b"x")
    write_book(book, book, [OutputSheet("CallList", [["n"], [9]])], backups=1)
    assert (folder / "other.20200101-000000.xlsm").exists()
    assert len([p for p in folder.iterdir() if p.name.startswith("book.")]) == 1


def test_backups_zero_and_other_destination(book: Path, tmp_path: Path) -> None:
    assert write_book(book, book, outputs(), backups=0).backup is None
    assert write_book(book, tmp_path / "copy.xlsm", outputs()).backup is None
    assert not (tmp_path / "CustomerBook backups").exists()


# --------------------------------------------------------------------------- 8. values
@pytest.mark.parametrize(
    ("day", "serial"),
    [(dt.date(1900, 1, 1), 1), (dt.date(1900, 2, 28), 59), (dt.date(1900, 3, 1), 61),
     (dt.date(2026, 3, 5), 46086)],
    ids=["1900-01-01", "1900-02-28", "1900-03-01 (leap bug)", "2026-03-05"],
)
def test_date_serials_1900(book: Path, day: dt.date, serial: int) -> None:
    write_book(book, book, [OutputSheet("CallList", [["d"], [day]], ["date"])], backups=0)
    xml = members(book)["xl/worksheets/sheet5.xml"].decode()
    assert re.search(rf'<c r="A2" s="\d+"><v>{serial}</v></c>', xml)


def test_date1904_serials(tmp_path: Path) -> None:
    book = build_book(tmp_path, "b.xlsx", date_1904=True)
    assert inspect_book(book).date1904
    rows = [["d", "t"], [dt.date(1904, 1, 2), dt.datetime(2026, 3, 5, 6, 0)]]
    write_book(book, book, [OutputSheet("CallList", rows)], backups=0)
    xml = members(book)["xl/worksheets/sheet5.xml"].decode()
    assert re.search(r'<c r="A2" s="\d+"><v>1</v></c>', xml)
    assert re.search(r'<c r="B2" s="\d+"><v>44624.25</v></c>', xml)  # 46086 - 1462
    ws = openpyxl.load_workbook(book)["CallList"]
    assert ws["A2"].value == dt.datetime(1904, 1, 2)
    assert ws["B2"].value == dt.datetime(2026, 3, 5, 6, 0)


def test_dates_never_lose_their_format(book: Path) -> None:
    """A date in a text column or under a non-date style still gets a date format."""
    rows = [["CustomerID", "Revenue", "LastOrderDate"], [dt.date(2026, 1, 1), dt.date(2026, 1, 2),
                                                         dt.datetime(2026, 1, 3, 8, 0)]]
    write_book(book, book, [OutputSheet("Analysis", rows, ["text", "money", "text"])],
               backups=0)
    ws = openpyxl.load_workbook(book)["Analysis"]
    assert all(ws.cell(2, c).is_date for c in (1, 2, 3))
    assert ws["C2"].value == dt.datetime(2026, 1, 3, 8, 0)


ODD = ["bell\x07 and nul\x00 removed", "a_x000D_b", "_x005F_ and _xABCD_", "cr\r\nlf",
       "  padded  ", "tab\there", "emoji 😀 中文", "x" * 40_000, "&<>\"'"]


def test_odd_strings_round_trip(book: Path) -> None:
    write_book(book, book, [OutputSheet("CallList", [["s"]] + [[s] for s in ODD])], backups=0)
    xml = members(book)["xl/worksheets/sheet5.xml"].decode()
    assert "a_x005F_x000D_b" in xml  # escaped as Excel does, so Excel shows it literally
    expected = [s.replace("\x07", "").replace("\x00", "")[: ooxml.MAX_TEXT] for s in ODD]
    # calamine decodes Excel's _xHHHH_ escapes like Excel does: an exact round trip
    got = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("CallList").to_python()
    assert [r[0] for r in got[1:]] == expected
    # openpyxl does not decode _xHHHH_ in inline strings; everything else round-trips
    ws = openpyxl.load_workbook(book)["CallList"]
    values = [ws.cell(r, 1).value for r in range(2, len(ODD) + 2)]
    plain = [k for k, s in enumerate(expected) if "_x" not in s]
    assert [values[k] for k in plain] == [expected[k] for k in plain]
    assert values[1] == "a_x005F_x000D_b"


def test_value_types(book: Path) -> None:
    row = [True, np.bool_(False), np.int64(7), np.float32(0.1), Decimal("2.5"), float("nan"),
           float("inf"), pd.NaT, pd.NA, np.datetime64("2026-03-05T12:00"), 10**15, -0.0, None, ""]
    write_book(book, book, [OutputSheet("CallList", [list("abcdefghijklmn"), row])], backups=0)
    ws = openpyxl.load_workbook(book)["CallList"]
    got = [c.value for c in ws[2]]
    assert got[:5] == [True, False, 7, 0.1, 2.5]
    assert got[5:9] == [None] * 4
    assert got[9] == dt.datetime(2026, 3, 5, 12, 0) and ws["J2"].is_date
    assert got[10] == 10**15 and got[11] == 0
    with pytest.raises(TypeError, match="complex"):
        write_book(book, book, [OutputSheet("CallList", [[1j]])], backups=0)


# --------------------------------------------------------------------------- 9. tables
def test_table_on_an_output_sheet_follows_the_rows(tmp_path: Path) -> None:
    book = build_book(tmp_path, output_table=True)
    rows = [["CustomerID", "Old", "Reason", "DueDate"]] + [
        [f"C{i}", i, "Cadence", dt.date(2026, 3, i + 1)] for i in range(5)]
    report = write_book(book, book, [OutputSheet("FollowUps", rows)], backups=0)
    table = members(book)["xl/tables/table3.xml"].decode()
    assert 'ref="A1:D6"' in table and '<autoFilter ref="A1:D6"/>' in table
    cols = re.findall(r'<tableColumn id="(\d+)" name="([^"]*)"', table)
    assert [n for _i, n in cols] == rows[0]
    assert len({i for i, _n in cols}) == 4 and ("2", "Old") in cols  # kept by name
    assert 'tableColumns count="4"' in table
    assert any("FollowUps: ref A1:C3 -> A1:D6" in n for n in report.notes)
    ws = openpyxl.load_workbook(book)["FollowUps"]
    assert ws.tables["FollowUps"].ref == "A1:D6"
    assert [c.value for c in ws[6]] == ["C4", 4, "Cadence", dt.datetime(2026, 3, 5)]

    # no data rows: the table still covers the header and one (empty) row
    write_book(book, book, [OutputSheet("FollowUps", [["CustomerID", "Reason"]])], backups=0)
    ws = openpyxl.load_workbook(book)["FollowUps"]
    assert ws.tables["FollowUps"].ref == "A1:B2"
    assert inspect_book(book).tables[-1].ref == "A1:B2"


# --------------------------------------------------------------------------- other producers
def test_prefixed_namespace_sheet(tmp_path: Path) -> None:
    """Some producers write <x:worksheet xmlns:x=...>; new cells use the same prefix."""
    book = build_book(tmp_path, "b.xlsx")
    with zipfile.ZipFile(book) as z:
        xml = z.read("xl/worksheets/sheet3.xml").decode()
    xml = re.sub(r"<(/?)([a-zA-Z]+)(?=[\s/>])", r"<\1x:\2", xml)  # not x14:..., xm:...
    xml = xml.replace('xmlns="http', 'xmlns:x="http')
    _rezip(book, {"xl/worksheets/sheet3.xml": xml.encode()})
    write_book(book, book, [OutputSheet("Analysis", ANALYSIS)], backups=0)
    new = members(book)["xl/worksheets/sheet3.xml"].decode()
    assert "<x:sheetData><x:row r=\"1\">" in new and "<sheetData" not in new
    assert '<x:dimension ref="A1:D4"/>' in new
    ws = openpyxl.load_workbook(book)["Analysis"]
    assert ws["C2"].value == dt.datetime(2026, 3, 5) and ws["A4"].value == "C002"


def test_existing_output_sheet_without_header_styles_gets_bold(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Analysis")
    wb.close()
    report = write_book(path, path, [OutputSheet("Analysis", ANALYSIS)], backups=0)
    assert "xl/styles.xml" in report.parts_changed
    ws = openpyxl.load_workbook(path)["Analysis"]
    assert ws["A1"].font.b and not ws["A2"].font.b


def test_raw_copy_fallback_gives_the_same_content(book: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = tmp_path / "fast.xlsm", tmp_path / "slow.xlsm"
    write_book(book, fast, outputs())
    real_init = ooxml._ZipOut.__init__

    def no_raw(self, *a, **k):  # type: ignore[no-untyped-def]
        real_init(self, *a, **k)
        self.raw_ok = False

    monkeypatch.setattr(ooxml._ZipOut, "__init__", no_raw)
    report = write_book(book, slow, outputs())
    assert any("recompressed" in n for n in report.notes)
    assert members(fast) == members(slow)


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


def test_old_rows_are_streamed_across_chunk_boundaries(book: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The old sheetData is skipped in chunks; tags cut at any byte must still be found."""
    many = [ANALYSIS[0]] + [[f"C{i}", i * 1.5, dt.date(2026, 1, 1), i] for i in range(300)]
    ref = tmp_path / "ref.xlsm"
    write_book(book, ref, [OutputSheet("Analysis", many)])
    write_book(ref, ref, [OutputSheet("Analysis", ANALYSIS)], backups=0)
    for chunk in (1, 7, 64):
        monkeypatch.setattr(ooxml, "_CHUNK", chunk)
        out = tmp_path / f"out{chunk}.xlsm"
        write_book(book, out, [OutputSheet("Analysis", many)])
        write_book(out, out, [OutputSheet("Analysis", ANALYSIS)], backups=0)
        assert members(out) == members(ref), chunk


def test_fingerprint(book: Path) -> None:
    size, mtime_ns, sha = fingerprint(book)
    assert size == book.stat().st_size and mtime_ns == book.stat().st_mtime_ns
    assert len(sha) == 64
    with pytest.raises(BookError) as err:
        fingerprint(book.parent / "nope.xlsm")
    assert err.value.code == "file_not_found"


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


def test_row_breaks_are_placed_in_schema_order_and_replace_old_ones():
    from xl_addin.excel.ooxml import _set_row_breaks

    suffix = ('<pageSetup orientation="landscape"/><rowBreaks count="1" manualBreakCount="1">'
              '<brk id="5" max="16383" man="1"/></rowBreaks><drawing r:id="rId1"/>'
              '<tableParts count="0"/></worksheet>')
    new = _set_row_breaks(suffix, "", [21, 41])
    assert new.index("<rowBreaks") < new.index("<drawing") and 'id="5"' not in new
    assert new.count("<brk ") == 2 and 'count="2"' in new
    assert "<rowBreaks" not in _set_row_breaks(suffix, "", [])
    assert _set_row_breaks(suffix, "", None) == suffix
    plain = _set_row_breaks("<pageMargins/></x:worksheet>", "x:", [3])
    assert plain == ('<pageMargins/><x:rowBreaks count="1" manualBreakCount="1">'
                     '<x:brk id="3" max="16383" man="1"/></x:rowBreaks></x:worksheet>')
