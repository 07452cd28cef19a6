"""Cells: text is always text, dates are day numbers under a date format in either
date system, odd strings and every value type come back as written."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from decorated import build_book, members
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from xl_addin.excel.ooxml import OutputSheet, inspect_book, refs, write_book

# openpyxl is only the reader here; it warns that it would drop the x14 extensions
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


# --------------------------------------------------------------------------- text is text
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


# --------------------------------------------------------------------------- values
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
    expected = [s.replace("\x07", "").replace("\x00", "")[: refs.MAX_TEXT] for s in ODD]
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


# ------------------------------------------------- a column at a time, as a row at a time
def _block_xml(rows: list[list], styles: list[int], date1904: bool, by_rows: bool) -> str:
    from xl_addin.excel.ooxml import cells
    from xl_addin.excel.ooxml.package import NS_MAIN
    from xl_addin.excel.ooxml.styles import Styles

    book = Styles(None, NS_MAIN[0], Path("x.xlsx"))
    for numfmt in (refs.NUMFMT_DATE, refs.NUMFMT_DATETIME):  # in either order: made first
        book.xf_for(numfmt)
    cols = cells.Columns("", 1, styles, book, date1904)
    if not by_rows:
        return "".join(cells.rows_xml(rows, 2, cols, batch=7))
    # a block with rows of unequal lengths is made a row at a time: one more, shorter row
    xml = "".join(cells.rows_xml([*rows, []], 2, cols, batch=len(rows) + 1))
    assert len(book.xfs) == 3
    return xml


_VALUES = st.one_of(
    st.none(), st.text(max_size=6), st.sampled_from(["", "a<b", "_x0041_", "x" * 40000, "呀"]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
    st.booleans(), st.dates(dt.date(1899, 12, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1899, 12, 30), dt.datetime(2100, 1, 1)),
    st.sampled_from([np.float64(2.5), np.int64(7), np.nan, pd.NaT, Decimal("1.5"),
                     np.datetime64("2026-03-05"), np.str_("np")]))
_COLUMN_KINDS = [_VALUES,
                 st.sampled_from([None, 1.5, float("nan"), -0.0, 1e300, float("-inf")]),
                 st.sampled_from([None, "", "a", "a&b", "_x"]), st.integers(-5, 5),
                 st.sampled_from([None, dt.date(1899, 12, 31), dt.date(2026, 3, 5)])]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20).flatmap(lambda n: st.lists(st.tuples(
    st.sampled_from(range(len(_COLUMN_KINDS))).flatmap(
        lambda k: st.lists(_COLUMN_KINDS[k], min_size=n, max_size=n)),
    st.sampled_from([0, 1])), min_size=1, max_size=5)), st.booleans())
def test_a_block_made_a_column_at_a_time_is_the_block_made_a_row_at_a_time(columns, date1904):
    """Each column of one common type has a quick way; whatever the columns hold (and
    with or without a style that keeps blank cells), the rows are those made one value at
    a time."""
    rows = [list(r) for r in zip(*(c for c, _s in columns), strict=True)]
    styles = [s for _c, s in columns]
    assert _block_xml(rows, styles, date1904, by_rows=False) == \
        _block_xml(rows, styles, date1904, by_rows=True)
