"""The decorated test workbook of the ooxml tests, and readers of its members.

The workbook is made with xlsxwriter and carries what openpyxl would lose: a VBA
project, a form-control button with a macro, a chart, a picture, a comment, data
validation, x14 conditional formatting (2010 data bar), a sparkline, defined names,
Tables, frozen panes, column formats; a calcChain part is added afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from support.books import png, rezip

from xl_addin.excel.ooxml import OutputSheet

__all__ = ["ANALYSIS", "CALLLIST", "OLE_MAGIC", "SHEET_CT", "build_book", "members", "names",
           "outputs", "outside_sheet_data", "raw_member"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _vba_project() -> bytes:
    """A real vbaProject.bin (xlwings ships one); any OLE-looking bytes otherwise."""
    try:
        import xlwings

        path = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
        with zipfile.ZipFile(path) as z:
            return z.read("xl/vbaProject.bin")
    except Exception:  # pragma: no cover - xlsxwriter copies the bytes verbatim anyway
        return OLE_MAGIC + bytes(504)


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
    rezip(path, path, {"[Content_Types].xml": ct.encode(), "xl/_rels/workbook.xml.rels": rels.encode()},
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
